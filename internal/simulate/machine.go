package simulate

import (
	"fmt"
	"sort"
	"strings"
)

// Package is one MSI as the simulator sees it: its tables and the summary
// fields Windows Installer reads before any table.
type Package struct {
	Name        string // for messages: the file name
	Tables      Tables
	PackageCode string // summary Revision Number
	Template    string // summary Template: "Intel;1033", "x64;1033", "Arm64;1033"
	props       map[string]string
}

// NewPackage reads the Property table of t.
func NewPackage(name string, t Tables, packageCode, template string) (*Package, error) {
	rows, err := t.Rows("Property")
	if err != nil {
		return nil, err
	}
	p := &Package{Name: name, Tables: t, PackageCode: packageCode, Template: template, props: map[string]string{}}
	for _, r := range rows {
		p.props[r["Property"]] = r["Value"]
	}
	return p, nil
}

// Property is a value of the package's Property table.
func (p *Package) Property(name string) string { return p.props[name] }

// Is64 tells whether the package targets a 64-bit platform.
// https://learn.microsoft.com/en-us/windows/win32/msi/template-summary
func (p *Package) Is64() bool {
	plat, _, _ := strings.Cut(p.Template, ";")
	for _, s := range strings.Split(plat, ",") {
		switch strings.ToLower(s) {
		case "x64", "intel64", "arm64", "amd64":
			return true
		}
	}
	return false
}

// With returns the package with some Property values replaced and another
// PackageCode: the same tables as a rebuild, another version or another
// build of the product would have. A new ProductVersion also moves the
// Upgrade rows' bounds that were the old version, as a build of that
// version writes them. Checks derive the lifecycle's other packages from
// one MSI with it.
func (p *Package) With(name, packageCode string, props map[string]string) *Package {
	o := overlay{Tables: p.Tables, props: props}
	if v, ok := props["ProductVersion"]; ok {
		o.oldVersion, o.newVersion = p.props["ProductVersion"], v
	}
	q := &Package{Name: name, Tables: o, PackageCode: packageCode, Template: p.Template, props: map[string]string{}}
	for k, v := range p.props {
		q.props[k] = v
	}
	for k, v := range props {
		q.props[k] = v
	}
	return q
}

type overlay struct {
	Tables
	props                  map[string]string
	oldVersion, newVersion string
}

func (o overlay) Rows(table string) ([]Row, error) {
	rows, err := o.Tables.Rows(table)
	if err != nil {
		return rows, err
	}
	if table == "Upgrade" && o.newVersion != "" {
		out := make([]Row, 0, len(rows))
		for _, r := range rows {
			c := Row{}
			for k, v := range r {
				if (k == "VersionMin" || k == "VersionMax") && v == o.oldVersion {
					v = o.newVersion
				}
				c[k] = v
			}
			out = append(out, c)
		}
		return out, nil
	}
	if table != "Property" {
		return rows, nil
	}
	out := make([]Row, 0, len(rows))
	seen := map[string]bool{}
	for _, r := range rows {
		c := Row{}
		for k, v := range r {
			c[k] = v
		}
		if v, ok := o.props[r["Property"]]; ok {
			c["Value"] = v
			seen[r["Property"]] = true
		}
		out = append(out, c)
	}
	for k, v := range o.props {
		if !seen[k] {
			out = append(out, Row{"Property": k, "Value": v})
		}
	}
	return out, nil
}

// Product is a product registered on the machine.
type Product struct {
	ProductCode, PackageCode, UpgradeCode, Version, Language, Name string
	PerMachine                                                     bool
	Account                                                        string   // the owner of a per-user install
	Package                                                        *Package // the cached package: repair and uninstall use it
	Components                                                     map[string]bool
	componentIDs                                                   map[string]string // Component -> ComponentId
	componentDirs                                                  map[string]string // where each installed component went
}

// Context is "per-machine" or "per-user".
func (p *Product) Context() string {
	if p.PerMachine {
		return "per-machine"
	}
	return "per-user"
}

func (p *Product) String() string {
	s := fmt.Sprintf("%s %s %s (%s", p.Name, p.Version, p.ProductCode, p.Context())
	if !p.PerMachine {
		s += " of " + p.Account
	}
	return s + ")"
}

type regKey struct{ hive, account, view, key, name string }

