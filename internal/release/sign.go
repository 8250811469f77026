package release

import (
	"context"
	"crypto/x509"
	"time"

	"github.com/msiforge/msiforge/internal/config"
	"github.com/msiforge/msiforge/internal/sign"
	"github.com/msiforge/msiforge/packaging"
)

// KeySource turns the config's signing section into a key source with
// paths resolved against the config file.
func KeySource(c *config.Config) sign.KeySource {
	s := c.Signing
	return sign.KeySource{
		Cert: c.Path(s.Cert), Key: c.Path(s.Key), PKCS12: c.Path(s.PKCS12),
		PasswordEnv: s.PasswordEnv, PasswordFile: c.Path(s.PasswordFile),
		Timestamps: s.Timestamp, PageHashes: s.PageHashes,
		Names: map[string]string{"cert": "signing.cert", "key": "signing.key", "pkcs12": "signing.pkcs12",
			"password_env": "signing.password_env", "password_file": "signing.password_file"},
	}
}

// Signer adapts a sign.Signer to packaging.Signer: sign in place, then
// verify against roots.
type Signer struct {
	S     *sign.Signer
	Roots *x509.CertPool
}

var _ packaging.Signer = Signer{}

// NewSigner wraps s, verifying against s.BuildRoots().
func NewSigner(s *sign.Signer) Signer { return Signer{S: s, Roots: s.BuildRoots()} }

// Sign signs path and returns what its verified signature says.
func (s Signer) Sign(ctx context.Context, path string) (*packaging.Signature, error) {
	r, err := s.S.SignAndVerify(ctx, path, s.Roots)
	if err != nil {
		return nil, err
	}
	sig := &packaging.Signature{Subject: r.Subject, Timestamp: r.Timestamp, TimestampAuthority: r.TimestampAuthority}
	// Only --allow-weak lets a certificate that breaks the identity rules
	// get this far; what it signed is marked so nobody ships it unknowingly.
	sig.WeakSigning = s.S.AllowWeak && len(s.S.Weaknesses(time.Now())) > 0
	sig.Untrusted = Untrusted(s.S.Chain, nil)
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
