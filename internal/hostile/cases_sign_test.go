package hostile

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
	"encoding/json"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"software.sslmate.com/src/go-pkcs12"

	"github.com/msiforge/msiforge/internal/cli"
	"github.com/msiforge/msiforge/internal/execx"
	"github.com/msiforge/msiforge/internal/testutil"
)

// A throwaway CA for the signing cases; leaves are issued per case.
var (
	signCAOnce sync.Once
	signCACert *x509.Certificate
	signCAKey  *ecdsa.PrivateKey
	signSerial int64 = 1000
)

func signTestCA(t *testing.T) (*x509.Certificate, *ecdsa.PrivateKey) {
	t.Helper()
	signCAOnce.Do(func() {
		signCAKey, _ = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "Hostile Test Root"},
			NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
			KeyUsage: x509.KeyUsageCertSign, BasicConstraintsValid: true, IsCA: true}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, signCAKey.Public(), signCAKey)
		if err == nil {
			signCACert, _ = x509.ParseCertificate(der)
		}
	})
	if signCACert == nil {
		t.Fatal("test CA not created")
	}
	return signCACert, signCAKey
}

// signWriteCert issues a code-signing leaf "CN=cn" (changed by edit) for a
// fresh key (RSA of rsaBits, or P-256 when 0) and writes dir/NAME.pem (the
// leaf, then the CA, so a build trusts its own signatures), dir/NAME.key
// and dir/ca.pem; for NAME "good" also dir/good.p12 (password "p12
// secret").
func signWriteCert(t *testing.T, dir, name, cn string, rsaBits int, edit func(*x509.Certificate)) {
	t.Helper()
	ca, signCAKey := signTestCA(t)
	var key crypto.Signer
	var err error
	if rsaBits > 0 {
		key, err = rsa.GenerateKey(rand.Reader, rsaBits)
	} else {
		key, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	}
	if err != nil {
		t.Fatal(err)
	}
	signSerial++
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(signSerial), Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageCodeSigning},
		BasicConstraintsValid: true}
	if edit != nil {
		edit(tmpl)
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, key.Public(), signCAKey)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	caPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ca.Raw})
	for p, b := range map[string][]byte{
		name + ".pem": append(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), caPEM...),
		name + ".key": pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}),
		"ca.pem":      caPEM,
	} {
		if err := os.WriteFile(filepath.Join(dir, p), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if name == "good" {
		cert, _ := x509.ParseCertificate(der)
		p12, err := pkcs12.Modern.Encode(key, cert, []*x509.Certificate{ca}, "p12 secret")
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(dir, "good.p12"), p12, 0o600)
	}
}

var (
	signPlainOnce sync.Once
	signPlainDir  string
	signPlainErr  string
)

// signPlainRelease copies an unsigned x64 example release (MSI and EXE, built
// once per test binary with msiforge itself) to dir/plain and returns the
// MSI's and the EXE's paths relative to dir.
func signPlainRelease(t *testing.T, dir string) (msi, exe string) {
	t.Helper()
	signPlainOnce.Do(func() {
		d, err := os.MkdirTemp("", "msiforge-hostile-sign-")
		if err != nil {
			signPlainErr = err.Error()
			return
		}
		if err := testutil.WriteExample(filepath.Join(d, "example")); err != nil {
			signPlainErr = err.Error()
			return
		}
		var stderr bytes.Buffer
		if code := cli.Main(context.Background(), []string{"build", "-f", filepath.Join(d, "example", "msiforge.yaml"),
			"-o", filepath.Join(d, "plain"), "--arch", "x64"}, &bytes.Buffer{}, &stderr, os.Getenv); code != 0 {
			signPlainErr = stderr.String()
		}
		signPlainDir = filepath.Join(d, "plain")
	})
	if signPlainErr != "" {
		t.Fatalf("build the unsigned release: %s", signPlainErr)
	}
	msi, exe = "plain/example-console-1.4.2-x64.msi", "plain/example-console-1.4.2-x64.exe"
	os.MkdirAll(filepath.Join(dir, "plain"), 0o755)
	for _, f := range []string{msi, exe} {
		b, err := os.ReadFile(filepath.Join(signPlainDir, filepath.Base(f)))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return msi, exe
}

func signRun(t *testing.T, dir, name string, args ...string) {
	t.Helper()
	testutil.NeedTool(t, name)
	if res, err := (execx.OS{}).Run(context.Background(), execx.Cmd{Name: name, Args: args, Dir: dir}); err != nil {
		t.Fatalf("%s %s: %v\n%s%s", name, strings.Join(args, " "), err, res.Stdout, res.Stderr)
	}
}

func signAppend(t *testing.T, path string, n int) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.Write(bytes.Repeat([]byte{'Z'}, n)); err != nil {
		t.Fatal(err)
	}
}

