package sign

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// issue makes a certificate from tmpl for key, signed by the issuer (self
// when parent is nil).
func issue(t *testing.T, tmpl *x509.Certificate, key crypto.Signer, parent *x509.Certificate, parentKey crypto.Signer) *x509.Certificate {
	t.Helper()
	if parent == nil {
		parent, parentKey = tmpl, key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, key.Public(), parentKey)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// goodLeaf is a template that passes every identity rule; the cases below
// each break exactly one.
func goodLeaf(cn string) *x509.Certificate {
	serial++
	return &x509.Certificate{
		SerialNumber:          big.NewInt(serial),
		Subject:               pkix.Name{CommonName: cn},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageCodeSigning},
		BasicConstraintsValid: true,
	}
}

type weakCase struct {
	name string
	rule string   // Violation.Rule
	want []string // fragments of the refusal
	// make returns the signer (chain and key) to try.
	make func(t *testing.T, pki *testPKI) *Signer
}

func weakCases() []weakCase {
	fromTemplate := func(cn string, edit func(*x509.Certificate)) func(t *testing.T, pki *testPKI) *Signer {
		return func(t *testing.T, pki *testPKI) *Signer {
			tmpl := goodLeaf(cn)
			edit(tmpl)
			key := newKey(t)
			return &Signer{Key: key, Chain: []*x509.Certificate{issue(t, tmpl, key, pki.rootCert, pki.rootKey), pki.rootCert}}
		}
	}
	return []weakCase{
		{"expired", "validity", []string{"expired on", "allowed: a certificate valid at the signing time"},
			fromTemplate("Expired", func(c *x509.Certificate) {
				c.NotBefore, c.NotAfter = time.Now().Add(-48*time.Hour), time.Now().Add(-24*time.Hour)
			})},
		{"not yet valid", "validity", []string{"not valid before", "allowed: a certificate valid at the signing time"},
			fromTemplate("Future", func(c *x509.Certificate) {
				c.NotBefore, c.NotAfter = time.Now().Add(24*time.Hour), time.Now().Add(48*time.Hour)
			})},
		{"TLS server only", "eku", []string{"extended key usages: serverAuth", "allowed: the codeSigning extended key usage"},
			fromTemplate("Web Server", func(c *x509.Certificate) { c.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth} })},
		{"no EKU", "eku", []string{"extended key usages: none", "allowed: the codeSigning extended key usage"},
			fromTemplate("No EKU", func(c *x509.Certificate) { c.ExtKeyUsage = nil })},
		{"no digitalSignature", "key-usage", []string{"key usage keyEncipherment lacks digitalSignature"},
			fromTemplate("Key Encipherment", func(c *x509.Certificate) { c.KeyUsage = x509.KeyUsageKeyEncipherment })},
		{"CA certificate", "ca", []string{"it is a CA certificate (basicConstraints CA=true)", "allowed: an end-entity certificate"},
			fromTemplate("Sub CA", func(c *x509.Certificate) {
				c.IsCA = true
				c.KeyUsage |= x509.KeyUsageCertSign
			})},
		{"RSA-1024", "key", []string{"RSA key of 1024 bits", "allowed: RSA of at least 2048 bits"},
			func(t *testing.T, pki *testPKI) *Signer {
				key, err := rsa.GenerateKey(rand.Reader, 1024)
				if err != nil {
					t.Fatal(err)
				}
				return &Signer{Key: key, Chain: []*x509.Certificate{issue(t, goodLeaf("RSA 1024"), key, pki.rootCert, pki.rootKey), pki.rootCert}}
			}},
		{"ECDSA P-224", "key", []string{"ECDSA key on P-224", "ECDSA on P-256"},
			func(t *testing.T, pki *testPKI) *Signer {
				key, err := ecdsa.GenerateKey(elliptic.P224(), rand.Reader)
				if err != nil {
					t.Fatal(err)
				}
				return &Signer{Key: key, Chain: []*x509.Certificate{issue(t, goodLeaf("P-224"), key, pki.rootCert, pki.rootKey), pki.rootCert}}
			}},
		{"SHA-1 signed", "signature", []string{"signed with ECDSA-SHA1", "allowed: a certificate signed with SHA-256 or stronger"},
			fromTemplate("SHA-1 Signed", func(c *x509.Certificate) { c.SignatureAlgorithm = x509.ECDSAWithSHA1 })},
		{"SHA-1 signed intermediate", "signature", []string{`issuer certificate "CN=SHA-1 Intermediate"`, "is signed with ECDSA-SHA1"},
			func(t *testing.T, pki *testPKI) *Signer {
				serial++
				ikey := newKey(t)
				inter := issue(t, &x509.Certificate{SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: "SHA-1 Intermediate"},
					NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
					KeyUsage: x509.KeyUsageCertSign, BasicConstraintsValid: true, IsCA: true,
					SignatureAlgorithm: x509.ECDSAWithSHA1}, ikey, pki.rootCert, pki.rootKey)
				key := newKey(t)
				leaf := issue(t, goodLeaf("Behind SHA-1"), key, inter, ikey)
				return &Signer{Key: key, Chain: []*x509.Certificate{leaf, inter, pki.rootCert}}
			}},
		{"SHA-1 self-signed root is fine, a SHA-1 leaf is not", "signature", []string{"signed with SHA1-RSA"},
			func(t *testing.T, _ *testPKI) *Signer {
				// An old root, SHA-1 self-signed: its self-signature does not
				// count. The leaf it issued is also signed with SHA-1 (a root
				// signs with one hash), which does.
				rootKey, err := rsa.GenerateKey(rand.Reader, 2048)
				if err != nil {
					t.Fatal(err)
				}
				serial++
				root := issue(t, &x509.Certificate{SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: "Old SHA-1 Root"},
					NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
					KeyUsage: x509.KeyUsageCertSign, BasicConstraintsValid: true, IsCA: true,
					SignatureAlgorithm: x509.SHA1WithRSA}, rootKey, nil, nil)
				key := newKey(t)
				tmpl := goodLeaf("Under Old Root")
				tmpl.SignatureAlgorithm = x509.SHA1WithRSA
				return &Signer{Key: key, Chain: []*x509.Certificate{issue(t, tmpl, key, root, rootKey), root}}
			}},
	}
}

