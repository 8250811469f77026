// Package msi reads Windows Installer databases (.msi files) in pure Go, so
// msiforge can check the installers it builds without msitools: the summary
// information (PackageCode, Template, ...), the tables with typed columns,
// the streams, and whether the package carries an Authenticode signature.
//
// A [File] reads only what a question needs. Opening a file parses the
// compound-file header and directory; the string pool, the table schema
// and each table are read on first use; payload streams such as the
// embedded cabinet are never read unless a caller opens them with
// [File.OpenStream]. Every length, offset and sector number taken from the
// file is checked, so a damaged file gives an error (see [ErrNotMSI] and
// [ErrCorrupt]), never a panic or an unbounded allocation.
//
// Values are formatted like msitools' "msiinfo export", so
// [Table.ExportIDT] produces the same text as `msiinfo export FILE TABLE`.
package msi

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/msiforge/msiforge/internal/safefile"
)

var (
	// ErrNotMSI reports a file that is not an MSI database at all.
	ErrNotMSI = errors.New("not an MSI file")
	// ErrCorrupt reports an MSI database whose structure is damaged or
	// truncated.
	ErrCorrupt = errors.New("corrupt MSI file")
	// ErrNotFound reports a table or stream the database does not have.
	ErrNotFound = errors.New("not found")
)

var errNoHeader = fmt.Errorf("%w (no compound-file header)", ErrNotMSI)

// corruptError is a structural problem; it matches ErrCorrupt with
// errors.Is without repeating "corrupt MSI file" in every message.
type corruptError struct{ msg string }

func (e *corruptError) Error() string        { return e.msg }
func (e *corruptError) Is(target error) bool { return target == ErrCorrupt }

func corruptf(format string, args ...any) error {
	return &corruptError{msg: fmt.Sprintf(format, args...)}
}

// Names of special streams: the two that hold an Authenticode signature
// (see [File.Signed]) and the summary information (see [File.Summary]).
const (
	StreamDigitalSignature      = "\x05DigitalSignature"
	StreamMsiDigitalSignatureEx = "\x05MsiDigitalSignatureEx"
	StreamSummaryInformation    = "\x05SummaryInformation"
)

// File is an open MSI database. Its methods are not safe for concurrent
// use.
type File struct {
	name    string // path for error messages; "" for NewReader
	c       *cfb
	closer  io.Closer
	streams map[string]int // decoded name of every stream in the root storage -> directory index

	pool    *stringPool
	schema  *schema
	summary *Summary
}

// Open opens the MSI file at path. Errors name the path.
func Open(path string) (*File, error) {
	fh, err := safefile.Open(path)
	if err != nil {
		return nil, err
	}
	st, err := fh.Stat()
	if err != nil {
		fh.Close()
		return nil, err
	}
	f, err := newFile(fh, st.Size(), path)
	if err != nil {
		fh.Close()
		return nil, err
	}
	f.closer = fh
	return f, nil
}

// NewReader reads an MSI database of the given size from r. Only the parts
// that calls ask for are read, in pieces of at most one sector, so r can be
// a large file or a remote object.
func NewReader(r io.ReaderAt, size int64) (*File, error) {
	return newFile(r, size, "")
}

func newFile(r io.ReaderAt, size int64, name string) (*File, error) {
	f := &File{name: name}
	c, err := openCFB(r, size)
	if err != nil {
		return nil, f.wrap(err)
	}
	f.c = c
	f.streams = map[string]int{}
	for _, i := range c.rootStreams() {
		f.streams[decodeStreamName(c.entries[i].name)] = i
	}
	for _, t := range []string{"_Tables", "_StringPool"} {
		if _, ok := f.streams[string(rune(tableMarker))+t]; !ok {
			return nil, f.wrap(fmt.Errorf("%w (compound file has no %s stream)", ErrNotMSI, t))
		}
	}
	return f, nil
}

// Close closes the file opened by Open. It does nothing for NewReader.
func (f *File) Close() error {
	if f.closer == nil {
		return nil
	}
	err := f.closer.Close()
	f.closer = nil
	return err
}

// wrap prefixes err with the file name, if there is one.
func (f *File) wrap(err error) error {
	if err == nil || f.name == "" {
		return err
	}
	return fmt.Errorf("%s: %w", f.name, err)
}

