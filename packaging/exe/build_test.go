package exe_test

import (
	"bytes"
	"context"
	"debug/pe"
	"encoding/binary"
	"testing"
	"time"
	"unicode/utf16"

	"github.com/msiforge/msiforge/internal/execx"
	"github.com/msiforge/msiforge/packaging/exe"
)

// TestBuildExample wraps the example's real MSI for every architecture and
// reads the EXE back: the stub's PE header, the version resource, the MSI
// stored byte for byte, and the same bytes from a second build. The x86
// stub cannot run under this Wine (wine64 only), so this is its test.
func TestBuildExample(t *testing.T) {
	needMakensis(t)
	c := loadExample(t, "x86", "x64", "arm64")
	// NSIS specials in a config value must come out literally.
	c.Product.Manufacturer = `Example "&" Sons' $Corp`
	for _, tc := range []struct {
		arch    string
		machine uint16
		pe32    bool
	}{
		{"x86", pe.IMAGE_FILE_MACHINE_I386, true},
		{"x64", pe.IMAGE_FILE_MACHINE_AMD64, false},
		{"arm64", pe.IMAGE_FILE_MACHINE_I386, true}, // no ARM64 stub: x86 under emulation
	} {
		t.Run(tc.arch, func(t *testing.T) {
			m := console(t, c, tc.arch)
			msiArt := buildMSI(t, c, tc.arch)
			job := exe.Job{Model: m, MSI: msiArt.Path, Out: tempOut(t, "setup.exe")}
			start := time.Now()
			a, err := exe.Build(context.Background(), execx.OS{}, job)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("built %s: %d bytes (MSI %d bytes) in %v", tc.arch, a.Size, msiArt.Size, time.Since(start).Round(time.Millisecond))
			b := readFile(t, a.Path)

			f, err := pe.NewFile(bytes.NewReader(b))
			if err != nil {
				t.Fatal(err)
			}
			if f.Machine != tc.machine {
				t.Errorf("machine %#x, want %#x", f.Machine, tc.machine)
			}
			if _, is32 := f.OptionalHeader.(*pe.OptionalHeader32); is32 != tc.pe32 {
				t.Errorf("PE32 %v, want %v", is32, tc.pe32)
			}
			for key, want := range map[string]string{
				"ProductName":     "Example Support Console",
				"ProductVersion":  "1.4.2",
				"CompanyName":     c.Product.Manufacturer,
				"FileDescription": "Example Support Console Setup",
				"FileVersion":     "1.4.2.0",
				"LegalCopyright":  "Copyright © " + c.Product.Manufacturer,
			} {
				if got, ok := versionString(b, key); !ok || got != want {
					t.Errorf("version resource %s = %q (found %v), want %q", key, got, ok, want)
				}
			}

			// Stored, not compressed: NSIS writes the data block as its
			// length (high bit clear: not compressed) and the bytes.
			msi := readFile(t, msiArt.Path)
			i := bytes.Index(b, msi)
			if i < 4 {
				t.Fatal("the MSI is not stored verbatim in the EXE")
			}
			if n := binary.LittleEndian.Uint32(b[i-4:]); n != uint32(len(msi)) {
				t.Errorf("block header %#x before the MSI, want its length %#x (uncompressed)", n, len(msi))
			}

			job.Out = tempOut(t, "again.exe")
			again, err := exe.Build(context.Background(), execx.OS{}, job)
			if err != nil {
				t.Fatal(err)
			}
			if again.SHA256 != a.SHA256 {
				t.Errorf("second build of the same MSI differs: %s vs %s", again.SHA256, a.SHA256)
			}
		})
	}
}

// versionString reads a String of the PE version resource: the UTF-16LE
// key, padding to 32 bits, the UTF-16LE value up to its NUL.
func versionString(b []byte, key string) (string, bool) {
	k := utf16le(key + "\x00")
	i := bytes.Index(b, k)
	if i < 0 {
		return "", false
	}
	j := i + len(k)
	for j%4 != 0 {
		j += 2
	}
	var u []uint16
	for ; j+1 < len(b); j += 2 {
		c := binary.LittleEndian.Uint16(b[j:])
		if c == 0 {
			return string(utf16.Decode(u)), true
		}
		u = append(u, c)
	}
	return "", false
}

func utf16le(s string) []byte {
	var out []byte
	for _, c := range utf16.Encode([]rune(s)) {
		out = binary.LittleEndian.AppendUint16(out, c)
	}
	return out
}
