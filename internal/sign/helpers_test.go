package sign

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"debug/pe"
	"encoding/asn1"
	"encoding/binary"
	"encoding/pem"
	"errors"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/digitorus/timestamp"

	"github.com/msiforge/msiforge/internal/execx"
)

// needTool skips a test when a program is missing locally, but fails it
// under CI=true, where every tool must be installed.
func needTool(t *testing.T, name string) {
	t.Helper()
	if _, err := execx.LookPath(name); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("CI=true: %v", err)
		}
		t.Skipf("skipping: %v", err)
	}
}

// testPKI is a throwaway CA plus helpers to issue leaves from it.
type testPKI struct {
	rootCert *x509.Certificate
	rootKey  crypto.Signer
}

var serial int64 = 100

func newKey(t *testing.T) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func newTestPKI(t *testing.T, cn string) *testPKI {
	t.Helper()
	key := newKey(t)
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: cn},
		NotBefore:             time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC),
		NotAfter:              time.Date(2099, 1, 1, 0, 0, 0, 0, time.UTC),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	return &testPKI{rootCert: cert, rootKey: key}
}

func (p *testPKI) pool() *x509.CertPool {
	pool := x509.NewCertPool()
	pool.AddCert(p.rootCert)
	return pool
}

// leaf issues a certificate for a fresh key.
func (p *testPKI) leaf(t *testing.T, cn string, notBefore, notAfter time.Time, eku ...x509.ExtKeyUsage) (*x509.Certificate, *ecdsa.PrivateKey) {
	t.Helper()
	key := newKey(t)
	serial++
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(serial),
		Subject:               pkix.Name{CommonName: cn, Organization: []string{"msiforge test"}},
		NotBefore:             notBefore,
		NotAfter:              notAfter,
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           eku,
		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, p.rootCert, key.Public(), p.rootKey)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	return cert, key
}

// codeSigner is a valid signer for now, issued by p.
func (p *testPKI) codeSigner(t *testing.T) *Signer {
	cert, key := p.leaf(t, "Test Code Signing", time.Now().Add(-time.Hour), time.Now().Add(24*time.Hour), x509.ExtKeyUsageCodeSigning)
	return &Signer{Key: key, Chain: []*x509.Certificate{cert, p.rootCert}}
}

func writePEM(t *testing.T, path, typ string, der []byte) {
	t.Helper()
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
}

// makePE writes a minimal, valid PE32+ image with one section of
// sectionSize pseudo-random bytes and an overlay of trailer bytes.
func makePE(t testing.TB, path string, sectionSize, trailer int) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := writePE(f, sectionSize, trailer, 1); err != nil {
		t.Fatal(err)
	}
}

func writePE(w io.Writer, sectionSize, trailer int, seed int64) error {
	const fileAlign, sectAlign, peStart = 0x200, 0x1000, 0x40
	raw := (sectionSize + fileAlign - 1) / fileAlign * fileAlign
	var hdr bytes.Buffer
	dos := make([]byte, peStart)
	copy(dos, "MZ")
	binary.LittleEndian.PutUint32(dos[0x3c:], peStart)
	hdr.Write(dos)
	hdr.WriteString("PE\x00\x00")
	fh := pe.FileHeader{Machine: pe.IMAGE_FILE_MACHINE_AMD64, NumberOfSections: 1,
		SizeOfOptionalHeader: 240, Characteristics: 0x22}
	oh := pe.OptionalHeader64{Magic: 0x20b, SizeOfCode: uint32(raw), AddressOfEntryPoint: sectAlign,
		BaseOfCode: sectAlign, ImageBase: 0x140000000, SectionAlignment: sectAlign, FileAlignment: fileAlign,
		MajorOperatingSystemVersion: 6, MajorSubsystemVersion: 6,
		SizeOfImage:   uint32(sectAlign + (sectionSize+sectAlign-1)/sectAlign*sectAlign),
		SizeOfHeaders: fileAlign, Subsystem: 3, SizeOfStackReserve: 1 << 20, SizeOfStackCommit: 1 << 12,
		SizeOfHeapReserve: 1 << 20, SizeOfHeapCommit: 1 << 12, NumberOfRvaAndSizes: 16}
	sh := pe.SectionHeader32{VirtualSize: uint32(sectionSize), VirtualAddress: sectAlign,
		SizeOfRawData: uint32(raw), PointerToRawData: fileAlign, Characteristics: 0x60000020}
	copy(sh.Name[:], ".text")
	for _, v := range []any{fh, oh, sh} {
		if err := binary.Write(&hdr, binary.LittleEndian, v); err != nil {
			return err
		}
	}
	hdr.Write(make([]byte, fileAlign-hdr.Len()))
	if _, err := w.Write(hdr.Bytes()); err != nil {
		return err
	}
	// A cheap deterministic byte stream: the content only has to differ.
	rng := newXorshift(seed)
	if _, err := io.CopyN(w, rng, int64(raw+trailer)); err != nil {
		return err
	}
	return nil
}

type xorshift struct{ s uint64 }