// Machine is the state of one simulated 64-bit Windows computer.
type Machine struct {
	Products []*Product
	registry map[regKey]RegValue
	files    map[string]string          // lower-case path -> path
	clients  map[string]map[string]bool // context|ComponentId -> client ProductCodes
}

// NewMachine is a clean machine.
func NewMachine() *Machine {
	return &Machine{registry: map[regKey]RegValue{}, files: map[string]string{}, clients: map[string]map[string]bool{}}
}

// key normalises a value's address. HKCU is the account's own hive and is
// shared between the 32- and 64-bit views; HKLM\Software is redirected.
// https://learn.microsoft.com/en-us/windows/win32/winprog64/shared-registry-keys
func key(h, account, view, k, name string) regKey {
	if h == "HKCU" {
		view = ""
	} else {
		account = ""
	}
	return regKey{h, account, view, strings.ToLower(strings.Trim(k, `\`)), strings.ToLower(name)}
}

// Value reads a registry value: hive HKCU (of account) or HKLM (in view
// "32" or "64").
func (m *Machine) Value(h, account, view, k, name string) (string, bool) {
	v, ok := m.registry[key(h, account, view, k, name)]
	return v.Value, ok
}

// Values lists every value under key k (any hive, account and view).
func (m *Machine) Values(k string) []RegValue {
	var out []RegValue
	for rk, v := range m.registry {
		if rk.key == strings.ToLower(strings.Trim(k, `\`)) {
			out = append(out, v)
		}
	}
	sort.Slice(out, func(i, j int) bool { return fmt.Sprint(out[i]) < fmt.Sprint(out[j]) })
	return out
}

// FileExists tells whether a file is installed at path.
func (m *Machine) FileExists(path string) bool {
	_, ok := m.files[strings.ToLower(path)]
	return ok
}

// Files lists the installed files, sorted.
func (m *Machine) Files() []string {
	out := make([]string, 0, len(m.files))
	for _, p := range m.files {
		out = append(out, p)
	}
	sort.Strings(out)
	return out
}

// Product finds a registered product by code.
func (m *Machine) Product(code string) *Product {
	for _, p := range m.Products {
		if strings.EqualFold(p.ProductCode, code) {
			return p
		}
	}
	return nil
}

// visible finds the registration of code that account sees: its own
// per-user installs first, then the per-machine ones (the order
// Windows Installer searches in).
// https://learn.microsoft.com/en-us/windows/win32/msi/disableuserinstalls
func (m *Machine) visible(code, account string) *Product {
	var machine *Product
	for _, p := range m.Products {
		if !strings.EqualFold(p.ProductCode, code) {
			continue
		}
		if !p.PerMachine && p.Account == account {
			return p
		}
		if p.PerMachine {
			machine = p
		}
	}
	return machine
}

// Dump renders the whole state, sorted: two machines with the same dump
// are in the same state.
func (m *Machine) Dump() string {
	var lines []string
	for _, p := range m.Products {
		lines = append(lines, "product "+p.String()+" package "+p.PackageCode)
	}
	for rk, v := range m.registry {
		lines = append(lines, fmt.Sprintf("reg %s %s %s %s\\%s = %q", rk.hive, rk.account, rk.view, v.Key, v.Name, v.Value))
	}
	for _, f := range m.files {
		lines = append(lines, "file "+f)
	}
	sort.Strings(lines)
	return strings.Join(lines, "\n")
}

// Clone copies the machine, so a check can try a step and compare.
func (m *Machine) Clone() *Machine {
	c := NewMachine()
	for _, p := range m.Products {
		q := *p
		q.Components, q.componentIDs, q.componentDirs = copyB(p.Components), copyS(p.componentIDs), copyS(p.componentDirs)
		c.Products = append(c.Products, &q)
	}
	for k, v := range m.registry {
		c.registry[k] = v
	}
	for k, v := range m.files {
		c.files[k] = v
	}
	for k, v := range m.clients {
		c.clients[k] = copyB(v)
	}
	return c
}

func copyB(m map[string]bool) map[string]bool {
	c := make(map[string]bool, len(m))
	for k, v := range m {
		c[k] = v
	}
	return c
}

func copyS(m map[string]string) map[string]string {
	c := make(map[string]string, len(m))
	for k, v := range m {
		c[k] = v
	}
	return c
}