var signBuildTools = []string{"wixl", "msibuild", "makensis"}

// TestSigningIdentity: certificates that break the signing identity rules
// are refused by sign and by build (flags and the config's signing
// section), naming the certificate and the rule, with nothing written;
// --allow-weak signs with a warning.
func TestSigningIdentity(t *testing.T) {
	weak := []struct {
		name, cn string
		rsaBits  int
		edit     func(*x509.Certificate)
		stderr   []string
	}{
		{"expired", "Expired", 0, func(c *x509.Certificate) { c.NotAfter = time.Now().Add(-time.Minute) },
			[]string{"validity: expired on", "allowed: a certificate valid at the signing time"}},
		{"not yet valid", "Future", 0, func(c *x509.Certificate) { c.NotBefore = time.Now().Add(time.Hour) },
			[]string{"validity: not valid before"}},
		{"TLS server only", "Web Server", 0, func(c *x509.Certificate) { c.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth} },
			[]string{"eku: extended key usages: serverAuth", "allowed: the codeSigning extended key usage"}},
		{"no EKU", "No EKU", 0, func(c *x509.Certificate) { c.ExtKeyUsage = nil },
			[]string{"eku: extended key usages: none"}},
		{"no digitalSignature", "No DS", 0, func(c *x509.Certificate) { c.KeyUsage = x509.KeyUsageKeyEncipherment },
			[]string{"key-usage: key usage keyEncipherment lacks digitalSignature"}},
		{"CA certificate", "Sub CA", 0, func(c *x509.Certificate) {
			c.IsCA, c.KeyUsage = true, x509.KeyUsageDigitalSignature|x509.KeyUsageCertSign
		},
			[]string{"ca: it is a CA certificate (basicConstraints CA=true)", "allowed: an end-entity certificate"}},
		{"RSA-1024", "RSA 1024", 1024, nil,
			[]string{"key: RSA key of 1024 bits", "allowed: RSA of at least 2048 bits"}},
		{"SHA-1 signed", "SHA1 Signed", 0, func(c *x509.Certificate) { c.SignatureAlgorithm = x509.ECDSAWithSHA1 },
			[]string{"signature: signed with ECDSA-SHA1", "allowed: a certificate signed with SHA-256 or stronger"}},
	}
	var cases []Case
	for _, w := range weak {
		w := w
		stderr := append([]string{`refusing to sign with certificate "CN=` + w.cn + `" (serial `}, w.stderr...)
		cases = append(cases,
			Case{Name: "sign " + w.name, Tools: signBuildTools, Code: 1, Stderr: stderr, NotIn: []string{"signed plain/"},
				Setup: func(t *testing.T, dir string) []string {
					signWriteCert(t, dir, "weak", w.cn, w.rsaBits, w.edit)
					msi, _ := signPlainRelease(t, dir)
					return []string{"sign", msi, "--cert", "weak.pem", "--key", "weak.key"}
				}},
			Case{Name: "build flags " + w.name, Tools: signBuildTools, Code: 1, Stderr: append([]string{"--cert weak.pem: "}, stderr...), Out: []string{},
				Setup: func(t *testing.T, dir string) []string {
					signWriteCert(t, dir, "weak", w.cn, w.rsaBits, w.edit)
					return []string{"build", "-f", "example/msiforge.yaml", "--arch", "x64", "--cert", "weak.pem", "--key", "weak.key"}
				}},
		)
	}
	cases = append(cases,
		Case{Name: "build config signing section TLS server only", Tools: signBuildTools, Code: 1, Out: []string{},
			Stderr: []string{"signing.cert ", `weak.pem: refusing to sign with certificate "CN=Web Server"`, "eku: extended key usages: serverAuth"},
			Setup: func(t *testing.T, dir string) []string {
				signWriteCert(t, dir, "weak", "Web Server", 0, func(c *x509.Certificate) { c.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth} })
				signAddSigning(t, dir, "  cert: ../weak.pem\n  key: ../weak.key\n")
				return []string{"build", "-f", "example/msiforge.yaml", "--arch", "x64"}
			}},
		Case{Name: "sign --allow-weak warns and signs", Tools: signBuildTools, Code: 0,
			Stderr: []string{"warning: --allow-weak: signing with certificate \"CN=Web Server\"", "for tests only", "eku: extended key usages: serverAuth"},
			Stdout: []string{"plain/example-console-1.4.2-x64.msi"},
			Setup: func(t *testing.T, dir string) []string {
				signWriteCert(t, dir, "weak", "Web Server", 0, func(c *x509.Certificate) { c.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth} })
				msi, _ := signPlainRelease(t, dir)
				return []string{"sign", msi, "--cert", "weak.pem", "--key", "weak.key", "--allow-weak"}
			}},
		Case{Name: "build --allow-weak marks the artifacts", Tools: signBuildTools, Code: 0,
			Stderr: []string{"warning: --allow-weak"}, Stdout: []string{`"weak_signing": true`},
			Setup: func(t *testing.T, dir string) []string {
				signWriteCert(t, dir, "weak", "RSA 1024", 1024, nil)
				return []string{"build", "-f", "example/msiforge.yaml", "--arch", "x64", "--cert", "weak.pem", "--key", "weak.key", "--allow-weak", "--json"}
			}},
		Case{Name: "build with a good certificate is not marked", Tools: signBuildTools, Code: 0,
			NotIn: []string{"weak_signing", "--allow-weak"},
			Setup: func(t *testing.T, dir string) []string {
				signWriteCert(t, dir, "good", "Good", 0, nil)
				return []string{"build", "-f", "example/msiforge.yaml", "--arch", "x64", "--cert", "good.pem", "--key", "good.key", "--json"}
			}},
	)
	Run(t, cases)
}

