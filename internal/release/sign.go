package release

import (
	"context"
	"crypto/x509"
	"sync"

	"github.com/msiforge/msiforge/internal/config"
	"github.com/msiforge/msiforge/internal/sign"
	"github.com/msiforge/msiforge/packaging"
)

// KeySource turns the config's signing section into a key source with
// paths resolved against the config file.
func KeySource(c *config.Config) sign.KeySource {
	s := c.Signing
	k := sign.KeySource{
		Cert: c.Path(s.Cert), Key: c.Path(s.Key), PKCS12: c.Path(s.PKCS12),
		PasswordEnv: s.PasswordEnv, PasswordFile: c.Path(s.PasswordFile),
		Timestamps: s.Timestamp, PageHashes: s.PageHashes,
		Names: map[string]string{"cert": "signing.cert", "key": "signing.key", "pkcs12": "signing.pkcs12",
			"password_env": "signing.password_env", "password_file": "signing.password_file",
			"pkcs11": "signing.pkcs11", "remote": "signing.remote", "command": "signing.command",
			"timestamp": "signing.timestamp", "page_hashes": "signing.page_hashes"},
		Command: s.Command,
	}
	if p := s.PKCS11; p != nil {
		k.PKCS11 = sign.PKCS11Config{Module: p.Module, Token: p.Token, KeyLabel: p.KeyLabel, KeyID: p.KeyID,
			PinEnv: p.PinEnv, PinFile: c.Path(p.PinFile), Names: subNames("signing.pkcs11.")}
	}
	if r := s.Remote; r != nil {
		k.Remote = sign.RemoteConfig{URL: r.URL, CA: pathOrPEM(c, r.CA), ClientCert: pathOrPEM(c, r.ClientCert),
			ClientKey: pathOrPEM(c, r.ClientKey), Key: r.Key, Names: subNames("signing.remote.")}
	}
	return k
}

func pathOrPEM(c *config.Config, v string) string {
	if v == "" || len(v) > 11 && v[:11] == "-----BEGIN " {
		return v
	}
	return c.Path(v)
}

// subNames spells the fields of a signing subsection in messages.
func subNames(prefix string) map[string]string {
	m := map[string]string{}
	for _, f := range []string{"module", "token", "key_label", "key_id", "pin_env", "pin_file", "cert",
		"url", "ca", "client_cert", "client_key", "key"} {
		m[f] = prefix + f
	}
	m["cert"] = "signing.cert"
	return m
}

// Signer adapts a sign.Backend (any key source) to packaging.Signer:
// sign in place, then verify.
type Signer struct {
	B sign.Backend
	// Settings are the signing settings besides the certificate that
	// change what a signature holds (timestamp authorities, page
	// hashes): part of every build key, so changing one re-signs.
	Settings []string
}

// SigningSettings lists k's settings that change a signature, for
// [Signer.Settings].
func SigningSettings(k sign.KeySource) []string {
	var out []string
	for _, u := range k.Timestamps {
		out = append(out, "timestamp "+u)
	}
	if k.PageHashes {
		out = append(out, "page hashes")
	}
	return out
}

var _ packaging.Signer = Signer{}

// NewSigner wraps a key-file signer, verifying against s.BuildRoots().
func NewSigner(s *sign.Signer) Signer { return Signer{B: sign.NewLocal(s)} }

// Sign signs path and returns what its verified signature says.
func (s Signer) Sign(ctx context.Context, path string) (*packaging.Signature, error) {
	r, err := s.B.SignAndVerify(ctx, path)
	if err != nil {
		return nil, err
	}
	sig := &packaging.Signature{Subject: r.Subject, Timestamp: r.Timestamp, TimestampAuthority: r.TimestampAuthority}
	// Only --allow-weak lets a certificate that breaks the identity rules
	// get this far; what it signed is marked so nobody ships it unknowingly.
	sig.WeakSigning = s.B.Weak()
	sig.Untrusted = Untrusted(s.B.Chain(), nil)
	return sig, nil
}

