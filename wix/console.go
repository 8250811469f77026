package wix

import (
	"fmt"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/msiforge/msiforge/internal/config"
	"github.com/msiforge/msiforge/internal/matrix"
	"github.com/msiforge/msiforge/internal/payload"
)

// Console is everything the console MSI template needs for one architecture.
type Console struct {
	ProductName  string
	Manufacturer string
	Version      string
	UpgradeCode  string // {GUID}
	ProductCode  string // {GUID}, derived per version and architecture
	Description  string
	HelpURL      string
	AboutURL     string

	Arch     string // x86, x64, arm64
	WixlArch string // the -a value wixl accepts: x86 or x64 (arm64 is patched after the build)
	Win64    bool   // components are 64-bit (x64, arm64)
	// ProgramFiles is the per-machine root: ProgramFilesFolder or ProgramFiles64Folder.
	ProgramFiles string
	// Template is the summary Template the finished MSI must carry.
	Template string
	// Language is the LCID (ProductLanguage, the Template's language)
	// and Codepage its ANSI code page, which every string of the
	// package is stored in (product.language).
	Language int
	Codepage int

	Icon *File // optional product icon (Id and Source used)
	// Files are the payload files, in table order; each names its folder
	// (Dir), one of Dirs or INSTALLDIR.
	Files []File
	// Dirs are the folders of the payload tree directly under INSTALLDIR.
	Dirs []*Dir
	// Features hold the components, at most MaxFeatureComponents each.
	Features []Feature
	Exe      File // the console executable (also in Files)
	// UserManufacturerDir is the per-user parent of the default
	// INSTALLDIR, a formatted value: the package removes it at uninstall
	// once empty.
	UserManufacturerDir string

	SettingsKey    string // registry key under HKMU holding settings and remembered values
	SettingsGUID   string
	RunValueName   string // name of the Run value
	RunGUID        string
	Shortcut       *Shortcut
	UserInstallDir string // per-user default INSTALLDIR, a formatted value

	Defaults Defaults

	LaunchConditions    []LaunchCondition
	ComponentConditions []ComponentCondition // applied after the build (wixl cannot)
	// ComponentAttributes are Component.Attributes bits set after the
	// build (wixl ignores Transitive).
	ComponentAttributes []ComponentAttributes
	SecureProperties    []string // appended to SecureCustomProperties after the build
}

// ComponentAttributes are bits a component's Attributes must carry.
type ComponentAttributes struct {
	Component string
	Bits      int
}

// File is one installed file and its component. wixl refuses absolute
// source paths, and the build stages payload files anyway (to pin their
// times), so the .wxs names them relative to the build directory.
type File struct {
	ID     string // File Id
	Name   string // installed file name
	Source string // path written in the .wxs, relative to the build directory
	// Path is the file on the build host, copied to Source before
	// compiling. Not in JSON: a build key (internal/uptodate) covers the
	// file's bytes, not where the checkout happens to be, so a CI job
	// with another workspace path still reuses the release.
	Path        string `json:"-"`
	ComponentID string
	GUID        string
	// Dir is the Directory Id of the file's folder (console payload
	// tree); RemoveFolder, when set, is the Id of the RemoveFolder element
	// the file's component carries for that folder.
	Dir          string
	RemoveFolder string
	// NoSign keeps the build from Authenticode-signing this file even when
	// it is a PE (a driver carries its own, catalog-based signature).
	NoSign bool
}

// Shortcut is the Start-menu shortcut to the console.
type Shortcut struct {
	Name        string
	Folder      string // folder under the Start menu's Programs
	ComponentID string
	GUID        string
}

// Defaults are the property defaults as MSI strings.
type Defaults struct {
	RunAtStartup     string
	ShouldAutoUpdate string
}

// LaunchCondition refuses an install when Condition is false.
type LaunchCondition struct {
	Condition string
	Message   string
}

// ComponentCondition is a Component table condition.
type ComponentCondition struct {
	Component string
	Condition string
}

// IDs of the fixed components, referenced by the fix-ups.
const (
	SettingsComponent = "Settings"
	RunComponent      = "RunAtStartup"
)