// TestIdentityRules: each certificate that breaks one identity rule is
// refused by SignFile with a message naming the certificate and the rule,
// the file is left alone, and AllowWeak signs anyway.
func TestIdentityRules(t *testing.T) {
	pki := newTestPKI(t, "Test Root")
	for _, tc := range weakCases() {
		t.Run(tc.name, func(t *testing.T) {
			s := tc.make(t, pki)
			v := CheckCertificate(s.Chain, time.Now())
			if len(v) != 1 || v[0].Rule != tc.rule {
				t.Fatalf("violations %v, want exactly one of rule %q", v, tc.rule)
			}
			path := testPE(t)
			before, _ := os.ReadFile(path)
			err := s.SignFile(context.Background(), path)
			if !errors.Is(err, ErrWeakCertificate) {
				t.Fatalf("SignFile = %v, want a refusal", err)
			}
			msg := err.Error()
			for _, f := range append([]string{"refusing to sign with certificate", s.Chain[0].Subject.String(),
				"serial " + strings.ToUpper(s.Chain[0].SerialNumber.Text(16)), tc.rule + ": "}, tc.want...) {
				if !strings.Contains(msg, f) {
					t.Errorf("message lacks %q: %s", f, msg)
				}
			}
			if after, _ := os.ReadFile(path); !bytes.Equal(before, after) {
				t.Error("a refused signing changed the file")
			}

			s.AllowWeak = true
			if err := s.SignFile(context.Background(), path); err != nil {
				t.Fatalf("AllowWeak: %v", err)
			}
			r, err := Verify(path, VerifyOptions{Roots: pki.pool()})
			if err != nil {
				t.Fatal(err)
			}
			if !r.Signed || !r.DigestOK {
				t.Fatalf("AllowWeak signature: %+v", r)
			}
		})
	}
}

// TestKeySourceRefusesWeak: the same rules hold when the key comes from
// files (the sign command, build and the config's signing section all load
// through KeySource), before any file is signed; AllowWeak loads it and
// Weaknesses still names the rule.
func TestKeySourceRefusesWeak(t *testing.T) {
	pki := newTestPKI(t, "Test Root")
	dir := t.TempDir()
	cert, key := pki.leaf(t, "Web Server", time.Now().Add(-time.Hour), time.Now().Add(time.Hour), x509.ExtKeyUsageServerAuth)
	certPath, keyPath := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	writePEM(t, certPath, "CERTIFICATE", cert.Raw)
	der, _ := x509.MarshalPKCS8PrivateKey(key)
	writePEM(t, keyPath, "PRIVATE KEY", der)

	_, err := KeySource{Cert: certPath, Key: keyPath}.Load()
	if !errors.Is(err, ErrWeakCertificate) || !strings.Contains(err.Error(), `"CN=Web Server,O=msiforge test"`) {
		t.Fatalf("Load = %v, want the identity refusal", err)
	}
	s, err := KeySource{Cert: certPath, Key: keyPath, AllowWeak: true}.Load()
	if err != nil {
		t.Fatal(err)
	}
	if !s.AllowWeak || len(s.Weaknesses(time.Now())) != 1 {
		t.Fatalf("AllowWeak %v, weaknesses %v", s.AllowWeak, s.Weaknesses(time.Now()))
	}
}

// TestDevCertPassesRules: dev-cert's certificate passes every identity
// rule (RSA-2048, SHA-256, codeSigning, digitalSignature, not a CA) for its
// whole validity.
func TestDevCertPassesRules(t *testing.T) {
	certPEM, keyPEM, err := NewDevCert("Dev", time.Now().Add(24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "c.pem"), certPEM, 0o644)
	os.WriteFile(filepath.Join(dir, "k.pem"), keyPEM, 0o600)
	s, err := KeySource{Cert: filepath.Join(dir, "c.pem"), Key: filepath.Join(dir, "k.pem")}.Load()
	if err != nil {
		t.Fatal(err)
	}
	c := s.Chain[0]
	if v := CheckCertificate(s.Chain, time.Now()); len(v) > 0 {
		t.Fatalf("dev cert breaks %v", v)
	}
	if c.SignatureAlgorithm != x509.SHA256WithRSA || c.PublicKey.(*rsa.PublicKey).N.BitLen() < 2048 || c.IsCA {
		t.Fatalf("dev cert: %v, CA %v", c.SignatureAlgorithm, c.IsCA)
	}
	if v := CheckCertificate(s.Chain, c.NotAfter.Add(time.Second)); len(v) != 1 || v[0].Rule != "validity" {
		t.Fatalf("after NotAfter: %v, want only the validity rule", v)
	}
}
