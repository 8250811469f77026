package sign

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"software.sslmate.com/src/go-pkcs12"

	"github.com/msiforge/msiforge/internal/execx"
)

func TestLoadPKCS12(t *testing.T) {
	pki := newTestPKI(t, "Test Root")
	s := pki.codeSigner(t)
	blob, err := pkcs12.Modern.Encode(s.Key, s.Chain[0], s.Chain[1:], "s3cret pw")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	p12 := filepath.Join(dir, "cert.p12")
	os.WriteFile(p12, blob, 0o600)

	t.Setenv("MSIFORGE_TEST_P12_PASSWORD", "s3cret pw")
	pw, err := PasswordFromEnv("MSIFORGE_TEST_P12_PASSWORD")
	if err != nil {
		t.Fatal(err)
	}
	loaded, err := LoadPKCS12(p12, pw)
	if err != nil {
		t.Fatal(err)
	}
	if !loaded.Chain[0].Equal(s.Chain[0]) || len(loaded.Chain) != 2 {
		t.Fatalf("chain: %d certificates, leaf %q", len(loaded.Chain), loaded.Chain[0].Subject)
	}
	path := signed(t, testPE, loaded)
	if r, err := Verify(path, VerifyOptions{Roots: pki.pool()}); err != nil || !r.OK() {
		t.Fatalf("verify: %v %v", err, r.Problems)
	}

	pwFile := filepath.Join(dir, "pw")
	os.WriteFile(pwFile, []byte("s3cret pw\n"), 0o600)
	if pw, err := PasswordFromFile(pwFile); err != nil || string(pw) != "s3cret pw" {
		t.Fatalf("PasswordFromFile = %q, %v", pw, err)
	}

	_, err = LoadPKCS12(p12, []byte("wrong"))
	if !errors.Is(err, ErrBadPassword) {
		t.Fatalf("wrong password: %v, want %v", err, ErrBadPassword)
	}
	if strings.Contains(err.Error(), "wrong") || strings.Contains(err.Error(), "s3cret") {
		t.Fatalf("error leaks the password: %v", err)
	}
}

func TestPasswordFromEnvUnset(t *testing.T) {
	if _, err := PasswordFromEnv("MSIFORGE_TEST_SURELY_UNSET_VARIABLE"); err == nil {
		t.Fatal("unset variable accepted")
	}
}

func TestLoadPEMErrors(t *testing.T) {
	dir := t.TempDir()
	junk := filepath.Join(dir, "junk.pem")
	os.WriteFile(junk, []byte("not pem"), 0o600)
	if _, err := LoadPEM(junk, junk); err == nil {
		t.Fatal("junk accepted")
	}
	if _, err := LoadPEM(filepath.Join(dir, "missing"), junk); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("missing file: %v", err)
	}
}

func TestSignerWithoutKey(t *testing.T) {
	if err := (&Signer{}).SignFile(context.Background(), testPE(t)); err == nil {
		t.Fatal("empty signer signed")
	}
}

// openssl runs the openssl command line (the tool that writes the key
// files users bring) in dir.
func openssl(t *testing.T, dir string, args ...string) {
	t.Helper()
	needTool(t, "openssl")
	if res, err := (execx.OS{}).Run(context.Background(), execx.Cmd{Name: "openssl", Args: args, Dir: dir}); err != nil {
		t.Fatalf("openssl %s: %v\n%s", strings.Join(args, " "), err, res.Stderr)
	}
}

