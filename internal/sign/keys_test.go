package sign

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"software.sslmate.com/src/go-pkcs12"
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