func signAddSigning(t *testing.T, dir, body string) {
	t.Helper()
	p := filepath.Join(dir, "example", "msiforge.yaml")
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, append(b, []byte("\nsigning:\n"+body)...), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestAllowWeakManifest: a release built with --allow-weak and a weak
// certificate says so in manifest.json, at the top and per artifact.
func TestAllowWeakManifest(t *testing.T) {
	testutil.NeedTool(t, signBuildTools...)
	dir := t.TempDir()
	if err := testutil.WriteExample(filepath.Join(dir, "example")); err != nil {
		t.Fatal(err)
	}
	signWriteCert(t, dir, "weak", "No EKU", 0, func(c *x509.Certificate) { c.ExtKeyUsage = nil })
	var stderr bytes.Buffer
	out := filepath.Join(dir, "out")
	if code := cli.Main(context.Background(), []string{"build", "-f", filepath.Join(dir, "example", "msiforge.yaml"), "-o", out, "--arch", "x64",
		"--cert", filepath.Join(dir, "weak.pem"), "--key", filepath.Join(dir, "weak.key"), "--allow-weak"}, &bytes.Buffer{}, &stderr, os.Getenv); code != 0 {
		t.Fatalf("build: exit %d\n%s", code, &stderr)
	}
	b, err := os.ReadFile(filepath.Join(out, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	var m struct {
		WeakSigning bool `json:"weak_signing"`
		Artifacts   []struct {
			File        string `json:"file"`
			WeakSigning bool   `json:"weak_signing"`
		} `json:"artifacts"`
	}
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	if !m.WeakSigning || len(m.Artifacts) == 0 {
		t.Fatalf("manifest not marked:\n%s", b)
	}
	for _, a := range m.Artifacts {
		if !a.WeakSigning {
			t.Errorf("%s not marked weak_signing", a.File)
		}
	}
}

// TestVerifyWeakSignatures: verify fails (exit 3) on a SHA-1-only
// signature and on bytes appended after the signed content, naming offset
// and length.
func TestVerifyWeakSignatures(t *testing.T) {
	signGood := func(t *testing.T, dir string) (msi, exe string) {
		signWriteCert(t, dir, "good", "Good", 0, nil)
		msi, exe = signPlainRelease(t, dir)
		var stderr bytes.Buffer
		wd, _ := os.Getwd()
		os.Chdir(dir)
		defer os.Chdir(wd)
		if code := cli.Main(context.Background(), []string{"sign", msi, exe, "--cert", "good.pem", "--key", "good.key"}, &bytes.Buffer{}, &stderr, os.Getenv); code != 0 {
			t.Fatalf("sign: %s", &stderr)
		}
		return msi, exe
	}
	tools := append([]string{"osslsigncode"}, signBuildTools...)
	Run(t, []Case{
		{Name: "SHA-1-only MSI signature", Tools: tools, Code: 3,
			Stdout: []string{"FAILED", "digest: SHA-1", "problem: signature digest is SHA-1 only (no SHA-256 signature)"},
			Stderr: []string{"1 of 1 files failed verification"},
			Setup: func(t *testing.T, dir string) []string {
				signWriteCert(t, dir, "good", "Good", 2048, nil)
				msi, _ := signPlainRelease(t, dir)
				signRun(t, dir, "osslsigncode", "sign", "-h", "sha1", "-certs", "good.pem", "-key", "good.key", "-add-msi-dse", "-in", msi, "-out", "sha1.msi")
				return []string{"verify", "sha1.msi", "--roots", "ca.pem"}
			}},
		{Name: "SHA-1-only EXE signature", Tools: tools, Code: 3,
			Stdout: []string{"digest: SHA-1", "problem: signature digest is SHA-1 only"},
			Setup: func(t *testing.T, dir string) []string {
				signWriteCert(t, dir, "good", "Good", 2048, nil)
				_, exe := signPlainRelease(t, dir)
				signRun(t, dir, "osslsigncode", "sign", "-h", "sha1", "-certs", "good.pem", "-key", "good.key", "-in", exe, "-out", "sha1.exe")
				return []string{"verify", "sha1.exe", "--roots", "ca.pem"}
			}},
		{Name: "SHA-256 osslsigncode signature passes", Tools: tools, Code: 0,
			Stdout: []string{"sha256.msi: ok", "digest: SHA-256"},
			Setup: func(t *testing.T, dir string) []string {
				signWriteCert(t, dir, "good", "Good", 2048, nil)
				msi, _ := signPlainRelease(t, dir)
				signRun(t, dir, "osslsigncode", "sign", "-h", "sha256", "-certs", "good.pem", "-key", "good.key", "-add-msi-dse", "-in", msi, "-out", "sha256.msi")
				return []string{"verify", "sha256.msi", "--roots", "ca.pem"}
			}},
		{Name: "data appended after the MSI's compound file", Tools: signBuildTools, Code: 3,
			Stdout: []string{"problem: data appended after the signed content: 1234 bytes at offset", "after the last sector of the compound file"},
			Setup: func(t *testing.T, dir string) []string {
				msi, _ := signGood(t, dir)
				signAppend(t, filepath.Join(dir, msi), 1234)
				return []string{"verify", msi, "--roots", "ca.pem"}
			}},
		{Name: "data appended after the EXE's certificate table", Tools: signBuildTools, Code: 3,
			Stdout: []string{"problem: data appended after the signed content", "64 bytes at offset", "after the PE certificate table"},
			Setup: func(t *testing.T, dir string) []string {
				_, exe := signGood(t, dir)
				signAppend(t, filepath.Join(dir, exe), 64)
				return []string{"verify", exe, "--roots", "ca.pem"}
			}},
	})
}

// TestKeyMessages: an encrypted key or PKCS#12 file without a password
// option is named as encrypted with the options to give, never "failed to
// parse private key" nor "incorrect password".
func TestKeyMessages(t *testing.T) {
	encrypted := func(t *testing.T, dir string) {
		signWriteCert(t, dir, "good", "Good", 0, nil)
		signRun(t, dir, "openssl", "pkey", "-in", "good.key", "-aes256", "-passout", "pass:key secret", "-out", "enc.key")
	}
	Run(t, []Case{
		{Name: "encrypted PKCS#8 key without password", Tools: append([]string{"openssl"}, signBuildTools...), Code: 1,
			Stderr: []string{"the private key enc.key (encrypted PKCS#8) is encrypted; give --password-env or --password-file"},
			NotIn:  []string{"failed to parse"},
			Setup: func(t *testing.T, dir string) []string {
				encrypted(t, dir)
				msi, _ := signPlainRelease(t, dir)
				return []string{"sign", msi, "--cert", "good.pem", "--key", "enc.key"}
			}},
		{Name: "encrypted PKCS#8 key with --password-env", Tools: append([]string{"openssl"}, signBuildTools...), Code: 0,
			NotIn: []string{"key secret"},
			Setup: func(t *testing.T, dir string) []string {
				// The password is read with os.LookupEnv (unset and empty
				// differ), which the harness's Env does not reach.
				t.Setenv("KEY_PW", "key secret")
				encrypted(t, dir)
				msi, _ := signPlainRelease(t, dir)
				return []string{"sign", msi, "--cert", "good.pem", "--key", "enc.key", "--password-env", "KEY_PW"}
			}},
		{Name: "encrypted PKCS#8 key, wrong password", Tools: append([]string{"openssl"}, signBuildTools...), Code: 1,
			Stderr: []string{"incorrect password for the encrypted private key"},
			Setup: func(t *testing.T, dir string) []string {
				t.Setenv("KEY_PW", "nope")
				encrypted(t, dir)
				msi, _ := signPlainRelease(t, dir)
				return []string{"sign", msi, "--cert", "good.pem", "--key", "enc.key", "--password-env", "KEY_PW"}
			}},
		{Name: "PKCS#12 without a password option", Tools: signBuildTools, Code: 1,
			Stderr: []string{"the PKCS#12 file good.p12 is encrypted; give --password-env or --password-file"},
			NotIn:  []string{"incorrect"},
			Setup: func(t *testing.T, dir string) []string {
				signWriteCert(t, dir, "good", "Good", 0, nil)
				msi, _ := signPlainRelease(t, dir)
				return []string{"sign", msi, "--pkcs12", "good.p12"}
			}},
		{Name: "config PKCS#12 without a password option", Tools: signBuildTools, Code: 1, Out: []string{},
			Stderr: []string{"good.p12 is encrypted; give signing.password_env or signing.password_file"},
			NotIn:  []string{"incorrect"},
			Setup: func(t *testing.T, dir string) []string {
				signWriteCert(t, dir, "good", "Good", 0, nil)
				signAddSigning(t, dir, "  pkcs12: ../good.p12\n")
				return []string{"build", "-f", "example/msiforge.yaml", "--arch", "x64"}
			}},
	})
}
