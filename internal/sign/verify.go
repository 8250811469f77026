package sign

import (
	"crypto"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/sassoftware/relic/v8/lib/authenticode"
	"github.com/sassoftware/relic/v8/lib/pkcs9"
	"github.com/sassoftware/relic/v8/signers/sigerrors"

	"github.com/msiforge/msiforge/internal/safefile"
)

// The kinds of verification problem. Each [Problem] wraps exactly one, so
// callers can tell them apart with errors.Is.
var (
	ErrNotSigned        = errors.New("file is not signed")
	ErrBadSignature     = errors.New("signature is malformed, truncated or does not verify")
	ErrDigestMismatch   = errors.New("file content does not match its signature")
	ErrUntrusted        = errors.New("certificate chain does not lead to a trusted root")
	ErrCertExpired      = errors.New("signing certificate is not valid at the signing time and no valid timestamp vouches for it")
	ErrNoCodeSigningEKU = errors.New("signing certificate is not allowed to sign code (no code-signing extended key usage)")
	ErrBadTimestamp     = errors.New("timestamp does not verify")
	ErrWeakDigest       = errors.New("signature digest is SHA-1 only (no SHA-256 signature)")
	ErrAppendedData     = errors.New("data appended after the signed content")
)

// VerifyOptions says what to trust and when.
type VerifyOptions struct {
	// Roots are the trust anchors for the signer's chain; nil means the
	// system roots.
	Roots *x509.CertPool
	// TSARoots are the trust anchors for timestamp authorities; nil means
	// Roots.
	TSARoots *x509.CertPool
	// Now is the verification time for a signature without a valid
	// timestamp; zero means the current time.
	Now time.Time
}

// Problem is one reason a file's signature is not acceptable.
type Problem struct {
	Kind   error // one of the Err* kinds above
	Detail string
}

func (p Problem) Error() string {
	if p.Detail == "" {
		return p.Kind.Error()
	}
	return p.Kind.Error() + ": " + p.Detail
}

func (p Problem) Unwrap() error { return p.Kind }

// Result holds the facts Verify found about one file.
type Result struct {
	Path   string
	Format Format
	// Signed: the file carries an Authenticode signature (which may still
	// be broken).
	Signed bool
	// DigestOK: the content hashes to the digest the signature covers (and,
	// for an MSI, MsiDigitalSignatureEx matches).
	DigestOK bool
	// ChainOK: the signer's chain leads to a root in VerifyOptions.Roots and
	// is valid at the timestamp's time, or at Now without a timestamp.
	ChainOK bool
	// CodeSigningEKU: the signing certificate lists code signing among its
	// extended key usages and no issuer forbids it.
	CodeSigningEKU bool
	// PageHashes: a PE signature carries per-page hashes.
	PageHashes bool
	// Digests are the digest algorithms of the file's signatures, e.g.
	// ["SHA-256"].
	Digests []string
	Subject string // signing certificate's subject
	Issuer  string // signing certificate's issuer
	// Certificate is the signing certificate; nil when unsigned. A build
	// reusing an artifact checks it is the one it would sign with.
	Certificate *x509.Certificate
	// Timestamp and TimestampAuthority describe an RFC 3161 or legacy
	// counter-signature; Timestamp is nil without one.
	Timestamp          *time.Time
	TimestampAuthority string
	Problems           []Problem
}

// OK reports a signed file with no problems.
func (r *Result) OK() bool { return r.Signed && len(r.Problems) == 0 }

// Err joins the problems into one error naming the file, or nil.
func (r *Result) Err() error {
	if len(r.Problems) == 0 {
		return nil
	}
	errs := make([]error, len(r.Problems))
	for i, p := range r.Problems {
		errs[i] = p
	}
	return fmt.Errorf("%s: %w", r.Path, errors.Join(errs...))
}

func (r *Result) add(kind error, format string, args ...any) {
	r.Problems = append(r.Problems, Problem{Kind: kind, Detail: fmt.Sprintf(format, args...)})
}

