//go:build unix

package hostile

import (
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"software.sslmate.com/src/go-pkcs12"

	"github.com/msiforge/msiforge/internal/sign"
)

// ioTimeout bounds every case below: each used to block forever (a FIFO)
// or read until the kernel killed msiforge (/dev/zero), and must now fail
// at once.
const ioTimeout = 10 * time.Second

// fifo makes a FIFO named name in dir, with no writer.
func fifo(t *testing.T, dir, name string) string {
	t.Helper()
	if err := syscall.Mkfifo(filepath.Join(dir, name), 0o600); err != nil {
		t.Fatal(err)
	}
	return name
}

// devCert writes a throwaway code-signing certificate and key as
// dir/cert.pem and dir/key.pem, and the same as dir/cert.p12 with the
// password "pw".
func devCert(t *testing.T, dir string) {
	t.Helper()
	certPEM, keyPEM, err := sign.NewDevCert("CN=msiforge hostile test", time.Now().Add(24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	cb, _ := pem.Decode(certPEM)
	kb, _ := pem.Decode(keyPEM)
	if cb == nil || kb == nil {
		t.Fatal("NewDevCert: no PEM")
	}
	cert, err := x509.ParseCertificate(cb.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	key, err := x509.ParsePKCS8PrivateKey(kb.Bytes)
	if err != nil {
		if key, err = x509.ParsePKCS1PrivateKey(kb.Bytes); err != nil {
			t.Fatal(err)
		}
	}
	p12, err := pkcs12.Modern.Encode(key, cert, nil, "pw")
	if err != nil {
		t.Fatal(err)
	}
	for name, b := range map[string][]byte{"cert.pem": certPEM, "key.pem": keyPEM, "cert.p12": p12} {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

// TestIO: files that are not regular files, or too large, wherever
// msiforge reads a file the user names.
func TestIO(t *testing.T) {
	const isFIFO = "fifo is a FIFO (named pipe), not a regular file"
	const isDevZero = "/dev/zero is a character device, not a regular file"
	Run(t, []Case{
		{
			Name:    "-f FIFO",
			Setup:   func(t *testing.T, dir string) []string { return []string{"build", "-f", fifo(t, dir, "fifo")} },
			Code:    1,
			Stderr:  []string{"msiforge: read config: " + isFIFO},
			Out:     []string{},
			Timeout: ioTimeout,
		},
		{
			Name:    "-f /dev/zero",
			Setup:   func(t *testing.T, dir string) []string { return []string{"build", "-f", "/dev/zero"} },
			Code:    1,
			Stderr:  []string{"msiforge: read config: " + isDevZero},
			Out:     []string{},
			Timeout: ioTimeout,
		},
		{
			Name: "-f sparse 4 GiB file",
			Setup: func(t *testing.T, dir string) []string {
				p := filepath.Join(dir, "huge.yaml")
				if err := os.WriteFile(p, nil, 0o644); err != nil {
					t.Fatal(err)
				}
				if err := os.Truncate(p, 4<<30); err != nil {
					t.Fatal(err)
				}
				return []string{"render", "-f", "huge.yaml", "-o", "out"}
			},
			Code:    1,
			Stderr:  []string{"msiforge: read config: huge.yaml is larger than 1 MiB, the limit for this kind of file"},
			Out:     []string{},
			Timeout: ioTimeout,
		},
		{
			Name:    "-f directory",
			Setup:   func(t *testing.T, dir string) []string { return []string{"build", "-f", "example"} },
			Code:    1,
			Stderr:  []string{"msiforge: read config: example is a directory, not a regular file"},
			Out:     []string{},
			Timeout: ioTimeout,
		},
		{
			Name:    "inspect FIFO",
			Setup:   func(t *testing.T, dir string) []string { return []string{"inspect", fifo(t, dir, "fifo")} },
			Code:    1,
			Stderr:  []string{isFIFO},
			Out:     []string{},
			Timeout: ioTimeout,
		},
		{
			Name:    "verify FIFO",
			Setup:   func(t *testing.T, dir string) []string { return []string{"verify", fifo(t, dir, "fifo")} },
			Code:    1,
			Stderr:  []string{isFIFO},
			Out:     []string{},
			Timeout: ioTimeout,
		},
		{
			Name: "sign FIFO",
			Setup: func(t *testing.T, dir string) []string {
				devCert(t, dir)
				return []string{"sign", "--cert", "cert.pem", "--key", "key.pem", fifo(t, dir, "fifo")}
			},
			Code:    1,
			Stderr:  []string{isFIFO},
			Out:     []string{},
			Timeout: ioTimeout,
		},
		{
			Name:    "matrix --check FIFO",
			Setup:   func(t *testing.T, dir string) []string { return []string{"matrix", "--check", fifo(t, dir, "fifo")} },
			Code:    1,
			Stderr:  []string{isFIFO},
			Out:     []string{},
			Timeout: ioTimeout,
		},
		{
			Name:    "install-cmd FIFO",
			Setup:   func(t *testing.T, dir string) []string { return []string{"install-cmd", fifo(t, dir, "fifo.msi")} },
			Code:    1,
			Stderr:  []string{"fifo.msi is a FIFO (named pipe), not a regular file"},
			Out:     []string{},
			Timeout: ioTimeout,
		},
		{
			Name: "--password-file /dev/zero",
			Setup: func(t *testing.T, dir string) []string {
				devCert(t, dir)
				os.WriteFile(filepath.Join(dir, "a.exe"), []byte("MZ"), 0o644)
				return []string{"sign", "--pkcs12", "cert.p12", "--password-file", "/dev/zero", "a.exe"}
			},
			Code:    1,
			Stderr:  []string{isDevZero},
			Out:     []string{},
			Timeout: ioTimeout,
		},
		{
			Name: "--password-file FIFO",
			Setup: func(t *testing.T, dir string) []string {
				devCert(t, dir)
				os.WriteFile(filepath.Join(dir, "a.exe"), []byte("MZ"), 0o644)
				return []string{"sign", "--pkcs12", "cert.p12", "--password-file", fifo(t, dir, "fifo"), "a.exe"}
			},
			Code:    1,
			Stderr:  []string{isFIFO},
			Out:     []string{},
			Timeout: ioTimeout,
		},
		{
			Name: "--key /dev/zero",
			Setup: func(t *testing.T, dir string) []string {
				devCert(t, dir)
				os.WriteFile(filepath.Join(dir, "a.exe"), []byte("MZ"), 0o644)
				return []string{"sign", "--cert", "cert.pem", "--key", "/dev/zero", "a.exe"}
			},
			Code:    1,
			Stderr:  []string{isDevZero},
			Out:     []string{},
			Timeout: ioTimeout,
		},
		{
			Name: "--cert FIFO",
			Setup: func(t *testing.T, dir string) []string {
				devCert(t, dir)
				os.WriteFile(filepath.Join(dir, "a.exe"), []byte("MZ"), 0o644)
				return []string{"sign", "--cert", fifo(t, dir, "fifo"), "--key", "key.pem", "a.exe"}
			},
			Code:    1,
			Stderr:  []string{isFIFO},
			Out:     []string{},
			Timeout: ioTimeout,
		},
		{
			Name: "--pkcs12 /dev/zero",
			Setup: func(t *testing.T, dir string) []string {
				os.WriteFile(filepath.Join(dir, "a.exe"), []byte("MZ"), 0o644)
				// The password comes from the process environment (os.LookupEnv).
				t.Setenv("MSIFORGE_TEST_PW", "pw")
				return []string{"sign", "--pkcs12", "/dev/zero", "--password-env", "MSIFORGE_TEST_PW", "a.exe"}
			},
			Code:    1,
			Stderr:  []string{isDevZero},
			Out:     []string{},
			Timeout: ioTimeout,
		},
		{
			Name: "build --key /dev/zero",
			Setup: func(t *testing.T, dir string) []string {
				devCert(t, dir)
				return []string{"build", "-f", "example/msiforge.yaml", "--cert", "cert.pem", "--key", "/dev/zero"}
			},
			Code:    1,
			Stderr:  []string{isDevZero},
			Out:     []string{},
			Timeout: ioTimeout,
		},
	})
}
