package release_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/msiforge/msiforge/internal/execx"
	"github.com/msiforge/msiforge/internal/release"
	"github.com/msiforge/msiforge/internal/sign"
	"github.com/msiforge/msiforge/internal/testutil"
)

// The example release, signed through each key source that is not a key
// file: the order (payload PE, MSI, EXE) and the checks are the same.

func TestSignedReleasePKCS11(t *testing.T) {
	testutil.NeedPKCS11(t, sign.PKCS11Available)
	h := testutil.NewSoftHSM(t, "release-pin-1234")
	t.Setenv("RELEASE_TEST_PIN", h.PIN)
	k := sign.KeySource{PKCS11: sign.PKCS11Config{Module: h.Module, Token: h.Token, KeyLabel: h.Label, PinEnv: "RELEASE_TEST_PIN"}}
	b, err := k.Open(context.Background(), execx.OS{}, os.Getenv)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	checkSignedRelease(t, release.Signer{B: b}, h.Key.CertPath, "CN=msiforge PKCS#11 test")
}

func TestSignedReleaseRemote(t *testing.T) {
	srv := testutil.StartRelic(t)
	k := sign.KeySource{Remote: sign.RemoteConfig{Key: srv.Key}}
	// Everything but the key's name from relic's own environment variables.
	env := map[string]string{"RELIC_URL": srv.URL, "RELIC_CACERT": srv.ServerCert, "RELIC_CLIENT_CERT": srv.ClientCert, "RELIC_CLIENT_KEY": srv.ClientKey}
	b, err := k.Open(context.Background(), execx.OS{}, func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	checkSignedRelease(t, release.Signer{B: b}, srv.Signing.CertPath, "CN=msiforge remote test")
}

func TestSignedReleaseCommand(t *testing.T) {
	testutil.NeedTool(t, "osslsigncode")
	dir := t.TempDir()
	key := testutil.NewDevKey(t, dir, "msiforge command test")
	script := filepath.Join(dir, "sign.sh")
	// osslsigncode cannot overwrite its input: sign to a copy, move it back.
	body := "#!/bin/sh\nset -e\nosslsigncode sign -certs " + key.CertPath + " -key " + key.KeyPath +
		" -h sha256 -in \"$1\" -out \"$1.signed\" >/dev/null\nmv \"$1.signed\" \"$1\"\n"
	if err := os.WriteFile(script, []byte(body), 0o755); err != nil {
		t.Fatal(err)
	}
	k := sign.KeySource{Cert: key.CertPath, Command: []string{script, sign.ArtifactVar}}
	b, err := k.Open(context.Background(), execx.OS{}, os.Getenv)
	if err != nil {
		t.Fatal(err)
	}
	checkSignedRelease(t, release.Signer{B: b}, key.CertPath, "CN=msiforge command test")
}
