// Package upgradediff checks that one MSI can follow another on a machine:
// the rules Windows Installer applies when a new package of a product
// meets the installed one (same UpgradeCode, a version raised within the
// three fields it compares, a new ProductCode exactly when the version
// changes, no same-version rebuild with other content, and components
// that keep their GUID only where they stay put). It reads both packages
// with internal/msi and returns the problems as data; `msiforge diff` and
// `msiforge build --previous` print them.
package upgradediff

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/msiforge/msiforge/internal/msi"
)

// Rules, the Problem.Rule values.
const (
	RuleUpgradeCode  = "upgrade-code"
	RuleVersion      = "version"
	RuleFourthField  = "version-fourth-field"
	RuleProductCode  = "product-code"
	RuleSameVersion  = "same-version-rebuild" // the 1638 case
	RuleNoUpgradeRow = "upgrade-row"
	RuleComponent    = "component-moved"
)

// Documentation pages of the rules.
const (
	docProductCode = "https://learn.microsoft.com/en-us/windows/win32/msi/changing-the-product-code"
	docVersion     = "https://learn.microsoft.com/en-us/windows/win32/msi/productversion"
	docComponents  = "https://learn.microsoft.com/en-us/windows/win32/msi/changing-the-component-code"
	docOrganizing  = "https://learn.microsoft.com/en-us/windows/win32/msi/organizing-applications-into-components"
	docUpgrade     = "https://learn.microsoft.com/en-us/windows/win32/msi/upgrade-table"
)

// Package is what the rules read from one MSI.
type Package struct {
	Path        string `json:"path"`
	ProductName string `json:"product_name"`
	Version     string `json:"version"`
	ProductCode string `json:"product_code"`
	UpgradeCode string `json:"upgrade_code"`
	PackageCode string `json:"package_code"`
	Platform    string `json:"platform"` // the summary Template's platform: Intel, x64, Arm64

	Components []Component `json:"-"`
	Upgrades   []Upgrade   `json:"-"`
}

// Component is a Component table row with its directory and key path
// resolved to paths, so two packages can be compared.
type Component struct {
	ID        string // Component
	GUID      string // ComponentId, upper case
	Directory string // resolved: [ProgramFiles64Folder]\Example Corp\Console
	KeyPath   string // resolved: the file's path, the registry value, or the directory
}

// Upgrade is an Upgrade table row.
type Upgrade struct {
	UpgradeCode, VersionMin, VersionMax string
	Attributes                          int
}

// Upgrade table attribute bits.
const (
	upgradeOnlyDetect          = 2
	upgradeVersionMinInclusive = 256
	upgradeVersionMaxInclusive = 512
)

// Problem is one broken rule.
type Problem struct {
	Rule    string `json:"rule"`
	Message string `json:"message"`
}

// Report is the outcome of comparing two packages.
type Report struct {
	Old      Package   `json:"old"`
	New      Package   `json:"new"`
	Kind     string    `json:"kind"` // what installing New over Old is
	Problems []Problem `json:"problems"`
	OK       bool      `json:"ok"` // no rule is broken
}

// Text is the report as printed by `msiforge diff`.
func (r *Report) Text() string {
	var b strings.Builder
	for _, p := range []struct {
		label string
		pkg   Package
	}{{"old", r.Old}, {"new", r.New}} {
		fmt.Fprintf(&b, "%s: %s %s (%s)  ProductCode %s  PackageCode %s\n", p.label, p.pkg.ProductName, p.pkg.Version, p.pkg.Platform, p.pkg.ProductCode, p.pkg.PackageCode)
	}
	fmt.Fprintf(&b, "upgrade: %s\n", r.Kind)
	for _, p := range r.Problems {
		fmt.Fprintf(&b, "problem [%s]: %s\n", p.Rule, p.Message)
	}
	if r.OK {
		b.WriteString("ok: no upgrade rule is broken\n")
	}
	return b.String()
}

