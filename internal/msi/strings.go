package msi

import (
	"encoding/binary"
	"fmt"
	"strings"
	"unicode/utf16"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/japanese"
	"golang.org/x/text/encoding/korean"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/traditionalchinese"
)

// tableMarker starts the (encoded) name of every table stream.
const tableMarker = 0x4840

// decodeStreamName undoes the MSI stream-name compression: a code unit in
// 0x3800–0x47FF packs two characters and 0x4800–0x483F one, from the
// 64-character alphabet 0-9A-Za-z._ (the same rule as libmsi's
// decode_streamname). Everything else, including the 0x4840 table marker,
// is kept as is.
func decodeStreamName(raw []uint16) string {
	out := make([]uint16, 0, 2*len(raw))
	for _, ch := range raw {
		switch {
		case ch >= 0x3800 && ch < 0x4800:
			ch -= 0x3800
			out = append(out, mime2utf(ch&0x3f), mime2utf((ch>>6)&0x3f))
		case ch >= 0x4800 && ch < 0x4840:
			out = append(out, mime2utf(ch-0x4800))
		default:
			out = append(out, ch)
		}
	}
	return string(utf16.Decode(out))
}

func mime2utf(x uint16) uint16 {
	switch {
	case x < 10:
		return x + '0'
	case x < 10+26:
		return x - 10 + 'A'
	case x < 10+26+26:
		return x - 10 - 26 + 'a'
	case x == 10+26+26:
		return '.'
	}
	return '_'
}

// stringPool is the decoded _StringPool/_StringData pair.
type stringPool struct {
	codepage int
	refSize  int      // bytes per string reference in table data: 2, or 3 with the long-refs flag
	strs     []string // indexed by string id; id 0 is the null string
	used     []bool   // whether an id holds a string (ids of deleted strings do not)
}

// parseStringPool decodes the string pool. The pool starts with a 4-byte
// header (the codepage, with bit 31 flagging 3-byte string references) and
// continues with (length u16, refcount u16) entries, one per id from 1. An
// entry (0, 0) is an unused id. An entry (0, hi) with hi != 0 introduces a
// string of 64 KB or more: the next entry holds the low 16 bits of the length
// and the refcount, and the pair takes a single id. This is the layout libmsi
// and Windows write; libmsi's reader takes the high word from the second
// entry's refcount instead, which only agrees when the two are equal (a
// string of 64–128 KB referenced once).
func parseStringPool(pool, data []byte) (*stringPool, error) {
	sp := &stringPool{refSize: 2, strs: []string{""}, used: []bool{true}}
	if len(pool) == 0 {
		return sp, nil
	}
	if len(pool)%4 != 0 {
		return nil, fmt.Errorf("_StringPool size %d is not a multiple of 4", len(pool))
	}
	hdr := binary.LittleEndian.Uint32(pool)
	sp.codepage = int(hdr & 0x7FFFFFFF)
	if hdr&0x80000000 != 0 {
		sp.refSize = 3
	}
	var offset uint64
	count := len(pool) / 4
	for i := 1; i < count; {
		length := uint64(binary.LittleEndian.Uint16(pool[i*4:]))
		refs := binary.LittleEndian.Uint16(pool[i*4+2:])
		id := len(sp.strs)
		if length == 0 && refs == 0 {
			sp.strs = append(sp.strs, "")
			sp.used = append(sp.used, false)
			i++
			continue
		}
		if length == 0 {
			if i+1 >= count {
				return nil, fmt.Errorf("string %d: long-string entry is the last pool entry", id)
			}
			length = uint64(refs)<<16 | uint64(binary.LittleEndian.Uint16(pool[(i+1)*4:]))
			i += 2
		} else {
			i++
		}
		if offset+length > uint64(len(data)) {
			return nil, fmt.Errorf("string %d: %d bytes at offset %d overrun _StringData (%d bytes)", id, length, offset, len(data))
		}
		sp.strs = append(sp.strs, string(data[offset:offset+length]))
		sp.used = append(sp.used, true)
		offset += length
	}
	if offset != uint64(len(data)) {
		return nil, fmt.Errorf("_StringData has %d bytes but the pool accounts for %d", len(data), offset)
	}
	for id, s := range sp.strs {
		d, err := decodeCodepage(s, sp.codepage)
		if err != nil {
			return nil, fmt.Errorf("string %d: %w", id, err)
		}
		sp.strs[id] = d
	}
	return sp, nil
}

