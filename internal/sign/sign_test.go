package sign

import (
	"bytes"
	"context"
	"crypto/x509"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sassoftware/relic/v8/lib/authenticode"
	"github.com/sassoftware/relic/v8/lib/comdoc"

	"github.com/msiforge/msiforge/internal/execx"
)

// osslVerify runs the independent verifier on a signed file.
func osslVerify(t *testing.T, path string, extra ...string) {
	t.Helper()
	needTool(t, "osslsigncode")
	args := append([]string{"verify"}, extra...)
	args = append(args, "-in", path)
	res, err := execx.OS{}.Run(context.Background(), execx.Cmd{Name: "osslsigncode", Args: args})
	out := string(res.Stdout) + string(res.Stderr)
	if err != nil {
		t.Fatalf("osslsigncode verify %s: %v\n%s", filepath.Base(path), err, out)
	}
	if !strings.Contains(out, "Succeeded") {
		t.Fatalf("osslsigncode verify did not succeed:\n%s", out)
	}
}

var (
	devOnce         sync.Once
	devCert, devKey []byte
	devErr          error
)

// devSigner makes a DevCert, writes it to dir and loads it back with LoadPEM.
// RSA key generation takes up to a second, so the test binary makes one.
func devSigner(t *testing.T, dir string) (*Signer, string) {
	t.Helper()
	devOnce.Do(func() {
		devCert, devKey, devErr = NewDevCert("Test Code Signing", time.Now().Add(24*time.Hour))
	})
	certPEM, keyPEM, err := devCert, devKey, devErr
	if err != nil {
		t.Fatal(err)
	}
	certPath, keyPath := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	os.WriteFile(certPath, certPEM, 0o644)
	os.WriteFile(keyPath, keyPEM, 0o600)
	s, err := LoadPEM(certPath, keyPath)
	if err != nil {
		t.Fatal(err)
	}
	return s, certPath
}

func rootsFromPEM(t *testing.T, path string) *x509.CertPool {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(b) {
		t.Fatal("no certificates in " + path)
	}
	return pool
}

func TestRoundTrip(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name       string
		file       func(*testing.T) string
		pageHashes bool
	}{
		{"pe", testPE, false},
		{"pe-pagehashes", testPE, true},
		{"msi", testMSI, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := tc.file(t)
			s, certPath := devSigner(t, t.TempDir())
			s.PageHashes = tc.pageHashes
			s.Description, s.URL = "Sign Test", "https://example.invalid/"
			if err := s.SignFile(ctx, path); err != nil {
				t.Fatal(err)
			}
			r, err := Verify(path, VerifyOptions{Roots: rootsFromPEM(t, certPath)})
			if err != nil {
				t.Fatal(err)
			}
			if !r.OK() || !r.Signed || !r.DigestOK || !r.ChainOK || !r.CodeSigningEKU {
				t.Fatalf("verify: %+v", r)
			}
			if r.Subject != "CN=Test Code Signing" || r.Timestamp != nil {
				t.Errorf("subject %q, timestamp %v", r.Subject, r.Timestamp)
			}
			if r.PageHashes != tc.pageHashes {
				t.Errorf("PageHashes = %v, want %v", r.PageHashes, tc.pageHashes)
			}
			osslVerify(t, path, "-CAfile", certPath)
			// No temporary file is left next to the output.
			entries, _ := os.ReadDir(filepath.Dir(path))
			if len(entries) != 1 {
				t.Errorf("directory holds %d entries, want only the signed file", len(entries))
			}
		})
	}
}

