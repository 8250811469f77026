package msi

// This file is a read-only reader for the compound file binary format
// (MS-CFB) that MSI databases are stored in.
//
// It exists instead of relic's lib/comdoc because comdoc was written for
// trusted input: it indexes its sector tables with sector numbers taken
// from the file without bounds checks (a bad number panics), follows sector
// chains without cycle detection (a looping chain never ends), sizes its
// tables from header counts (a bad count allocates gigabytes) and loads the
// whole FAT up front. TestComdocPanicsOnCorruptInput shows the first of
// these. This reader bounds every sector number, every chain and every
// allocation by the file size, and loads FAT sectors only when a chain runs
// through them, so reading the metadata streams of a 200 MB MSI does not
// touch the sectors of its cabinet.

import (
	"encoding/binary"
	"fmt"
	"io"
	"math"
)

const (
	secFree       = 0xFFFFFFFF
	secEndOfChain = 0xFFFFFFFE
	secMaxRegular = 0xFFFFFFFA
	noStream      = 0xFFFFFFFF

	cfbHeaderSize = 512
	dirEntrySize  = 128
	miniShift     = 6 // mini sectors are always 64 bytes
	miniCutoff    = 4096

	typeStorage = 1
	typeStream  = 2
	typeRoot    = 5
)

var cfbMagic = []byte{0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1}

// cfbEntry is one directory entry.
type cfbEntry struct {
	name   []uint16 // raw UTF-16 name, without the terminating NUL
	typ    byte
	left   uint32
	right  uint32
	child  uint32
	start  uint32
	size   int64
	parent int // index of the storage this entry belongs to; -1 for the root
}

// cfb is an open compound file.
type cfb struct {
	r       io.ReaderAt
	size    int64
	shift   uint   // sector size is 1<<shift (9 or 12)
	nsect   uint32 // number of sectors the file can hold; every valid sector number is below it
	fatLocs []uint32
	fat     map[uint32][]uint32 // FAT sector index -> its entries, loaded on demand

	miniFATStart uint32
	miniFATCount uint32
	miniFAT      []uint32 // loaded on the first mini stream read
	miniLoaded   bool
	rootChain    []uint32 // sectors of the mini stream container, loaded on demand

	entries []cfbEntry
}

func (c *cfb) secSize() int64 { return 1 << c.shift }

// readAt reads exactly len(p) bytes at off, failing on anything past the end
// of the file.
func (c *cfb) readAt(p []byte, off int64) error {
	if off < 0 || off > c.size || int64(len(p)) > c.size-off {
		return corruptf("read of %d bytes at offset %d is past the end of the file (%d bytes; truncated?)", len(p), off, c.size)
	}
	n, err := c.r.ReadAt(p, off)
	if n == len(p) {
		return nil
	}
	if err == nil || err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	return fmt.Errorf("read at offset %d: %w", off, err)
}

// sectorOffset returns where sector sec starts, checking that it exists.
func (c *cfb) sectorOffset(sec uint32) (int64, error) {
	if sec >= c.nsect {
		return 0, corruptf("sector %d is outside the file (%d sectors; truncated?)", sec, c.nsect)
	}
	return (int64(sec) + 1) << c.shift, nil
}

func (c *cfb) readSector(sec uint32) ([]byte, error) {
	off, err := c.sectorOffset(sec)
	if err != nil {
		return nil, err
	}
	buf := make([]byte, c.secSize())
	if err := c.readAt(buf, off); err != nil {
		return nil, err
	}
	return buf, nil
}

func le32s(b []byte) []uint32 {
	out := make([]uint32, len(b)/4)
	for i := range out {
		out[i] = binary.LittleEndian.Uint32(b[i*4:])
	}
	return out
}

