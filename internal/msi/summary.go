package msi

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Property identifiers of the summary information stream (MS-OLEPS), as
// Windows Installer uses them.
const (
	PIDCodepage    = 1
	PIDTitle       = 2
	PIDSubject     = 3
	PIDAuthor      = 4
	PIDKeywords    = 5
	PIDComments    = 6
	PIDTemplate    = 7
	PIDLastAuthor  = 8
	PIDRevision    = 9 // the PackageCode
	PIDEditTime    = 10
	PIDLastPrinted = 11
	PIDCreated     = 12
	PIDLastSaved   = 13
	PIDPageCount   = 14
	PIDWordCount   = 15
	PIDCharCount   = 16
	PIDAppName     = 18
	PIDSecurity    = 19

	// maxSummaryPID is where libmsi stops; higher ids have no meaning in
	// an installer database.
	maxSummaryPID = 20
)

// Property value types (VARTYPE) that can appear in the summary stream.
const (
	VTI2       = 2
	VTI4       = 3
	VTLPSTR    = 30
	VTFileTime = 64
)

// fmtidSummaryInformation is {F29F85E0-4FF9-1068-AB91-08002B27B3D9} as
// stored on disk.
var fmtidSummaryInformation = []byte{0xe0, 0x85, 0x9f, 0xf2, 0xf9, 0x4f, 0x68, 0x10, 0xab, 0x91, 0x08, 0x00, 0x2b, 0x27, 0xb3, 0xd9}

// SummaryProperty is one property of the summary information stream.
type SummaryProperty struct {
	ID   int
	Type int       // VTI2, VTI4, VTLPSTR or VTFileTime
	Int  int       // for VTI2 and VTI4
	Str  string    // for VTLPSTR: taken as UTF-8 when valid (libmsi writes UTF-8), else decoded from the summary codepage
	Time time.Time // for VTFileTime, in UTC
}

// String formats the value as `msiinfo export FILE _SummaryInformation`
// does, with times in UTC (msiinfo uses the local time zone).
func (p SummaryProperty) String() string {
	switch p.Type {
	case VTI2, VTI4:
		return strconv.Itoa(p.Int)
	case VTLPSTR:
		return p.Str
	case VTFileTime:
		return p.Time.Format("2006/01/02 15:04:05")
	}
	return ""
}

// Summary is the summary information stream (\x05SummaryInformation) of an
// installer database. Absent properties are zero.
type Summary struct {
	Codepage            int    // codepage of the strings below
	Title               string // "Installation Database" for installers
	Subject             string // usually the product name
	Author              string // usually the manufacturer
	Keywords            string
	Comments            string
	Template            string // platform and languages, e.g. "x64;1033"
	LastSavedBy         string
	PackageCode         string    // the Revision Number property: the package code GUID
	Created             time.Time // UTC
	LastSaved           time.Time // UTC
	PageCount           int       // minimum Windows Installer version × 100, e.g. 500
	WordCount           int       // source flags: 1 short names, 2 compressed, 4 administrative image, 8 no elevation needed
	CharCount           int
	CreatingApplication string
	Security            int // 0 none, 2 read-only recommended, 4 read-only enforced

	// Properties holds every property in the stream, by increasing ID.
	Properties []SummaryProperty
}

// Summary reads the summary information stream. A database without one
// gives an empty Summary.
func (f *File) Summary() (Summary, error) {
	if f.summary != nil {
		s := *f.summary
		s.Properties = slices.Clone(s.Properties)
		return s, nil
	}
	data, ok, err := f.readMeta(StreamSummaryInformation)
	if err != nil {
		return Summary{}, f.wrap(fmt.Errorf("read summary information: %w", err))
	}
	var s Summary
	if ok {
		if s, err = parseSummary(data); err != nil {
			return Summary{}, f.wrap(err)
		}
	}
	f.summary = &s
	s.Properties = slices.Clone(s.Properties)
	return s, nil
}

