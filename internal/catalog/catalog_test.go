package catalog

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"debug/pe"
	"encoding/binary"
	"encoding/pem"
	"errors"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/msiforge/msiforge/internal/execx"
	"github.com/msiforge/msiforge/internal/testutil"
)

const testINF = `; test driver
[Version]
Signature   = "$WINDOWS NT$"
Class       = SmartCardReader
CatalogFile = drv.cat ; the catalog
DriverVer   = 01/01/2000,1.0.0.0

[SourceDisksFiles]
drv.sys = 1

[Manufacturer]
%Mfg% = Std, NTamd64

[Std.NTamd64]
%Desc% = Inst, ROOT\DRVTEST, *PNPDRV

[Strings]
Mfg = "Example; not a comment"
Desc = "Test"
`

// driverDir writes drv.inf and a PE drv.sys into a fresh folder.
func driverDir(t *testing.T) (dir, inf, sys string) {
	t.Helper()
	dir = t.TempDir()
	inf = filepath.Join(dir, "drv.inf")
	sys = filepath.Join(dir, "drv.sys")
	if err := os.WriteFile(inf, []byte(testINF), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(sys, makePE(t, 64<<10), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir, inf, sys
}

// makePE returns a minimal valid PE32+ image with one section of n
// pseudo-random bytes.
func makePE(t *testing.T, n int) []byte {
	t.Helper()
	const fileAlign, sectAlign, peStart = 0x200, 0x1000, 0x40
	raw := (n + fileAlign - 1) / fileAlign * fileAlign
	var b bytes.Buffer
	dos := make([]byte, peStart)
	copy(dos, "MZ")
	binary.LittleEndian.PutUint32(dos[0x3c:], peStart)
	b.Write(dos)
	b.WriteString("PE\x00\x00")
	fh := pe.FileHeader{Machine: pe.IMAGE_FILE_MACHINE_AMD64, NumberOfSections: 1, SizeOfOptionalHeader: 240, Characteristics: 0x22}
	oh := pe.OptionalHeader64{Magic: 0x20b, SizeOfCode: uint32(raw), AddressOfEntryPoint: sectAlign, BaseOfCode: sectAlign,
		ImageBase: 0x140000000, SectionAlignment: sectAlign, FileAlignment: fileAlign, MajorOperatingSystemVersion: 6,
		MajorSubsystemVersion: 6, SizeOfImage: uint32(sectAlign + (n+sectAlign-1)/sectAlign*sectAlign),
		SizeOfHeaders: fileAlign, Subsystem: 1, SizeOfStackReserve: 1 << 20, SizeOfStackCommit: 1 << 12,
		SizeOfHeapReserve: 1 << 20, SizeOfHeapCommit: 1 << 12, NumberOfRvaAndSizes: 16}
	sh := pe.SectionHeader32{VirtualSize: uint32(n), VirtualAddress: sectAlign, SizeOfRawData: uint32(raw),
		PointerToRawData: fileAlign, Characteristics: 0x60000020}
	copy(sh.Name[:], ".text")
	for _, v := range []any{fh, oh, sh} {
		if err := binary.Write(&b, binary.LittleEndian, v); err != nil {
			t.Fatal(err)
		}
	}
	b.Write(make([]byte, fileAlign-b.Len()))
	body := make([]byte, raw)
	s := uint64(0x9E3779B97F4A7C15)
	for i := range body {
		s ^= s << 13
		s ^= s >> 7
		s ^= s << 17
		body[i] = byte(s)
	}
	b.Write(body)
	return b.Bytes()
}

type testKey struct {
	key      *ecdsa.PrivateKey
	cert     *x509.Certificate
	certPath string
}

// newKey makes a self-signed code-signing certificate, also written as PEM
// (osslsigncode's -CAfile).
func newKey(t *testing.T) testKey {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: "Catalog Test Signer"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageCodeSigning},
		BasicConstraintsValid: true}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	p := filepath.Join(t.TempDir(), "cert.pem")
	if err := os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		t.Fatal(err)
	}
	return testKey{key: key, cert: cert, certPath: p}
}

func (k testKey) pool() *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(k.cert)
	return p
}

