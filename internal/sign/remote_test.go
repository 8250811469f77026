package sign_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/msiforge/msiforge/internal/sign"
	"github.com/msiforge/msiforge/internal/testutil"
)

func remoteConfig(srv *testutil.RelicServer) sign.RemoteConfig {
	return sign.RemoteConfig{URL: srv.URL, CA: srv.ServerCert, ClientCert: srv.ClientCert, ClientKey: srv.ClientKey, Key: srv.Key}
}

func TestRemoteSigns(t *testing.T) {
	srv := testutil.StartRelic(t)
	c := remoteConfig(srv)
	c.PageHashes = true
	b, err := sign.OpenRemote(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	signBoth(t, b, srv.Signing.CertPath)
}

// TestRemoteErrors: every setup mistake gets a message that says what is
// wrong, and the file is left as it was.
func TestRemoteErrors(t *testing.T) {
	srv := testutil.StartRelic(t)
	strangerCert, strangerKey := testutil.NewClientIdentity(t, t.TempDir(), "stranger")
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	down := "https://" + l.Addr().String()
	l.Close() // nothing listens there now
	for _, tc := range []struct {
		name string
		edit func(*sign.RemoteConfig)
		want []string
	}{
		{"unknown client certificate", func(c *sign.RemoteConfig) { c.ClientCert, c.ClientKey = strangerCert, strangerKey },
			[]string{"HTTP 401", "the server does not know this client certificate", "(fingerprint ", `subject "CN=stranger,OU=ci"): add its fingerprint`}},
		{"wrong key name", func(c *sign.RemoteConfig) { c.Key = "no-such-key" },
			[]string{`remote signing key "no-such-key"`, `key "no-such-key" is not a key this client may use; it may use: codesign`}},
		{"key of another role", func(c *sign.RemoteConfig) { c.Key = "other" },
			[]string{"HTTP 403", "it may use: codesign"}},
		{"server down", func(c *sign.RemoteConfig) { c.URL = down },
			[]string{"relic server " + down + ": cannot reach it (is relic serve running there?)"}},
		{"wrong server CA", func(c *sign.RemoteConfig) { c.CA = srv.Signing.CertPath },
			[]string{"its TLS certificate does not verify against the configured CA", "certificate signed by unknown authority"}},
		{"client key not matching", func(c *sign.RemoteConfig) { c.ClientKey = strangerKey },
			[]string{"client_cert " + srv.ClientCert, "private key does not match public key"}},
		{"no key name", func(c *sign.RemoteConfig) { c.Key = "" }, []string{"key is required"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := remoteConfig(srv)
			tc.edit(&c)
			f := samplePE(t)
			before, _ := os.ReadFile(f)
			b, err := sign.OpenRemote(context.Background(), c)
			if err == nil {
				_, err = b.SignAndVerify(context.Background(), f)
			}
			if err == nil {
				t.Fatal("no error")
			}
			t.Log(err)
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q\nwant it to contain %q", err, w)
				}
			}
			unchanged(t, f, before)
		})
	}
}

// TestRemoteSiblings: a server that answers 503 is skipped for the
// siblings its /directory lists, as relic's own client does.
func TestRemoteSiblings(t *testing.T) {
	srv := testutil.StartRelic(t)
	var hits atomic.Int32
	broken := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/directory" {
			w.Header().Set("Content-Type", "application/json")
			w.Write([]byte(`{"hosts":["` + srv.URL + `"]}`))
			return
		}
		hits.Add(1)
		w.Header().Set("Content-Type", "application/problem+json")
		w.WriteHeader(http.StatusServiceUnavailable)
		w.Write([]byte(`{"status":503,"type":"https://relic.sas.com/unavailable","title":"Service Unavailable","detail":"token worker restarting"}`))
	}))
	defer broken.Close()
	// Trust both servers.
	ca := filepath.Join(t.TempDir(), "ca.pem")
	real, err := os.ReadFile(srv.ServerCert)
	if err != nil {
		t.Fatal(err)
	}
	both := append(real, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: broken.Certificate().Raw})...)
	if err := os.WriteFile(ca, both, 0o644); err != nil {
		t.Fatal(err)
	}
	c := remoteConfig(srv)
	c.URL, c.CA = broken.URL, ca
	b, err := sign.OpenRemote(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	signBoth(t, b, srv.Signing.CertPath)
	if hits.Load() < 3 { // the key's certificate, then one upload per file
		t.Errorf("the broken server was asked %d times; the client did not try it first", hits.Load())
	}
}

// The environment variables relic's client reads fill what the config
// leaves out, and inline PEM works as well as a file.
func TestRemoteFromEnvironment(t *testing.T) {
	srv := testutil.StartRelic(t)
	keyPEM, err := os.ReadFile(srv.ClientKey)
	if err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"RELIC_URL": srv.URL, "RELIC_CACERT": srv.ServerCert, "RELIC_CLIENT_CERT": srv.ClientCert, "RELIC_CLIENT_KEY": string(keyPEM)}
	c := sign.RemoteConfig{Key: srv.Key}.WithEnv(func(k string) string { return env[k] })
	b, err := sign.OpenRemote(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	f := samplePE(t)
	if _, err := b.SignAndVerify(context.Background(), f); err != nil {
		t.Fatal(err)
	}
	verifyWithOpenSSL(t, f, srv.Signing.CertPath)
}

// TestRemoteRetries: an upload the only server refuses with 503 is sent
// again, after a pause, and succeeds.
func TestRemoteRetries(t *testing.T) {
	srv := testutil.StartRelic(t)
	pair, err := tls.LoadX509KeyPair(srv.ClientCert, srv.ClientKey)
	if err != nil {
		t.Fatal(err)
	}
	serverCA, err := os.ReadFile(srv.ServerCert)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(serverCA)
	upstream, _ := url.Parse(srv.URL)
	proxy := httputil.NewSingleHostReverseProxy(upstream)
	// The proxy presents the runner's certificate to relic itself.
	proxy.Transport = &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool,
		GetClientCertificate: func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return &pair, nil }}}
	var refused atomic.Int32
	flaky := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/sign" && refused.Add(1) == 1 {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		proxy.ServeHTTP(w, r)
	}))
	defer flaky.Close()
	ca := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: flaky.Certificate().Raw}), 0o644); err != nil {
		t.Fatal(err)
	}
	c := remoteConfig(srv)
	c.URL, c.CA = flaky.URL, ca
	b, err := sign.OpenRemote(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	f := samplePE(t)
	if _, err := b.SignAndVerify(context.Background(), f); err != nil {
		t.Fatal(err)
	}
	if refused.Load() != 2 {
		t.Errorf("%d uploads, want the refused one and the retry", refused.Load())
	}
	verifyWithOpenSSL(t, f, srv.Signing.CertPath)
}