// Untrusted says why Windows will not trust a signature by chain (the
// signing certificate first), or "" when it chains to one of roots (the
// system's when nil): a build verifies its signatures against the system
// roots plus a self-signed top of its own chain (sign.BuildRoots), so a
// development certificate from msiforge dev-cert verifies here, but
// Windows shows its signer as unknown. The download page says so instead
// of "signed".
func Untrusted(chain []*x509.Certificate, roots *x509.CertPool) string {
	if len(chain) == 0 {
		return ""
	}
	if roots == nil {
		var err error
		if roots, err = x509.SystemCertPool(); err != nil || roots == nil {
			roots = x509.NewCertPool()
		}
	}
	inter := x509.NewCertPool()
	for _, c := range chain[1:] {
		inter.AddCert(c)
	}
	if _, err := chain[0].Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageCodeSigning}}); err == nil {
		return ""
	}
	if len(chain) == 1 && string(chain[0].RawSubject) == string(chain[0].RawIssuer) {
		return "self-signed development certificate"
	}
	return "certificate that chains to no trusted root"
}

// ConcurrentSafe reports whether s may sign several files at once: the
// file key source signs in process with a Go crypto.Signer (an RSA or
// ECDSA key, safe for concurrent use) and reads only its own files. A
// PKCS#11 session, a remote server or an external command is not assumed
// to be: build -j serializes their signing (serialSigner).
func (s Signer) ConcurrentSafe() bool { return s.B != nil && s.B.Kind() == "file" }

// serialSigner returns s, or s behind a lock when it does not say it is
// safe for concurrent use (ConcurrentSafe).
func serialSigner(s packaging.Signer) packaging.Signer {
	if s == nil {
		return nil
	}
	if cs, ok := s.(interface{ ConcurrentSafe() bool }); ok && cs.ConcurrentSafe() {
		return s
	}
	return &lockedSigner{s: s}
}

type lockedSigner struct {
	mu sync.Mutex
	s  packaging.Signer
}

func (l *lockedSigner) Sign(ctx context.Context, path string) (*packaging.Signature, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return l.s.Sign(ctx, path)
}

// Unwrap is the signer l serialises (see newKeying).
func (l *lockedSigner) Unwrap() packaging.Signer { return l.s }

// syncProgress makes progress safe to call from several targets at once.
func syncProgress(progress func(string)) func(string) {
	if progress == nil {
		return nil
	}
	var mu sync.Mutex
	return func(msg string) {
		mu.Lock()
		defer mu.Unlock()
		progress(msg)
	}
}

// orderedLog passes the progress lines of targets built at once on in
// plan order: the lines of the earliest unfinished target at once, a
// later target's when every earlier one has finished. Plain output (CI
// logs, transcripts) so reads as with -j 1. After a failure it passes
// nothing more on: -j 1 would not have started the later targets.
type orderedLog struct {
	mu     sync.Mutex
	out    func(string)
	head   int // the earliest unfinished target
	buf    [][]string
	done   []bool
	failed bool
}

func newOrderedLog(out func(string), n int) *orderedLog {
	return &orderedLog{out: out, buf: make([][]string, n), done: make([]bool, n)}
}

func (o *orderedLog) line(i int, msg string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	switch {
	case o.failed:
	case i == o.head:
		o.out(msg)
	default:
		o.buf[i] = append(o.buf[i], msg)
	}
}

func (o *orderedLog) finish(i int, err error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.done[i] = true
	if err != nil || o.failed {
		o.failed = true
		return
	}
	for o.head < len(o.done) && o.done[o.head] {
		o.head++
		if o.head < len(o.buf) {
			for _, msg := range o.buf[o.head] {
				o.out(msg)
			}
			o.buf[o.head] = nil
		}
	}
}