// TestEncryptedKeys: keys encrypted the ways OpenSSL 3 writes them load
// with the right password; without a password option the message says the
// key is encrypted and names the options, never "failed to parse private
// key"; a wrong password is named as such; schemes this package does not
// decrypt (scrypt, the v1 PBE of PKCS#12) are refused by name with the way out.
func TestEncryptedKeys(t *testing.T) {
	dir := t.TempDir()
	_, certPath := devSigner(t, dir) // cert.pem and key.pem (plain PKCS#8)
	pwFile := filepath.Join(dir, "pw")
	os.WriteFile(pwFile, []byte("s3cret pw\n"), 0o600)
	wrongFile := filepath.Join(dir, "wrong")
	os.WriteFile(wrongFile, []byte("nope\n"), 0o600)
	pass := "pass:s3cret pw"
	for _, tc := range []struct {
		name string
		args []string // openssl command writing out.pem from key.pem
		ok   bool     // loads with the right password
		want string   // otherwise: fragment of the error with the right password
	}{
		{"genpkey style aes256", []string{"pkey", "-in", "key.pem", "-aes256", "-passout", pass}, true, ""},
		{"pkcs8 aes128 hmacWithSHA1", []string{"pkcs8", "-topk8", "-in", "key.pem", "-v2", "aes128", "-v2prf", "hmacWithSHA1", "-passout", pass}, true, ""},
		{"pkcs8 3des", []string{"pkcs8", "-topk8", "-in", "key.pem", "-v2", "des3", "-passout", pass}, true, ""},
		{"legacy PEM encryption", []string{"pkey", "-in", "key.pem", "-traditional", "-aes256", "-passout", pass}, true, ""},
		{"scrypt", []string{"pkcs8", "-topk8", "-in", "key.pem", "-scrypt", "-passout", pass}, false, "encrypted PKCS#8 key is not supported; decrypt it with `openssl pkey"},
		{"PKCS#12 PBE (v1)", []string{"pkcs8", "-topk8", "-in", "key.pem", "-v1", "PBE-SHA1-3DES", "-passout", pass}, false, "or use a PKCS#12 file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "_")+".pem")
			openssl(t, dir, append(tc.args, "-out", out)...)
			src := KeySource{Cert: certPath, Key: out, Names: map[string]string{"password_env": "--password-env", "password_file": "--password-file"}}

			_, err := src.Load()
			if err == nil || !strings.Contains(err.Error(), "is encrypted; give --password-env or --password-file") {
				t.Errorf("no password: %v", err)
			}
			if err != nil && strings.Contains(err.Error(), "failed to parse") {
				t.Errorf("unclear message: %v", err)
			}

			src.PasswordFile = wrongFile
			if _, err := src.Load(); tc.ok && !errors.Is(err, ErrBadKeyPassword) {
				t.Errorf("wrong password: %v, want %v", err, ErrBadKeyPassword)
			}

			src.PasswordFile = pwFile
			s, err := src.Load()
			if !tc.ok {
				if err == nil || !strings.Contains(err.Error(), tc.want) {
					t.Fatalf("Load = %v, want %q", err, tc.want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			path := signed(t, testPE, s)
			if r, err := Verify(path, VerifyOptions{Roots: rootsFromPEM(t, certPath)}); err != nil || !r.OK() {
				t.Fatalf("verify: %v %v", err, r.Problems)
			}
		})
	}
}

// TestPKCS12WithoutPasswordOption: a PKCS#12 file that needs a password,
// given without any password option, is reported as encrypted with the
// options to use, not as an incorrect password; one with an empty password
// loads without an option.
func TestPKCS12WithoutPasswordOption(t *testing.T) {
	pki := newTestPKI(t, "Test Root")
	s := pki.codeSigner(t)
	dir := t.TempDir()
	for _, pw := range []string{"s3cret", ""} {
		blob, err := pkcs12.Modern.Encode(s.Key, s.Chain[0], s.Chain[1:], pw)
		if err != nil {
			t.Fatal(err)
		}
		p12 := filepath.Join(dir, "cert"+pw+".p12")
		os.WriteFile(p12, blob, 0o600)
		_, err = KeySource{PKCS12: p12, Names: map[string]string{"password_env": "--password-env", "password_file": "--password-file"}}.Load()
		if pw == "" {
			if err != nil {
				t.Errorf("empty password: %v", err)
			}
			continue
		}
		want := "the PKCS#12 file " + p12 + " is encrypted; give --password-env or --password-file"
		if err == nil || !strings.Contains(err.Error(), want) || errors.Is(err, ErrBadPassword) {
			t.Errorf("no password option: %v, want %q", err, want)
		}
	}
}
