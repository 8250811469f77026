// Package sign Authenticode-signs and verifies Windows PE images (EXE, DLL,
// SYS) and MSI packages in process, on top of relic's lib/authenticode.
//
// It is the only msiforge package that imports relic's authenticode code.
// Signatures are SHA-256, MSIs always get MsiDigitalSignatureEx, and any
// [crypto.Signer] can sign, so PEM files, PKCS#12, PKCS#11 or a cloud KMS all
// plug in through [Signer]. Without a timestamp, and with an RSA key, the
// output is byte-for-byte reproducible: relic adds no signingTime attribute
// and PKCS#1 v1.5 signatures are deterministic (ECDSA signatures are
// randomized by design, so ECDSA-signed output differs between runs).
//
// Files are signed into a temporary file in the destination's directory that
// is renamed over the destination only when everything succeeded, so an
// error or an interrupted build never leaves a half-signed artifact.
package sign

import (
	"bytes"
	"context"
	"crypto"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/sassoftware/relic/v8/lib/authenticode"
	"github.com/sassoftware/relic/v8/lib/certloader"

	"github.com/msiforge/msiforge/internal/safefile"
)

// Signer signs files with one key and its certificate chain.
type Signer struct {
	// Key signs; its public key must be the one in Chain[0].
	Key crypto.Signer
	// Chain is the signing certificate first, then any intermediates. A
	// self-signed root at the end is left out of the signature.
	Chain []*x509.Certificate
	// Timestamper, when set, adds an RFC 3161 timestamp to every signature.
	Timestamper *Timestamper
	// PageHashes adds per-page hashes to PE signatures (needed for some
	// kernel-mode and HVCI scenarios; costs a little time and space).
	PageHashes bool
	// Description and URL go into the SpcSpOpusInfo attribute, which Windows
	// shows in the UAC prompt; both are optional.
	Description string
	URL         string
	// AllowWeak signs even when the certificate breaks the identity rules
	// of [CheckCertificate]. It exists for tests only: a release signed so
	// is marked as such in its manifest.
	AllowWeak bool
}

// Format is the kind of file SignFile and Verify handle.
type Format int

// The formats this package knows.
const (
	FormatUnknown Format = iota
	FormatPE
	FormatMSI
)

func (f Format) String() string {
	switch f {
	case FormatPE:
		return "PE"
	case FormatMSI:
		return "MSI"
	}
	return "unknown"
}

// ErrUnknownFormat means a file is neither a PE image nor an MSI.
var ErrUnknownFormat = errors.New("not a PE image or an MSI package")

// ErrKeyMismatch means the private key does not belong to the certificate.
var ErrKeyMismatch = errors.New("private key does not match the signing certificate")

var cfbMagic = []byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}

// DetectFormat tells PE from MSI by their magic numbers, not by extension,
// because build outputs are often renamed.
func DetectFormat(r io.ReaderAt) (Format, error) {
	var head [8]byte
	n, err := r.ReadAt(head[:], 0)
	if err != nil && !errors.Is(err, io.EOF) {
		return FormatUnknown, err
	}
	switch {
	case n >= 8 && bytes.Equal(head[:], cfbMagic):
		return FormatMSI, nil
	case n >= 2 && head[0] == 'M' && head[1] == 'Z':
		return FormatPE, nil
	}
	return FormatUnknown, nil
}

// check reports a signer that cannot produce a valid signature, before any
// file is touched.
func (s *Signer) check() error {
	if s == nil || s.Key == nil {
		return errors.New("signer has no private key")
	}
	if len(s.Chain) == 0 || s.Chain[0] == nil {
		return errors.New("signer has no certificate")
	}
	if !samePublicKey(s.Key.Public(), s.Chain[0].PublicKey) {
		return fmt.Errorf("%w (certificate %q)", ErrKeyMismatch, s.Chain[0].Subject.String())
	}
	return nil
}

func samePublicKey(a, b crypto.PublicKey) bool {
	ea, ok := a.(interface{ Equal(crypto.PublicKey) bool })
	return ok && ea.Equal(b)
}

// relicCert adapts the signer to relic's certificate bundle.
func (s *Signer) relicCert() *certloader.Certificate {
	c := &certloader.Certificate{
		Leaf:         s.Chain[0],
		Certificates: s.Chain,
		PrivateKey:   s.Key,
	}
	if s.Timestamper != nil {
		c.Timestamper = s.Timestamper
	}
	return c
}

func (s *Signer) opus() *authenticode.OpusParams {
	return &authenticode.OpusParams{Description: s.Description, URL: s.URL}
}

// SignFile signs path in place, replacing any existing signature. It detects
// PE versus MSI by magic. On error the file is left as it was. A Signer may
// sign several files concurrently.
func (s *Signer) SignFile(ctx context.Context, path string) error {
	return s.SignFileTo(ctx, path, path)
}

// SignFileTo writes a signed copy of in to out (which may equal in). out is
// replaced atomically; on error it is left as it was.
func (s *Signer) SignFileTo(ctx context.Context, in, out string) error {
	if err := s.check(); err != nil {
		return err
	}
	if !s.AllowWeak {
		if err := s.CheckIdentity(time.Now()); err != nil {
			return err
		}
	}
	src, err := safefile.Open(in)
	if err != nil {
		return fmt.Errorf("sign: %w", err)
	}
	defer src.Close()
	format, err := DetectFormat(src)
	if err != nil {
		return fmt.Errorf("sign %s: %w", in, err)
	}
	var sign func(ctx context.Context, src, dst *os.File) error
	switch format {
	case FormatPE:
		sign = s.signPE
	case FormatMSI:
		sign = s.signMSI
	default:
		return fmt.Errorf("sign %s: %w", in, ErrUnknownFormat)
	}
	err = writeAtomic(out, src, func(dst *os.File) error { return sign(ctx, src, dst) })
	if err != nil {
		return fmt.Errorf("sign %s %s: %w", format, in, err)
	}
	return nil
}

// writeAtomic creates a temporary file next to path, lets fill write it and
// renames it over path. The temporary file is removed on any error. It does
// not fsync: the goal is that a failed or interrupted build never exposes a
// half-written file, not durability across power loss, and an fsync of a
// 200 MB installer would cost more than signing it.
func writeAtomic(path string, modeFrom *os.File, fill func(*os.File) error) (err error) {
	// Replace a symlink's target, not the link: build trees link artifacts.
	if resolved, rerr := filepath.EvalSymlinks(path); rerr == nil {
		path = resolved
	}
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	tmp, err := os.CreateTemp(dir, "."+base+".signing-*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if fi, serr := modeFrom.Stat(); serr == nil {
		if err = tmp.Chmod(fi.Mode().Perm()); err != nil {
			return err
		}
	}
	if err = fill(tmp); err != nil {
		return err
	}
	if err = tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