func buildCat(t *testing.T, inf, sys, out string, opts Options) []byte {
	t.Helper()
	data, err := os.ReadFile(inf)
	if err != nil {
		t.Fatal(err)
	}
	p, err := ParseINF(data)
	if err != nil {
		t.Fatal(err)
	}
	der, err := Build([]Input{{Path: sys}, {Path: inf}}, p.HardwareIDs, opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := WriteFile(out, der); err != nil {
		t.Fatal(err)
	}
	return der
}

// TestPlaceholderIsNotACatalog: the example's 120-byte placeholder .cat
// (problem 6: verify accepted it) is reported as not a catalog.
func TestPlaceholderIsNotACatalog(t *testing.T) {
	p := filepath.Join(testutil.RepoRoot(t), "examples", "vsc", "driver", "vscsample.cat")
	blob, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Parse(blob); !errors.Is(err, ErrNotCatalog) {
		t.Fatalf("Parse(placeholder) = %v, want ErrNotCatalog", err)
	}
	rep, err := Verify(p, VerifyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Problems) == 0 || !strings.Contains(rep.Problems[0], "not a catalog") {
		t.Fatalf("problems = %q, want not a catalog", rep.Problems)
	}
}

// TestRoundTrip: a generated catalog parses back with the members' hashes
// (flat for the INF, Authenticode image hash for the .sys, computed here
// independently for the flat one), SIP GUIDs (v1), File and OSAttr
// attributes and the INF's hardware IDs, for SHA-256 (v2) and SHA-1 (v1).
func TestRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		h       crypto.Hash
		version int
	}{{crypto.SHA256, 2}, {crypto.SHA1, 1}} {
		t.Run(tc.h.String(), func(t *testing.T) {
			dir, inf, sys := driverDir(t)
			der := buildCat(t, inf, sys, filepath.Join(dir, "drv.cat"), Options{Hash: tc.h, OS: "_v100_X64"})
			cat, err := Parse(der)
			if err != nil {
				t.Fatal(err)
			}
			// v2 catalogs also list each file's SHA-1 hash, as makecat does.
			if want := 2 * tc.version; cat.Version != tc.version || cat.Hash != tc.h || cat.Signed || len(cat.Members) != want {
				t.Fatalf("catalog v%d %v signed=%v members=%d", cat.Version, cat.Hash, cat.Signed, len(cat.Members))
			}
			infData, _ := os.ReadFile(inf)
			var flat []byte
			if tc.h == crypto.SHA1 {
				s := sha1.Sum(infData)
				flat = s[:]
			} else {
				s := sha256.Sum256(infData)
				flat = s[:]
			}
			mi := cat.Find(flat)
			if mi == nil || mi.Kind != KindFlat || mi.File() != "drv.inf" || mi.Attrs["OSAttr"] != "2:10.0" {
				t.Fatalf("INF member = %+v", mi)
			}
			_, peHash, err := FileHash(sys, tc.h)
			if err != nil {
				t.Fatal(err)
			}
			ms := cat.Find(peHash)
			if ms == nil || ms.Kind != KindPE || ms.File() != "drv.sys" {
				t.Fatalf("sys member = %+v", ms)
			}
			if bytes.Equal(peHash, fileSum(t, sys, tc.h)) {
				t.Fatal("PE member hash equals the flat hash: not an Authenticode image hash")
			}
			if tc.version == 1 && (ms.SIP != SIPPE || mi.SIP != SIPFlat) {
				t.Fatalf("SIPs: sys %q inf %q", ms.SIP, mi.SIP)
			}
			if cat.Attrs["OS"] != "_v100_X64" || cat.Attrs["HWID1"] != `root\drvtest` || cat.Attrs["HWID2"] != "*pnpdrv" {
				t.Fatalf("catalog attributes %q", cat.Attrs)
			}
		})
	}
}

func fileSum(t *testing.T, p string, h crypto.Hash) []byte {
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	w := h.New()
	w.Write(b)
	return w.Sum(nil)
}