// Diff reads the two MSIs and compares them.
func Diff(oldPath, newPath string) (*Report, error) {
	o, err := Read(oldPath)
	if err != nil {
		return nil, err
	}
	n, err := Read(newPath)
	if err != nil {
		return nil, err
	}
	return Compare(o, n), nil
}

// Read reads what the rules need from the MSI at path.
func Read(path string) (*Package, error) {
	f, err := msi.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	props, err := f.Properties()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	sum, err := f.Summary()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	p := &Package{
		Path:        path,
		ProductName: props["ProductName"],
		Version:     props["ProductVersion"],
		ProductCode: strings.ToUpper(props["ProductCode"]),
		UpgradeCode: strings.ToUpper(props["UpgradeCode"]),
		PackageCode: strings.ToUpper(sum.PackageCode),
		Platform:    strings.Split(sum.Template, ";")[0],
	}
	for _, need := range []struct{ name, value string }{{"ProductCode", p.ProductCode}, {"ProductVersion", p.Version}} {
		if need.value == "" {
			return nil, fmt.Errorf("%s: the Property table has no %s: not an installable package", path, need.name)
		}
	}
	rows := func(table string) []map[string]string {
		if err != nil {
			return nil
		}
		var r []map[string]string
		r, err = f.Rows(table)
		return r
	}
	dirs, comps, files, regs, ups := rows("Directory"), rows("Component"), rows("File"), rows("Registry"), rows("Upgrade")
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	resolve := directoryResolver(dirs)
	fileOf := map[string]map[string]string{}
	for _, r := range files {
		fileOf[r["File"]] = r
	}
	regOf := map[string]map[string]string{}
	for _, r := range regs {
		regOf[r["Registry"]] = r
	}
	for _, r := range comps {
		c := Component{ID: r["Component"], GUID: strings.ToUpper(r["ComponentId"]), Directory: resolve(r["Directory_"])}
		attrs, _ := strconv.Atoi(r["Attributes"])
		key := r["KeyPath"]
		switch {
		case key == "":
			c.KeyPath = c.Directory + `\`
		case attrs&0x4 != 0: // msidbComponentAttributesRegistryKeyPath
			reg := regOf[key]
			c.KeyPath = rootName(reg["Root"]) + `\` + reg["Key"] + `\` + reg["Name"]
		case attrs&0x20 != 0: // msidbComponentAttributesODBCDataSource
			c.KeyPath = "ODBC data source " + key
		default:
			c.KeyPath = c.Directory + `\` + longName(fileOf[key]["FileName"])
		}
		if c.GUID != "" { // no ComponentId: Windows does not track it
			p.Components = append(p.Components, c)
		}
	}
	sort.Slice(p.Components, func(i, j int) bool { return p.Components[i].GUID < p.Components[j].GUID })
	for _, r := range ups {
		a, _ := strconv.Atoi(r["Attributes"])
		p.Upgrades = append(p.Upgrades, Upgrade{UpgradeCode: strings.ToUpper(r["UpgradeCode"]), VersionMin: r["VersionMin"], VersionMax: r["VersionMax"], Attributes: a})
	}
	return p, nil
}

// rootName names a Registry.Root (-1 is HKMU: HKCU per-user, HKLM per-machine).
func rootName(root string) string {
	switch root {
	case "-1":
		return "HKMU"
	case "0":
		return "HKCR"
	case "1":
		return "HKCU"
	case "2":
		return "HKLM"
	case "3":
		return "HKU"
	}
	return "Root " + root
}

// longName takes the long name of a Filename value ("short|long").
func longName(s string) string {
	if _, long, ok := strings.Cut(s, "|"); ok {
		return long
	}
	return s
}

// directoryResolver resolves Directory keys to paths: a root (TARGETDIR)
// or a directory whose target is "." ends at its parent; a system folder
// (a child of the root, like ProgramFiles64Folder) is the property [Id],
// whose value Windows sets; below it come the long target names.
func directoryResolver(rows []map[string]string) func(string) string {
	byID := map[string]map[string]string{}
	for _, r := range rows {
		byID[r["Directory"]] = r
	}
	memo := map[string]string{}
	var resolve func(id string, depth int) string
	resolve = func(id string, depth int) string {
		if p, ok := memo[id]; ok {
			return p
		}
		r, ok := byID[id]
		if !ok || depth > len(rows) { // unknown, or a cycle
			return "[" + id + "]"
		}
		parent := r["Directory_Parent"]
		var p string
		if parent == "" || parent == id {
			p = "[" + id + "]"
		} else if pr := byID[parent]; pr != nil && (pr["Directory_Parent"] == "" || pr["Directory_Parent"] == parent) {
			// A child of the root: a system folder or a folder whose
			// place Windows decides; either way, its property.
			p = "[" + id + "]"
		} else {
			target, _, _ := strings.Cut(r["DefaultDir"], ":")
			name := longName(target)
			p = resolve(parent, depth+1)
			if name != "." && name != "" {
				p += `\` + name
			}
		}
		memo[id] = p
		return p
	}
	return func(id string) string { return resolve(id, 0) }
}

// Compare applies the upgrade rules to installing n where o is installed.
func Compare(o, n *Package) *Report {
	r := &Report{Old: *o, New: *n, Problems: []Problem{}, OK: true}
	add := func(rule, format string, args ...any) {
		r.Problems = append(r.Problems, Problem{rule, fmt.Sprintf(format, args...)})
		r.OK = false
	}
	if o.UpgradeCode != n.UpgradeCode {
		// Unrelated products: the version rules do not apply between them.
		r.Kind = "unrelated product (other UpgradeCode)"
		add(RuleUpgradeCode, "the UpgradeCode changed from %s to %s: Windows Installer finds related products by UpgradeCode, so the new package would install beside the old one instead of upgrading it (%s)",
			orNone(o.UpgradeCode), orNone(n.UpgradeCode), docUpgrade)
		compareComponents(o, n, add)
		return r
	}
	ov, oerr := ParseVersion(o.Version)
	nv, nerr := ParseVersion(n.Version)
	if oerr != nil {
		add(RuleVersion, "old package: %v", oerr)
	}
	if nerr != nil {
		add(RuleVersion, "new package: %v", nerr)
	}
	if oerr != nil || nerr != nil {
		r.Kind = "unknown (a version is not valid)"
		return r
	}
	cmp := ov.Compare3(nv)
	sameCode := o.ProductCode == n.ProductCode
	switch {
	case cmp > 0:
		r.Kind = "downgrade"
		add(RuleVersion, "the version goes down from %s to %s: the package refuses a downgrade, and Windows Installer compares only the first three fields (%s)", o.Version, n.Version, docVersion)
	case cmp == 0 && ov != nv:
		r.Kind = "same version (fourth field only)"
		add(RuleFourthField, "%s and %s differ only in the fourth field, which Windows Installer ignores: to it they are the same version, so the new package is no upgrade; raise one of the first three fields (%s)", o.Version, n.Version, docVersion)
	case cmp == 0:
		r.Kind = "same version"
	default:
		r.Kind = "major upgrade"
	}
	switch {
	case cmp != 0 && sameCode:
		r.Kind = "same ProductCode, other version"
		add(RuleProductCode, "the version changed from %s to %s but the ProductCode %s did not: Windows sees the installed product and refuses the new package with error 1638 (another version of this product is already installed); a major upgrade needs a new ProductCode (%s)",
			o.Version, n.Version, n.ProductCode, docProductCode)
	case cmp == 0 && !sameCode:
		add(RuleProductCode, "the ProductCode changed from %s to %s while the version stayed %s: two products of one version, which the major upgrade (it excludes its own version) does not replace; change the ProductCode only with the version (%s)",
			o.ProductCode, n.ProductCode, n.Version, docProductCode)
	case cmp == 0 && sameCode && o.PackageCode != n.PackageCode:
		if ov == nv {
			r.Kind = "same version, other build"
		}
		add(RuleSameVersion, "same version %s and ProductCode %s with a different PackageCode (%s, was %s): the content changed without a version change. Windows refuses it over the earlier build: error 1638. Raise the version (%s)",
			n.Version, n.ProductCode, n.PackageCode, o.PackageCode, docProductCode)
	case cmp == 0 && sameCode && ov == nv:
		r.Kind = "identical package (same PackageCode)"
	}
	if cmp < 0 && !sameCode && !removes(n.Upgrades, o.UpgradeCode, ov) {
		add(RuleNoUpgradeRow, "no Upgrade row of the new package removes %s %s (UpgradeCode %s, not OnlyDetect, version range including it): both would stay installed (%s)",
			o.ProductName, o.Version, o.UpgradeCode, docUpgrade)
	}
	compareComponents(o, n, add)
	return r
}

// compareComponents: a component that keeps its GUID must keep its key
// path and its directory; otherwise it needs a new GUID, or Windows
// (which counts components by GUID) leaves or deletes the wrong files.
func compareComponents(o, n *Package, add func(rule, format string, args ...any)) {
	old := map[string]Component{}
	for _, c := range o.Components {
		old[c.GUID] = c
	}
	for _, c := range n.Components {
		was, ok := old[c.GUID]
		if !ok {
			continue
		}
		if !strings.EqualFold(was.Directory, c.Directory) {
			add(RuleComponent, "component %s keeps its GUID %s but moved from %s to %s: a component installed to another folder needs a new GUID (%s, %s)",
				c.ID, c.GUID, was.Directory, c.Directory, docComponents, docOrganizing)
			continue
		}
		if !strings.EqualFold(was.KeyPath, c.KeyPath) {
			add(RuleComponent, "component %s keeps its GUID %s but its key path changed from %s to %s: a component whose key path changes needs a new GUID (%s, %s)",
				c.ID, c.GUID, was.KeyPath, c.KeyPath, docComponents, docOrganizing)
		}
	}
}

// removes reports whether an Upgrade row removes a product of upgradeCode
// at version v: not OnlyDetect, and v within its version range.
func removes(rows []Upgrade, upgradeCode string, v Version) bool {
	for _, u := range rows {
		if u.UpgradeCode != upgradeCode || u.Attributes&upgradeOnlyDetect != 0 {
			continue
		}
		if u.VersionMin != "" {
			min, err := ParseVersion(u.VersionMin)
			if err != nil {
				continue
			}
			c := min.Compare3(v)
			if c > 0 || (c == 0 && u.Attributes&upgradeVersionMinInclusive == 0) {
				continue
			}
		}
		if u.VersionMax != "" {
			max, err := ParseVersion(u.VersionMax)
			if err != nil {
				continue
			}
			c := v.Compare3(max)
			if c > 0 || (c == 0 && u.Attributes&upgradeVersionMaxInclusive == 0) {
				continue
			}
		}
		return true
	}
	return false
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

// Version is a ProductVersion: major.minor.build[.revision].
type Version [4]int

// ParseVersion parses a ProductVersion: major and minor at most 255,
// build at most 65535 (https://learn.microsoft.com/en-us/windows/win32/msi/productversion);
// missing fields are 0, as in the Upgrade table's "1.0".
func ParseVersion(s string) (Version, error) {
	var v Version
	f := strings.Split(s, ".")
	if s == "" || len(f) > 4 {
		return v, fmt.Errorf("ProductVersion %q is not major.minor.build[.revision]", s)
	}
	limits := []int{255, 255, 65535, 65535}
	for i, x := range f {
		n, err := strconv.Atoi(x)
		if err != nil || n < 0 || n > limits[i] || strconv.Itoa(n) != x {
			return v, fmt.Errorf("ProductVersion %q: field %d (%q) is not a number from 0 to %d", s, i+1, x, limits[i])
		}
		v[i] = n
	}
	return v, nil
}

// Compare3 compares the first three fields, the ones Windows Installer
// compares: -1, 0 or 1.
func (v Version) Compare3(w Version) int {
	for i := 0; i < 3; i++ {
		switch {
		case v[i] < w[i]:
			return -1
		case v[i] > w[i]:
			return 1
		}
	}
	return 0
}
