package config

import (
	"path/filepath"
	"regexp"
	"strings"

	"github.com/msiforge/msiforge/internal/payload"
)

// VSC describes the virtual smart card (VSC) driver packages: one for the
// technician's machine (representative), one for the supported machine
// (customer). Each installs a kernel driver and a Windows service, which
// Windows Installer only allows in a per-machine package (ICE105).
type VSC struct {
	// Scope must be "machine" (the default). It exists so that a config
	// asking for a per-user VSC package gets a clear error instead of a
	// package that cannot install its service.
	Scope string `yaml:"scope"`
	// Architectures are the VSC packages' architectures; default: the
	// top-level architectures. The driver ships for every Windows
	// architecture even where the console does not (yet).
	Architectures []string `yaml:"architectures"`
	// Representative is the package for the technician's machine; its
	// service is "Remote Support VSC Representative Service" by default.
	Representative *VSCPackage `yaml:"representative"`
	// Customer is the package for the supported machine.
	Customer *VSCPackage `yaml:"customer"`
}

// VSCPackage is one VSC package: its files per architecture and its service.
type VSCPackage struct {
	// Files are the driver files and the service program, per architecture.
	Files       map[string]VSCFiles `yaml:"files"`
	ServiceName string              `yaml:"service_name"` // the service's key name; default RemoteSupportVscRep or RemoteSupportVscCust
	DisplayName string              `yaml:"display_name"` // what services.msc shows; default "Remote Support VSC Representative Service" or "... Customer Service"
	Description string              `yaml:"description"`  // optional service description
	Start       string              `yaml:"start"`        // auto (default), demand or disabled
	// HardwareID is the hardware ID of the virtual reader's device node,
	// which the install creates (root-enumerated) and installs the driver
	// on; default: the INF's first device model for each architecture.
	HardwareID string `yaml:"hardware_id"`
	// ExtraTree is what validation expanded each architecture's
	// files.<arch>.extra into, sorted by destination. Not part of the YAML.
	ExtraTree map[string][]payload.Item `yaml:"-"`
}

// VSCFiles are one architecture's files of a VSC package.
type VSCFiles struct {
	INF     string `yaml:"inf"`     // the driver's setup information file
	SYS     string `yaml:"sys"`     // the driver binary the INF names
	CAT     string `yaml:"cat"`     // the driver's signed catalog
	Service string `yaml:"service"` // the service executable (.exe)
	// Extra are more files installed into the role's folder, in the
	// payload tree's format (console.files, internal/payload); not into
	// Driver\, which holds the driver package.
	Extra []payload.Entry `yaml:"extra"`
}

// MaxVSCExtra bounds a VSC package's extra files and folders: its one
// feature holds at most 1,599 components (ICE47 reports 1,600 or more;
// wix.MaxFeatureComponents), five of them taken.
const MaxVSCExtra = 1599 - 5

// VSC roles, also the middle of the package file names.
const (
	RoleRepresentative = "representative"
	RoleCustomer       = "customer"
)

// VSC service defaults, per role. The representative display name is the
// one the product documentation promises.
var vscDefaults = map[string]struct{ service, display string }{
	RoleRepresentative: {"RemoteSupportVscRep", "Remote Support VSC Representative Service"},
	RoleCustomer:       {"RemoteSupportVscCust", "Remote Support VSC Customer Service"},
}

// VSC scopes and service start types.
const (
	ScopeMachine = "machine"
	ScopeUser    = "user"
)

// StartTypes are the service start types wixl's ServiceInstall supports.
var StartTypes = []string{"auto", "demand", "disabled"}

// hardwareIDRE: a device hardware ID. It goes into a formatted MSI field
// inside quotes, so no [ ] { } or quotes.
var hardwareIDRE = regexp.MustCompile(`^[A-Za-z0-9\\_&*.#-]{1,200}$`)

// VSCSuffix is appended to the product name to name a VSC package
// ("Example Support Console VSC Representative").
func VSCSuffix(role string) string {
	return " VSC " + strings.ToUpper(role[:1]) + role[1:]
}

