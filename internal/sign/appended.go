package sign

import (
	"encoding/binary"
	"errors"
	"io"

	"github.com/sassoftware/relic/v8/lib/comdoc"
)

// Data appended to a signed file. An MSI's Authenticode digest covers only
// the compound file's streams, so bytes after its last sector are not
// signed at all and Windows ignores them when it checks the signature
// (the trick behind CVE-2020-1464, a JAR appended to a signed MSI). A PE's
// certificate table must end the file; bytes after it are either unsigned
// smuggled data or a sign that the file was altered after signing. verify
// reports both by offset and length.

// peCertTable returns the file offset and size of a PE image's certificate
// table (the security data directory, whose "RVA" is a file offset), or
// zeros when the image has none.
// https://learn.microsoft.com/en-us/windows/win32/debug/pe-format#the-attribute-certificate-table-image-only
func peCertTable(r io.ReaderAt) (start, size int64, err error) {
	var dos [0x40]byte
	if _, err := r.ReadAt(dos[:], 0); err != nil {
		return 0, 0, err
	}
	peStart := int64(binary.LittleEndian.Uint32(dos[0x3c:]))
	// PE signature (4), COFF header (20), then the optional header.
	var hdr [4 + 20 + 2]byte
	if _, err := r.ReadAt(hdr[:], peStart); err != nil {
		return 0, 0, err
	}
	if string(hdr[:4]) != "PE\x00\x00" {
		return 0, 0, errors.New("no PE signature")
	}
	opt := peStart + 24
	var dirs int64 // offset of the data directories in the optional header
	switch binary.LittleEndian.Uint16(hdr[24:]) {
	case 0x10b: // PE32
		dirs = 96
	case 0x20b: // PE32+
		dirs = 112
	default:
		return 0, 0, errors.New("unknown optional header magic")
	}
	var n [4]byte
	if _, err := r.ReadAt(n[:], opt+dirs-4); err != nil {
		return 0, 0, err
	}
	if binary.LittleEndian.Uint32(n[:]) <= 4 { // NumberOfRvaAndSizes
		return 0, 0, nil
	}
	var dir [8]byte
	if _, err := r.ReadAt(dir[:], opt+dirs+4*8); err != nil {
		return 0, 0, err
	}
	return int64(binary.LittleEndian.Uint32(dir[:])), int64(binary.LittleEndian.Uint32(dir[4:])), nil
}

// msiEnd returns where an MSI's compound file ends: after the last sector
// its allocation table marks as used. relic truncates a signed MSI there
// too, so a signed file never has a tail of free sectors.
func msiEnd(r io.ReaderAt) (int64, error) {
	cdf, err := comdoc.ReadFile(r)
	if err != nil {
		return 0, err
	}
	for i := len(cdf.SAT) - 1; i >= 0; i-- {
		if cdf.SAT[i] != comdoc.SecIDFree {
			return cdf.FirstSector + int64(i+1)*int64(cdf.SectorSize), nil
		}
	}
	return cdf.FirstSector, nil
}
