package sign

import (
	"context"
	"crypto/x509"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// A certificate that expired before verification still verifies when a
// timestamp from inside its validity vouches for the signature.
func TestTimestampedExpiredCertificate(t *testing.T) {
	at := time.Now().Add(-10 * 24 * time.Hour).Truncate(time.Second).UTC()
	tsa := newTestTSA(t, at)
	pki := newTestPKI(t, "Test Root")
	cert, key := pki.leaf(t, "Short Lived", at.Add(-24*time.Hour), at.Add(24*time.Hour), x509.ExtKeyUsageCodeSigning)

	dir := t.TempDir()
	rootPEM, tsaRootPEM := filepath.Join(dir, "root.pem"), filepath.Join(dir, "tsaroot.pem")
	writePEM(t, rootPEM, "CERTIFICATE", pki.rootCert.Raw)
	writePEM(t, tsaRootPEM, "CERTIFICATE", tsa.pki.rootCert.Raw)

	for _, ft := range []struct {
		name string
		file func(*testing.T) string
	}{{"pe", testPE}, {"msi", testMSI}} {
		t.Run(ft.name, func(t *testing.T) {
			// The test TSA stamps a past time at which the certificate was
			// valid; signing with it now needs AllowWeak (it is expired now).
			s := &Signer{Key: key, Chain: []*x509.Certificate{cert, pki.rootCert},
				Timestamper: &Timestamper{URLs: []string{tsa.URL}}, AllowWeak: true}
			path := signed(t, ft.file, s)
			r, err := Verify(path, VerifyOptions{Roots: pki.pool(), TSARoots: tsa.pki.pool()})
			if err != nil {
				t.Fatal(err)
			}
			if !r.OK() {
				t.Fatalf("problems: %v", r.Problems)
			}
			if r.Timestamp == nil || !r.Timestamp.Equal(at) {
				t.Errorf("timestamp %v, want %v", r.Timestamp, at)
			}
			if r.TimestampAuthority != "CN=Test TSA,O=msiforge test" {
				t.Errorf("authority %q", r.TimestampAuthority)
			}
			osslVerify(t, path, "-CAfile", rootPEM, "-TSA-CAfile", tsaRootPEM)

			// The same file, with the timestamp authority not trusted: the
			// timestamp is rejected and the certificate is then expired.
			r, err = Verify(path, VerifyOptions{Roots: pki.pool()})
			if err != nil {
				t.Fatal(err)
			}
			kinds := problemKinds(r)
			if len(kinds) != 2 || kinds[0] != ErrBadTimestamp || kinds[1] != ErrCertExpired {
				t.Fatalf("problems %v, want a bad timestamp and an expired certificate", r.Problems)
			}
		})
	}
}

// refusedURL is a loopback address nobody listens on.
func refusedURL(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return "http://" + addr + "/"
}

func statusServer(t *testing.T, code int, hits *atomic.Int32) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		http.Error(w, "nope", code)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

func TestTimestamperFailover(t *testing.T) {
	at := time.Now().Truncate(time.Second).UTC()
	tsa := newTestTSA(t, at)
	var hits500 atomic.Int32
	url500 := statusServer(t, http.StatusInternalServerError, &hits500)
	refused := refusedURL(t)

	pki := newTestPKI(t, "Test Root")
	s := pki.codeSigner(t)
	s.Timestamper = &Timestamper{URLs: []string{url500, refused, tsa.URL}, Attempts: 2, RetryDelay: time.Millisecond}
	path := signed(t, testPE, s)
	if got := hits500.Load(); got != 2 {
		t.Errorf("the failing authority was tried %d times, want 2", got)
	}
	r, err := Verify(path, VerifyOptions{Roots: pki.pool(), TSARoots: tsa.pki.pool()})
	if err != nil || !r.OK() || r.Timestamp == nil || !r.Timestamp.Equal(at) {
		t.Fatalf("verify: %v %+v", err, r)
	}
}

func TestTimestamperAllFail(t *testing.T) {
	var hits500, hits404 atomic.Int32
	urls := []string{
		statusServer(t, http.StatusInternalServerError, &hits500),
		refusedURL(t),
		statusServer(t, http.StatusNotFound, &hits404),
	}
	pki := newTestPKI(t, "Test Root")
	s := pki.codeSigner(t)
	s.Timestamper = &Timestamper{URLs: urls, Attempts: 3, RetryDelay: time.Millisecond}
	path := testPE(t)
	err := s.SignFile(context.Background(), path)
	var tsErr *TimestampError
	if !errors.As(err, &tsErr) || len(tsErr.Failures) != 3 {
		t.Fatalf("err = %v, want a TimestampError with 3 failures", err)
	}
	msg := err.Error()
	for i, want := range []string{"500 Internal Server Error", "connection refused", "404 Not Found"} {
		if !strings.Contains(msg, urls[i]+": ") || !strings.Contains(tsErr.Failures[i].Err.Error(), want) {
			t.Errorf("failure %d: %v; want %s with %q in %q", i, tsErr.Failures[i].Err, urls[i], want, msg)
		}
	}
	// 5xx is retried on the same URL, a 404 is not.
	if hits500.Load() != 3 || hits404.Load() != 1 {
		t.Errorf("tries: 500 server %d (want 3), 404 server %d (want 1)", hits500.Load(), hits404.Load())
	}
	if _, statErr := os.Stat(path); statErr != nil {
		t.Fatal(statErr)
	}
}

func TestTimestamperNoURLs(t *testing.T) {
	pki := newTestPKI(t, "Test Root")
	s := pki.codeSigner(t)
	s.Timestamper = &Timestamper{}
	err := s.SignFile(context.Background(), testPE(t))
	if err == nil || !strings.Contains(err.Error(), "no timestamp authority configured") {
		t.Fatalf("err = %v", err)
	}
}
