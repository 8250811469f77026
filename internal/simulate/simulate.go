// Package simulate plays an MSI from its own tables the way Windows
// Installer does, over a simulated machine: products registered per
// context, the registry (HKCU per account, HKLM with its 32- and 64-bit
// views) and the files. It covers a first install, a re-run of an installed
// product (maintenance, with or without REINSTALL), a repair, a major
// upgrade (FindRelatedProducts, RemoveExistingProducts, OnlyDetect rows),
// the same ProductCode with another PackageCode (1638) and an uninstall.
// Within a run it plays property defaults and command-line values,
// FindRelatedProducts, AppSearch/RegLocator, type-51 custom actions in
// sequence order under their conditions, launch conditions, directory
// resolution, component conditions (transitive ones on a reinstall) and
// the registry values written, HKMU resolved by ALLUSERS.
//
// It follows Windows Installer's documentation, cited next to each rule,
// not Wine's implementation: docs/wine-differences.md lists where Wine's
// msi.dll departs from it.
package simulate

import (
	"strconv"
	"strings"
)

// Row is one table row, by column name.
type Row = map[string]string

// Tables gives the rows of a table by name; a missing table has no rows.
type Tables interface {
	Rows(table string) ([]Row, error)
}

// Context describes the account an install runs as.
type Context struct {
	System bool // Local System (a deployment tool) rather than an interactive user
}

// Account names: whose HKCU and profile a run uses.
const (
	AccountUser   = "user"
	AccountSystem = "system"
)

// Account is the account the context stands for.
func (c Context) Account() string {
	if c.System {
		return AccountSystem
	}
	return AccountUser
}

// folders are the system folder properties Windows Installer sets on a
// 64-bit Windows; the profile depends on the account.
// https://learn.microsoft.com/en-us/windows/win32/msi/property-reference#system-folder-properties
func folders(account string) map[string]string {
	profile := `C:\Users\` + account + `\`
	if account == AccountSystem {
		profile = `C:\Windows\System32\config\systemprofile\`
	}
	return map[string]string{
		"TARGETDIR":            `C:\`,
		"ProgramFilesFolder":   `C:\Program Files (x86)\`,
		"ProgramFiles64Folder": `C:\Program Files\`,
		"CommonFilesFolder":    `C:\Program Files (x86)\Common Files\`,
		"CommonFiles64Folder":  `C:\Program Files\Common Files\`,
		"SystemFolder":         `C:\Windows\SysWOW64\`,
		"System64Folder":       `C:\Windows\System32\`,
		"WindowsFolder":        `C:\Windows\`,
		"LocalAppDataFolder":   profile + `AppData\Local\`,
		"AppDataFolder":        profile + `AppData\Roaming\`,
		"ProgramMenuFolder":    profile + `AppData\Roaming\Microsoft\Windows\Start Menu\Programs\`,
		"DesktopFolder":        profile + `Desktop\`,
	}
}

// hive names a Registry.Root. -1 is HKMU: HKCU for a per-user install,
// HKLM for a per-machine one.
// https://learn.microsoft.com/en-us/windows/win32/msi/registry-table
func hive(root string, perMachine bool) string {
	switch root {
	case "-1":
		if perMachine {
			return "HKLM"
		}
		return "HKCU"
	case "0":
		return "HKCR"
	case "1":
		return "HKCU"
	case "2":
		return "HKLM"
	case "3":
		return "HKU"
	}
	return "root " + root
}

// RegValue is one registry value an install writes. View is "32" or "64"
// for HKLM and HKCR (WOW64 redirects a 32-bit component's values), "" for
// HKCU, which is shared between the views.
type RegValue struct {
	Hive, View, Key, Name, Value string
	Component                    string
}

// Result is what one run did.
type Result struct {
	Refused    bool   // a launch condition failed
	Message    string // its formatted message
	Properties map[string]string
	Dirs       map[string]string // resolved Directory paths
	Components map[string]bool   // component installed after the run
	Registry   []RegValue        // values written by this run
	Actions    []string          // custom actions that ran, in order
}

// Install simulates a first install on a clean machine with the given
// command-line properties.
func Install(t Tables, cmdline map[string]string, ctx Context) (*Result, error) {
	pkg, err := NewPackage("package", t, "", "")
	if err != nil {
		return nil, err
	}
	out, err := NewMachine().Exec(pkg, cmdline, ctx.Account())
	if err != nil {
		return nil, err
	}
	return out.Result, nil
}

// format expands [PROPERTY] references and the [\x] escape of formatted
// fields. File and component references are left as written.
// https://learn.microsoft.com/en-us/windows/win32/msi/formatted
func format(text string, props map[string]string) string {
	var b strings.Builder
	for {
		i := strings.IndexByte(text, '[')
		if i < 0 {
			b.WriteString(text)
			return b.String()
		}
		j := strings.IndexByte(text[i:], ']')
		if j < 0 {
			b.WriteString(text)
			return b.String()
		}
		b.WriteString(text[:i])
		ref := text[i+1 : i+j]
		switch {
		case strings.HasPrefix(ref, `\`) && len(ref) == 2:
			b.WriteString(ref[1:])
		case ref == `\` && strings.HasPrefix(text[i+j:], "]]"): // [\]] is a literal ]
			b.WriteString("]")
			j++
		case ref == "" || strings.ContainsAny(ref, "#$!%~"):
			b.WriteString("[" + ref + "]")
		default:
			b.WriteString(props[ref])
		}
		text = text[i+j+1:]
	}
}

// longName picks the long name of a Directory.DefaultDir or File.FileName
// ("short|long"), and the target part of "target:source".
func longName(d string) string {
	if i := strings.IndexByte(d, ':'); i >= 0 {
		d = d[:i]
	}
	if i := strings.IndexByte(d, '|'); i >= 0 {
		d = d[i+1:]
	}
	return d
}

func withSlash(p string) string {
	if p == "" || strings.HasSuffix(p, `\`) {
		return p
	}
	return p + `\`
}

func atoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}