// Packages returns the configured VSC packages by role, in build order.
func (v *VSC) Packages() []struct {
	Role string
	Pkg  *VSCPackage
} {
	type rp = struct {
		Role string
		Pkg  *VSCPackage
	}
	var out []rp
	if v == nil {
		return nil
	}
	if v.Representative != nil {
		out = append(out, rp{RoleRepresentative, v.Representative})
	}
	if v.Customer != nil {
		out = append(out, rp{RoleCustomer, v.Customer})
	}
	return out
}

// VSCArchitectures returns the architectures the VSC packages are built
// for: vsc.architectures, or the top-level architectures. Nil without vsc.
func (c *Config) VSCArchitectures() []string {
	switch {
	case c.VSC == nil:
		return nil
	case len(c.VSC.Architectures) > 0:
		return c.VSC.Architectures
	default:
		return c.Architectures
	}
}

// Package returns the package of role, or nil.
func (v *VSC) Package(role string) *VSCPackage {
	for _, p := range v.Packages() {
		if p.Role == role {
			return p.Pkg
		}
	}
	return nil
}

func (v *VSC) applyDefaults() {
	if v == nil {
		return
	}
	if v.Scope == "" {
		v.Scope = ScopeMachine
	}
	for _, p := range v.Packages() {
		d := vscDefaults[p.Role]
		if p.Pkg.ServiceName == "" {
			p.Pkg.ServiceName = d.service
		}
		if p.Pkg.DisplayName == "" {
			p.Pkg.DisplayName = d.display
		}
		if p.Pkg.Start == "" {
			p.Pkg.Start = "auto"
		}
	}
}