func parseSummary(data []byte) (Summary, error) {
	var s Summary
	bad := func(format string, args ...any) error {
		return corruptf("summary information: "+format, args...)
	}
	if len(data) < 48 {
		return s, bad("stream of %d bytes is too short for a property set", len(data))
	}
	if bo := binary.LittleEndian.Uint16(data); bo != 0xFFFE {
		return s, bad("byte order mark is %#x, want 0xfffe", bo)
	}
	if !bytes.Equal(data[28:44], fmtidSummaryInformation) {
		return s, bad("first property set is not SummaryInformation")
	}
	secOff := uint64(binary.LittleEndian.Uint32(data[44:]))
	if secOff+8 > uint64(len(data)) {
		return s, bad("section offset %d is past the end of the stream", secOff)
	}
	secSize := uint64(binary.LittleEndian.Uint32(data[secOff:]))
	nprops := uint64(binary.LittleEndian.Uint32(data[secOff+4:]))
	if secOff+secSize > uint64(len(data)) {
		return s, bad("section of %d bytes overruns the stream", secSize)
	}
	sec := data[secOff : secOff+secSize]
	if 8+nprops*8 > secSize {
		return s, bad("%d properties do not fit in a section of %d bytes", nprops, secSize)
	}
	type rawProp struct {
		id  uint32
		off uint64
	}
	props := make([]rawProp, nprops)
	for i := range props {
		props[i] = rawProp{binary.LittleEndian.Uint32(sec[8+i*8:]), uint64(binary.LittleEndian.Uint32(sec[12+i*8:]))}
	}
	// The codepage property says how to decode the strings, so read it
	// first.
	for _, p := range props {
		if p.id == PIDCodepage && p.off+6 <= secSize && binary.LittleEndian.Uint16(sec[p.off:]) == VTI2 {
			s.Codepage = int(binary.LittleEndian.Uint16(sec[p.off+4:]))
		}
	}
	for _, p := range props {
		if p.id == 0 || p.id >= maxSummaryPID {
			continue // the dictionary, or ids libmsi ignores
		}
		if p.off+4 > secSize {
			return s, bad("property %d: offset %d is outside the section", p.id, p.off)
		}
		vt := int(binary.LittleEndian.Uint16(sec[p.off:]))
		val := sec[p.off+4:]
		sp := SummaryProperty{ID: int(p.id), Type: vt}
		switch vt {
		case VTI2:
			if len(val) < 2 {
				return s, bad("property %d: value truncated", p.id)
			}
			if p.id == PIDCodepage {
				sp.Int = int(binary.LittleEndian.Uint16(val)) // 65001 does not fit an int16
			} else {
				sp.Int = int(int16(binary.LittleEndian.Uint16(val)))
			}
		case VTI4:
			if len(val) < 4 {
				return s, bad("property %d: value truncated", p.id)
			}
			sp.Int = int(int32(binary.LittleEndian.Uint32(val)))
		case VTFileTime:
			if len(val) < 8 {
				return s, bad("property %d: value truncated", p.id)
			}
			sp.Time = filetime(binary.LittleEndian.Uint64(val))
		case VTLPSTR:
			if len(val) < 4 {
				return s, bad("property %d: value truncated", p.id)
			}
			n := uint64(binary.LittleEndian.Uint32(val))
			if n > uint64(len(val)-4) {
				return s, bad("property %d: string of %d bytes overruns the section", p.id, n)
			}
			str := string(val[4 : 4+n])
			if i := strings.IndexByte(str, 0); i >= 0 {
				str = str[:i]
			}
			// libmsi (so wixl and msibuild) stores summary strings as UTF-8
			// whatever the codepage says; Windows tools use the codepage.
			// Text that is valid UTF-8 is almost never meant as 1252, so
			// take it as UTF-8 and decode only the rest.
			if !utf8.ValidString(str) {
				dec, err := decodeCodepage(str, s.Codepage)
				if err != nil {
					return s, bad("property %d: %v", p.id, err)
				}
				str = dec
			}
			sp.Str = str
		default:
			continue // not a type an installer database uses
		}
		s.set(sp)
	}
	slices.SortFunc(s.Properties, func(a, b SummaryProperty) int { return a.ID - b.ID })
	return s, nil
}

// set records a property and fills the matching field.
func (s *Summary) set(p SummaryProperty) {
	// A repeated id replaces the earlier one, as in libmsi.
	if i := slices.IndexFunc(s.Properties, func(q SummaryProperty) bool { return q.ID == p.ID }); i >= 0 {
		s.Properties[i] = p
	} else {
		s.Properties = append(s.Properties, p)
	}
	strs := map[int]*string{
		PIDTitle: &s.Title, PIDSubject: &s.Subject, PIDAuthor: &s.Author,
		PIDKeywords: &s.Keywords, PIDComments: &s.Comments, PIDTemplate: &s.Template,
		PIDLastAuthor: &s.LastSavedBy, PIDRevision: &s.PackageCode, PIDAppName: &s.CreatingApplication,
	}
	ints := map[int]*int{
		PIDCodepage: &s.Codepage, PIDPageCount: &s.PageCount, PIDWordCount: &s.WordCount,
		PIDCharCount: &s.CharCount, PIDSecurity: &s.Security,
	}
	times := map[int]*time.Time{PIDCreated: &s.Created, PIDLastSaved: &s.LastSaved}
	switch p.Type {
	case VTLPSTR:
		if f, ok := strs[p.ID]; ok {
			*f = p.Str
		}
	case VTI2, VTI4:
		if f, ok := ints[p.ID]; ok {
			*f = p.Int
		}
	case VTFileTime:
		if f, ok := times[p.ID]; ok {
			*f = p.Time
		}
	}
}

// filetime converts a FILETIME (100 ns ticks since 1601) to UTC.
func filetime(ft uint64) time.Time {
	const epochDiff = 11644473600 // seconds from 1601-01-01 to 1970-01-01
	return time.Unix(int64(ft/1e7)-epochDiff, int64(ft%1e7)*100).UTC()
}

// exportIDT renders the summary as `msiinfo export FILE
// _SummaryInformation` does.
func (s Summary) exportIDT() string {
	var b strings.Builder
	b.WriteString("PropertyId\tValue\r\ni2\tl255\r\n_SummaryInformation\tPropertyId\r\n")
	for _, p := range s.Properties {
		fmt.Fprintf(&b, "%d\t%s\r\n", p.ID, p.String())
	}
	return b.String()
}