// The PE checksum is adjusted instead of recomputed; relic's full
// recomputation must agree byte for byte.
func TestPEChecksumMatchesRelic(t *testing.T) {
	for _, trailer := range []int{0, 1, 2, 7, 4096} {
		dir := t.TempDir()
		path := filepath.Join(dir, "c.exe")
		makePE(t, path, 64<<10+3, trailer)
		pki := newTestPKI(t, "Test Root")
		s := pki.codeSigner(t)
		for round := 0; round < 2; round++ { // the second round replaces a signature
			if err := s.SignFile(context.Background(), path); err != nil {
				t.Fatal(err)
			}
			ours, _ := os.ReadFile(path)
			f, err := os.OpenFile(path, os.O_RDWR, 0)
			if err != nil {
				t.Fatal(err)
			}
			if err := authenticode.FixPEChecksum(f); err != nil {
				t.Fatal(err)
			}
			f.Close()
			theirs, _ := os.ReadFile(path)
			if !bytes.Equal(ours, theirs) {
				t.Fatalf("trailer %d round %d: checksum %x, relic computes %x", trailer, round, ours[0x40+88:0x40+92], theirs[0x40+88:0x40+92])
			}
		}
	}
}

func TestResignReplacesSignature(t *testing.T) {
	ctx := context.Background()
	for _, file := range []func(*testing.T) string{testPE, testMSI} {
		path := file(t)
		pki := newTestPKI(t, "Test Root")
		s1, s2 := pki.codeSigner(t), pki.codeSigner(t)
		if err := s1.SignFile(ctx, path); err != nil {
			t.Fatal(err)
		}
		if err := s2.SignFile(ctx, path); err != nil {
			t.Fatal(err)
		}
		r, err := Verify(path, VerifyOptions{Roots: pki.pool()})
		if err != nil || !r.OK() {
			t.Fatalf("verify after re-signing: %v %+v", err, r.Problems)
		}
	}
}

// With RSA (PKCS#1 v1.5, deterministic) and no timestamp, signing is
// reproducible. ECDSA signatures are randomized by design, so they are not.
func TestDeterministicWithoutTimestamp(t *testing.T) {
	ctx := context.Background()
	s, _ := devSigner(t, t.TempDir())
	var firsts, seconds []string
	for _, file := range []func(*testing.T) string{testPE, testMSI} {
		a := file(t)
		firsts = append(firsts, a)
		seconds = append(seconds, copyTo(t, a, a+".copy"))
		if err := s.SignFile(ctx, a); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(1100 * time.Millisecond) // a signing time, if any, would now differ
	for i, a := range firsts {
		b := seconds[i]
		if err := s.SignFileTo(ctx, b, b+".signed"); err != nil {
			t.Fatal(err)
		}
		x, _ := os.ReadFile(a)
		y, _ := os.ReadFile(b + ".signed")
		if !bytes.Equal(x, y) {
			t.Fatalf("%s: two signings differ", filepath.Base(a))
		}
		orig, _ := os.ReadFile(b)
		if bytes.Equal(orig, y) {
			t.Fatal("SignFileTo signed its input instead of the output")
		}
	}
}

// signed returns a file of the given kind signed by a fresh code-signing
// certificate under pki.
func signed(t *testing.T, file func(*testing.T) string, s *Signer) string {
	t.Helper()
	path := file(t)
	if err := s.SignFile(context.Background(), path); err != nil {
		t.Fatal(err)
	}
	return path
}

func flipByte(t *testing.T, path string, off int64) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var b [1]byte
	f.ReadAt(b[:], off)
	b[0] ^= 0x40
	if _, err := f.WriteAt(b[:], off); err != nil {
		t.Fatal(err)
	}
}

// msiStreamOffset finds a file offset inside the data of an MSI's largest
// stream (the embedded cabinet), so flipping it changes signed content.
func msiStreamOffset(t *testing.T, path string) int64 {
	t.Helper()
	cdf, err := comdoc.ReadPath(path)
	if err != nil {
		t.Fatal(err)
	}
	defer cdf.Close()
	ents, err := cdf.ListDir(nil)
	if err != nil {
		t.Fatal(err)
	}
	var big *comdoc.DirEnt
	for _, e := range ents {
		if e.Type == comdoc.DirStream && (big == nil || e.StreamSize > big.StreamSize) {
			big = e
		}
	}
	if big == nil || big.StreamSize < cdf.Header.MinStdStreamSize {
		t.Fatal("no large stream in the test MSI")
	}
	return cdf.FirstSector + int64(big.NextSector)*int64(cdf.SectorSize) + 100
}