// openCFB parses the header, the DIFAT and the directory. It reads no
// stream data.
func openCFB(r io.ReaderAt, size int64) (*cfb, error) {
	if size < cfbHeaderSize {
		return nil, errNoHeader
	}
	hdr := make([]byte, cfbHeaderSize)
	c := &cfb{r: r, size: size, fat: map[uint32][]uint32{}}
	if err := c.readAt(hdr, 0); err != nil {
		return nil, err
	}
	if string(hdr[:8]) != string(cfbMagic) {
		return nil, errNoHeader
	}
	if bo := binary.LittleEndian.Uint16(hdr[28:]); bo != 0xFFFE {
		return nil, corruptf("byte order mark is %#x, want 0xfffe", bo)
	}
	c.shift = uint(binary.LittleEndian.Uint16(hdr[30:]))
	if c.shift != 9 && c.shift != 12 {
		return nil, corruptf("sector size 2^%d is not 512 or 4096", c.shift)
	}
	if ms := binary.LittleEndian.Uint16(hdr[32:]); ms != miniShift {
		return nil, corruptf("mini sector size 2^%d is not 64", ms)
	}
	if cut := binary.LittleEndian.Uint32(hdr[56:]); cut != miniCutoff {
		return nil, corruptf("mini stream cutoff %d is not 4096", cut)
	}
	// Sector 0 starts one sector into the file (at 512 or 4096).
	n := (size - c.secSize() + c.secSize() - 1) >> c.shift
	if n < 0 {
		n = 0
	}
	if n > secMaxRegular {
		n = secMaxRegular
	}
	c.nsect = uint32(n)

	numFAT := binary.LittleEndian.Uint32(hdr[44:])
	dirStart := binary.LittleEndian.Uint32(hdr[48:])
	c.miniFATStart = binary.LittleEndian.Uint32(hdr[60:])
	c.miniFATCount = binary.LittleEndian.Uint32(hdr[64:])
	difatStart := binary.LittleEndian.Uint32(hdr[68:])
	numDIFAT := binary.LittleEndian.Uint32(hdr[72:])

	if numFAT > c.nsect {
		return nil, corruptf("header claims %d FAT sectors in a file of %d sectors", numFAT, c.nsect)
	}
	locs := le32s(hdr[76:512])
	perSector := uint32(c.secSize()/4) - 1
	seen := map[uint32]bool{}
	// The chain is bounded by its declared length, by the FAT size it must
	// describe, and (through seen) by the number of sectors in the file.
	for sec, i := difatStart, uint32(0); sec <= secMaxRegular && i < numDIFAT && uint32(len(locs)) < numFAT; i++ {
		if seen[sec] {
			return nil, corruptf("DIFAT chain loops at sector %d", sec)
		}
		seen[sec] = true
		buf, err := c.readSector(sec)
		if err != nil {
			return nil, fmt.Errorf("read DIFAT: %w", err)
		}
		vals := le32s(buf)
		locs = append(locs, vals[:perSector]...)
		sec = vals[perSector]
	}
	if uint32(len(locs)) > numFAT {
		locs = locs[:numFAT]
	}
	c.fatLocs = locs

	if err := c.readDir(dirStart); err != nil {
		return nil, fmt.Errorf("read directory: %w", err)
	}
	return c, nil
}

// next returns the sector after sec in its chain, loading the FAT sector
// that holds the entry if needed.
func (c *cfb) next(sec uint32) (uint32, error) {
	perSector := uint32(c.secSize() / 4)
	idx := sec / perSector
	if idx >= uint32(len(c.fatLocs)) {
		return 0, corruptf("sector %d is not covered by the FAT", sec)
	}
	tab, ok := c.fat[idx]
	if !ok {
		buf, err := c.readSector(c.fatLocs[idx])
		if err != nil {
			return 0, fmt.Errorf("read FAT: %w", err)
		}
		tab = le32s(buf)
		c.fat[idx] = tab
	}
	return tab[sec%perSector], nil
}

