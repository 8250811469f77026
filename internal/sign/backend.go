package sign

import (
	"context"
	"crypto/x509"
	"fmt"
	"io"
	"time"
)

// Backend is what every key source becomes once opened: a PEM or PKCS#12
// file and a PKCS#11 token (both a [crypto.Signer] in process), a relic
// signing server ([Remote]) or an external command ([Command]). Builds sign
// through it only, so the order (payload PEs, then each MSI, then each EXE)
// and the manifest, which hashes each file after it was signed, do not
// depend on where the key lives.
type Backend interface {
	// Kind names the key source: "file", "pkcs11", "remote" or "command".
	Kind() string
	// SignAndVerify signs path in place (atomically: on error the file is
	// as it was) and verifies the result, failing when it does not verify.
	SignAndVerify(ctx context.Context, path string) (Result, error)
	// Weak reports signing with a certificate that breaks the identity
	// rules, which only AllowWeak allows (tests only).
	Weak() bool
	// Chain is the signing certificate and its intermediates when known
	// before signing (a command without signing.cert: nil, and its
	// results must chain to the system roots).
	Chain() []*x509.Certificate
	// Close releases the key (a token session, idle connections).
	Close() error
}

// Local is a [Backend] signing in process with s: the file and pkcs11
// key sources.
type Local struct {
	S     *Signer
	Roots *x509.CertPool // verification roots; nil: S.BuildRoots()
	kind  string
	close io.Closer
}

var _ Backend = (*Local)(nil)

// NewLocal wraps s as the "file" key source, verifying against
// s.BuildRoots().
func NewLocal(s *Signer) *Local { return &Local{S: s, Roots: s.BuildRoots(), kind: "file"} }

// Kind implements [Backend].
func (l *Local) Kind() string { return l.kind }

// SignAndVerify implements [Backend].
func (l *Local) SignAndVerify(ctx context.Context, path string) (Result, error) {
	roots := l.Roots
	if roots == nil {
		roots = l.S.BuildRoots()
	}
	return l.S.SignAndVerify(ctx, path, roots)
}

// Chain implements [Backend].
func (l *Local) Chain() []*x509.Certificate { return l.S.Chain }

// Weak implements [Backend].
func (l *Local) Weak() bool { return l.S.AllowWeak && len(l.S.Weaknesses(time.Now())) > 0 }

// Close implements [Backend].
func (l *Local) Close() error {
	if l.close == nil {
		return nil
	}
	err := l.close.Close()
	l.close = nil
	return err
}

// verifyForeign verifies a file a remote server or an external command
// signed: it must carry a signature whose digest matches the content, made
// by a certificate that chains to roots, and its Authenticode content
// digest must still be before (the signer changed nothing but the
// signature).
func verifyForeign(path string, before []byte, roots *x509.CertPool, allowWeak bool) (Result, error) {
	r, err := Verify(path, VerifyOptions{Roots: roots, Now: time.Now()})
	if err != nil {
		return r, err
	}
	if !r.Signed {
		return r, fmt.Errorf("%s came back unsigned", path)
	}
	if before != nil {
		after, err := ContentDigest(path)
		if err != nil {
			return r, fmt.Errorf("%s after signing: %w", path, err)
		}
		if string(after) != string(before) {
			return r, fmt.Errorf("%s came back with a different Authenticode content digest (%x, was %x): the signer changed the file, not only its signature", path, after, before)
		}
	}
	if !r.OK() {
		if allowWeak && r.DigestOK && onlyWeakProblems(r) {
			return r, nil
		}
		return r, fmt.Errorf("signed but does not verify: %w", r.Err())
	}
	return r, nil
}
