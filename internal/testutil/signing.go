package testutil

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/msiforge/msiforge/internal/execx"
	"github.com/msiforge/msiforge/internal/sign"
)

// DevKey is a throwaway code-signing certificate and its unencrypted key.
type DevKey struct {
	CertPath, KeyPath string
	CertPEM, KeyPEM   []byte
}

// NewDevKey writes a development code-signing certificate and key into dir.
func NewDevKey(t testing.TB, dir, subject string) DevKey {
	t.Helper()
	certPEM, keyPEM, err := sign.NewDevCert(subject, time.Now().Add(24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	k := DevKey{CertPath: filepath.Join(dir, "codesign.pem"), KeyPath: filepath.Join(dir, "codesign.key"), CertPEM: certPEM, KeyPEM: keyPEM}
	writeFile(t, k.CertPath, certPEM, 0o644)
	writeFile(t, k.KeyPath, keyPEM, 0o600)
	return k
}

func writeFile(t testing.TB, path string, b []byte, mode os.FileMode) {
	t.Helper()
	if err := os.WriteFile(path, b, mode); err != nil {
		t.Fatal(err)
	}
}

// SoftHSMModule is where Debian's softhsm2 package puts the module.
const SoftHSMModule = "/usr/lib/softhsm/libsofthsm2.so"

// SoftHSM is a SoftHSM2 token initialised in a temporary directory
// (SOFTHSM2_CONF points there for the rest of the test) holding a
// development code-signing key and its certificate, both with label Label
// and id ID.
type SoftHSM struct {
	Module, Token, Label, ID, PIN string
	Key                           DevKey
}

// NewSoftHSM initialises the token with user PIN pin and imports a new
// development key with pkcs11-tool (opensc).
func NewSoftHSM(t testing.TB, pin string) *SoftHSM {
	t.Helper()
	NeedTool(t, "softhsm2-util", "pkcs11-tool")
	if _, err := os.Stat(SoftHSMModule); err != nil {
		NeedTool(t, "libsofthsm2.so") // fails under CI, skips elsewhere
	}
	dir := t.TempDir()
	tokens := filepath.Join(dir, "tokens")
	if err := os.Mkdir(tokens, 0o700); err != nil {
		t.Fatal(err)
	}
	conf := filepath.Join(dir, "softhsm2.conf")
	writeFile(t, conf, []byte("directories.tokendir = "+tokens+"\nobjectstore.backend = file\nlog.level = ERROR\n"), 0o600)
	t.Setenv("SOFTHSM2_CONF", conf)
	h := &SoftHSM{Module: SoftHSMModule, Token: "msiforge-test", Label: "codesign", ID: "4d46", PIN: pin,
		Key: NewDevKey(t, dir, "msiforge PKCS#11 test")}
	ctx := context.Background()
	run := func(name string, args ...string) {
		t.Helper()
		if _, err := (execx.OS{}).Run(ctx, execx.Cmd{Name: name, Args: args}); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	run("softhsm2-util", "--init-token", "--free", "--label", h.Token, "--so-pin", "12345678", "--pin", pin)
	keyDER, certDER := filepath.Join(dir, "key.der"), filepath.Join(dir, "cert.der")
	blk, _ := pem.Decode(h.Key.KeyPEM)
	writeFile(t, keyDER, blk.Bytes, 0o600)
	blk, _ = pem.Decode(h.Key.CertPEM)
	writeFile(t, certDER, blk.Bytes, 0o644)
	for _, obj := range [][2]string{{keyDER, "privkey"}, {certDER, "cert"}} {
		run("pkcs11-tool", "--module", h.Module, "--token-label", h.Token, "--login", "--pin", pin,
			"--write-object", obj[0], "--type", obj[1], "--label", h.Label, "--id", h.ID)
	}
	return h
}

// RelicVersion is the relic release the tests run as a signing server.
const RelicVersion = "v8.2.0"

// RelicBinary finds the relic binary scripts/build-relic.sh builds:
// $MSIFORGE_RELIC, relic in PATH, or the script's cache directory.
func RelicBinary(t testing.TB) string {
	t.Helper()
	if p := os.Getenv("MSIFORGE_RELIC"); p != "" {
		return p
	}
	if p, err := execx.LookPath("relic"); err == nil {
		return p
	}
	cache := os.Getenv("MSIFORGE_TOOLS")
	if cache == "" {
		base := os.Getenv("XDG_CACHE_HOME")
		if base == "" {
			home, _ := os.UserHomeDir()
			base = filepath.Join(home, ".cache")
		}
		cache = filepath.Join(base, "msiforge", "tools")
	}
	p := filepath.Join(cache, "relic-"+RelicVersion, "relic")
	if _, err := os.Stat(p); err != nil {
		msg := "relic is not built; run scripts/build-relic.sh (make test does)"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return p
}

// RelicServer is a stock `relic serve` on 127.0.0.1 with its own TLS
// certificate, a client CA, and one file key, Key, allowed for clients of
// that CA.
type RelicServer struct {
	URL        string
	Dir        string
	Key        string // the signing key's name
	Signing    DevKey // the signing key and certificate on the server
	ServerCert string // PEM file: the client's CA for the server
	ClientCert string // PEM files of a client the server knows
	ClientKey  string
	Log        string // the server's log file
}

// StartRelic writes a config and starts relic serve; the test's cleanup
// stops it.
func StartRelic(t testing.TB) *RelicServer {
	t.Helper()
	bin := RelicBinary(t)
	dir := t.TempDir()
	s := &RelicServer{Dir: dir, Key: "codesign", Log: filepath.Join(dir, "server.log")}
	s.Signing = NewDevKey(t, dir, "msiforge remote test")
	// Server TLS certificate for 127.0.0.1.
	srvKey, srvCert := selfSigned(t, "relic test server", func(c *x509.Certificate) {
		c.IPAddresses = []net.IP{net.ParseIP("127.0.0.1")}
		c.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
	})
	s.ServerCert = filepath.Join(dir, "server.crt")
	writeFile(t, s.ServerCert, srvCert, 0o644)
	writeFile(t, filepath.Join(dir, "server.key"), srvKey, 0o600)
	// A CI CA and a runner certificate it issued (relic wants EKU clientAuth).
	caKeyPEM, caPEM := selfSigned(t, "msiforge test CI CA", func(c *x509.Certificate) {
		c.IsCA, c.BasicConstraintsValid, c.KeyUsage = true, true, x509.KeyUsageCertSign|x509.KeyUsageDigitalSignature
	})
	s.ClientCert, s.ClientKey = filepath.Join(dir, "runner.crt"), filepath.Join(dir, "runner.key")
	cKey, cCert := Issue(t, caPEM, caKeyPEM, "runner-1")
	writeFile(t, s.ClientCert, cCert, 0o644)
	writeFile(t, s.ClientKey, cKey, 0o600)

	port := freePort(t)
	s.URL = fmt.Sprintf("https://127.0.0.1:%d", port)
	indent := "      " + strings.ReplaceAll(strings.TrimSpace(string(caPEM)), "\n", "\n      ")
	cfg := fmt.Sprintf(`tokens:
  file:
    type: file
keys:
  %s:
    token: file
    keyfile: %s
    x509certificate: %s
    roles: ["ci"]
  other:
    token: file
    keyfile: %s
    x509certificate: %s
    roles: ["release-managers"]
server:
  listen: "127.0.0.1:%d"
  keyfile: %s
  certfile: %s
  logfile: %s
clients:
  ci-ca:
    nickname: ci-ca
    roles: ["ci"]
    certificate: |
%s
`, s.Key, s.Signing.KeyPath, s.Signing.CertPath, s.Signing.KeyPath, s.Signing.CertPath,
		port, filepath.Join(dir, "server.key"), s.ServerCert, s.Log, indent)
	conf := filepath.Join(dir, "relic.yml")
	writeFile(t, conf, []byte(cfg), 0o600)

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		// execx runs every external program; cancel stops the server.
		_, err := (execx.OS{}).Run(ctx, execx.Cmd{Name: bin, Args: []string{"-c", conf, "serve"}})
		done <- err
	}()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	if err := waitHealthy(s.URL, done); err != nil {
		log, _ := os.ReadFile(s.Log)
		t.Fatalf("relic serve did not come up: %v\n%s", err, log)
	}
	return s
}

func waitHealthy(url string, done chan error) error {
	client := &http.Client{Timeout: time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}} //nolint:gosec // a health probe of our own test server
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-done:
			done <- err
			return fmt.Errorf("exited: %v", err)
		default:
		}
		if resp, err := client.Get(url + "/health"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	return errors.New("no answer on /health within 20 s")
}

func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// selfSigned makes a self-signed P-256 certificate; edit adjusts it.
func selfSigned(t testing.TB, cn string, edit func(*x509.Certificate)) (keyPEM, certPEM []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour), KeyUsage: x509.KeyUsageDigitalSignature}
	edit(tmpl)
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	return pemKey(t, key), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

// Issue makes a client certificate (EKU clientAuth) signed by the CA.
func Issue(t testing.TB, caPEM, caKeyPEM []byte, cn string) (keyPEM, certPEM []byte) {
	t.Helper()
	blk, _ := pem.Decode(caPEM)
	ca, err := x509.ParseCertificate(blk.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	blk, _ = pem.Decode(caKeyPEM)
	caKey, err := x509.ParsePKCS8PrivateKey(blk.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: cn, OrganizationalUnit: []string{"ci"}},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, key.Public(), caKey)
	if err != nil {
		t.Fatal(err)
	}
	return pemKey(t, key), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

// NewClientIdentity writes a client certificate and key no server knows
// (its own self-signed CA) into dir.
func NewClientIdentity(t testing.TB, dir, cn string) (certPath, keyPath string) {
	t.Helper()
	caKey, ca := selfSigned(t, cn+" CA", func(c *x509.Certificate) {
		c.IsCA, c.BasicConstraintsValid, c.KeyUsage = true, true, x509.KeyUsageCertSign
	})
	k, c := Issue(t, ca, caKey, cn)
	certPath, keyPath = filepath.Join(dir, cn+".crt"), filepath.Join(dir, cn+".key")
	writeFile(t, certPath, c, 0o644)
	writeFile(t, keyPath, k, 0o600)
	return certPath, keyPath
}

func pemKey(t testing.TB, key *ecdsa.PrivateKey) []byte {
	t.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
}

// NeedPKCS11 skips a PKCS#11 test in a build without cgo (available is
// sign.PKCS11Available), except under CI, which must build with cgo.
func NeedPKCS11(t testing.TB, available bool) {
	t.Helper()
	if available {
		return
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("built without cgo, so without PKCS#11; CI must have gcc (make deps-test installs it)")
	}
	t.Skip("built without cgo: no PKCS#11 (TestPKCS11Stub covers this build)")
}
