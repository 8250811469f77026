package catalog

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/digitorus/timestamp"

	"github.com/msiforge/msiforge/internal/sign"
	"github.com/msiforge/msiforge/internal/testutil"
)

// TestTimestampedCatalog: msiforge catalog --timestamp puts an RFC 3161
// token on the catalog's signature; Verify reports its time and authority,
// and osslsigncode verifies the timestamped catalog with the TSA's root.
func TestTimestampedCatalog(t *testing.T) {
	at := time.Now().Add(-time.Minute).Truncate(time.Second)
	tsaKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(9), Subject: pkix.Name{CommonName: "Catalog Test TSA"},
		NotBefore: at.Add(-time.Hour), NotAfter: at.Add(24 * time.Hour), KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageTimeStamping}, BasicConstraintsValid: true}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, tsaKey.Public(), tsaKey)
	if err != nil {
		t.Fatal(err)
	}
	tsaCert, _ := x509.ParseCertificate(der)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		req, err := timestamp.ParseRequest(body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		ts := timestamp.Timestamp{HashAlgorithm: req.HashAlgorithm, HashedMessage: req.HashedMessage, Time: at,
			Nonce: req.Nonce, Policy: asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 99999, 1}, Accuracy: time.Second,
			AddTSACertificate: true}
		resp, err := ts.CreateResponseWithOpts(tsaCert, tsaKey, crypto.SHA256)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/timestamp-reply")
		w.Write(resp)
	}))
	defer srv.Close()

	k := newKey(t)
	dir, inf, sys := driverDir(t)
	cat := filepath.Join(dir, "drv.cat")
	buildCat(t, inf, sys, cat, Options{Signer: k.key, Chain: []*x509.Certificate{k.cert},
		Timestamper: &sign.Timestamper{URLs: []string{srv.URL}}})
	roots := k.pool()
	roots.AddCert(tsaCert)
	rep, err := Verify(cat, VerifyOptions{Roots: roots})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Problems) != 0 || rep.Timestamp == nil || !rep.Timestamp.Equal(at) || rep.TimestampAuthority != "CN=Catalog Test TSA" || !rep.CodeSigningEKU {
		t.Fatalf("Verify: %+v", rep)
	}
	testutil.NeedTool(t, "osslsigncode")
	tsaPath := filepath.Join(dir, "tsa.pem")
	os.WriteFile(tsaPath, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644)
	out, err := ossl(t, "verify", "-CAfile", k.certPath, "-TSA-CAfile", tsaPath, "-in", cat)
	if err != nil || !strings.Contains(out, "Timestamp Server Signature verification: ok") {
		t.Fatalf("osslsigncode verify timestamped catalog: %v\n%s", err, out)
	}
}