// TestReproducible: the same files and time give the same bytes.
func TestReproducible(t *testing.T) {
	dir, inf, sys := driverDir(t)
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	a := buildCat(t, inf, sys, filepath.Join(dir, "a.cat"), Options{Time: at})
	b := buildCat(t, inf, sys, filepath.Join(dir, "b.cat"), Options{Time: at})
	if !bytes.Equal(a, b) {
		t.Fatal("two builds differ")
	}
}

func ossl(t *testing.T, args ...string) (string, error) {
	res, err := (execx.OS{}).Run(context.Background(), execx.Cmd{Name: "osslsigncode", Args: args})
	return string(res.Stdout) + string(res.Stderr), err
}

// TestOsslsigncodeCrossCheck: osslsigncode accepts a signed catalog's
// signature and finds the .sys's Authenticode hash in it (SHA-256 and
// SHA-1); after one byte of the .sys changes, both osslsigncode and Verify
// fail, and after one byte of the INF changes Verify fails (osslsigncode
// cannot hash INF files: "unsupported input file type").
func TestOsslsigncodeCrossCheck(t *testing.T) {
	testutil.NeedTool(t, "osslsigncode")
	for _, h := range []crypto.Hash{crypto.SHA256, crypto.SHA1} {
		t.Run(h.String(), func(t *testing.T) {
			k := newKey(t)
			dir, inf, sys := driverDir(t)
			cat := filepath.Join(dir, "drv.cat")
			buildCat(t, inf, sys, cat, Options{Hash: h, Signer: k.key, Chain: []*x509.Certificate{k.cert}})
			if out, err := ossl(t, "verify", "-CAfile", k.certPath, "-in", cat); err != nil {
				t.Fatalf("osslsigncode verify catalog: %v\n%s", err, out)
			}
			if out, err := ossl(t, "verify", "-CAfile", k.certPath, "-catalog", cat, "-in", sys); err != nil {
				t.Fatalf("osslsigncode verify -catalog sys: %v\n%s", err, out)
			}
			rep, err := Verify(cat, VerifyOptions{Roots: k.pool()}) // finds drv.inf and drv.sys next to it
			if err != nil {
				t.Fatal(err)
			}
			if len(rep.Problems) != 0 || len(rep.Files) != 2 || !rep.ChainOK || rep.Subject != "CN=Catalog Test Signer" {
				t.Fatalf("Verify: %+v", rep)
			}
			if len(rep.Warnings) != 1 || !strings.Contains(rep.Warnings[0], "not Microsoft's driver-signing chain") {
				t.Fatalf("warnings %q, want the Microsoft-chain warning", rep.Warnings)
			}

			orig, _ := os.ReadFile(sys)
			bad := bytes.Clone(orig)
			bad[len(bad)-100] ^= 1
			os.WriteFile(sys, bad, 0o644)
			if out, err := ossl(t, "verify", "-CAfile", k.certPath, "-catalog", cat, "-in", sys); err == nil {
				t.Fatalf("osslsigncode accepted a tampered .sys:\n%s", out)
			}
			rep, _ = Verify(cat, VerifyOptions{Roots: k.pool()})
			if len(rep.Problems) != 1 || !strings.Contains(rep.Problems[0], "drv.sys: its Authenticode PE image") {
				t.Fatalf("tampered .sys: problems %q", rep.Problems)
			}
			os.WriteFile(sys, orig, 0o644)

			infData, _ := os.ReadFile(inf)
			os.WriteFile(inf, append(infData, ';'), 0o644)
			rep, _ = Verify(cat, VerifyOptions{Roots: k.pool()})
			if len(rep.Problems) != 1 || !strings.Contains(rep.Problems[0], "drv.inf: its flat-file") {
				t.Fatalf("tampered INF: problems %q", rep.Problems)
			}
		})
	}
}

