package msi

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func readTiny(t testing.TB) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "tiny.msi"))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// readEverything asks every question the API can answer and returns a
// digest of the answers, or the first error.
func readEverything(f *File) (string, error) {
	var b strings.Builder
	fmt.Fprintf(&b, "signed %v streams %q\n", f.Signed(), f.Streams())
	tables, err := f.Tables()
	if err != nil {
		return "", err
	}
	for _, name := range append([]string{"_SummaryInformation", "_ForceCodepage", "_Tables", "_Columns"}, tables...) {
		idt, err := f.ExportIDT(name)
		if err != nil {
			return "", err
		}
		b.WriteString(idt)
	}
	s, err := f.Summary()
	if err != nil {
		return "", err
	}
	fmt.Fprintf(&b, "%+v\n", s)
	for _, name := range f.Streams() {
		r, size, err := f.OpenStream(name)
		if err != nil {
			return "", err
		}
		h := sha256.New()
		n, err := io.Copy(h, r)
		if err != nil {
			return "", err
		}
		if n != size {
			return "", fmt.Errorf("stream %q: read %d of %d bytes without an error", name, n, size)
		}
		fmt.Fprintf(&b, "%q %x\n", name, h.Sum(nil))
	}
	return b.String(), nil
}

func openBytes(data []byte) (*File, error) {
	return NewReader(bytes.NewReader(data), int64(len(data)))
}

func TestNotMSI(t *testing.T) {
	dir := t.TempDir()
	rnd := rand.New(rand.NewSource(7))
	cases := map[string][]byte{
		"empty.msi":  nil,
		"short.msi":  []byte("MZ\x90\x00"),
		"random.msi": payload(8, 4096),
		"big.msi":    payload(9, 200000),
		"text.msi":   []byte(strings.Repeat("not an installer\n", 100)),
	}
	for name, data := range cases {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := Open(path)
		if !errors.Is(err, ErrNotMSI) {
			t.Errorf("%s: error %v, want ErrNotMSI", name, err)
			continue
		}
		if want := path + ": not an MSI file (no compound-file header)"; err.Error() != want {
			t.Errorf("%s: error %q, want %q", name, err, want)
		}
	}
	// A compound-file header followed by garbage: never a panic, always
	// one of the two documented errors.
	tiny := readTiny(t)
	for i := range 200 {
		data := append([]byte(nil), tiny[:512]...)
		data = append(data, payload(int64(i), rnd.Intn(20000))...)
		if f, err := openBytes(data); err == nil {
			_, err = readEverything(f)
			if err != nil && !isReaderError(err) {
				t.Errorf("header+garbage %d: unexpected error kind: %v", i, err)
			}
		} else if !isReaderError(err) {
			t.Errorf("header+garbage %d: unexpected error kind: %v", i, err)
		}
	}
	// A compound file that is not an installer database.
	if _, err := Open("/nonexistent/x.msi"); err == nil || !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
}

// TestTruncated cuts a real MSI at many points. Each cut must give a
// documented error, or, when it only removed bytes nobody reads, exactly
// the answers of the whole file; never a panic or different data.
func TestTruncated(t *testing.T) {
	tiny := readTiny(t)
	f, err := openBytes(tiny)
	if err != nil {
		t.Fatal(err)
	}
	want, err := readEverything(f)
	if err != nil {
		t.Fatal(err)
	}
	failed := 0
	for cut := 0; cut < len(tiny); cut += 97 {
		f, err := openBytes(tiny[:cut])
		if err == nil {
			var got string
			if got, err = readEverything(f); err == nil {
				if got != want {
					t.Errorf("cut at %d: read different data without an error", cut)
				}
				continue
			}
		}
		failed++
		if !isReaderError(err) {
			t.Errorf("cut at %d: unexpected error kind: %v", cut, err)
		}
		if cut < 512 && !errors.Is(err, ErrNotMSI) {
			t.Errorf("cut at %d: %v, want ErrNotMSI", cut, err)
		}
		if cut >= 512 && !strings.Contains(err.Error(), "truncated?") {
			t.Errorf("cut at %d: %v does not suggest truncation", cut, err)
		}
	}
	if failed == 0 {
		t.Error("no cut point gave an error")
	}
	t.Logf("%d of %d cut points gave an error", failed, (len(tiny)+96)/97)
}

