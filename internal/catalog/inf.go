package catalog

import (
	"bufio"
	"bytes"
	"fmt"
	"strings"
	"unicode/utf16"
)

// INF is what a catalog needs from a driver INF: the catalog file it names,
// the files it installs from the package and its hardware IDs.
type INF struct {
	CatalogFiles []string // [Version] CatalogFile and its .NTamd64-style variants
	SourceFiles  []string // [SourceDisksFiles*] keys
	HardwareIDs  []string // from the [Manufacturer] model sections
}

// ParseINF reads the parts of an INF that a catalog depends on. INFs are
// ANSI or UTF-16LE with a BOM; both are accepted.
func ParseINF(data []byte) (*INF, error) {
	text, err := infText(data)
	if err != nil {
		return nil, err
	}
	sections := map[string][][2]string{}
	var order []string
	cur := ""
	sc := bufio.NewScanner(strings.NewReader(text))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := strings.TrimSpace(stripComment(sc.Text()))
		if line == "" {
			continue
		}
		if strings.HasPrefix(line, "[") {
			end := strings.IndexByte(line, ']')
			if end < 0 {
				return nil, fmt.Errorf("INF section header %q has no closing ]", line)
			}
			cur = strings.ToLower(strings.TrimSpace(line[1:end]))
			if _, ok := sections[cur]; !ok {
				order = append(order, cur)
				sections[cur] = nil
			}
			continue
		}
		k, v, _ := strings.Cut(line, "=")
		sections[cur] = append(sections[cur], [2]string{unquote(k), strings.TrimSpace(v)})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read INF: %w", err)
	}
	if _, ok := sections["version"]; !ok {
		return nil, fmt.Errorf("INF has no [Version] section: not a driver INF")
	}
	inf := &INF{}
	seen := map[string]bool{}
	for _, kv := range sections["version"] {
		if k := strings.ToLower(kv[0]); k == "catalogfile" || strings.HasPrefix(k, "catalogfile.") {
			inf.CatalogFiles = append(inf.CatalogFiles, unquote(kv[1]))
		}
	}
	for _, name := range order {
		if name != "sourcedisksfiles" && !strings.HasPrefix(name, "sourcedisksfiles.") {
			continue
		}
		for _, kv := range sections[name] {
			f := kv[0]
			// A [SourceDisksFiles] key is a file name; the folder is in its
			// value. A path here would make the catalog hash files outside
			// the package.
			if strings.ContainsAny(f, `/\:`) || f == "." || f == ".." {
				return nil, fmt.Errorf("INF [%s] entry %q is not a plain file name (no / \\ : or ..)", name, f)
			}
			if f != "" && !seen[strings.ToLower(f)] {
				seen[strings.ToLower(f)] = true
				inf.SourceFiles = append(inf.SourceFiles, f)
			}
		}
	}
	hw := map[string]bool{}
	for _, kv := range sections["manufacturer"] {
		parts := splitList(kv[1])
		if len(parts) == 0 {
			continue
		}
		models := []string{strings.ToLower(parts[0])}
		for _, deco := range parts[1:] {
			models = append(models, strings.ToLower(parts[0]+"."+deco))
		}
		for _, m := range models {
			for _, line := range sections[m] {
				ids := splitList(line[1])
				if len(ids) < 2 {
					continue
				}
				for _, id := range ids[1:] {
					if id != "" && !hw[strings.ToLower(id)] {
						hw[strings.ToLower(id)] = true
						inf.HardwareIDs = append(inf.HardwareIDs, strings.ToLower(id))
					}
				}
			}
		}
	}
	return inf, nil
}

func infText(data []byte) (string, error) {
	if bytes.HasPrefix(data, []byte{0xff, 0xfe}) {
		b := data[2:]
		u := make([]uint16, len(b)/2)
		for i := range u {
			u[i] = uint16(b[2*i]) | uint16(b[2*i+1])<<8
		}
		return string(utf16.Decode(u)), nil
	}
	if bytes.IndexByte(data, 0) >= 0 {
		return "", fmt.Errorf("INF contains NUL bytes and no UTF-16LE byte order mark: not a text INF")
	}
	return strings.TrimPrefix(string(data), "\ufeff"), nil
}

// stripComment cuts a ; comment that is not inside double quotes.
func stripComment(s string) string {
	in := false
	for i, r := range s {
		switch r {
		case '"':
			in = !in
		case ';':
			if !in {
				return s[:i]
			}
		}
	}
	return s
}

func unquote(s string) string {
	s = strings.TrimSpace(s)
	if len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"' {
		s = s[1 : len(s)-1]
	}
	return s
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		out = append(out, unquote(p))
	}
	return out
}
