package wix

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/msiforge/msiforge/internal/config"
	"github.com/msiforge/msiforge/internal/vschelper"
)

// VSC is everything the VSC driver package template needs for one role
// (representative or customer) and one architecture. The package is
// per-machine: it installs a Windows service (ServiceInstall) and a kernel
// driver, which Windows Installer cannot install itself, so the driver goes
// in through pnputil in deferred, non-impersonated custom actions.
type VSC struct {
	Role         string // config.RoleRepresentative or config.RoleCustomer
	ProductName  string // "<product> VSC Representative"
	Manufacturer string
	Version      string
	UpgradeCode  string // {GUID}, derived per role from the product's UpgradeCode: never changes
	ProductCode  string // {GUID}, derived per role, version and architecture
	Description  string

	Arch     string
	WixlArch string
	Win64    bool
	// ProgramFiles is ProgramFilesFolder or ProgramFiles64Folder.
	ProgramFiles string
	// SystemFolder is System64Folder for x64 and arm64, SystemFolder for
	// x86 (which the launch condition keeps to 32-bit Windows).
	SystemFolder string
	Template     string
	// Language is the LCID (ProductLanguage, the Template's language)
	// and Codepage its ANSI code page, which every string of the
	// package is stored in (product.language).
	Language int
	Codepage int

	// Folders under Program Files\<Manufacturer>: "<product> VSC" and,
	// inside it, one per role, so both packages can share a machine.
	VSCFolder  string
	RoleFolder string

	INF, SYS, CAT File // installed under <role folder>\Driver
	Service       File // the service executable, in the role folder
	// Extra are vsc.<role>.files.<arch>.extra: files in the role folder
	// (Dir INSTALLDIR) or in ExtraDirs, the folders of that tree.
	Extra     []File
	ExtraDirs []*Dir
	// Helper is msiforge-vschelper (internal/vschelper), stored in the
	// Binary table (not installed): the driver actions run it (custom
	// action type 2), and it runs pnputil. Its Path is set by the build,
	// which compiles it. From the Binary table it runs also when its
	// installed copy would be gone: Wine deletes the installed files
	// before it runs the rollback actions.
	Helper File

	ServiceName        string
	DisplayName        string
	ServiceDescription string
	Start              string // auto, demand or disabled (ServiceInstall/@Start)
	// StartOnInstall is true for an automatic service: ServiceControl
	// starts it at the end of the install (and, with Wait, fails the
	// install when it does not start). A demand or disabled service is
	// left stopped, as its start type asks.
	StartOnInstall bool

	LaunchConditions []LaunchCondition

	// Both VSC packages install the same driver package. When both are on
	// one machine, removing one must not delete the driver from the store
	// under the other. Each package therefore records itself under
	// RegistryKey\<role> (HKLM), and reads the other role's value with a
	// RegistrySearch into OtherInstalled; unlike FindRelatedProducts,
	// AppSearch also runs on uninstall.
	RegistryKey     string // Software\<Manufacturer>\<product> VSC
	RegistryGUID    string
	OtherRoleFolder string
	// StateKey (HKLM) is where the helper records the driver package it
	// added (PublishedName, InfPath, PreExisting, RebootRequired):
	// RegistryKey\Driver\<role>. The helper deletes it on removal.
	StateKey string

	// HardwareID is the virtual reader's hardware ID: vsc.<role>.hardware_id
	// or the INF's first model for the architecture. The helper creates a
	// root-enumerated device node with it and installs the driver on it.
	HardwareID string

	// ARM64Guard is set for the x64 package: it reads
	// PROCESSOR_ARCHITECTURE from the 64-bit registry into ProcArch.
	ARM64Guard bool
}

// OtherInstalled is the property AppSearch sets when the other role's
// package is installed.
const OtherInstalled = "VSCOTHERINSTALLED"

// Properties of the platform guards, set by AppSearch.
const (
	// BuildNumber is CurrentBuildNumber of HKLM\SOFTWARE\Microsoft\Windows
	// NT\CurrentVersion: a REG_SZ, which a raw RegLocator read gives as
	// the plain digits.
	BuildNumber = "VSCBUILDNUMBER"
	// ProcArch is PROCESSOR_ARCHITECTURE of the system environment
	// (AMD64, ARM64, x86), read from the 64-bit registry.
	ProcArch = "VSCPROCARCH"
	// MinBuild is Windows 10 version 1607, the first with pnputil
	// /add-driver ... /install.
	// https://learn.microsoft.com/windows-hardware/drivers/devtest/pnputil
	MinBuild = 14393
)