// dirEntryOffset returns the file offset of directory entry idx.
func dirEntryOffset(t *testing.T, data []byte, idx int) int {
	t.Helper()
	c, err := openCFB(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	secs, err := c.chain(binary.LittleEndian.Uint32(data[48:]), -1)
	if err != nil {
		t.Fatal(err)
	}
	per := int(c.secSize()) / dirEntrySize
	off, err := c.sectorOffset(secs[idx/per])
	if err != nil {
		t.Fatal(err)
	}
	return int(off) + idx%per*dirEntrySize
}

// streamEntry returns the directory index of the stream with the decoded
// name, and the file offset of its first byte.
func streamEntry(t *testing.T, data []byte, name string) (int, int) {
	t.Helper()
	f, err := openBytes(data)
	if err != nil {
		t.Fatal(err)
	}
	idx, ok := f.streams[name]
	if !ok {
		t.Fatalf("no stream %q", name)
	}
	s := f.c.newStreamReader(&f.c.entries[idx])
	if s.mini {
		if err := f.c.loadMini(); err != nil {
			t.Fatal(err)
		}
	}
	off, err := s.offset(0)
	if err != nil {
		t.Fatal(err)
	}
	return idx, int(off)
}

func TestCorrupt(t *testing.T) {
	const T = string(rune(tableMarker))
	tests := []struct {
		name    string
		corrupt func(t *testing.T, data []byte)
		read    func(f *File) error
		want    string
	}{
		{
			name: "string overruns _StringData",
			corrupt: func(t *testing.T, data []byte) {
				_, off := streamEntry(t, data, T+"_StringPool")
				binary.LittleEndian.PutUint16(data[off+4:], 0xFFFF) // length of string 1
			},
			read: func(f *File) error { _, err := f.Table("Property"); return err },
			want: "string pool: string 1: 65535 bytes at offset 0 overrun _StringData",
		},
		{
			name: "string pool size",
			corrupt: func(t *testing.T, data []byte) {
				idx, _ := streamEntry(t, data, T+"_StringPool")
				off := dirEntryOffset(t, data, idx)
				size := binary.LittleEndian.Uint32(data[off+120:])
				binary.LittleEndian.PutUint32(data[off+120:], size-2)
			},
			read: func(f *File) error { _, err := f.Tables(); return err },
			want: "is not a multiple of 4",
		},
		{
			name: "table data truncated",
			corrupt: func(t *testing.T, data []byte) {
				idx, _ := streamEntry(t, data, T+"Property")
				off := dirEntryOffset(t, data, idx)
				size := binary.LittleEndian.Uint32(data[off+120:])
				binary.LittleEndian.PutUint32(data[off+120:], size-1)
			},
			read: func(f *File) error { _, err := f.Table("Property"); return err },
			want: "table Property: column data truncated",
		},
		{
			name: "string id out of range",
			corrupt: func(t *testing.T, data []byte) {
				_, off := streamEntry(t, data, T+"Property")
				binary.LittleEndian.PutUint16(data[off:], 0xFFF0) // first Property name
			},
			read: func(f *File) error { _, err := f.Table("Property"); return err },
			want: "table Property: row 1 column Property: string id 65520 is outside the string pool",
		},
		{
			name: "directory tree loops",
			corrupt: func(t *testing.T, data []byte) {
				idx, _ := streamEntry(t, data, T+"Property")
				off := dirEntryOffset(t, data, idx)
				binary.LittleEndian.PutUint32(data[off+68:], uint32(idx)) // left child = itself
			},
			read: func(f *File) error { return nil },
			want: "is reached twice",
		},
		{
			name: "sector outside the file",
			corrupt: func(t *testing.T, data []byte) {
				idx, _ := streamEntry(t, data, StreamSummaryInformation)
				off := dirEntryOffset(t, data, idx)
				binary.LittleEndian.PutUint32(data[off+120:], 5000) // now a regular (not mini) stream
				binary.LittleEndian.PutUint32(data[off+116:], 0x7FFFFFF0)
			},
			read: func(f *File) error { _, err := f.Summary(); return err },
			want: "read summary information: sector 2147483632 is outside the file",
		},
		{
			name: "summary section overruns",
			corrupt: func(t *testing.T, data []byte) {
				_, off := streamEntry(t, data, StreamSummaryInformation)
				binary.LittleEndian.PutUint32(data[off+48:], 0x00FFFFFF) // section size
			},
			read: func(f *File) error { _, err := f.Summary(); return err },
			want: "summary information: section of 16777215 bytes overruns the stream",
		},
		{
			name: "FAT chain loops",
			corrupt: func(t *testing.T, data []byte) {
				// Point the directory's first sector back at itself.
				c, err := openCFB(bytes.NewReader(data), int64(len(data)))
				if err != nil {
					t.Fatal(err)
				}
				dir := binary.LittleEndian.Uint32(data[48:])
				fatOff, _ := c.sectorOffset(c.fatLocs[0])
				binary.LittleEndian.PutUint32(data[int(fatOff)+4*int(dir):], dir)
			},
			read: func(f *File) error { return nil },
			want: "loops at sector",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data := readTiny(t)
			tt.corrupt(t, data)
			path := filepath.Join(t.TempDir(), "bad.msi")
			if err := os.WriteFile(path, data, 0o644); err != nil {
				t.Fatal(err)
			}
			f, err := Open(path)
			if err == nil {
				defer f.Close()
				err = tt.read(f)
			}
			if err == nil {
				t.Fatalf("no error, want %q", tt.want)
			}
			if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), tt.want) || !strings.HasPrefix(err.Error(), path+": ") {
				t.Errorf("error %q (ErrCorrupt %v), want %q prefixed with the path", err, errors.Is(err, ErrCorrupt), tt.want)
			}
		})
	}
}

// TestHugeStreamSize is the regression test for the first fuzzer crash: in
// a version 4 file (4096-byte sectors) a directory entry's 64-bit size
// with the top bit set used to become a negative int64, pass the "larger
// than the file" check and panic in make. The fuzzer's input is
// testdata/fuzz/FuzzOpen/7dd04069c023f151.
func TestHugeStreamSize(t *testing.T) {
	raw := make([]byte, dirEntrySize)
	binary.LittleEndian.PutUint64(raw[120:], 1<<63)
	if e := parseDirEntry(raw, 12); e.size < 0 {
		t.Errorf("size %d from 1<<63", e.size)
	}

	path := needRelicDummyMSI(t)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	idx, _ := streamEntry(t, data, string(rune(tableMarker))+"Property")
	off := dirEntryOffset(t, data, idx)
	binary.LittleEndian.PutUint64(data[off+120:], 0xFFFFFFFFFFFFFF00)
	f, err := openBytes(data)
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.Table("Property")
	if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "larger than the file") {
		t.Errorf("Table(Property) error = %v", err)
	}
}
