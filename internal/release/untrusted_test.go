package release_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"testing"
	"time"

	"github.com/msiforge/msiforge/internal/release"
	"github.com/msiforge/msiforge/internal/sign"
)

// TestUntrusted: a development certificate (msiforge dev-cert) and a
// chain to a private root are untrusted, each with its reason; the same
// chains are trusted where their root is.
func TestUntrusted(t *testing.T) {
	certPEM, _, err := sign.NewDevCert("msiforge development signing", time.Now().Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := pem.Decode(certPEM)
	dev, err := x509.ParseCertificate(b.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	if got := release.Untrusted([]*x509.Certificate{dev}, nil); got != "self-signed development certificate" {
		t.Errorf("dev cert: %q", got)
	}
	pool := x509.NewCertPool()
	pool.AddCert(dev)
	if got := release.Untrusted([]*x509.Certificate{dev}, pool); got != "" {
		t.Errorf("dev cert among the roots: %q, want trusted", got)
	}

	// A leaf issued by a private root.
	rootKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	rootTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "Private Root"}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	rootDER, err := x509.CreateCertificate(rand.Reader, rootTmpl, rootTmpl, &rootKey.PublicKey, rootKey)
	if err != nil {
		t.Fatal(err)
	}
	root, _ := x509.ParseCertificate(rootDER)
	leafKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	leafTmpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "Signer"}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageCodeSigning}}
	leafDER, err := x509.CreateCertificate(rand.Reader, leafTmpl, root, &leafKey.PublicKey, rootKey)
	if err != nil {
		t.Fatal(err)
	}
	leaf, _ := x509.ParseCertificate(leafDER)
	chain := []*x509.Certificate{leaf, root}
	if got := release.Untrusted(chain, nil); got != "certificate that chains to no trusted root" {
		t.Errorf("private root: %q", got)
	}
	pool = x509.NewCertPool()
	pool.AddCert(root)
	if got := release.Untrusted(chain, pool); got != "" {
		t.Errorf("private root among the roots: %q, want trusted", got)
	}
}