// Custom action ids of the VSC package, referenced by the fix-ups and tests.
const (
	// VSCHelperBinary is the helper's Binary table key.
	VSCHelperBinary    = "VscHelper"
	VSCDriverInstall   = "VscDriverInstall"
	VSCDriverRollback  = "VscDriverRollback"
	VSCDriverUninstall = "VscDriverUninstall"
	// VSCDriverReAdd undoes VSCDriverUninstall when an uninstall fails
	// after it, so a failed uninstall leaves the driver as it was.
	VSCDriverReAdd  = "VscDriverReAdd"
	VSCServiceComp  = "VscService"
	VSCRegistryComp = "VscRegistration"
)

// VSC custom action sequence numbers in InstallExecuteSequence. wixl's
// Before= is unreliable, so they are explicit: after InstallFiles (4000),
// so the INF is on disk, and before InstallServices (5800) and
// StartServices (5900), so the driver is there when the service starts.
// The rollback action is scheduled just before the action it undoes, as
// Windows Installer requires. Removal runs after the service is stopped
// and deleted (StopServices 1900, DeleteServices 2000) and before
// RemoveFiles (3500) deletes the INF it compares against.
const (
	SeqSetProperties  = 1001 // immediate, after CostFinalize
	SeqDriverRollback = 4010
	SeqDriverInstall  = 4011
	SeqDriverRemove   = 3490
	SeqDriverReAdd    = 3489 // the rollback of SeqDriverRemove, just before it
)

// SeqRemoveExistingProducts: after InstallInitialize (1500), so the old
// product is removed inside the new install's transaction and a failed
// new install restores it (wixl writes 1401, after InstallValidate, and
// ignores MajorUpgrade/@Schedule: a fix-up moves it).
// https://learn.microsoft.com/windows/win32/msi/removeexistingproducts-action
const SeqRemoveExistingProducts = 1501

// Custom action types (msidbCustomActionType*): 2 runs an EXE stored in
// the Binary table (https://learn.microsoft.com/windows/win32/msi/custom-action-type-2); +0x40 ignores its exit code; +0x400 in-script
// (deferred); +0x800 no impersonation (runs as LocalSystem); +0x100 rollback.
const (
	TypeExeBinary     = 2
	TypeContinue      = 0x40
	TypeRollback      = 0x100
	TypeInScript      = 0x400
	TypeNoImpersonate = 0x800

	// TypeDriverInstall: deferred, elevated, exit code checked.
	// wixl 0.101 cannot write it (BinaryKey with ExeCommand gives no row):
	// the template declares the actions as DLL calls (type 1) with the
	// command line as DllEntry, and fix-ups set these types.
	TypeDriverInstall = TypeExeBinary | TypeInScript | TypeNoImpersonate
	// TypeDriverUninstall: deferred, elevated; a failed removal must not
	// make the product impossible to uninstall, so its exit code is ignored.
	TypeDriverUninstall = TypeExeBinary | TypeContinue | TypeInScript | TypeNoImpersonate
	// TypeDriverRollback is TypeDriverUninstall run only on rollback.
	// wixl 0.101 only knows Execute="deferred": the template declares the
	// action like the uninstall one and a fix-up adds the rollback bit.
	TypeDriverRollback = TypeDriverUninstall | TypeRollback
	// TypeDriverReAdd is the install command run only on rollback, its
	// exit code ignored like every rollback action's.
	TypeDriverReAdd = TypeDriverInstall | TypeContinue | TypeRollback
)

