//go:build cgo

package sign_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/msiforge/msiforge/internal/execx"
	"github.com/msiforge/msiforge/internal/sign"
	"github.com/msiforge/msiforge/internal/testutil"
)

func TestPKCS11SoftHSM(t *testing.T) {
	h := testutil.NewSoftHSM(t, "4711-pin")
	t.Setenv("TEST_TOKEN_PIN", h.PIN)
	pinFile := filepath.Join(t.TempDir(), "pin")
	if err := os.WriteFile(pinFile, []byte(h.PIN+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		src  sign.KeySource
	}{
		// The certificate from the token, the key by label.
		{"label, cert on token", sign.KeySource{PKCS11: sign.PKCS11Config{Module: h.Module, Token: h.Token, KeyLabel: h.Label, PinEnv: "TEST_TOKEN_PIN"}}},
		// The certificate from a file, the key by id, the PIN in a file.
		{"id, cert file", sign.KeySource{Cert: h.Key.CertPath, PKCS11: sign.PKCS11Config{Module: h.Module, Token: h.Token, KeyID: h.ID, PinFile: pinFile}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, err := tc.src.Open(context.Background(), execx.OS{}, os.Getenv)
			if err != nil {
				t.Fatal(err)
			}
			defer b.Close()
			if b.Kind() != "pkcs11" {
				t.Errorf("kind %q", b.Kind())
			}
			signBoth(t, b, h.Key.CertPath)
		})
	}
}

func TestPKCS11Errors(t *testing.T) {
	h := testutil.NewSoftHSM(t, "4711-pin")
	t.Setenv("TEST_TOKEN_PIN", h.PIN)
	t.Setenv("WRONG_PIN", "0000-wrong")
	ok := sign.PKCS11Config{Module: h.Module, Token: h.Token, KeyLabel: h.Label, PinEnv: "TEST_TOKEN_PIN"}
	for _, tc := range []struct {
		name string
		edit func(*sign.PKCS11Config)
		want string
	}{
		{"wrong PIN", func(c *sign.PKCS11Config) { c.PinEnv = "WRONG_PIN" }, `token "msiforge-test": wrong PIN (from pin_env WRONG_PIN)`},
		{"missing key label", func(c *sign.PKCS11Config) { c.KeyLabel = "nope" }, `no private key labelled "nope" (key_label) on token "msiforge-test"`},
		{"missing module", func(c *sign.PKCS11Config) { c.Module = "/nonexistent/libpkcs11.so" }, "module /nonexistent/libpkcs11.so: no such file"},
		{"not a module", func(c *sign.PKCS11Config) { c.Module = "/etc/hostname" }, "module /etc/hostname: cannot load it as a PKCS#11 module"},
		{"unknown token", func(c *sign.PKCS11Config) { c.Token = "other" }, `no token labelled "other" (token)`},
		{"PIN variable unset", func(c *sign.PKCS11Config) { c.PinEnv = "NO_SUCH_PIN_VAR" }, "environment variable NO_SUCH_PIN_VAR is not set"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := ok
			tc.edit(&c)
			f := samplePE(t)
			before, _ := os.ReadFile(f)
			b, err := sign.KeySource{PKCS11: c}.Open(context.Background(), execx.OS{}, os.Getenv)
			if err == nil {
				b.Close()
				t.Fatal("opened")
			}
			t.Log(err)
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q\nwant it to contain %q", err, tc.want)
			}
			if strings.Contains(err.Error(), h.PIN) || strings.Contains(err.Error(), "0000-wrong") {
				t.Errorf("the error shows the PIN: %v", err)
			}
			unchanged(t, f, before)
		})
	}
}