// arch facts: wixl's -a value, whether components are 64-bit, the
// per-machine Program Files folder and the summary Template platform.
var archs = map[string]struct {
	wixl, programFiles, platform string
	win64                        bool
}{
	"x86":   {"x86", "ProgramFilesFolder", "Intel", false},
	"x64":   {"x64", "ProgramFiles64Folder", "x64", true},
	"arm64": {"x64", "ProgramFiles64Folder", "Arm64", true},
}

// NewConsole builds the console model for one architecture of a validated config.
func NewConsole(c *config.Config, arch string) (*Console, error) {
	a, ok := archs[arch]
	if !ok {
		return nil, fmt.Errorf("architecture %q is not one of %s", arch, strings.Join(config.Architectures, ", "))
	}
	items := c.Console.Tree[arch]
	if items == nil {
		// A config not from Parse (tests): the flat list only.
		for _, f := range c.Console.Payload[arch] {
			items = append(items, payload.Item{Src: c.Path(f), Dst: filepath.Base(f), Field: "console.payload." + arch})
		}
		payload.Sort(items)
	}
	if len(items) == 0 {
		return nil, fmt.Errorf("console.payload.%s: no files", arch)
	}
	p := c.Product
	ns := p.UpgradeCode
	m := &Console{
		ProductName:         p.Name,
		Manufacturer:        p.Manufacturer,
		Version:             p.Version,
		UpgradeCode:         "{" + p.UpgradeCode + "}",
		ProductCode:         StableGUID(ns, "console", "product", p.Version, arch),
		Description:         p.Description,
		HelpURL:             p.HelpURL,
		AboutURL:            p.AboutURL,
		Arch:                arch,
		WixlArch:            a.wixl,
		Win64:               a.win64,
		ProgramFiles:        a.programFiles,
		Template:            a.platform + ";" + strconv.Itoa(p.Language),
		SettingsKey:         `Software\` + p.Manufacturer + `\` + p.Name,
		SettingsGUID:        StableGUID(ns, "console", arch, "component", SettingsComponent),
		RunValueName:        p.Name,
		RunGUID:             StableGUID(ns, "console", arch, "component", RunComponent),
		UserInstallDir:      "[LocalAppDataFolder]" + p.Manufacturer + `\` + p.Name + `\`,
		UserManufacturerDir: "[LocalAppDataFolder]" + p.Manufacturer + `\`,
		Defaults: Defaults{
			RunAtStartup:     strconv.Itoa(*c.Console.Defaults.RunAtStartup),
			ShouldAutoUpdate: strconv.Itoa(*c.Console.Defaults.ShouldAutoUpdate),
		},
		ComponentConditions: []ComponentCondition{{RunComponent, matrix.CondRunAtStartup}},
		ComponentAttributes: []ComponentAttributes{{RunComponent, matrix.RunComponentAttributes}},
		SecureProperties:    append([]string(nil), matrix.SecureProperties...),
	}
	for _, lc := range matrix.LaunchConditions {
		m.LaunchConditions = append(m.LaunchConditions, LaunchCondition{lc.Condition, lc.Message})
	}
	if p.Icon != "" {
		m.Icon = &File{ID: "ProductIcon.ico", Name: filepath.Base(p.Icon), Source: "icon/" + filepath.Base(p.Icon), Path: c.Path(p.Icon)}
	}
	m.buildTree(ns, items)
	for _, f := range m.Files {
		if f.Dir == "INSTALLDIR" && strings.EqualFold(f.Name, c.Console.Executable) {
			m.Exe = f
		}
	}
	if m.Exe.ID == "" {
		return nil, fmt.Errorf("console.payload.%s: does not contain the console executable %q", arch, c.Console.Executable)
	}
	if *c.Console.Shortcut.Enabled {
		m.Shortcut = &Shortcut{
			Name:        c.Console.Shortcut.Name,
			Folder:      p.Name,
			ComponentID: "StartMenuShortcut",
			GUID:        StableGUID(ns, "console", arch, "component", "StartMenuShortcut"),
		}
	}
	fixed := []string{SettingsComponent, RunComponent}
	if m.Shortcut != nil {
		fixed = append(fixed, m.Shortcut.ComponentID)
	}
	m.splitFeatures(fixed)
	m.Language, m.Codepage = p.Language, c.Codepage().ID
	return m, nil
}

// Remembered is a public property stored under the settings key and read
// back by AppSearch, so re-runs, upgrades and uninstalls see the original
// value. Each context reads its own hive into its own private property:
// UserProperty from HKCU, MachineProperty from HKLM in the package's own
// registry view, OtherViewProperty from HKLM's other view (where a
// per-machine install of the other architecture keeps its settings).
type Remembered struct {
	Property          string // INSTALLDIR
	Name              string // registry value name and action-name stem: InstallDir
	UserProperty      string // UserInstallDir
	MachineProperty   string // MachineInstallDir
	OtherViewProperty string // MachineInstallDirOtherView
}

// OtherViewSearch is the RegLocator signature of the other-view search of
// this value: InstallDirMachineOtherView.
func (r Remembered) OtherViewSearch() string { return r.Name + "MachineOtherView" }

// OtherViewSequence is the Sequence of the UseMachineOtherView action:
// after every own-view copy, before the defaults.
func (r Remembered) OtherViewSequence() int {
	switch r.Name {
	case "InstallDir":
		return 57
	case "RunAtStartup":
		return 58
	}
	return 59
}

// CondOtherView is when a per-machine run copies the other view's value:
// the command line did not give it and the own view has no install (no
// MachineInstallDir), as after the other architecture's per-machine
// install.
func (r Remembered) CondOtherView() string {
	return "NOT " + r.Property + " AND " + matrix.CondMachineValues + " AND NOT " + matrix.PropMachineInstallDir + " AND " + r.OtherViewProperty
}

// Remembered lists the remembered properties in sequence order.
func (*Console) Remembered() []Remembered {
	return []Remembered{
		{matrix.PropInstallDir, "InstallDir", matrix.PropUserInstallDir, matrix.PropMachineInstallDir, matrix.PropMachineInstallDirOtherView},
		{matrix.PropRunAtStartup, "RunAtStartup", matrix.PropUserRunAtStartup, matrix.PropMachineRunAtStartup, matrix.PropMachineRunAtStartupOtherView},
		{matrix.PropShouldAutoUpdate, "ShouldAutoUpdate", matrix.PropUserShouldAutoUpdate, matrix.PropMachineShouldAutoUpdate, matrix.PropMachineShouldAutoUpdateOtherView},
	}
}

// SettingsComponent and RunComponent name the fixed components.
func (*Console) SettingsComponent() string { return SettingsComponent }

// RunComponent is the Id of the Run value's component.
func (*Console) RunComponent() string { return RunComponent }

// CondPerUser and CondAutoUpdate expose the matrix's conditions to the template.
func (*Console) CondPerUser() string { return matrix.CondPerUser }

// CondPerMachine is the per-machine context's condition.
func (*Console) CondPerMachine() string { return matrix.CondPerMachine }

// CondUserValues is when a run copies the per-user remembered values.
func (*Console) CondUserValues() string { return matrix.CondUserValues }

// CondMachineValues is when a run copies the per-machine remembered values.
func (*Console) CondMachineValues() string { return matrix.CondMachineValues }

// CondAutoUpdate is when the effective auto-update value is 1.
func (*Console) CondAutoUpdate() string { return matrix.CondAutoUpdate }

// CondAddInstallDirSlash is when INSTALLDIR gets its trailing backslash.
func (*Console) CondAddInstallDirSlash() string { return matrix.CondAddInstallDirSlash }

// OtherViewSearch is the RegLocator signature of the other-view search of
// InstallDir (Remembered.OtherViewSearch names all three).
const OtherViewSearch = "InstallDirMachineOtherView"

// SameVersionProperty is the property the same-version Upgrade row sets.
func (*Console) SameVersionProperty() string { return matrix.PropSameVersion }
