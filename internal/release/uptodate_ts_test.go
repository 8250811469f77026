package release_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/digitorus/timestamp"

	"github.com/msiforge/msiforge/internal/release"
	"github.com/msiforge/msiforge/internal/sign"
	"github.com/msiforge/msiforge/internal/testutil"
)

// TestUpToDateKeepsTimestamp signs with an RFC 3161 timestamp from an
// authority that stamps a later time for each request: a no-op rebuild
// asks it nothing and keeps every artifact's signature, timestamp
// included; a changed payload gets the rebuilt artifacts new ones.
func TestUpToDateKeepsTimestamp(t *testing.T) {
	testutil.NeedTool(t, "wixl", "msibuild", "makensis")
	root, rootKey := issue(t, nil, nil, "msiforge test root", true)
	leaf, leafKey := issue(t, root, rootKey, "msiforge up-to-date signer", false, x509.ExtKeyUsageCodeSigning)
	tsaCert, tsaKey := issue(t, root, rootKey, "msiforge test TSA", false, x509.ExtKeyUsageTimeStamping)
	var hits atomic.Int64
	base := time.Now().Add(-time.Hour).Truncate(time.Second)
	tsa := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		req, err := timestamp.ParseRequest(body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		ts := timestamp.Timestamp{HashAlgorithm: req.HashAlgorithm, HashedMessage: req.HashedMessage,
			Time: base.Add(time.Duration(hits.Add(1)) * time.Minute), Nonce: req.Nonce,
			Policy: asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 99999, 1}, Accuracy: time.Second, AddTSACertificate: true}
		resp, err := ts.CreateResponseWithOpts(tsaCert, tsaKey, crypto.SHA256)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/timestamp-reply")
		w.Write(resp)
	}))
	defer tsa.Close()
	s := &sign.Signer{Key: leafKey, Chain: []*x509.Certificate{leaf, root}, Timestamper: &sign.Timestamper{URLs: []string{tsa.URL}}}

	c := testutil.LoadExample(t, "x64")
	opts := release.Options{Signer: release.NewSigner(s)}
	dir := filepath.Join(t.TempDir(), "dist")
	first := releaseInto(t, c, dir, opts)
	stamps := map[string]time.Time{}
	for _, a := range first.res.Artifacts {
		if a.Signature == nil || a.Signature.Timestamp == nil {
			t.Fatalf("%s: no timestamp: %+v", a.Path, a.Signature)
		}
		stamps[filepath.Base(a.Path)] = *a.Signature.Timestamp
	}
	want, asked := snapshot(t, dir), hits.Load()

	second := releaseInto(t, c, dir, opts)
	if n := hits.Load(); n != asked {
		t.Errorf("the no-op rebuild asked the timestamp authority %d times", n-asked)
	}
	for _, a := range second.res.Artifacts {
		if a.Signature == nil || a.Signature.Timestamp == nil || !a.Signature.Timestamp.Equal(stamps[filepath.Base(a.Path)]) {
			t.Errorf("%s: reused with signature %+v, want the timestamp %v", a.Path, a.Signature, stamps[filepath.Base(a.Path)])
		}
	}
	sameSnapshot(t, "no-op rebuild", snapshot(t, dir), want)

	f, err := os.OpenFile(c.Path("build/x64/ExampleConsole.exe"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.Write([]byte{0})
	f.Close()
	third := releaseInto(t, c, dir, opts)
	if got, want := third.rebuilt(), sorted(upMSI, upEXE); !slices.Equal(got, want) {
		t.Errorf("rebuilt %v, want %v", got, want)
	}
	for _, a := range third.res.Artifacts {
		if a.Signature == nil {
			t.Errorf("%s: rebuilt unsigned", a.Path)
			continue
		}
		if ts := a.Signature.Timestamp; ts == nil || !ts.After(stamps[filepath.Base(a.Path)]) {
			t.Errorf("%s: rebuilt with timestamp %v, want one after %v", a.Path, ts, stamps[filepath.Base(a.Path)])
		}
	}
}

// issue makes a certificate: a self-signed CA when parent is nil, else a
// leaf with eku signed by parent.
func issue(t *testing.T, parent *x509.Certificate, parentKey *ecdsa.PrivateKey, cn string, ca bool, eku ...x509.ExtKeyUsage) (*x509.Certificate, *ecdsa.PrivateKey) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	serial, _ := rand.Int(rand.Reader, big.NewInt(1<<62))
	tmpl := &x509.Certificate{
		SerialNumber: serial, Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-48 * time.Hour), NotAfter: time.Now().Add(48 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: eku, BasicConstraintsValid: true,
	}
	if ca {
		tmpl.IsCA, tmpl.KeyUsage = true, x509.KeyUsageCertSign|x509.KeyUsageDigitalSignature
	}
	signer, signerKey := parent, parentKey
	if parent == nil {
		signer, signerKey = tmpl, key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, signer, key.Public(), signerKey)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return cert, key
}