// serviceNameRE is stricter than Windows (which allows any character but
// '/' and '\'): the name is also a registry key and appears in sc/net
// commands, where spaces and specials only cause trouble.
var serviceNameRE = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_.-]*$`)

const (
	maxServiceName = 256 // SCM limit for service and display names
	maxDescription = 1024
)

func (c *Config) validateVSC(v *validator) {
	vsc := c.VSC
	if vsc == nil {
		return
	}
	switch vsc.Scope {
	case ScopeMachine:
	case ScopeUser:
		v.addf("vsc.scope", "%q is not allowed: the VSC packages install a service and a driver, which need a per-machine package (ICE105); remove the setting or use %q", vsc.Scope, ScopeMachine)
	default:
		v.addf("vsc.scope", "%q is not one of %s (and only %s is allowed: services and drivers need a per-machine package, ICE105)", vsc.Scope, ScopeMachine+", "+ScopeUser, ScopeMachine)
	}
	v.archList("vsc.architectures", vsc.Architectures, nil)
	pkgs := vsc.Packages()
	if len(pkgs) == 0 {
		v.addf("vsc", "configures no package: add vsc.representative, vsc.customer or both")
	}
	names := map[string]string{}
	for _, rp := range pkgs {
		base := "vsc." + rp.Role
		p := rp.Pkg
		if c.Product.Name != "" { // else reported at product.name
			if n := len([]rune(c.Product.Name + VSCSuffix(rp.Role))); n > maxProductName {
				v.addf("product.name", "%q is too long for the VSC package name %q (%d characters; at most %d)", c.Product.Name, c.Product.Name+VSCSuffix(rp.Role), n, maxProductName)
			}
		}
		switch {
		case len(p.ServiceName) > maxServiceName:
			v.addf(base+".service_name", "is %d characters long; at most %d are allowed", len(p.ServiceName), maxServiceName)
		case !serviceNameRE.MatchString(p.ServiceName):
			v.addf(base+".service_name", "%q is not a service name (letters, digits, '_', '.', '-'; starting with a letter)", p.ServiceName)
		default:
			if other, dup := names[strings.ToLower(p.ServiceName)]; dup {
				v.addf(base+".service_name", "%q is already the service name of %s (service names are case-insensitive)", p.ServiceName, other)
			}
			names[strings.ToLower(p.ServiceName)] = base
		}
		v.name(base+".display_name", p.DisplayName, maxServiceName, 0)
		if id := p.HardwareID; id != "" && !hardwareIDRE.MatchString(id) {
			v.addf(base+".hardware_id", "%q is not a hardware ID (at most 200 of letters, digits and \\ _ - & * . #, like ROOT\\VSCREADER)", id)
		}
		if d := p.Description; strings.ContainsAny(d, "[]{}") {
			v.addf(base+".description", "%q must not contain [ ] { } (the description is a formatted MSI field)", d)
		} else {
			v.description(base+".description", d)
		}
		if !oneOf(p.Start, StartTypes) {
			v.addf(base+".start", "%q is not one of %s", p.Start, strings.Join(StartTypes, ", "))
		}
		c.validateVSCFiles(v, base, p)
	}
}

func (c *Config) validateVSCFiles(v *validator, base string, p *VSCPackage) {
	if len(p.Files) == 0 {
		v.addf(base+".files", "is required: the driver files (inf, sys, cat) and the service executable, per architecture (x86, x64, arm64)")
		return
	}
	for _, arch := range sortedKeys(p.Files) {
		path := base + ".files." + arch
		if !isArch(arch) {
			v.addf(path, "%s", archProblem(arch))
			continue
		}
		f := p.Files[arch]
		seen := map[string]string{}
		for _, e := range []struct{ key, file, ext string }{
			{"inf", f.INF, ".inf"}, {"sys", f.SYS, ".sys"}, {"cat", f.CAT, ".cat"}, {"service", f.Service, ".exe"},
		} {
			fp := path + "." + e.key
			name := filepath.Base(e.file)
			switch {
			case e.file == "":
				v.addf(fp, "is required (a %s file)", e.ext)
			case !strings.EqualFold(filepath.Ext(e.file), e.ext):
				v.addf(fp, "%q must end in %s", e.file, e.ext)
			case !v.fileName(fp, name):
			case seen[strings.ToLower(name)] != "":
				v.addf(fp, "file name %q is already used by %s (Windows file names are case-insensitive)", name, seen[strings.ToLower(name)])
			default:
				seen[strings.ToLower(name)] = fp
				v.payloadFile(fp, c.Path(e.file))
			}
		}
		if len(f.Extra) > 0 {
			c.vscExtra(v, path, p, arch, f)
		}
	}
	list := "architectures"
	if len(c.VSC.Architectures) > 0 {
		list = "vsc.architectures"
	}
	for i, a := range c.VSCArchitectures() {
		if _, ok := p.Files[a]; !ok && isArch(a) {
			v.addf(base+".files", "has no files for %q (%s[%d]; add %s.files.%s)", a, list, i, base, a)
		}
	}
}

func oneOf(s string, set []string) bool {
	for _, x := range set {
		if s == x {
			return true
		}
	}
	return false
}

// vscExtra expands and checks one architecture's extra files.
func (c *Config) vscExtra(v *validator, path string, p *VSCPackage, arch string, f VSCFiles) {
	items, probs := payload.Expand(c.Dir, path+".extra", f.Extra)
	for _, pr := range probs {
		v.addf(pr.Field, "%s", pr.Msg)
	}
	all := append([]payload.Item(nil), items...)
	if f.Service != "" {
		all = append(all, payload.Item{Src: c.Path(f.Service), Dst: filepath.Base(f.Service), Field: path + ".service"})
	}
	payload.Sort(all)
	for _, pr := range payload.Collisions(all) {
		v.addf(pr.Field, "%s", pr.Msg)
	}
	n := 0
	dirs := map[string]bool{}
	for _, it := range items {
		top, _, _ := strings.Cut(it.Dst, "/")
		if strings.EqualFold(top, "Driver") {
			v.addf(it.Field+".dst", "%s would be installed as %s: the Driver folder holds the driver package (inf, sys, cat) only; choose another folder", it.Src, it.Dst)
			continue
		}
		if !it.Folder {
			n++
			v.payloadFile(it.Field+".src", it.Src)
		}
		for d := it.Dir(); d != ""; d = filepath.ToSlash(filepath.Dir(d)) {
			if d == "." {
				break
			}
			dirs[strings.ToLower(d)] = true
		}
	}
	if n+len(dirs) > MaxVSCExtra {
		v.addf(path+".extra", "expands to %d files and %d folders; a VSC package holds at most %d (its one feature may hold at most 1,599 components, ICE47; split the extra files into fewer, larger ones or leave some out)", n, len(dirs), MaxVSCExtra)
	}
	if p.ExtraTree == nil {
		p.ExtraTree = map[string][]payload.Item{}
	}
	p.ExtraTree[arch] = items
}