// TestOsslsigncodeSignedCatalog: a catalog re-signed by osslsigncode (its
// own PKCS#7 encoder around our trust list) parses and verifies here.
func TestOsslsigncodeSignedCatalog(t *testing.T) {
	testutil.NeedTool(t, "osslsigncode")
	dir, inf, sys := driverDir(t)
	unsigned := filepath.Join(dir, "unsigned.cat")
	buildCat(t, inf, sys, unsigned, Options{})
	k := newKey(t)
	keyDER, err := x509.MarshalPKCS8PrivateKey(k.key)
	if err != nil {
		t.Fatal(err)
	}
	keyPath := filepath.Join(dir, "key.pem")
	os.WriteFile(keyPath, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600)
	cat := filepath.Join(dir, "drv.cat")
	if out, err := ossl(t, "sign", "-certs", k.certPath, "-key", keyPath, "-h", "sha256", "-in", unsigned, "-out", cat); err != nil {
		t.Fatalf("osslsigncode sign: %v\n%s", err, out)
	}
	rep, err := Verify(cat, VerifyOptions{Roots: k.pool(), INF: inf, Files: []string{sys}})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Problems) != 0 || !rep.SigOK || !rep.ChainOK || rep.Members != 2 || rep.Entries != 4 {
		t.Fatalf("Verify(osslsigncode-signed): %+v", rep)
	}
}

// TestUnsigned: an unsigned catalog is reported, its members still checked.
func TestUnsigned(t *testing.T) {
	dir, inf, sys := driverDir(t)
	cat := filepath.Join(dir, "drv.cat")
	buildCat(t, inf, sys, cat, Options{})
	rep, err := Verify(cat, VerifyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Signed || len(rep.Problems) != 1 || rep.Problems[0] != ErrNotSigned.Error() || len(rep.Files) != 2 {
		t.Fatalf("unsigned: %+v", rep)
	}
}

// TestParseNoPanic: every truncation and a byte flip at each offset of a
// signed catalog either parses or returns an error, never panics.
func TestParseNoPanic(t *testing.T) {
	k := newKey(t)
	dir, inf, sys := driverDir(t)
	der := buildCat(t, inf, sys, filepath.Join(dir, "drv.cat"), Options{Signer: k.key, Chain: []*x509.Certificate{k.cert}})
	for i := range der {
		Parse(der[:i])
		b := bytes.Clone(der)
		b[i] ^= 0xff
		Parse(b)
	}
}

// TestParseINF: comments (not inside quotes), UTF-16LE with BOM, decorated
// SourceDisksFiles and CatalogFile sections.
func TestParseINF(t *testing.T) {
	text := "[Version]\r\nSignature=\"$Windows NT$\"\r\nCatalogFile.NTamd64 = a64.cat\r\n[SourceDisksFiles.amd64]\r\nx.sys=1,,\r\n[SourceDisksFiles.x86]\r\nx.sys=1\r\ny.dll = 1 ; helper\r\n"
	u := []byte{0xff, 0xfe}
	for _, r := range text {
		u = append(u, byte(r), 0)
	}
	p, err := ParseINF(u)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(p.CatalogFiles, ",") != "a64.cat" || strings.Join(p.SourceFiles, ",") != "x.sys,y.dll" {
		t.Fatalf("parsed %+v", p)
	}
	if _, err := ParseINF([]byte("[Strings]\nA=b\n")); err == nil || !strings.Contains(err.Error(), "[Version]") {
		t.Fatalf("INF without [Version]: %v", err)
	}
}

// TestMakecatFixture: a catalog Windows' makecat produced (from osslsigncode's
// test suite, see testdata/osslsigncode/README.md) parses as v2/SHA-256 with
// its 7 files listed twice (SHA-256 with attributes, bare SHA-1), its
// catalog OSAttr, and the PE image hash and flat hash this package computes
// for two of its members.
func TestMakecatFixture(t *testing.T) {
	dir := filepath.Join("testdata", "osslsigncode")
	blob, err := os.ReadFile(filepath.Join(dir, "unsigned.cat"))
	if err != nil {
		t.Fatal(err)
	}
	cat, err := Parse(blob)
	if err != nil {
		t.Fatal(err)
	}
	if cat.Version != 2 || cat.Hash != crypto.SHA256 || cat.Signed || len(cat.Members) != 14 || cat.Attrs["OSAttr"] != "2:6.0" {
		t.Fatalf("v%d %v signed=%v members=%d attrs=%q", cat.Version, cat.Hash, cat.Signed, len(cat.Members), cat.Attrs)
	}
	for _, tc := range []struct {
		file string
		kind Kind
		sip  string
	}{{"unsigned.exe", KindPE, SIPPE}, {"unsigned.ps1", KindFlat, SIPFlat}} {
		kind, d, err := FileHash(filepath.Join(dir, tc.file), crypto.SHA256)
		if err != nil {
			t.Fatal(err)
		}
		m := cat.Find(d)
		if kind != tc.kind || m == nil || m.Kind != tc.kind || m.SIP != tc.sip || m.File() != tc.file {
			t.Fatalf("%s: kind %s, member %+v", tc.file, kind, m)
		}
		_, d1, _ := FileHash(filepath.Join(dir, tc.file), crypto.SHA1)
		if m1 := cat.Find(d1); m1 == nil || m1.SIP != tc.sip {
			t.Fatalf("%s: SHA-1 entry %+v", tc.file, m1)
		}
	}
	rep, err := Verify(filepath.Join(dir, "unsigned.cat"), VerifyOptions{Files: []string{filepath.Join(dir, "unsigned.exe"), filepath.Join(dir, "unsigned.ps1")}})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Problems) != 1 || rep.Problems[0] != ErrNotSigned.Error() {
		t.Fatalf("problems %q, want only: not signed", rep.Problems)
	}
}

