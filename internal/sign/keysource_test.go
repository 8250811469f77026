package sign_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/msiforge/msiforge/internal/execx"
	"github.com/msiforge/msiforge/internal/sign"
	"github.com/msiforge/msiforge/internal/testutil"
)

// verifyWithOpenSSL runs osslsigncode, the independent verifier.
func verifyWithOpenSSL(t *testing.T, path, caFile string) {
	t.Helper()
	testutil.NeedTool(t, "osslsigncode")
	res, err := (execx.OS{}).Run(context.Background(), execx.Cmd{Name: "osslsigncode", Args: []string{"verify", "-CAfile", caFile, "-in", path}})
	if err != nil || !strings.Contains(string(res.Stdout), "Succeeded") {
		t.Fatalf("osslsigncode verify %s: %v\n%s%s", filepath.Base(path), err, res.Stdout, res.Stderr)
	}
}

// samplePE writes a small PE image into a fresh directory.
func samplePE(t *testing.T) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "app.exe")
	if err := os.WriteFile(p, sign.MinimalPE(), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// signBoth signs a PE and an MSI through b and checks them with
// osslsigncode against caFile.
func signBoth(t *testing.T, b sign.Backend, caFile string) {
	t.Helper()
	for _, f := range []string{samplePE(t), sign.TestMSIFile(t)} {
		r, err := b.SignAndVerify(context.Background(), f)
		if err != nil {
			t.Fatalf("%s: %v", filepath.Base(f), err)
		}
		if !r.OK() {
			t.Fatalf("%s: %v", filepath.Base(f), r.Err())
		}
		verifyWithOpenSSL(t, f, caFile)
	}
}

// unchanged asserts path still has the bytes it had.
func unchanged(t *testing.T, path string, before []byte) {
	t.Helper()
	if now, _ := os.ReadFile(path); !bytes.Equal(now, before) {
		t.Errorf("%s changed although signing failed", path)
	}
}