// chain returns the first n sectors of the chain starting at start, or the
// whole chain when n < 0 (bounded by the number of sectors in the file).
func (c *cfb) chain(start uint32, n int64) ([]uint32, error) {
	limit := int64(c.nsect)
	if n >= 0 && n > limit {
		return nil, corruptf("chain of %d sectors is longer than the file", n)
	}
	var out []uint32
	seen := map[uint32]bool{}
	sec := start
	for n < 0 || int64(len(out)) < n {
		if sec == secEndOfChain && n < 0 {
			break
		}
		if sec > secMaxRegular {
			if n < 0 {
				return nil, corruptf("chain from sector %d has an invalid link %#x", start, sec)
			}
			return nil, corruptf("chain from sector %d ends after %d sectors, want %d", start, len(out), n)
		}
		if seen[sec] {
			return nil, corruptf("chain from sector %d loops at sector %d", start, sec)
		}
		seen[sec] = true
		out = append(out, sec)
		if int64(len(out)) > limit {
			return nil, corruptf("chain from sector %d is longer than the file", start)
		}
		if n >= 0 && int64(len(out)) == n {
			break
		}
		var err error
		if sec, err = c.next(sec); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (c *cfb) readDir(start uint32) error {
	secs, err := c.chain(start, -1)
	if err != nil {
		return err
	}
	if len(secs) == 0 {
		return corruptf("empty directory")
	}
	for _, sec := range secs {
		buf, err := c.readSector(sec)
		if err != nil {
			return err
		}
		for off := 0; off+dirEntrySize <= len(buf); off += dirEntrySize {
			c.entries = append(c.entries, parseDirEntry(buf[off:off+dirEntrySize], c.shift))
		}
	}
	root := &c.entries[0]
	if root.typ != typeRoot {
		return corruptf("first directory entry is not the root storage")
	}
	if root.size > c.size {
		return corruptf("mini stream of %d bytes is larger than the file", root.size)
	}
	for i := range c.entries {
		c.entries[i].parent = -2 // not reachable from the root
	}
	root.parent = -1
	// Walk every storage's red-black tree iteratively, marking each entry's
	// parent. An entry reached twice means the trees overlap or loop.
	type item struct{ idx, parent uint32 }
	stack := []item{}
	if root.child != noStream {
		stack = append(stack, item{root.child, 0})
	}
	for len(stack) > 0 {
		it := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if it.idx >= uint32(len(c.entries)) {
			return corruptf("directory entry %d points to missing entry %d", it.parent, it.idx)
		}
		e := &c.entries[it.idx]
		if e.parent != -2 || it.idx == 0 {
			return corruptf("directory entry %d is reached twice", it.idx)
		}
		if e.typ != typeStream && e.typ != typeStorage {
			return corruptf("directory entry %d has type %d", it.idx, e.typ)
		}
		e.parent = int(it.parent)
		for _, ch := range []uint32{e.left, e.right} {
			if ch != noStream {
				stack = append(stack, item{ch, it.parent})
			}
		}
		if e.typ == typeStorage && e.child != noStream {
			stack = append(stack, item{e.child, it.idx})
		}
	}
	return nil
}

func parseDirEntry(b []byte, shift uint) cfbEntry {
	nameLen := int(binary.LittleEndian.Uint16(b[64:])) / 2
	if nameLen > 0 {
		nameLen-- // the length counts the terminating NUL
	}
	if nameLen > 31 {
		nameLen = 31
	}
	name := make([]uint16, nameLen)
	for i := range name {
		name[i] = binary.LittleEndian.Uint16(b[2*i:])
	}
	raw := binary.LittleEndian.Uint64(b[120:])
	if shift == 9 {
		// Version 3 files only define the low 32 bits; writers leave
		// garbage in the high ones.
		raw &= 0xFFFFFFFF
	}
	// A size past int64 would turn negative and slip through the checks
	// against the file size; clamp it so that it fails them instead.
	size := int64(min(raw, math.MaxInt64))
	return cfbEntry{
		name:  name,
		typ:   b[66],
		left:  binary.LittleEndian.Uint32(b[68:]),
		right: binary.LittleEndian.Uint32(b[72:]),
		child: binary.LittleEndian.Uint32(b[76:]),
		start: binary.LittleEndian.Uint32(b[116:]),
		size:  size,
	}
}

// rootStreams returns the indexes of the streams directly in the root
// storage, in directory order.
func (c *cfb) rootStreams() []int {
	var out []int
	for i, e := range c.entries {
		if e.parent == 0 && e.typ == typeStream {
			out = append(out, i)
		}
	}
	return out
}

// loadMini loads the mini FAT and the sector list of the mini stream.
func (c *cfb) loadMini() error {
	if c.miniLoaded {
		return nil
	}
	secs, err := c.chain(c.miniFATStart, int64(c.miniFATCount))
	if err != nil {
		return fmt.Errorf("read mini FAT: %w", err)
	}
	var mf []uint32
	for _, sec := range secs {
		buf, err := c.readSector(sec)
		if err != nil {
			return fmt.Errorf("read mini FAT: %w", err)
		}
		mf = append(mf, le32s(buf)...)
	}
	root := c.entries[0]
	rc, err := c.chain(root.start, (root.size+c.secSize()-1)>>c.shift)
	if err != nil {
		return fmt.Errorf("read mini stream: %w", err)
	}
	c.miniFAT, c.rootChain, c.miniLoaded = mf, rc, true
	return nil
}

// readStream reads a whole stream into memory. Callers use it only for the
// metadata streams (tables, string pool, summary), never for payloads.
func (c *cfb) readStream(e *cfbEntry) ([]byte, error) {
	if e.size > c.size {
		return nil, corruptf("stream of %d bytes is larger than the file", e.size)
	}
	buf := make([]byte, e.size)
	if _, err := io.ReadFull(c.newStreamReader(e), buf); err != nil {
		return nil, err
	}
	return buf, nil
}

// streamReader reads one stream sequentially, following its chain one
// sector at a time, so opening a large stream reads nothing up front.
type streamReader struct {
	c      *cfb
	e      *cfbEntry
	pos    int64
	sec    uint32 // current sector (or mini sector)
	nsecs  int64  // sectors visited so far, for error messages
	mini   bool
	shift  uint
	failed error
}

func (c *cfb) newStreamReader(e *cfbEntry) *streamReader {
	s := &streamReader{c: c, e: e, sec: e.start, nsecs: 1, mini: e.size < miniCutoff, shift: c.shift}
	if s.mini {
		s.shift = miniShift
	}
	if e.size > c.size {
		s.failed = corruptf("stream of %d bytes is larger than the file", e.size)
	}
	return s
}

func (s *streamReader) Read(p []byte) (int, error) {
	if s.failed != nil {
		return 0, s.failed
	}
	if s.pos >= s.e.size {
		return 0, io.EOF
	}
	n, err := s.read(p)
	if err != nil {
		s.failed = err
	}
	return n, err
}

func (s *streamReader) read(p []byte) (int, error) {
	total := 0
	secLen := int64(1) << s.shift
	for len(p) > 0 && s.pos < s.e.size {
		if s.mini {
			if err := s.c.loadMini(); err != nil {
				return total, err
			}
		}
		inSec := s.pos & (secLen - 1)
		if s.pos > 0 && inSec == 0 {
			next, err := s.nextSector()
			if err != nil {
				return total, err
			}
			s.sec = next
		}
		n := min(int64(len(p)), secLen-inSec, s.e.size-s.pos)
		off, err := s.offset(inSec)
		if err != nil {
			return total, err
		}
		if err := s.c.readAt(p[:n], off); err != nil {
			return total, err
		}
		p = p[n:]
		s.pos += n
		total += int(n)
	}
	return total, nil
}

func (s *streamReader) nextSector() (uint32, error) {
	var next uint32
	if s.mini {
		if s.sec >= uint32(len(s.c.miniFAT)) {
			return 0, corruptf("mini sector %d is not covered by the mini FAT", s.sec)
		}
		next = s.c.miniFAT[s.sec]
	} else {
		var err error
		if next, err = s.c.next(s.sec); err != nil {
			return 0, err
		}
	}
	s.nsecs++
	if next > secMaxRegular {
		return 0, corruptf("stream chain ends after %d sectors, before its size of %d bytes", s.nsecs-1, s.e.size)
	}
	return next, nil
}

// offset returns the file offset of byte inSec of the current sector.
func (s *streamReader) offset(inSec int64) (int64, error) {
	if !s.mini {
		off, err := s.c.sectorOffset(s.sec)
		return off + inSec, err
	}
	pos := int64(s.sec)<<miniShift + inSec // position in the mini stream
	if pos >= s.c.entries[0].size {
		return 0, corruptf("mini sector %d is outside the mini stream", s.sec)
	}
	idx := pos >> s.c.shift
	if idx >= int64(len(s.c.rootChain)) {
		return 0, corruptf("mini sector %d is outside the mini stream", s.sec)
	}
	off, err := s.c.sectorOffset(s.c.rootChain[idx])
	return off + pos&(s.c.secSize()-1), err
}