// lookup returns the string with the given id; id 0 is the null string.
func (sp *stringPool) lookup(id uint32) (string, error) {
	if id >= uint32(len(sp.strs)) {
		return "", fmt.Errorf("string id %d is outside the string pool (%d ids)", id, len(sp.strs))
	}
	if !sp.used[id] {
		return "", fmt.Errorf("string id %d is an unused pool entry", id)
	}
	return sp.strs[id], nil
}

// decodeCodepage converts bytes in a Windows codepage to UTF-8. It knows
// the codepages installers use in practice: 0 (the "ANSI" default, read as
// 1252 like libmsi on a Western locale), 1252, 28591 (Latin-1), 20127
// (ASCII), 65001 (UTF-8) and the other ANSI code pages msiforge builds in
// (874, 932, 936, 949, 950, 1250-1258; see ansiDecoders). Any other
// codepage works for ASCII text and is an error otherwise, rather than a
// silent mis-decoding.
func decodeCodepage(s string, cp int) (string, error) {
	ascii := true
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			ascii = false
			break
		}
	}
	if ascii {
		return s, nil
	}
	switch cp {
	case 65001:
		return strings.ToValidUTF8(s, "\uFFFD"), nil
	case 0, 1252:
		var b strings.Builder
		for i := 0; i < len(s); i++ {
			c := s[i]
			if c >= 0x80 && c < 0xA0 {
				b.WriteRune(cp1252[c-0x80])
			} else {
				b.WriteRune(rune(c))
			}
		}
		return b.String(), nil
	case 28591, 20127:
		var b strings.Builder
		for i := 0; i < len(s); i++ {
			b.WriteRune(rune(s[i]))
		}
		return b.String(), nil
	}
	if enc, ok := ansiDecoders[cp]; ok {
		d, err := enc.NewDecoder().String(s)
		if err != nil {
			return "", fmt.Errorf("not valid in codepage %d: %w", cp, err)
		}
		return d, nil
	}
	return "", fmt.Errorf("codepage %d is not supported for non-ASCII text", cp)
}

// ansiDecoders are the Windows ANSI code pages besides 1252 that
// msiforge builds packages in (internal/config.Codepages), decoded with
// golang.org/x/text (its double-byte tables are the WHATWG Encoding
// Standard's, which are Microsoft's code pages).
var ansiDecoders = map[int]encoding.Encoding{
	874: charmap.Windows874, 932: japanese.ShiftJIS, 936: simplifiedchinese.GBK,
	949: korean.EUCKR, 950: traditionalchinese.Big5,
	1250: charmap.Windows1250, 1251: charmap.Windows1251, 1253: charmap.Windows1253,
	1254: charmap.Windows1254, 1255: charmap.Windows1255, 1256: charmap.Windows1256,
	1257: charmap.Windows1257, 1258: charmap.Windows1258,
}

// cp1252 maps bytes 0x80–0x9F of Windows-1252. The five bytes the codepage
// leaves undefined map to the C1 control with the same value, as Windows
// does.
var cp1252 = [32]rune{
	'\u20AC', '\u0081', '\u201A', '\u0192', '\u201E', '\u2026', '\u2020', '\u2021',
	'\u02C6', '\u2030', '\u0160', '\u2039', '\u0152', '\u008D', '\u017D', '\u008F',
	'\u0090', '\u2018', '\u2019', '\u201C', '\u201D', '\u2022', '\u2013', '\u2014',
	'\u02DC', '\u2122', '\u0161', '\u203A', '\u0153', '\u009D', '\u017E', '\u0178',
}