func newXorshift(seed int64) *xorshift { return &xorshift{s: uint64(seed)*0x9E3779B97F4A7C15 | 1} }

func (x *xorshift) Read(p []byte) (int, error) {
	for i := 0; i+8 <= len(p); i += 8 {
		x.s ^= x.s << 13
		x.s ^= x.s >> 7
		x.s ^= x.s << 17
		binary.LittleEndian.PutUint64(p[i:], x.s)
	}
	for i := len(p) / 8 * 8; i < len(p); i++ {
		p[i] = byte(x.s >> (8 * (i % 8)))
	}
	return len(p), nil
}

const testWXS = `<?xml version="1.0" encoding="utf-8"?>
<Wix xmlns="http://schemas.microsoft.com/wix/2006/wi">
  <Product Id="*" Name="Sign Test" Language="1033" Version="1.0.0" Manufacturer="msiforge test"
           UpgradeCode="12345678-1234-1234-1234-123456789012">
    <Package InstallerVersion="200" Compressed="yes" InstallScope="perMachine"/>
    <Media Id="1" Cabinet="product.cab" EmbedCab="yes"/>
    <Directory Id="TARGETDIR" Name="SourceDir">
      <Directory Id="ProgramFilesFolder">
        <Directory Id="INSTALLDIR" Name="SignTest">
          <Component Id="Main" Guid="AAAAAAAA-1234-1234-1234-123456789012">
            <File Id="Payload" Source="payload.bin" KeyPath="yes"/>
          </Component>
        </Directory>
      </Directory>
    </Directory>
    <Feature Id="Main" Level="1"><ComponentRef Id="Main"/></Feature>
  </Product>
</Wix>
`

var (
	msiOnce sync.Once
	msiPath string
	msiErr  error
)

// testMSI returns a copy of a small wixl-built MSI in a fresh directory.
// wixl runs once per test binary; its output is not reproducible, so all
// tests share the one build.
func testMSI(t *testing.T) string {
	t.Helper()
	needTool(t, "wixl")
	msiOnce.Do(func() {
		dir, err := os.MkdirTemp("", "msiforge-sign-msi-")
		if err != nil {
			msiErr = err
			return
		}
		payload := make([]byte, 300<<10)
		newXorshift(7).Read(payload)
		if err := os.WriteFile(filepath.Join(dir, "payload.bin"), payload, 0o644); err != nil {
			msiErr = err
			return
		}
		if err := os.WriteFile(filepath.Join(dir, "t.wxs"), []byte(testWXS), 0o644); err != nil {
			msiErr = err
			return
		}
		_, msiErr = execx.OS{}.Run(context.Background(), execx.Cmd{Name: "wixl", Args: []string{"-a", "x64", "-o", "t.msi", "t.wxs"}, Dir: dir})
		msiPath = filepath.Join(dir, "t.msi")
	})
	if msiErr != nil {
		t.Fatalf("build test msi: %v", msiErr)
	}
	return copyTo(t, msiPath, filepath.Join(t.TempDir(), "test.msi"))
}

func testPE(t *testing.T) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "test.exe")
	makePE(t, p, 200<<10, 1001) // odd overlay: exercises checksum padding
	return p
}

func copyTo(t *testing.T, src, dst string) string {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return dst
}

// testTSA is an RFC 3161 authority on loopback with a fixed genTime.
type testTSA struct {
	*httptest.Server
	pki  *testPKI
	cert *x509.Certificate
	hits int
	mu   sync.Mutex
}

func newTestTSA(t *testing.T, at time.Time) *testTSA {
	t.Helper()
	pki := newTestPKI(t, "Test TSA Root")
	cert, key := pki.leaf(t, "Test TSA", at.Add(-24*time.Hour), at.Add(365*24*time.Hour), x509.ExtKeyUsageTimeStamping)
	tsa := &testTSA{pki: pki, cert: cert}
	tsa.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tsa.mu.Lock()
		tsa.hits++
		tsa.mu.Unlock()
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		req, err := timestamp.ParseRequest(body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		ts := timestamp.Timestamp{HashAlgorithm: req.HashAlgorithm, HashedMessage: req.HashedMessage,
			Time: at, Nonce: req.Nonce, Policy: asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 99999, 1},
			Accuracy: time.Second, AddTSACertificate: true}
		resp, err := ts.CreateResponseWithOpts(cert, key, crypto.SHA256)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/timestamp-reply")
		w.Write(resp)
	}))
	t.Cleanup(tsa.Close)
	return tsa
}

func problemKinds(r Result) []error {
	var kinds []error
	for _, p := range r.Problems {
		kinds = append(kinds, p.Kind)
	}
	return kinds
}

// wantOnly asserts that r has exactly one problem, of kind.
func wantOnly(t *testing.T, r Result, kind error) {
	t.Helper()
	if len(r.Problems) != 1 || !errors.Is(r.Problems[0], kind) {
		t.Fatalf("problems = %v, want only %q", r.Problems, kind)
	}
	if !errors.Is(r.Err(), kind) {
		t.Fatalf("Err() = %v, does not wrap %q", r.Err(), kind)
	}
}
