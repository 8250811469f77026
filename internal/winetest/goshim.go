package winetest

import (
	"bytes"
	"encoding/binary"
	"os"
)

// SupportGo lets Windows programs built with Go 1.22 or later run in the
// prefix. Their runtime loads bcryptprimitives.dll and calls its
// ProcessPrng for random numbers at start-up, and Wine 8.0 (Debian 12) has
// no such DLL, so they die with "bcryptprimitives.dll not found". This
// writes a tiny DLL into system32 whose only export forwards ProcessPrng
// to advapi32's SystemFunction036 (RtlGenRandom), which takes the same
// arguments (buffer, length) and returns non-zero on success; Go only
// tests the low byte of the result, so BOOLEAN versus BOOL does not
// matter. Newer Wine ships the DLL itself.
func (p *Prefix) SupportGo() {
	p.t.Helper()
	if err := os.WriteFile(p.Path(`C:\windows\system32\bcryptprimitives.dll`), forwarderDLL("bcryptprimitives.dll", "ProcessPrng", "advapi32.SystemFunction036"), 0o644); err != nil {
		p.t.Fatalf("install bcryptprimitives.dll: %v", err)
	}
}

// forwarderDLL builds a minimal x64 (PE32+) DLL with no code: one
// read-only section holding an export directory whose single export,
// name, is forwarded to target ("dll.Function").
func forwarderDLL(dllName, name, target string) []byte {
	const (
		fileAlign = 0x200
		sectAlign = 0x1000
		rva       = sectAlign // the section's RVA
		exportDir = 40        // IMAGE_EXPORT_DIRECTORY size
	)
	le := binary.LittleEndian
	// The section: export directory, the three one-entry arrays, strings.
	funcs := exportDir
	names := funcs + 4
	ords := names + 4
	dllNameOff := ords + 2
	nameOff := dllNameOff + len(dllName) + 1
	targetOff := nameOff + len(name) + 1
	end := targetOff + len(target) + 1
	sec := make([]byte, end)
	le.PutUint32(sec[12:], uint32(rva+dllNameOff)) // Name
	le.PutUint32(sec[16:], 1)                      // Base
	le.PutUint32(sec[20:], 1)                      // NumberOfFunctions
	le.PutUint32(sec[24:], 1)                      // NumberOfNames
	le.PutUint32(sec[28:], uint32(rva+funcs))      // AddressOfFunctions
	le.PutUint32(sec[32:], uint32(rva+names))      // AddressOfNames
	le.PutUint32(sec[36:], uint32(rva+ords))       // AddressOfNameOrdinals
	// A function RVA inside the export directory's range is a forwarder
	// string, not code.
	le.PutUint32(sec[funcs:], uint32(rva+targetOff))
	le.PutUint32(sec[names:], uint32(rva+nameOff))
	copy(sec[dllNameOff:], dllName)
	copy(sec[nameOff:], name)
	copy(sec[targetOff:], target)

	var b bytes.Buffer
	w := func(v any) { _ = binary.Write(&b, le, v) }
	// DOS header: "MZ" and e_lfanew at 0x3c pointing just past it.
	dos := make([]byte, 0x40)
	copy(dos, "MZ")
	le.PutUint32(dos[0x3c:], 0x40)
	b.Write(dos)
	b.WriteString("PE\x00\x00")
	// COFF header: AMD64, one section, 240-byte optional header,
	// executable image | large-address aware | DLL.
	w(uint16(0x8664))
	w(uint16(1))
	w(uint32(0))
	w(uint32(0))
	w(uint32(0))
	w(uint16(240))
	w(uint16(0x2022))
	// Optional header (PE32+).
	rawSize := (end + fileAlign - 1) / fileAlign * fileAlign
	w(uint16(0x20b))                                 // Magic
	w([2]uint8{14, 0})                               // linker version
	w(uint32(0))                                     // SizeOfCode
	w(uint32(rawSize))                               // SizeOfInitializedData
	w(uint32(0))                                     // SizeOfUninitializedData
	w(uint32(0))                                     // AddressOfEntryPoint: none
	w(uint32(rva))                                   // BaseOfCode
	w(uint64(0x180000000))                           // ImageBase
	w(uint32(sectAlign))                             // SectionAlignment
	w(uint32(fileAlign))                             // FileAlignment
	w([4]uint16{6, 0, 0, 0})                         // OS and image versions
	w([2]uint16{6, 0})                               // subsystem version
	w(uint32(0))                                     // Win32VersionValue
	w(uint32(2 * sectAlign))                         // SizeOfImage: headers page + section page
	w(uint32(fileAlign))                             // SizeOfHeaders
	w(uint32(0))                                     // CheckSum
	w(uint16(3))                                     // Subsystem: console
	w(uint16(0x100))                                 // DllCharacteristics: NX compatible
	w([4]uint64{0x100000, 0x1000, 0x100000, 0x1000}) // stack and heap
	w(uint32(0))                                     // LoaderFlags
	w(uint32(16))                                    // NumberOfRvaAndSizes
	w([2]uint32{rva, uint32(end)})                   // export table
	w([15][2]uint32{})
	// Section header.
	b.WriteString(".rdata\x00\x00")
	w(uint32(end))        // VirtualSize
	w(uint32(rva))        // VirtualAddress
	w(uint32(rawSize))    // SizeOfRawData
	w(uint32(fileAlign))  // PointerToRawData
	w([3]uint32{})        // relocations, line numbers, their counts
	w(uint32(0x40000040)) // initialized data, readable
	b.Write(make([]byte, fileAlign-b.Len()))
	b.Write(sec)
	b.Write(make([]byte, rawSize-len(sec)))
	return b.Bytes()
}
