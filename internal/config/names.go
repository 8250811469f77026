package config

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/msiforge/msiforge/internal/winname"
)

// NilGUID is the all-zero GUID, which the starter config once carried:
// never a product's UpgradeCode.
const NilGUID = "00000000-0000-0000-0000-000000000000"

// codepageHint says which code pages would hold r, and how to pick one.
func codepageHint(r rune) string {
	cps := codepagesHolding(r)
	if len(cps) == 0 {
		return "no ANSI code page msiforge builds in holds it: write it another way"
	}
	names := make([]string, len(cps))
	for i, cp := range cps {
		names[i] = cp.String()
	}
	l := Languages[typicalLanguage[cps[0].ID]]
	if len(cps) == 1 {
		return fmt.Sprintf("code page %s would hold it: set product.language to a language of that code page (for example %d, %s)", names[0], l.LCID, l.Tag)
	}
	return fmt.Sprintf("code pages %s would hold it: set product.language to a language of one of them (for example %d, %s, for %d)", strings.Join(names, ", "), l.LCID, l.Tag, cps[0].ID)
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
	for _, arch := range sortedKeys(c.Console.Tree) {
		longest, at := winname.Budget{}, ""
		for _, it := range c.Console.Tree[arch] {
			if b := winname.FileBudget(installDir, it.Dst); b.Len > longest.Len {
				longest, at = b, it.Field
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
