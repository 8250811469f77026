package sign

import (
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/x509"
	"encoding/asn1"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// ErrWeakCertificate means the signing certificate breaks one of the
// identity rules ([CheckCertificate]); errors.Is finds it in an
// [*IdentityError].
var ErrWeakCertificate = errors.New("signing certificate breaks the signing identity rules")

// Violation is one identity rule a certificate breaks.
type Violation struct {
	Rule    string // short name: validity, eku, key-usage, ca, key, signature
	Detail  string // what the certificate has
	Allowed string // what the rule allows
}

func (v Violation) String() string {
	return fmt.Sprintf("%s: %s (allowed: %s)", v.Rule, v.Detail, v.Allowed)
}

// IdentityError lists the rules a signing certificate breaks.
type IdentityError struct {
	Cert       *x509.Certificate
	Violations []Violation
}

func (e *IdentityError) Error() string {
	parts := make([]string, len(e.Violations))
	for i, v := range e.Violations {
		parts[i] = v.String()
	}
	return fmt.Sprintf("refusing to sign with certificate %s: %s", CertName(e.Cert), strings.Join(parts, "; "))
}

func (e *IdentityError) Unwrap() error { return ErrWeakCertificate }

// CertName names a certificate for messages: subject and serial number.
func CertName(c *x509.Certificate) string {
	serial := "?"
	if c.SerialNumber != nil {
		serial = fmt.Sprintf("%X", c.SerialNumber)
	}
	return fmt.Sprintf("%q (serial %s)", c.Subject.String(), serial)
}

var oidKeyUsage = asn1.ObjectIdentifier{2, 5, 29, 15}

// weakSignatureAlgorithms are certificate signatures made with a broken
// hash. Windows stopped accepting SHA-1 code-signing certificates for new
// signatures in 2021; MD2 and MD5 are long broken.
var weakSignatureAlgorithms = []x509.SignatureAlgorithm{
	x509.MD2WithRSA, x509.MD5WithRSA, x509.SHA1WithRSA, x509.DSAWithSHA1, x509.ECDSAWithSHA1,
}

// CheckCertificate applies the signing identity rules to chain (signing
// certificate first, then its issuers) at time at, and returns every rule
// the signing certificate breaks, and any issuer certificate signed with a
// broken hash. The rules follow the CA/Browser Forum's Baseline
// Requirements for code-signing certificates
// (https://github.com/cabforum/code-signing, docs/): an end-entity
// certificate with the codeSigning EKU and digitalSignature, SHA-2
// signatures. Those requirements ask 3072-bit RSA of newly issued public
// certificates; the floor here is 2048 bits so valid existing certificates
// and private PKIs keep working:
//   - valid at the signing time (NotBefore <= at <= NotAfter);
//   - the codeSigning extended key usage (1.3.6.1.5.5.7.3.3) is listed;
//   - the key usage extension, when present, allows digitalSignature;
//   - not a CA certificate (basicConstraints CA=true);
//   - an RSA key of at least 2048 bits, or an ECDSA key on P-256 or larger;
//   - signed with SHA-256 or stronger, not SHA-1 or MD5.
func CheckCertificate(chain []*x509.Certificate, at time.Time) []Violation {
	if len(chain) == 0 || chain[0] == nil {
		return nil
	}
	c := chain[0]
	var out []Violation
	add := func(rule, allowed, format string, args ...any) {
		out = append(out, Violation{Rule: rule, Detail: fmt.Sprintf(format, args...), Allowed: allowed})
	}
	const validity = "a certificate valid at the signing time"
	switch {
	case at.Before(c.NotBefore):
		add("validity", validity, "not valid before %s, now is %s", rfc3339(c.NotBefore), rfc3339(at))
	case at.After(c.NotAfter):
		add("validity", validity, "expired on %s, now is %s", rfc3339(c.NotAfter), rfc3339(at))
	}
	if !slices.Contains(c.ExtKeyUsage, x509.ExtKeyUsageCodeSigning) {
		have := ekuNames(c)
		if have == "" {
			have = "none"
		}
		add("eku", "the codeSigning extended key usage (1.3.6.1.5.5.7.3.3)", "extended key usages: %s", have)
	}
	if hasExtension(c, oidKeyUsage) && c.KeyUsage&x509.KeyUsageDigitalSignature == 0 {
		add("key-usage", "a key usage that includes digitalSignature, or no key usage extension", "key usage %s lacks digitalSignature", keyUsageNames(c.KeyUsage))
	}
	if c.BasicConstraintsValid && c.IsCA {
		add("ca", "an end-entity certificate (basicConstraints CA=false)", "it is a CA certificate (basicConstraints CA=true)")
	}
	const keys = "RSA of at least 2048 bits, or ECDSA on P-256, P-384 or P-521"
	switch k := c.PublicKey.(type) {
	case *rsa.PublicKey:
		if k.N.BitLen() < 2048 {
			add("key", keys, "RSA key of %d bits", k.N.BitLen())
		}
	case *ecdsa.PublicKey:
		if k.Curve == nil || k.Curve.Params().BitSize < 256 {
			name := "unknown curve"
			if k.Curve != nil {
				name = k.Curve.Params().Name
			}
			add("key", keys, "ECDSA key on %s", name)
		}
	default:
		add("key", keys, "%s key, which Authenticode does not support", c.PublicKeyAlgorithm)
	}
	const sigs = "a certificate signed with SHA-256 or stronger"
	if slices.Contains(weakSignatureAlgorithms, c.SignatureAlgorithm) {
		add("signature", sigs, "signed with %s", c.SignatureAlgorithm)
	}
	for _, issuer := range chain[1:] {
		// A root's signature on itself is never checked by anyone (many old
		// roots are SHA-1 self-signed), so only certificates issued by
		// someone else count. Go refuses to check SHA-1 signatures, so a
		// root is told by its names alone.
		isRoot := issuer != nil && string(issuer.RawSubject) == string(issuer.RawIssuer)
		if issuer != nil && !isRoot && slices.Contains(weakSignatureAlgorithms, issuer.SignatureAlgorithm) {
			add("signature", sigs, "issuer certificate %s is signed with %s", CertName(issuer), issuer.SignatureAlgorithm)
		}
	}
	return out
}

// CheckIdentity applies [CheckCertificate] to the signer's chain at at and
// returns an [*IdentityError] when a rule is broken.
func (s *Signer) CheckIdentity(at time.Time) error {
	if err := s.check(); err != nil {
		return err
	}
	if v := CheckCertificate(s.Chain, at); len(v) > 0 {
		return &IdentityError{Cert: s.Chain[0], Violations: v}
	}
	return nil
}

func hasExtension(c *x509.Certificate, oid asn1.ObjectIdentifier) bool {
	for _, e := range c.Extensions {
		if e.Id.Equal(oid) {
			return true
		}
	}
	return false
}

func keyUsageNames(ku x509.KeyUsage) string {
	names := []string{"digitalSignature", "contentCommitment", "keyEncipherment", "dataEncipherment",
		"keyAgreement", "keyCertSign", "cRLSign", "encipherOnly", "decipherOnly"}
	var out []string
	for i, n := range names {
		if ku&(1<<i) != 0 {
			out = append(out, n)
		}
	}
	if len(out) == 0 {
		return "(empty)"
	}
	return strings.Join(out, ",")
}

func rfc3339(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// selfSigned reports a certificate whose issuer is itself and whose
// signature its own key verifies. (CheckSignatureFrom would refuse a
// self-signed leaf that is not a CA, which a development certificate is
// not.)
func selfSigned(c *x509.Certificate) bool {
	return string(c.RawSubject) == string(c.RawIssuer) &&
		c.CheckSignature(c.SignatureAlgorithm, c.RawTBSCertificate, c.Signature) == nil
}

// Weaknesses lists the identity rules the signer's certificate breaks at
// at; a signer with AllowWeak set signs anyway, and callers warn and mark
// what it signed.
func (s *Signer) Weaknesses(at time.Time) []Violation { return CheckCertificate(s.Chain, at) }