// TestLayoutMatchesMakecat: the entries this package writes for a PE and a
// flat file have the same shape as makecat's (member info tag, SPC data
// type, attribute set), compared on the parsed fixture.
func TestLayoutMatchesMakecat(t *testing.T) {
	dir := t.TempDir()
	for _, f := range []string{"unsigned.exe", "unsigned.ps1"} {
		b, _ := os.ReadFile(filepath.Join("testdata", "osslsigncode", f))
		os.WriteFile(filepath.Join(dir, f), b, 0o644)
	}
	der, err := Build([]Input{{Path: filepath.Join(dir, "unsigned.exe")}, {Path: filepath.Join(dir, "unsigned.ps1")}}, nil, Options{OSAttr: "2:6.0"})
	if err != nil {
		t.Fatal(err)
	}
	ours, err := Parse(der)
	if err != nil {
		t.Fatal(err)
	}
	blob, _ := os.ReadFile(filepath.Join("testdata", "osslsigncode", "unsigned.cat"))
	theirs, _ := Parse(blob)
	for _, m := range ours.Members {
		o := theirs.Find(m.Digest)
		if o == nil {
			t.Fatalf("makecat's catalog has no entry with digest %X (%s)", m.Digest, m.File())
		}
		if !bytes.Equal(o.Tag, m.Tag) || o.Kind != m.Kind || o.SIP != m.SIP || o.Hash != m.Hash || o.File() != m.File() {
			t.Errorf("entry %X: ours %+v, makecat %+v", m.Digest, m, *o)
		}
	}
}

// TestMicrosoftChainNoWarning: a catalog signed by a certificate named
// Microsoft's driver publisher, issued by a CA named the Third Party
// Component CA, gets no warning; the names decide only the warning, the
// chain check against the roots stays what makes a signature trusted.
func TestMicrosoftChainNoWarning(t *testing.T) {
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: msIssuer},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true,
		BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	caDER, _ := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, caKey.Public(), caKey)
	ca, _ := x509.ParseCertificate(caDER)
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: msPublisher},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageCodeSigning}, KeyUsage: x509.KeyUsageDigitalSignature}
	der, _ := x509.CreateCertificate(rand.Reader, tmpl, ca, key.Public(), caKey)
	leaf, _ := x509.ParseCertificate(der)
	dir, inf, sys := driverDir(t)
	cat := filepath.Join(dir, "drv.cat")
	buildCat(t, inf, sys, cat, Options{Signer: key, Chain: []*x509.Certificate{leaf, ca}})
	roots := x509.NewCertPool()
	roots.AddCert(ca)
	rep, err := Verify(cat, VerifyOptions{Roots: roots})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Problems) != 0 || len(rep.Warnings) != 0 || !rep.ChainOK {
		t.Fatalf("Microsoft-named chain: problems %q warnings %q", rep.Problems, rep.Warnings)
	}
}
