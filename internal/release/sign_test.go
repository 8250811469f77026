package release_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
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
	checkSignedRelease(t, release.NewSigner(s), certPath, "CN=msiforge release test")
}

var (
	consoleOnce sync.Once
	consoleExe  string
	consoleErr  error
)

// realConsole cross-compiles the sample console once per test binary.
func realConsole(t *testing.T) string {
	t.Helper()
	consoleOnce.Do(func() {
		dir, err := os.MkdirTemp("", "msiforge-console-")
		if err != nil {
			consoleErr = err
			return
		}
		consoleExe = filepath.Join(dir, "ExampleConsole.exe")
		_, consoleErr = (execx.OS{}).Run(context.Background(), execx.Cmd{Name: "go", Args: []string{"build", "-o", consoleExe, "./examples/console/console"},
			Dir: testutil.RepoRoot(t), Env: []string{"GOOS=windows", "GOARCH=amd64", "CGO_ENABLED=0"}})
	})
	if consoleErr != nil {
		t.Fatal(consoleErr)
	}
	return consoleExe
}

// checkSignedRelease builds the x64 release with signer and checks that
// the payload PE inside the MSI, the MSI and the EXE are signed by subject
// and that osslsigncode accepts the MSI and the EXE with caFile.
func checkSignedRelease(t *testing.T, signer release.Signer, caFile, subject string) {
	t.Helper()
	testutil.NeedTool(t, "wixl", "msibuild", "makensis", "osslsigncode", "msiextract", "go")
	ctx := context.Background()
	c := testutil.LoadExample(t, "x64")
	// A real PE as the payload, so there is something to sign inside the MSI.
	exe := c.Path("build/x64/ExampleConsole.exe")
	b, err := os.ReadFile(realConsole(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(exe, b, 0o644); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	out := filepath.Join(dir, "dist")
	arts, err := release.Build(ctx, execx.OS{}, c, release.Options{OutDir: out, Signer: signer, SignPayload: true})
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
		if a.Signature == nil || a.Signature.Subject != subject {
			t.Errorf("%s: signature %+v", a.Path, a.Signature)
		}
		res, err := (execx.OS{}).Run(ctx, execx.Cmd{Name: "osslsigncode", Args: []string{"verify", "-CAfile", caFile, "-in", a.Path}})
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
	roots, err := sign.LoadRoots(caFile)
	if err != nil {
		t.Fatal(err)
	}
	r, err := sign.Verify(payload, sign.VerifyOptions{Roots: roots})
	if err != nil || !r.OK() || r.Subject != subject {
		t.Errorf("payload in the MSI: %v %+v %q", err, r.Problems, r.Subject)
	}
	// The original payload is untouched: only the staged copy is signed.
	r, err = sign.Verify(exe, sign.VerifyOptions{Roots: roots})
	if err != nil || r.Signed {
		t.Errorf("the build signed the caller's payload file in place (signed %v, err %v)", r.Signed, err)
	}
}
