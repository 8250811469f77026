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
	return sig, nil
}
