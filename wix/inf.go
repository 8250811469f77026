package wix

import (
	"bufio"
	"bytes"
	"strings"
	"unicode/utf16"
)

// infDecoration is the models-section decoration of each architecture.
var infDecoration = map[string]string{"x86": "ntx86", "x64": "ntamd64", "arm64": "ntarm64"}

// FirstHardwareID returns the hardware ID of the first device model of an
// INF for arch: the first entry of [Manufacturer] names a models section
// (with decorations such as NTamd64), whose first line is
// "desc = install-section, hw-id[, compatible-ids]". The section used is
// the one decorated for arch (NT<arch> with an optional OS version), else
// the undecorated one. "" when there is none. UTF-16 INFs (with a BOM) are
// read too.
// https://learn.microsoft.com/windows-hardware/drivers/install/inf-manufacturer-section
// https://learn.microsoft.com/windows-hardware/drivers/install/inf-models-section
func FirstHardwareID(data []byte, arch string) string {
	secs := infSections(data)
	mfr := secs["manufacturer"]
	if len(mfr) == 0 {
		return ""
	}
	_, val, _ := strings.Cut(mfr[0], "=")
	fields := strings.Split(val, ",")
	models := strings.ToLower(strings.TrimSpace(fields[0]))
	want := infDecoration[arch]
	name := models
	for _, d := range fields[1:] {
		d = strings.ToLower(strings.TrimSpace(d))
		if d == want || strings.HasPrefix(d, want+".") {
			name = models + "." + d
			break
		}
	}
	for _, line := range secs[name] {
		_, val, ok := strings.Cut(line, "=")
		if !ok {
			continue
		}
		f := strings.Split(val, ",")
		if len(f) >= 2 {
			if id := strings.Trim(strings.TrimSpace(f[1]), `"`); id != "" {
				return id
			}
		}
	}
	return ""
}

// infSections splits an INF into its sections' lines (lower-case names),
// without comments and blank lines.
func infSections(data []byte) map[string][]string {
	if len(data) >= 2 && data[0] == 0xFF && data[1] == 0xFE {
		u := make([]uint16, (len(data)-2)/2)
		for i := range u {
			u[i] = uint16(data[2+2*i]) | uint16(data[3+2*i])<<8
		}
		data = []byte(string(utf16.Decode(u)))
	}
	data = bytes.TrimPrefix(data, []byte("\xEF\xBB\xBF"))
	secs := map[string][]string{}
	cur := ""
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		line := sc.Text()
		if i := strings.IndexByte(line, ';'); i >= 0 && !strings.Contains(line[:i], `"`) {
			line = line[:i]
		}
		line = strings.TrimSpace(line)
		switch {
		case line == "":
		case strings.HasPrefix(line, "[") && strings.HasSuffix(line, "]"):
			cur = strings.ToLower(strings.TrimSpace(line[1 : len(line)-1]))
		default:
			secs[cur] = append(secs[cur], line)
		}
	}
	return secs
}
