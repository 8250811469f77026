package release_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/msiforge/msiforge/internal/execx"
	"github.com/msiforge/msiforge/internal/release"
	"github.com/msiforge/msiforge/internal/sign"
	"github.com/msiforge/msiforge/internal/testutil"
)

// TestSignedRelease builds the x64 console MSI and EXE with a development
// certificate and the real sample console as payload, and checks the
// signing order with independent tools: the payload PE inside the MSI is
// signed, the MSI is signed, the EXE around it is signed, and osslsigncode
// accepts each one.
func TestSignedRelease(t *testing.T) {
	testutil.NeedTool(t, "wixl", "msibuild", "makensis", "osslsigncode", "msiextract", "go")
	ctx := context.Background()
	c := testutil.LoadExample(t, "x64")
	// A real PE as the payload, so there is something to sign inside the MSI.
	exe := c.Path("build/x64/ExampleConsole.exe")
	if err := os.Remove(exe); err != nil { // the placeholder
		t.Fatal(err)
	}
	if _, err := (execx.OS{}).Run(ctx, execx.Cmd{Name: "go", Args: []string{"build", "-o", exe, "./examples/console/console"},
		Dir: testutil.RepoRoot(t), Env: []string{"GOOS=windows", "GOARCH=amd64", "CGO_ENABLED=0"}}); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certPEM, keyPEM, err := sign.NewDevCert("msiforge release test", time.Now().Add(24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	certPath, keyPath := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certPath, certPEM, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyPath, keyPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := sign.LoadPEM(certPath, keyPath)
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "dist")
	arts, err := release.Build(ctx, execx.OS{}, c, release.Options{OutDir: out, Signer: release.NewSigner(s), SignPayload: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(arts) != 2 {
		t.Fatalf("built %d artifacts, want the MSI and the EXE", len(arts))
	}
	for _, a := range arts {
		if a.Signature != nil && a.Signature.Untrusted != "self-signed development certificate" {
			t.Errorf("%s: signature by a development certificate marked untrusted %q", a.Path, a.Signature.Untrusted)
		}
		if a.Signature == nil || a.Signature.Subject != "CN=msiforge release test" {
			t.Errorf("%s: signature %+v", a.Path, a.Signature)
		}
		res, err := (execx.OS{}).Run(ctx, execx.Cmd{Name: "osslsigncode", Args: []string{"verify", "-CAfile", certPath, "-in", a.Path}})
		if err != nil || !strings.Contains(string(res.Stdout), "Succeeded") {
			t.Errorf("osslsigncode verify %s: %v\n%s", filepath.Base(a.Path), err, res.Stdout)
		}
	}
	// The payload inside the MSI was signed before it was packaged.
	x := filepath.Join(dir, "extracted")
	if _, err := (execx.OS{}).Run(ctx, execx.Cmd{Name: "msiextract", Args: []string{"-C", x, arts[0].Path}}); err != nil {
		t.Fatal(err)
	}
	var payload string
	_ = filepath.Walk(x, func(p string, fi os.FileInfo, err error) error {
		if err == nil && fi.Name() == "ExampleConsole.exe" {
			payload = p
		}
		return nil
	})
	r, err := sign.Verify(payload, sign.VerifyOptions{Roots: s.BuildRoots()})
	if err != nil || !r.OK() {
		t.Errorf("payload in the MSI: %v %+v", err, r.Problems)
	}
	// The original payload is untouched: only the staged copy is signed.
	r, err = sign.Verify(exe, sign.VerifyOptions{Roots: s.BuildRoots()})
	if err != nil || r.Signed {
		t.Errorf("the build signed the caller's payload file in place (signed %v, err %v)", r.Signed, err)
	}
}