// Streams returns the names of the streams that are not tables, decoded
// from the MSI stream-name encoding (for example "Binary.MyDll",
// "cab1.cab", "\x05SummaryInformation"): the names `msiinfo streams`
// prints, in compound-file directory order (shorter encoded names first).
func (f *File) Streams() []string {
	type named struct {
		name string
		raw  []uint16
	}
	var list []named
	for name, i := range f.streams {
		if strings.HasPrefix(name, string(rune(tableMarker))) {
			continue
		}
		list = append(list, named{name, f.c.entries[i].name})
	}
	slices.SortFunc(list, func(a, b named) int { return compareCFBNames(a.raw, b.raw) })
	out := make([]string, len(list))
	for i, n := range list {
		out[i] = n.name
	}
	return out
}

// compareCFBNames orders directory names as the compound-file format does:
// shorter names first, then by upper-cased UTF-16 code units.
func compareCFBNames(a, b []uint16) int {
	if len(a) != len(b) {
		return len(a) - len(b)
	}
	for i := range a {
		x, y := upper16(a[i]), upper16(b[i])
		if x != y {
			return int(x) - int(y)
		}
	}
	return 0
}

func upper16(c uint16) uint16 {
	if c >= 'a' && c <= 'z' {
		return c - 'a' + 'A'
	}
	return c
}

// OpenStream opens a non-table stream by its decoded name (as returned by
// Streams or by a binary column's [Value.StreamName]) and returns a reader
// for its contents and its size. Nothing is read until the reader is used.
func (f *File) OpenStream(name string) (io.Reader, int64, error) {
	i, ok := f.streams[name]
	if !ok || strings.HasPrefix(name, string(rune(tableMarker))) {
		return nil, 0, f.wrap(fmt.Errorf("stream %q: %w", name, ErrNotFound))
	}
	e := &f.c.entries[i]
	return &wrapReader{f: f, name: name, r: f.c.newStreamReader(e)}, e.size, nil
}

// wrapReader names the file and stream in read errors.
type wrapReader struct {
	f    *File
	name string
	r    io.Reader
}

func (w *wrapReader) Read(p []byte) (int, error) {
	n, err := w.r.Read(p)
	if err != nil && err != io.EOF {
		err = w.f.wrap(fmt.Errorf("read stream %q: %w", w.name, err))
	}
	return n, err
}

// Signed reports whether the package carries an Authenticode signature,
// that is a \x05DigitalSignature or \x05MsiDigitalSignatureEx stream. It
// does not verify the signature.
func (f *File) Signed() bool {
	_, sig := f.streams[StreamDigitalSignature]
	_, ex := f.streams[StreamMsiDigitalSignatureEx]
	return sig || ex
}

// readMeta reads a whole metadata stream (a table, the string pool or the
// summary information). A missing stream reads as empty with ok false.
func (f *File) readMeta(name string) (data []byte, ok bool, err error) {
	i, ok := f.streams[name]
	if !ok {
		return nil, false, nil
	}
	data, err = f.c.readStream(&f.c.entries[i])
	return data, true, err
}

func (f *File) stringPool() (*stringPool, error) {
	if f.pool != nil {
		return f.pool, nil
	}
	pool, _, err := f.readMeta(string(rune(tableMarker)) + "_StringPool")
	if err != nil {
		return nil, fmt.Errorf("read _StringPool: %w", err)
	}
	data, _, err := f.readMeta(string(rune(tableMarker)) + "_StringData")
	if err != nil {
		return nil, fmt.Errorf("read _StringData: %w", err)
	}
	sp, err := parseStringPool(pool, data)
	if err != nil {
		return nil, &corruptError{msg: "string pool: " + err.Error()}
	}
	f.pool = sp
	return sp, nil
}

// Codepage returns the database codepage, from the string pool header (0
// means the system's ANSI codepage). It is what `msiinfo export FILE
// _ForceCodepage` reports.
func (f *File) Codepage() (int, error) {
	sp, err := f.stringPool()
	if err != nil {
		return 0, f.wrap(err)
	}
	return sp.codepage, nil
}