func TestRejections(t *testing.T) {
	pki := newTestPKI(t, "Test Root")
	now := time.Now()
	kinds := map[string]error{}
	messages := map[string]string{}
	check := func(t *testing.T, name, path string, opts VerifyOptions, kind error) {
		t.Helper()
		r, err := Verify(path, opts)
		if err != nil {
			t.Fatal(err)
		}
		wantOnly(t, r, kind)
		kinds[name] = kind
		messages[name] = r.Problems[0].Kind.Error()
	}
	for _, ft := range []struct {
		name string
		file func(*testing.T) string
	}{{"pe", testPE}, {"msi", testMSI}} {
		t.Run(ft.name, func(t *testing.T) {
			t.Run("flipped byte", func(t *testing.T) {
				path := signed(t, ft.file, pki.codeSigner(t))
				if ft.name == "pe" {
					flipByte(t, path, 0x200+5000) // inside .text
				} else {
					flipByte(t, path, msiStreamOffset(t, path))
				}
				check(t, "tampered", path, VerifyOptions{Roots: pki.pool()}, ErrDigestMismatch)
			})
			t.Run("expired without timestamp", func(t *testing.T) {
				// The identity rules refuse to sign with it; the fixture needs AllowWeak.
				cert, key := pki.leaf(t, "Expired", now.Add(-48*time.Hour), now.Add(-24*time.Hour), x509.ExtKeyUsageCodeSigning)
				path := signed(t, ft.file, &Signer{Key: key, Chain: []*x509.Certificate{cert}, AllowWeak: true})
				check(t, "expired", path, VerifyOptions{Roots: pki.pool()}, ErrCertExpired)
			})
			t.Run("no code-signing EKU", func(t *testing.T) {
				cert, key := pki.leaf(t, "Web Server", now.Add(-time.Hour), now.Add(time.Hour), x509.ExtKeyUsageServerAuth)
				path := signed(t, ft.file, &Signer{Key: key, Chain: []*x509.Certificate{cert}, AllowWeak: true})
				check(t, "eku", path, VerifyOptions{Roots: pki.pool()}, ErrNoCodeSigningEKU)
			})
			t.Run("untrusted root", func(t *testing.T) {
				path := signed(t, ft.file, pki.codeSigner(t))
				other := newTestPKI(t, "Other Root")
				check(t, "untrusted", path, VerifyOptions{Roots: other.pool()}, ErrUntrusted)
			})
			t.Run("unsigned", func(t *testing.T) {
				path := ft.file(t)
				r, err := Verify(path, VerifyOptions{Roots: pki.pool()})
				if err != nil {
					t.Fatal(err)
				}
				if r.Signed {
					t.Error("unsigned file reported as signed")
				}
				check(t, "unsigned", path, VerifyOptions{Roots: pki.pool()}, ErrNotSigned)
			})
			t.Run("truncated signature", func(t *testing.T) {
				path := signed(t, ft.file, pki.codeSigner(t))
				if ft.name == "pe" {
					// The certificate table is last; cut into it.
					fi, _ := os.Stat(path)
					os.Truncate(path, fi.Size()-200)
				} else {
					truncateMSISignature(t, path)
				}
				check(t, "truncated", path, VerifyOptions{Roots: pki.pool()}, ErrBadSignature)
			})
		})
	}
	// Every failure has its own kind and message.
	distinct := map[string]bool{}
	for _, msg := range messages {
		distinct[msg] = true
	}
	if !t.Failed() && (len(messages) != 6 || len(distinct) != 6) {
		t.Errorf("want 6 cases with distinct messages, got %d cases, %d messages: %v", len(messages), len(distinct), messages)
	}
}

