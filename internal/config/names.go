package config

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/msiforge/msiforge/internal/winname"
)

// The packages are built with Language 1033 and no Codepage, so wixl
// stores every string in Windows-1252; a character outside it becomes an
// invalid string (msiinfo shows it empty) or crashes wixl (U+2028,
// U+202E). cp1252High are the code points of bytes 0x80-0x9F ("Code Page
// 1252": https://learn.microsoft.com/en-us/windows/win32/intl/code-page-identifiers
// and the table at https://www.unicode.org/Public/MAPPINGS/VENDORS/MICSFT/WINDOWS/CP1252.TXT).
var cp1252High = map[rune]bool{
	'€': true, '‚': true, 'ƒ': true, '„': true, '…': true, '†': true, '‡': true, 'ˆ': true, '‰': true,
	'Š': true, '‹': true, 'Œ': true, 'Ž': true, '‘': true, '’': true, '“': true, '”': true, '•': true,
	'–': true, '—': true, '˜': true, '™': true, 'š': true, '›': true, 'œ': true, 'ž': true, 'Ÿ': true,
}

// inCodepage reports whether Windows-1252 holds r (control characters are
// refused separately).
func inCodepage(r rune) bool {
	return r < 0x80 || (r >= 0xA0 && r <= 0xFF) || cp1252High[r]
}

// MAX_PATH estimate. The longest paths an install creates are under the
// user's profile (the per-user INSTALLDIR default and the Start-menu
// shortcut); their length depends on the user name, so the budget assumes
// a 20-character one (Windows' limit for a local account name) and says so.
const (
	ProfileUserLen = 20
	profileUser    = `C:\Users\UUUUUUUUUUUUUUUUUUUU` // ProfileUserLen characters
	perUserRoot    = profileUser + `\AppData\Local\`
	startMenuRoot  = profileUser + `\AppData\Roaming\Microsoft\Windows\Start Menu\Programs\`
	programFiles   = `C:\Program Files (x86)\`
)

// checkPathBudget warns when an installed path may exceed MAX_PATH
// (winname.MaxFilePath, MaxFolderPath): a warning, since the user name
// and the install folder are only known on the target.
func (c *Config) checkPathBudget(v *validator) {
	p := c.Product
	if p.Name == "" || p.Manufacturer == "" {
		return
	}
	const assume = "for a per-user install by a user with a 20-character name (shown as U…)"
	installDir := perUserRoot + p.Manufacturer + `\` + p.Name
	if b := winname.FolderBudget(installDir); b.Over() {
		v.warnf("product.name", "the default install folder may be %s, %s; Windows may refuse to create it (MAX_PATH)", b, assume)
	}
	for _, arch := range sortedKeys(c.Console.Payload) {
		longest, at := winname.Budget{}, ""
		for i, f := range c.Console.Payload[arch] {
			if b := winname.FileBudget(installDir, filepath.Base(f)); b.Len > longest.Len {
				longest, at = b, fmt.Sprintf("console.payload.%s[%d]", arch, i)
			}
		}
		if longest.Over() {
			v.warnf(at, "the installed file may be %s, %s; programs that do not use long paths cannot open it (MAX_PATH)", longest, assume)
		}
	}
	if *c.Console.Shortcut.Enabled && c.Console.Shortcut.Name != "" {
		if b := winname.FileBudget(startMenuRoot+p.Name, c.Console.Shortcut.Name+".lnk"); b.Over() {
			v.warnf("console.shortcut.name", "the Start-menu shortcut may be %s, %s (MAX_PATH)", b, assume)
		}
	}
	for _, rp := range c.VSC.Packages() {
		role := strings.TrimPrefix(VSCSuffix(rp.Role), " VSC ")
		driverDir := programFiles + p.Manufacturer + `\` + p.Name + ` VSC\` + role + `\Driver`
		for _, arch := range sortedKeys(rp.Pkg.Files) {
			f := rp.Pkg.Files[arch]
			for _, e := range []struct{ key, file string }{{"inf", f.INF}, {"sys", f.SYS}, {"cat", f.CAT}} {
				if b := winname.FileBudget(driverDir, filepath.Base(e.file)); e.file != "" && b.Over() {
					v.warnf(fmt.Sprintf("vsc.%s.files.%s.%s", rp.Role, arch, e.key), "the installed driver file may be %s (MAX_PATH)", b)
				}
			}
		}
	}
}