// Verify checks the Authenticode signature of the PE image or MSI at path.
// Problems with the signature are reported in the Result; the error is for
// files that cannot be read or are neither PE nor MSI.
func Verify(path string, opts VerifyOptions) (Result, error) {
	res := Result{Path: path}
	f, err := safefile.Open(path)
	if err != nil {
		return res, fmt.Errorf("verify: %w", err)
	}
	defer f.Close()
	res.Format, err = DetectFormat(f)
	if err != nil {
		return res, fmt.Errorf("verify %s: %w", path, err)
	}
	fi, err := f.Stat()
	if err != nil {
		return res, fmt.Errorf("verify %s: %w", path, err)
	}
	var sig *pkcs9.TimestampedSignature
	switch res.Format {
	case FormatPE:
		sig = verifyPE(f, fi.Size(), &res)
	case FormatMSI:
		sig = verifyMSI(f, fi.Size(), &res)
	default:
		return res, fmt.Errorf("verify %s: %w", path, ErrUnknownFormat)
	}
	if sig != nil {
		checkChain(&res, sig, opts)
	}
	return res, nil
}

func isNotSigned(err error) bool {
	return errors.As(err, new(sigerrors.NotSignedError))
}

// verifyPE parses and checks the signature first without the digest, so a
// broken signature and altered content are told apart.
func verifyPE(f *os.File, size int64, res *Result) *pkcs9.TimestampedSignature {
	// The digest is checked on the image up to the end of its certificate
	// table; bytes after it are reported on their own.
	var image io.ReadSeeker = f
	if start, n, err := peCertTable(f); err == nil && n > 0 && start+n < size {
		end := start + n
		res.add(ErrAppendedData, "%d bytes at offset %d (0x%X), after the PE certificate table (offset %d, %d bytes)",
			size-end, end, end, start, n)
		image = io.NewSectionReader(f, 0, end)
	}
	sigs, err := authenticode.VerifyPE(image, true)
	if isNotSigned(err) {
		res.add(ErrNotSigned, "no certificate table in the PE image")
		return nil
	}
	res.Signed = true
	if err != nil {
		res.add(ErrBadSignature, "%v", err)
		return nil
	}
	if len(sigs) == 0 {
		res.add(ErrBadSignature, "empty certificate table")
		return nil
	}
	if _, err := authenticode.VerifyPE(image, false); err != nil {
		res.add(ErrDigestMismatch, "%v", err)
	} else {
		res.DigestOK = true
	}
	res.PageHashes = len(sigs[0].PageHashes) > 0
	hashes := make([]crypto.Hash, len(sigs))
	for i, s := range sigs {
		hashes[i] = s.ImageHashFunc
	}
	checkDigests(res, hashes...)
	return &sigs[0].TimestampedSignature
}

// checkDigests records the signatures' digest algorithms and reports a file
// whose signatures are all SHA-1 (or weaker): SHA-1 collisions are
// practical, and Microsoft requires SHA-2 signatures (signtool /fd sha256)
// for everything it signs or accepts for signing:
// https://learn.microsoft.com/en-us/windows-hardware/drivers/dashboard/code-signing-reqs
func checkDigests(res *Result, hashes ...crypto.Hash) {
	strong := false
	for _, h := range hashes {
		res.Digests = append(res.Digests, h.String())
		if h == crypto.SHA256 || h == crypto.SHA384 || h == crypto.SHA512 {
			strong = true
		}
	}
	if !strong {
		res.add(ErrWeakDigest, "digest algorithms [%s]; allowed: SHA-256, SHA-384 or SHA-512 (re-sign with msiforge sign)", strings.Join(res.Digests, " "))
	}
}

func verifyMSI(f *os.File, size int64, res *Result) *pkcs9.TimestampedSignature {
	if end, err := msiEnd(newReadAhead(f)); err == nil && end < size {
		res.add(ErrAppendedData, "%d bytes at offset %d (0x%X), after the last sector of the compound file",
			size-end, end, end)
	}
	sig, err := authenticode.VerifyMSI(newReadAhead(f), true)
	if isNotSigned(err) {
		res.add(ErrNotSigned, "no DigitalSignature stream in the MSI")
		return nil
	}
	res.Signed = true
	if err != nil {
		res.add(ErrBadSignature, "%v", err)
		return nil
	}
	if _, err := authenticode.VerifyMSI(newReadAhead(f), false); err != nil {
		res.add(ErrDigestMismatch, "%v", err)
	} else {
		res.DigestOK = true
	}
	checkDigests(res, sig.HashFunc)
	return &sig.TimestampedSignature
}