// NewVSC builds the model of role's package for one architecture of a
// validated config.
func NewVSC(c *config.Config, role, arch string) (*VSC, error) {
	a, ok := archs[arch]
	if !ok {
		return nil, fmt.Errorf("architecture %q is not one of %s", arch, strings.Join(config.Architectures, ", "))
	}
	pkg := c.VSC.Package(role)
	if pkg == nil {
		return nil, fmt.Errorf("vsc.%s: not configured", role)
	}
	files, ok := pkg.Files[arch]
	if !ok {
		return nil, fmt.Errorf("vsc.%s.files.%s: no files", role, arch)
	}
	p := c.Product
	ns := p.UpgradeCode
	sys := "System64Folder"
	// Windows Installer reports VersionNT 603 on Windows 10 and 11, so the
	// build number comes from the registry. It is a string there; MSI
	// compares a property holding only digits with an integer literal as
	// an integer (so "9600" < 14393, not as text), and an absent property
	// (empty string) compared with an integer is false: refused.
	// https://learn.microsoft.com/windows/win32/msi/conditional-statement-syntax
	conds := []LaunchCondition{{fmt.Sprintf("Installed OR %s >= %d", BuildNumber, MinBuild),
		"This package needs Windows 10 version 1607 (build 14393) or later."}}
	switch arch {
	case "x86":
		sys = "SystemFolder"
		// An x86 kernel driver does not load on 64-bit Windows, and a
		// 32-bit package would find the WOW64 system folder there.
		conds = append(conds, LaunchCondition{"Installed OR NOT VersionNT64", "This package is for 32-bit Windows; install the x64 package on x64 Windows or the arm64 package on ARM64 Windows."})
	case "x64":
		// VersionNT64 is set on ARM64 Windows too (it runs x64 code), but
		// an x64 kernel driver does not load there.
		conds = append(conds,
			LaunchCondition{"Installed OR VersionNT64", "This package is for x64 Windows; install the x86 package on 32-bit Windows."},
			LaunchCondition{"Installed OR NOT " + ProcArch + `~="ARM64"`, "This package is for x64 Windows; install the arm64 package on ARM64 Windows."})
	default:
		// The Arm64 summary Template already keeps it off other machines.
		conds = append(conds, LaunchCondition{"Installed OR VersionNT64", "This package is for ARM64 Windows; install the x86 package on 32-bit Windows."})
	}
	roleTitle := strings.TrimPrefix(config.VSCSuffix(role), " VSC ")
	other := config.RoleCustomer
	if role == config.RoleCustomer {
		other = config.RoleRepresentative
	}
	m := &VSC{
		Role:         role,
		ProductName:  p.Name + config.VSCSuffix(role),
		Manufacturer: p.Manufacturer,
		Version:      p.Version,
		UpgradeCode:  StableGUID(ns, "vsc", role, "upgrade"),

		RegistryKey:     `Software\` + p.Manufacturer + `\` + p.Name + " VSC",
		RegistryGUID:    StableGUID(ns, "vsc", role, arch, "component", VSCRegistryComp),
		OtherRoleFolder: strings.TrimPrefix(config.VSCSuffix(other), " VSC "),
		ProductCode:     StableGUID(ns, "vsc", role, "product", p.Version, arch),
		Description:     p.Description,
		Arch:            arch,
		WixlArch:        a.wixl,
		Win64:           a.win64,
		ProgramFiles:    a.programFiles,
		SystemFolder:    sys,
		Template:        a.platform + ";" + strconv.Itoa(p.Language),
		VSCFolder:       p.Name + " VSC",
		RoleFolder:      roleTitle,

		ServiceName:        pkg.ServiceName,
		DisplayName:        pkg.DisplayName,
		ServiceDescription: pkg.Description,
		Start:              pkg.Start,
		StartOnInstall:     pkg.Start == "auto",
		LaunchConditions:   conds,
		ARM64Guard:         arch == "x64",
	}
	m.StateKey = m.RegistryKey + `\Driver\` + roleTitle
	file := func(prefix, path string) File {
		name := filepath.Base(path)
		return File{
			ID:          Identifier(prefix, name),
			Name:        name,
			Source:      "payload/" + name,
			Path:        c.Path(path),
			ComponentID: Identifier("C_"+prefix, name),
			GUID:        StableGUID(ns, "vsc", role, arch, "file", strings.ToLower(name)),
		}
	}
	m.INF = file("Inf_", files.INF)
	if m.HardwareID = pkg.HardwareID; m.HardwareID == "" {
		data, err := os.ReadFile(m.INF.Path)
		if err != nil {
			return nil, fmt.Errorf("vsc.%s.hardware_id: not set, and the INF cannot be read for its first device model: %w", role, err)
		}
		if m.HardwareID = FirstHardwareID(data, arch); m.HardwareID == "" {
			return nil, fmt.Errorf("vsc.%s.hardware_id: not set, and %s names no device model for %s ([Manufacturer] and its models section); set it", role, files.INF, arch)
		}
		if strings.ContainsAny(m.HardwareID, `[]{}"`) {
			return nil, fmt.Errorf("vsc.%s.hardware_id: not set, and the INF's first model %q holds [ ] { } or a quote, which a formatted MSI field cannot carry; set it", role, m.HardwareID)
		}
	}
	m.SYS = file("Sys_", files.SYS)
	m.CAT = file("Cat_", files.CAT)
	// The driver files are signed by their own catalog (and, for a
	// production driver, by Microsoft): re-signing them would replace
	// that signature, so msiforge never signs them.
	m.INF.NoSign, m.SYS.NoSign, m.CAT.NoSign = true, true, true
	m.Service = file("Svc_", files.Service)
	m.Service.ComponentID = VSCServiceComp
	m.Helper = File{ID: VSCHelperBinary, Name: vschelper.Name, Source: "payload/" + vschelper.Name}
	m.Extra, m.ExtraDirs = newTree(pkg.ExtraTree[arch], "X_", m.Win64, func(kind, key string) string {
		return StableGUID(ns, "vsc", role, arch, "extra", kind, key)
	})
	m.Language, m.Codepage = p.Language, c.Codepage().ID
	return m, nil
}

