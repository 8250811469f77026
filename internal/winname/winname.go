// Package winname holds Windows' rules for file and folder names, shared by
// the config validation (payload, product and shortcut names) and
// install-cmd (INSTALLDIR): reserved device names, trailing dots and
// spaces, forbidden and control characters, and the MAX_PATH budget.
//
// Sources: "Naming Files, Paths, and Namespaces"
// (https://learn.microsoft.com/en-us/windows/win32/fileio/naming-a-file) and
// "Maximum Path Length Limitation"
// (https://learn.microsoft.com/en-us/windows/win32/fileio/maximum-file-path-limitation).
package winname

import (
	"fmt"
	"sort"
	"strings"
	"unicode"
)

// Forbidden are the printable characters no Windows file name may hold.
const Forbidden = `\ / : * ? " < > |`

// MAX_PATH budgets: a full file path holds at most 259 characters (260 with
// the terminating NUL); a folder at most 248, since CreateDirectory keeps
// room for an 8.3 file name (12 characters).
const (
	MaxFilePath   = 259
	MaxFolderPath = 248
)

// reserved device names; the superscript digits ¹²³ count as digits for
// COM and LPT since Windows 10 (see "Naming Files": "COM¹, COM², COM³").
var reserved = func() map[string]bool {
	m := map[string]bool{"CON": true, "PRN": true, "AUX": true, "NUL": true}
	for _, d := range []string{"1", "2", "3", "4", "5", "6", "7", "8", "9", "¹", "²", "³"} {
		m["COM"+d] = true
		m["LPT"+d] = true
	}
	return m
}()

// Reserved reports whether name is a device name, with or without an
// extension ("nul", "aux.txt", "COM1.log", "con .txt").
func Reserved(name string) bool {
	base := name
	if i := strings.IndexByte(base, '.'); i >= 0 {
		base = base[:i]
	}
	base = strings.TrimRight(base, " ")
	return reserved[strings.ToUpper(base)]
}

// CheckName checks one path component (a file or folder name) and returns
// nil or an error that says what is wrong and what is allowed.
func CheckName(name string) error {
	if name == "" {
		return fmt.Errorf("empty name")
	}
	if name == "." || name == ".." {
		return fmt.Errorf("%q is not a name (a relative path step)", name)
	}
	for _, r := range name {
		if r < 0x20 || r == 0x7F || (r >= 0x80 && r <= 0x9F) {
			return fmt.Errorf("%q contains the control character U+%04X; control characters are not allowed", name, r)
		}
		if strings.ContainsRune(`\/:*?"<>|`, r) {
			return fmt.Errorf("%q contains %q, which Windows does not allow in a name (none of %s)", name, r, Forbidden)
		}
		if r == unicode.ReplacementChar || r == 0xFFFE || r == 0xFFFF || (r >= 0xD800 && r <= 0xDFFF) {
			return fmt.Errorf("%q contains U+%04X, which is not a character", name, r)
		}
	}
	if strings.HasSuffix(name, ".") || strings.HasSuffix(name, " ") {
		return fmt.Errorf("%q ends with a dot or a space, which Windows strips: the installed name would differ", name)
	}
	if Reserved(name) {
		return fmt.Errorf("%q is a reserved device name (CON, PRN, AUX, NUL, COM1-9, LPT1-9, with or without an extension)", name)
	}
	return nil
}

// Budget is a MAX_PATH estimate: the longest path an install creates.
type Budget struct {
	Path  string // the longest path, as it would be on the target
	Len   int    // its length in UTF-16 code units
	Limit int    // MaxFilePath or MaxFolderPath
}

// Over reports whether the path exceeds its limit.
func (b Budget) Over() bool { return b.Len > b.Limit }

func (b Budget) String() string {
	return fmt.Sprintf("%d characters (limit %d): %s", b.Len, b.Limit, b.Path)
}

// UTF16Len is a string's length as Windows counts it.
func UTF16Len(s string) int {
	n := 0
	for _, r := range s {
		if r >= 0x10000 {
			n += 2
		} else {
			n++
		}
	}
	return n
}

// FileBudget measures dir (ending in `\` or not) joined with a relative
// file path whose components are separated by `\` or `/`.
func FileBudget(dir, rel string) Budget {
	p := strings.TrimRight(dir, `\`) + `\` + strings.ReplaceAll(rel, "/", `\`)
	return Budget{Path: p, Len: UTF16Len(p), Limit: MaxFilePath}
}

// FolderBudget measures a folder path.
func FolderBudget(dir string) Budget {
	p := strings.TrimRight(dir, `\`)
	return Budget{Path: p, Len: UTF16Len(p), Limit: MaxFolderPath}
}

// CheckPath checks every component of an absolute Windows path (drive
// `C:\…` or UNC `\\server\share\…`); the drive or the server and share are
// not checked as names.
func CheckPath(p string) error {
	var rest string
	switch {
	case strings.HasPrefix(p, `\\`):
		parts := strings.SplitN(p[2:], `\`, 3)
		if len(parts) < 2 || parts[0] == "" || parts[1] == "" {
			return fmt.Errorf("%q is not a UNC path (want \\\\server\\share\\folder)", p)
		}
		for _, s := range parts[:2] {
			if err := CheckName(s); err != nil {
				return err
			}
		}
		if len(parts) == 3 {
			rest = parts[2]
		}
	case len(p) >= 3 && p[1] == ':' && p[2] == '\\' && (p[0]|0x20) >= 'a' && (p[0]|0x20) <= 'z':
		rest = p[3:]
	default:
		return fmt.Errorf("%q is not an absolute Windows path (want a drive path such as C:\\Apps or a UNC path \\\\server\\share)", p)
	}
	for _, c := range strings.Split(strings.TrimRight(rest, `\`), `\`) {
		if c == "" && rest == "" {
			break
		}
		if err := CheckName(c); err != nil {
			return err
		}
	}
	if b := FolderBudget(p); b.Over() {
		return fmt.Errorf("%q is %d characters long; a folder path may have at most %d (MAX_PATH)", p, b.Len, b.Limit)
	}
	return nil
}

// ReservedNames lists the reserved device names (without extension), for
// checks that run outside Go (the download page's command builder).
func ReservedNames() []string {
	names := make([]string, 0, len(reserved))
	for n := range reserved {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