// checkChain verifies the timestamp, then the signer's chain at the
// timestamp's time (or opts.Now), then the code-signing usage, each with
// its own problem kind.
// CheckSigner checks the chain, the timestamp and the code-signing usage of
// a signature whose content was verified elsewhere (a driver catalog's
// PKCS#7), exactly as Verify does for PE files and MSIs.
func CheckSigner(sig *pkcs9.TimestampedSignature, opts VerifyOptions) Result {
	res := Result{Signed: true, DigestOK: true}
	checkChain(&res, sig, opts)
	return res
}

func checkChain(res *Result, sig *pkcs9.TimestampedSignature, opts VerifyOptions) {
	leaf := sig.Certificate
	res.Certificate = leaf
	res.Subject = leaf.Subject.String()
	res.Issuer = leaf.Issuer.String()
	at := opts.Now
	if at.IsZero() {
		at = time.Now()
	}
	if cs := sig.CounterSignature; cs != nil {
		t := cs.SigningTime
		res.Timestamp = &t
		res.TimestampAuthority = cs.Certificate.Subject.String()
		tsRoots := opts.TSARoots
		if tsRoots == nil {
			tsRoots = opts.Roots
		}
		if err := cs.VerifyChain(tsRoots, nil); err != nil {
			res.add(ErrBadTimestamp, "authority %q: %v", res.TimestampAuthority, err)
		} else {
			// A valid timestamp proves the signature existed then, so the
			// chain only has to be valid at that time.
			at = t
		}
	}
	err := sig.Signature.VerifyChain(opts.Roots, nil, x509.ExtKeyUsageAny, at)
	var invalid x509.CertificateInvalidError
	switch {
	case err == nil:
		res.ChainOK = true
	case errors.As(err, &invalid) && invalid.Reason == x509.Expired:
		res.add(ErrCertExpired, "%q is valid %s to %s, checked at %s",
			invalid.Cert.Subject.String(), invalid.Cert.NotBefore.UTC().Format(time.RFC3339),
			invalid.Cert.NotAfter.UTC().Format(time.RFC3339), at.UTC().Format(time.RFC3339))
	default:
		res.add(ErrUntrusted, "%q issued by %q: %v", res.Subject, res.Issuer, err)
	}
	res.CodeSigningEKU = slices.Contains(leaf.ExtKeyUsage, x509.ExtKeyUsageCodeSigning)
	if !res.CodeSigningEKU {
		res.add(ErrNoCodeSigningEKU, "%q has extended key usages [%s]", res.Subject, ekuNames(leaf))
		return
	}
	if res.ChainOK {
		// The leaf allows code signing; an intermediate may still not.
		if err := sig.Signature.VerifyChain(opts.Roots, nil, x509.ExtKeyUsageCodeSigning, at); err != nil {
			res.CodeSigningEKU = false
			res.add(ErrNoCodeSigningEKU, "an issuer of %q does not allow code signing: %v", res.Subject, err)
		}
	}
}

func ekuNames(c *x509.Certificate) string {
	names := map[x509.ExtKeyUsage]string{
		x509.ExtKeyUsageAny: "any", x509.ExtKeyUsageServerAuth: "serverAuth",
		x509.ExtKeyUsageClientAuth: "clientAuth", x509.ExtKeyUsageCodeSigning: "codeSigning",
		x509.ExtKeyUsageEmailProtection: "emailProtection", x509.ExtKeyUsageTimeStamping: "timeStamping",
	}
	var out []string
	for _, u := range c.ExtKeyUsage {
		if n, ok := names[u]; ok {
			out = append(out, n)
		} else {
			out = append(out, fmt.Sprintf("eku(%d)", u))
		}
	}
	for _, oid := range c.UnknownExtKeyUsage {
		out = append(out, oid.String())
	}
	return strings.Join(out, " ")
}
