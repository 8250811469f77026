package sign

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/msiforge/msiforge/internal/execx"
)

// osslSign signs in with osslsigncode using digest alg (sha1, sha256) and
// returns the signed copy.
func osslSign(t *testing.T, in, alg, certPath, keyPath string) string {
	t.Helper()
	needTool(t, "osslsigncode")
	out := filepath.Join(t.TempDir(), "ossl-"+alg+filepath.Ext(in))
	args := []string{"sign", "-h", alg, "-certs", certPath, "-key", keyPath, "-in", in, "-out", out}
	if strings.HasSuffix(in, ".msi") {
		args = append(args, "-add-msi-dse")
	}
	if res, err := (execx.OS{}).Run(context.Background(), execx.Cmd{Name: "osslsigncode", Args: args}); err != nil {
		t.Fatalf("osslsigncode sign -h %s: %v\n%s%s", alg, err, res.Stdout, res.Stderr)
	}
	return out
}

// TestVerifySHA1Only: a file signed by osslsigncode with -h sha1 (and a
// good certificate) is a failure of its own kind; the same file signed
// with -h sha256 verifies, so the digest algorithm is what fails.
func TestVerifySHA1Only(t *testing.T) {
	dir := t.TempDir()
	_, certPath := devSigner(t, dir)
	keyPath := filepath.Join(dir, "key.pem")
	roots := rootsFromPEM(t, certPath)
	for _, ft := range []struct {
		name string
		file func(*testing.T) string
	}{{"pe", testPE}, {"msi", testMSI}} {
		t.Run(ft.name, func(t *testing.T) {
			in := ft.file(t)
			r, err := Verify(osslSign(t, in, "sha256", certPath, keyPath), VerifyOptions{Roots: roots})
			if err != nil {
				t.Fatal(err)
			}
			if !r.OK() || strings.Join(r.Digests, ",") != "SHA-256" {
				t.Fatalf("sha256 control: digests %v, problems %v", r.Digests, r.Problems)
			}
			r, err = Verify(osslSign(t, in, "sha1", certPath, keyPath), VerifyOptions{Roots: roots})
			if err != nil {
				t.Fatal(err)
			}
			wantOnly(t, r, ErrWeakDigest)
			if !r.DigestOK || !r.ChainOK || strings.Join(r.Digests, ",") != "SHA-1" {
				t.Errorf("digest %v chain %v digests %v", r.DigestOK, r.ChainOK, r.Digests)
			}
			if !strings.Contains(r.Err().Error(), "digest algorithms [SHA-1]; allowed: SHA-256") {
				t.Errorf("message: %v", r.Err())
			}
		})
	}
}

// TestVerifyAppendedData: bytes appended after a signed PE's certificate
// table or after a signed MSI's compound file are reported by offset and
// length, as the only problem (the signature over the content before them
// still verifies). Files signed by relic and by
// osslsigncode, untouched, have no such problem (see TestVerifySHA1Only's
// sha256 control and TestRoundTrip).
func TestVerifyAppendedData(t *testing.T) {
	pki := newTestPKI(t, "Test Root")
	for _, ft := range []struct {
		name string
		file func(*testing.T) string
		n    int
		what string
	}{
		{"pe", testPE, 100, "after the PE certificate table"},
		{"msi", testMSI, 4096, "after the last sector of the compound file"},
		{"msi short tail", testMSI, 7, "after the last sector of the compound file"},
	} {
		t.Run(ft.name, func(t *testing.T) {
			path := signed(t, ft.file, pki.codeSigner(t))
			r, err := Verify(path, VerifyOptions{Roots: pki.pool()})
			if err != nil || !r.OK() {
				t.Fatalf("before appending: %v %v", err, r.Problems)
			}
			fi, _ := os.Stat(path)
			f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
			if err != nil {
				t.Fatal(err)
			}
			f.Write([]byte(strings.Repeat("X", ft.n)))
			f.Close()
			r, err = Verify(path, VerifyOptions{Roots: pki.pool()})
			if err != nil {
				t.Fatal(err)
			}
			wantOnly(t, r, ErrAppendedData)
			want := fmt.Sprintf("%d bytes at offset %d (0x%X), %s", ft.n, fi.Size(), fi.Size(), ft.what)
			if !strings.Contains(r.Problems[0].Error(), want) {
				t.Errorf("problem %q lacks %q", r.Problems[0].Error(), want)
			}
			if !r.DigestOK || !r.ChainOK {
				t.Errorf("the signature itself should still verify: %+v", r)
			}
		})
	}
}