// Files returns the installed files: driver files, the service, then the
// extra files.
func (m *VSC) Files() []File { return append([]File{m.INF, m.SYS, m.CAT, m.Service}, m.Extra...) }

// ExtraTop returns the extra files installed directly into the role
// folder.
func (m *VSC) ExtraTop() []File {
	var out []File
	for _, f := range m.Extra {
		if f.Dir == "INSTALLDIR" {
			out = append(out, f)
		}
	}
	return out
}

// ExtraComponents lists the components of the extra files and folders.
func (m *VSC) ExtraComponents() []string {
	var out []string
	for _, f := range m.Extra {
		out = append(out, f.ComponentID)
	}
	for _, d := range allDirs(m.ExtraDirs) {
		if d.Folder != nil {
			out = append(out, d.Folder.ID)
		}
	}
	return out
}

// DriverFiles returns the INF, SYS and CAT files.
func (m *VSC) DriverFiles() []File { return []File{m.INF, m.SYS, m.CAT} }

// HelperCommand is the command line of a driver action (after the
// helper's path): verb is add, rollback or remove (see internal/vschelper).
// The INF's path is formatted from its directory, [DRIVERDIR], not from
// [#file]: [#file] formats empty while the file's component is being
// removed, which is exactly when the removal and its rollback run.
// https://learn.microsoft.com/windows/win32/msi/formatted
// The removal also gets [VSCOTHERINSTALLED]: when the other role's
// package is installed, the helper forgets this one's record and leaves
// the driver package to it.
func (m *VSC) HelperCommand(verb string) string {
	c := verb + ` "[DRIVERDIR]` + m.INF.Name + `" "` + m.StateKey + `"`
	switch verb {
	case "add":
		c += ` "` + m.HardwareID + `"`
	case "remove":
		c += ` "[` + OtherInstalled + `]"`
	}
	return c
}

// The template reads the fixed action ids and sequence numbers through
// these methods, so they are defined once, above.

func (*VSC) InstallID() string      { return VSCDriverInstall }
func (*VSC) RollbackID() string     { return VSCDriverRollback }
func (*VSC) UninstallID() string    { return VSCDriverUninstall }
func (*VSC) ReAddID() string        { return VSCDriverReAdd }
func (*VSC) SeqDriverReAdd() int    { return SeqDriverReAdd }
func (*VSC) SeqSetProperties() int  { return SeqSetProperties }
func (*VSC) SeqDriverRollback() int { return SeqDriverRollback }
func (*VSC) SeqDriverInstall() int  { return SeqDriverInstall }
func (*VSC) SeqDriverRemove() int   { return SeqDriverRemove }
func (*VSC) OtherInstalled() string { return OtherInstalled }
func (*VSC) RegistryComp() string   { return VSCRegistryComp }
func (*VSC) BuildNumber() string    { return BuildNumber }
func (*VSC) ProcArch() string       { return ProcArch }

// CondDriverRemove is when the uninstall action runs: on a full removal,
// unless it is the old product's removal during a major upgrade
// (UPGRADINGPRODUCTCODE is set then), whose new package keeps the driver.
// Whether the other role's package still needs the driver, the helper
// decides (see HelperCommand), so this package's record goes either way.
// https://learn.microsoft.com/windows/win32/msi/upgradingproductcode
func (*VSC) CondDriverRemove() string {
	return `REMOVE~="ALL" AND NOT UPGRADINGPRODUCTCODE`
}
