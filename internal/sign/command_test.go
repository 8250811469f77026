package sign

import (
	"bytes"
	"context"
	"crypto/x509"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/msiforge/msiforge/internal/execx"
)

// signScript writes a shell script standing for an external signer: body
// runs with $1 the file to sign and $CERT/$KEY a development key.
func signScript(t *testing.T, dir, body string) string {
	t.Helper()
	p := filepath.Join(dir, "sign.sh")
	if err := os.WriteFile(p, []byte("#!/bin/sh\nset -e\n"+body+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

// osslsignInPlace signs $1 with osslsigncode, which cannot write over its
// input, the way a wrapper around signtool or a cloud CLI would.
const osslsignInPlace = `osslsigncode sign -certs "$CERT" -key "$KEY" -h sha256 -in "$1" -out "$1.signed" >/dev/null
mv "$1.signed" "$1"`

func commandSigner(t *testing.T, body string) (*Command, string) {
	t.Helper()
	needTool(t, "osslsigncode")
	dir := t.TempDir()
	s, certPath := devSigner(t, dir)
	t.Setenv("CERT", certPath)
	t.Setenv("KEY", filepath.Join(dir, "key.pem"))
	c, err := NewCommand([]string{signScript(t, dir, body), ArtifactVar}, execx.OS{}, s.Chain[0])
	if err != nil {
		t.Fatal(err)
	}
	return c, certPath
}

func TestCommandSignsPEAndMSI(t *testing.T) {
	c, certPath := commandSigner(t, osslsignInPlace)
	for _, f := range []string{testPE(t), testMSI(t)} {
		before, err := ContentDigest(f)
		if err != nil {
			t.Fatal(err)
		}
		r, err := c.SignAndVerify(context.Background(), f)
		if err != nil {
			t.Fatalf("%s: %v", filepath.Base(f), err)
		}
		if !r.OK() || r.Subject != c.Cert.Subject.String() {
			t.Fatalf("%s: result %+v", filepath.Base(f), r)
		}
		after, err := ContentDigest(f)
		if err != nil || !bytes.Equal(before, after) {
			t.Fatalf("%s: content digest %x, was %x (%v)", filepath.Base(f), after, before, err)
		}
		osslVerify(t, f, "-CAfile", certPath)
		assertNoLeftovers(t, filepath.Dir(f))
	}
}

func TestCommandFailures(t *testing.T) {
	for _, tc := range []struct {
		name, body, want string
	}{
		{"unsigned", `exit 0`, "came back unsigned"},
		// Bytes appended before signing change what the signature covers.
		{"changed content", `printf 'tampered' >> "$1"` + "\n" + osslsignInPlace, "different Authenticode content digest"},
		{"exit status", `echo "token not present" >&2; exit 3`, "exited with status 3:\ntoken not present"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, _ := commandSigner(t, tc.body)
			f := testPE(t)
			orig, _ := os.ReadFile(f)
			_, err := c.SignAndVerify(context.Background(), f)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want it to say %q", err, tc.want)
			}
			if now, _ := os.ReadFile(f); !bytes.Equal(now, orig) {
				t.Fatal("the original file changed although signing failed")
			}
			assertNoLeftovers(t, filepath.Dir(f))
		})
	}
}

func TestCommandWrongSigner(t *testing.T) {
	c, _ := commandSigner(t, osslsignInPlace)
	// The command signs with the development key, but the config says
	// another certificate signs.
	other := newTestPKI(t, "Other Root")
	cert, _ := other.leaf(t, "Other Signer", time.Now().Add(-time.Hour), time.Now().Add(24*time.Hour), x509.ExtKeyUsageCodeSigning)
	c.Cert = cert
	c.Roots = nil
	f := testPE(t)
	if _, err := c.SignAndVerify(context.Background(), f); err == nil {
		t.Fatal("a file signed by another certificate was accepted")
	}
}

func TestCheckArgv(t *testing.T) {
	for _, argv := range [][]string{nil, {""}, {"signtool", "sign", "file.exe"}} {
		if err := CheckArgv(argv); err == nil {
			t.Errorf("CheckArgv(%q) accepted it", argv)
		}
	}
	if err := CheckArgv([]string{"signtool", "sign", "/fd", "sha256", ArtifactVar}); err != nil {
		t.Error(err)
	}
}

// assertNoLeftovers fails when signing left temporary files in dir.
func assertNoLeftovers(t *testing.T, dir string) {
	t.Helper()
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), ".") {
			t.Errorf("left behind: %s", e.Name())
		}
	}
}