func truncateMSISignature(t *testing.T, path string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cdf, err := comdoc.WriteFile(f)
	if err != nil {
		t.Fatal(err)
	}
	ents, _ := cdf.ListDir(nil)
	for _, e := range ents {
		if e.Name() == "\x05DigitalSignature" {
			r, _ := cdf.ReadStream(e)
			buf := make([]byte, e.StreamSize)
			if _, err := r.Read(buf); err != nil {
				t.Fatal(err)
			}
			if err := cdf.AddFile("\x05DigitalSignature", buf[:len(buf)/2]); err != nil {
				t.Fatal(err)
			}
			if err := cdf.Close(); err != nil {
				t.Fatal(err)
			}
			return
		}
	}
	t.Fatal("no DigitalSignature stream")
}

func TestKeyMismatch(t *testing.T) {
	pki := newTestPKI(t, "Test Root")
	good := pki.codeSigner(t)
	other := newKey(t)
	dir := t.TempDir()

	// At load time.
	certPath, keyPath := filepath.Join(dir, "c.pem"), filepath.Join(dir, "k.pem")
	writePEM(t, certPath, "CERTIFICATE", good.Chain[0].Raw)
	der, _ := x509.MarshalPKCS8PrivateKey(other)
	writePEM(t, keyPath, "PRIVATE KEY", der)
	if _, err := LoadPEM(certPath, keyPath); !errors.Is(err, ErrKeyMismatch) {
		t.Fatalf("LoadPEM: %v, want %v", err, ErrKeyMismatch)
	}

	// At sign time, with a signer built by hand (a KMS key, say); the file
	// is left untouched.
	path := testPE(t)
	before, _ := os.ReadFile(path)
	s := &Signer{Key: other, Chain: good.Chain}
	if err := s.SignFile(context.Background(), path); !errors.Is(err, ErrKeyMismatch) {
		t.Fatalf("SignFile: %v, want %v", err, ErrKeyMismatch)
	}
	after, _ := os.ReadFile(path)
	if !bytes.Equal(before, after) {
		t.Fatal("file changed by a failed signing")
	}
}

func TestSignFailureLeavesFileAlone(t *testing.T) {
	pki := newTestPKI(t, "Test Root")
	s := pki.codeSigner(t)
	s.Timestamper = &Timestamper{URLs: []string{"http://127.0.0.1:1/"}, Attempts: 1}
	for _, file := range []func(*testing.T) string{testPE, testMSI} {
		path := file(t)
		before, _ := os.ReadFile(path)
		err := s.SignFile(context.Background(), path)
		var tsErr *TimestampError
		if !errors.As(err, &tsErr) {
			t.Fatalf("SignFile: %v, want a TimestampError", err)
		}
		after, _ := os.ReadFile(path)
		if !bytes.Equal(before, after) {
			t.Fatal("file changed by a failed signing")
		}
		entries, _ := os.ReadDir(filepath.Dir(path))
		if len(entries) != 1 {
			t.Fatalf("%d entries left in the directory, want 1", len(entries))
		}
	}
}

func TestUnknownFormat(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.txt")
	os.WriteFile(path, []byte("hello, not a PE"), 0o644)
	pki := newTestPKI(t, "Test Root")
	if err := pki.codeSigner(t).SignFile(context.Background(), path); !errors.Is(err, ErrUnknownFormat) {
		t.Errorf("SignFile: %v", err)
	}
	if _, err := Verify(path, VerifyOptions{}); !errors.Is(err, ErrUnknownFormat) {
		t.Errorf("Verify: %v", err)
	}
}

func TestSignThroughSymlink(t *testing.T) {
	target := testPE(t)
	link := filepath.Join(t.TempDir(), "link.exe")
	if err := os.Symlink(target, link); err != nil {
		t.Skip(err)
	}
	pki := newTestPKI(t, "Test Root")
	if err := pki.codeSigner(t).SignFile(context.Background(), link); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Fatalf("the link was replaced: %v", err)
	}
	if r, err := Verify(target, VerifyOptions{Roots: pki.pool()}); err != nil || !r.OK() {
		t.Fatalf("target not signed: %v %v", err, r.Problems)
	}
}
