// Package packaging holds what every installer builder shares: the
// description of a built artifact and the atomic way outputs are written.
package packaging

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/msiforge/msiforge/internal/safefile"
)

// Kinds of artifact.
const (
	KindConsoleMSI = "console-msi"
	KindConsoleEXE = "console-exe" // the console MSI wrapped in an NSIS EXE
	// The VSC driver packages (MSI), one per role.
	KindVSCRepresentative = "vsc-representative"
	KindVSCCustomer       = "vsc-customer"
)

// Artifact is one file a build wrote.
type Artifact struct {
	Path        string `json:"path"`
	Kind        string `json:"kind"`
	Arch        string `json:"arch"`
	Size        int64  `json:"size"`
	SHA256      string `json:"sha256"`
	ProductCode string `json:"product_code,omitempty"`
	UpgradeCode string `json:"upgrade_code,omitempty"`
	PackageCode string `json:"package_code,omitempty"`
	Version     string `json:"version,omitempty"`
	// Signature describes the Authenticode signature; nil when unsigned.
	Signature *Signature `json:"signature,omitempty"`
	// BuildKey is the SHA-256 of the artifact's inputs (internal/uptodate),
	// recorded in manifest.json; "" when the build computed none.
	BuildKey string `json:"build_key,omitempty"`
}

// Signature is what a verified Authenticode signature says.
type Signature struct {
	Subject            string     `json:"subject"`
	Timestamp          *time.Time `json:"timestamp,omitempty"`
	TimestampAuthority string     `json:"timestamp_authority,omitempty"`
	// WeakSigning: signed with --allow-weak by a certificate that breaks
	// the signing identity rules (tests only).
	WeakSigning bool `json:"weak_signing,omitempty"`
	// Untrusted says why Windows will not trust the signer (a self-signed
	// development certificate, a private root); "" when the certificate
	// chains to a root the system trusts.
	Untrusted string `json:"untrusted,omitempty"`
}

// Signer signs a file in place and verifies the result, so a build never
// ships a signature that does not verify.
type Signer interface {
	Sign(ctx context.Context, path string) (*Signature, error)
}

// IsPE reports whether the file at path starts like a PE image ("MZ"):
// the payload files a build signs before packaging them.
func IsPE(path string) bool {
	f, err := safefile.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	var b [2]byte
	_, err = io.ReadFull(f, b[:])
	return err == nil && b[0] == 'M' && b[1] == 'Z'
}

// WorkDir makes a temporary build directory next to out, so the finished
// file can be renamed into place atomically (same file system). The caller
// removes it.
func WorkDir(out string) (string, error) {
	dir := filepath.Dir(out)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("create output directory: %w", err)
	}
	return os.MkdirTemp(dir, ".msiforge-"+filepath.Base(out)+"-")
}

// Commit renames tmp to out (atomically replacing any old out) and
// returns out's size and SHA-256.
func Commit(tmp, out string) (size int64, sum string, err error) {
	f, err := os.Open(tmp)
	if err != nil {
		return 0, "", err
	}
	h := sha256.New()
	size, err = io.Copy(h, f)
	f.Close()
	if err != nil {
		return 0, "", fmt.Errorf("hash %s: %w", tmp, err)
	}
	if err := os.Chmod(tmp, 0o644); err != nil {
		return 0, "", err
	}
	if err := os.Rename(tmp, out); err != nil {
		return 0, "", fmt.Errorf("write %s: %w", out, err)
	}
	return size, hex.EncodeToString(h.Sum(nil)), nil
}

// CopyFile copies src to dst (creating dst's directory), for staging
// payload files into a build directory.
func CopyFile(src, dst string) error {
	_, err := CopyFileSum(src, dst)
	return err
}

// CopyFileSum is CopyFile that also returns the SHA-256 of the bytes it
// read, so a later read of src can tell whether src changed meanwhile.
func CopyFileSum(src, dst string) (string, error) {
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return "", err
	}
	in, err := safefile.Open(src)
	if err != nil {
		return "", err
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		return "", err
	}
	h := sha256.New()
	if _, err := io.Copy(io.MultiWriter(out, h), in); err != nil {
		out.Close()
		return "", fmt.Errorf("copy %s: %w", src, err)
	}
	if err := out.Close(); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// DefaultEpoch is the time recorded in the artifacts when
// SOURCE_DATE_EPOCH is not set: a fixed date, never the clock, so builds
// are reproducible by default.
var DefaultEpoch = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

// The cabinet stores file times as MS-DOS dates and times: years 1980 to
// 2107 (7 bits from 1980) and seconds in steps of two ("Microsoft Cabinet
// Format", CFFILE date and time; DosDateTimeToFileTime:
// https://learn.microsoft.com/en-us/windows/win32/api/winbase/nf-winbase-dosdatetimetofiletime).
// A later time wraps to the 1980s, silently.
var (
	MinEpoch = time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC)
	MaxEpoch = time.Date(2107, 12, 31, 23, 59, 58, 0, time.UTC)
)

// ParseEpoch reads SOURCE_DATE_EPOCH (seconds since 1970, UTC); "" gives
// DefaultEpoch. A value outside the cabinet's date range is refused with
// the range.
func ParseEpoch(s string) (time.Time, error) {
	if s == "" {
		return DefaultEpoch, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < MinEpoch.Unix() || n > MaxEpoch.Unix() {
		return time.Time{}, fmt.Errorf("SOURCE_DATE_EPOCH=%q is not allowed: want whole seconds since 1970 from %d (%s) to %d (%s), the dates a cabinet can record",
			s, MinEpoch.Unix(), MinEpoch.Format(time.RFC3339), MaxEpoch.Unix(), MaxEpoch.Format(time.RFC3339))
	}
	return time.Unix(n, 0).UTC(), nil
}

// WriteFile writes data to path through a temporary file in the same
// directory and a rename, so readers never see a partial file.
func WriteFile(path string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), ".msiforge-*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Chmod(f.Name(), 0o644); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}
