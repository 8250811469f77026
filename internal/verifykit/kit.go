// Package verifykit writes the verification kit: the packages, a plain cmd
// script that plays the lifecycle scenarios of matrix.Scenarios with the
// real msiexec on a Windows machine (or under Wine), and the expected
// results generated from the same table; and compares the script's
// results file with them. It exists because msiforge's own proofs are a
// simulation and Wine: the kit lets a Windows CI runner (x64 or ARM64)
// check what this machine cannot.
package verifykit

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"github.com/msiforge/msiforge/internal/execx"
	"github.com/msiforge/msiforge/internal/matrix"
	"github.com/msiforge/msiforge/internal/msi"
	"github.com/msiforge/msiforge/internal/msitools"
	"github.com/msiforge/msiforge/internal/msiversion"
	"github.com/msiforge/msiforge/packaging"
	msipkg "github.com/msiforge/msiforge/packaging/msi"
)

// File names inside a kit.
const (
	ScriptName   = "verify.cmd"
	ExpectedName = "expected.json"
	ResultsName  = "results.txt"
)

// Format is the version of the expected-results file and of the results
// line format.
const Format = 1

// Options say what goes into a kit.
type Options struct {
	MSIs        []string        // the console MSIs to verify (each a "subject")
	UpgradeFrom string          // the previous release's MSI, for the upgrade scenarios
	EXE         string          // the setup EXE, run for the first installs
	Out         string          // the kit's folder
	Defaults    matrix.Defaults // the defaults omitted properties take
	Only        []string        // glob patterns of scenario IDs to include (all when empty)
}

// Package is one MSI in the kit.
type Package struct {
	File        string `json:"file"` // relative to the kit, with backslashes
	ProductCode string `json:"product_code"`
	PackageCode string `json:"package_code"`
	Version     string `json:"version"`
	Is64        bool   `json:"is64"`
}

// Scenario is one scenario of the kit.
type Scenario struct {
	ID      string        `json:"id"` // SUBJECT/scenario-id
	Subject string        `json:"subject"`
	Rule    string        `json:"rule"`
	Steps   []string      `json:"steps"` // the runs, in words
	Setup   []matrix.Step `json:"setup,omitempty"`
	Step    matrix.Step   `json:"step"`
	// ViaEXE: the step runs the setup EXE (setup.exe /S PROPS) instead of
	// msiexec /i this.msi.
	ViaEXE  bool          `json:"via_exe,omitempty"`
	Skip    string        `json:"skip,omitempty"` // why the kit does not run it
	Windows matrix.Expect `json:"windows"`
	// Wine's outcome where it departs from Windows (matrix.WineDiffers).
	Wine       *matrix.Expect `json:"wine,omitempty"`
	WineReason string         `json:"wine_reason,omitempty"`
}

// Subject is one --msi with the packages its scenarios run.
type Subject struct {
	Name        string             `json:"name"` // s1, s2, ...
	Source      string             `json:"source"`
	Packages    map[string]Package `json:"packages"` // matrix.PkgThis, ...
	SettingsKey string             `json:"settings_key"`
	RunValue    string             `json:"run_value"`
	ExeName     string             `json:"exe_name"` // the file whose presence means "files installed"
}

// Expected is the kit's expected-results file.
type Expected struct {
	Format    int             `json:"format"`
	Defaults  matrix.Defaults `json:"defaults"`
	Subjects  []Subject       `json:"subjects"`
	Scenarios []Scenario      `json:"scenarios"`
}

// Write builds the kit in o.Out (created, or replaced when it is an empty
// folder or a previous kit) and returns its expectations.
func Write(ctx context.Context, run execx.Runner, o Options) (*Expected, error) {
	if len(o.MSIs) == 0 {
		return nil, fmt.Errorf("--msi: at least one console MSI is needed")
	}
	if o.Out == "" {
		return nil, fmt.Errorf("-o: the kit's folder is needed")
	}
	for _, p := range o.Only {
		if _, err := path.Match(p, ""); err != nil {
			return nil, fmt.Errorf("--scenario %q: not a valid pattern (%v)", p, err)
		}
	}
	if o.Defaults.RunAtStartup == "" {
		o.Defaults = matrix.Defaults{RunAtStartup: "0", ShouldAutoUpdate: "0"}
	}
	if err := replaceable(o.Out); err != nil {
		return nil, err
	}
	parent := filepath.Dir(filepath.Clean(o.Out))
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return nil, err
	}
	// Everything goes into a temporary folder renamed into place, so that
	// a failure leaves no half-written kit.
	tmp, err := os.MkdirTemp(parent, ".verify-kit-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	exp := &Expected{Format: Format, Defaults: o.Defaults}
	var old *info
	if o.UpgradeFrom != "" {
		if old, err = readInfo(o.UpgradeFrom); err != nil {
			return nil, fmt.Errorf("--upgrade-from: %w", err)
		}
	}
	for i, src := range o.MSIs {
		sub, scs, err := subject(ctx, run, tmp, fmt.Sprintf("s%d", i+1), src, old, o)
		if err != nil {
			return nil, err
		}
		exp.Subjects = append(exp.Subjects, *sub)
		exp.Scenarios = append(exp.Scenarios, scs...)
	}
	if len(o.Only) > 0 && len(exp.Scenarios) == 0 {
		return nil, fmt.Errorf("--scenario %s: matches no scenario (see msiforge matrix --scenarios)", strings.Join(o.Only, ","))
	}
	if o.EXE != "" {
		if err := packaging.CopyFile(o.EXE, filepath.Join(tmp, "setup.exe")); err != nil {
			return nil, fmt.Errorf("--exe: %w", err)
		}
		addExe(exp)
	}
	data, err := json.MarshalIndent(exp, "", "  ")
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(tmp, ExpectedName), append(data, '\n'), 0o644); err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(tmp, ScriptName), []byte(Script(exp)), 0o644); err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(tmp, "README.txt"), []byte(readme), 0o644); err != nil {
		return nil, err
	}
	if err := os.RemoveAll(o.Out); err != nil {
		return nil, err
	}
	if err := os.Rename(tmp, o.Out); err != nil {
		return nil, err
	}
	return exp, nil
}

const readme = `msiforge verification kit

Run from an elevated cmd prompt on a Windows test machine (it installs and
uninstalls the packages, per user and per machine):

    verify.cmd

It writes results.txt next to itself. Compare it on any host with:

    msiforge verify-kit compare results.txt

(expected.json must be in the same folder as results.txt.)
`

// info is what the kit reads from an MSI.
type info struct {
	path                        string
	code, pkgCode, version, upg string
	is64                        bool
	manufacturer, product       string
	runValue, exeName, runComp  string
}

// readInfo's errors name the file (msi.Open's do already).
func readInfo(p string) (*info, error) {
	f, err := msi.Open(p)
	if err != nil {
		return nil, err
	}
	in, err := readOpen(p, f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", p, err)
	}
	return in, nil
}

func readOpen(p string, f *msi.File) (*info, error) {
	defer f.Close()
	props, err := f.Properties()
	if err != nil {
		return nil, err
	}
	sum, err := f.Summary()
	if err != nil {
		return nil, err
	}
	in := &info{path: p, code: strings.ToUpper(props["ProductCode"]), pkgCode: strings.ToUpper(sum.PackageCode),
		version: props["ProductVersion"], upg: strings.ToUpper(props["UpgradeCode"]),
		manufacturer: props["Manufacturer"], product: props["ProductName"]}
	for name, v := range map[string]string{"ProductCode": in.code, "ProductVersion": in.version, "UpgradeCode": in.upg, "Manufacturer": in.manufacturer, "ProductName": in.product} {
		if v == "" {
			return nil, fmt.Errorf("no %s property: not a console MSI msiforge built", name)
		}
	}
	plat, _, _ := strings.Cut(sum.Template, ";")
	in.is64 = strings.EqualFold(plat, "x64") || strings.EqualFold(plat, "Arm64") || strings.EqualFold(plat, "Intel64")
	regs, err := f.Rows("Registry")
	if err != nil {
		return nil, fmt.Errorf("Registry table: %w", err)
	}
	fileKey := ""
	for _, r := range regs {
		if strings.EqualFold(r["Key"], runKey) {
			in.runValue, in.runComp = r["Name"], r["Component_"]
			fileKey = strings.TrimSuffix(strings.TrimPrefix(strings.Trim(r["Value"], `"`), "[#"), "]")
			break
		}
	}
	if in.runValue == "" {
		return nil, fmt.Errorf("no Run value in its Registry table: not a console MSI msiforge built")
	}
	files, err := f.Rows("File")
	if err != nil {
		return nil, fmt.Errorf("File table: %w", err)
	}
	for _, r := range files {
		if r["File"] == fileKey || in.exeName == "" {
			name := r["FileName"]
			if _, long, ok := strings.Cut(name, "|"); ok {
				name = long
			}
			in.exeName = name
			if r["File"] == fileKey {
				break
			}
		}
	}
	if in.exeName == "" {
		return nil, fmt.Errorf("no File rows")
	}
	return in, nil
}

const runKey = `Software\Microsoft\Windows\CurrentVersion\Run`

// derivedCode makes a stable GUID for a derived package from the
// subject's ProductCode, so that two kits of one MSI are identical.
func derivedCode(base, what string) string {
	h := sha256.Sum256([]byte(base + "/" + what))
	x := fmt.Sprintf("%X", h[:16])
	return "{" + x[0:8] + "-" + x[8:12] + "-4" + x[13:16] + "-8" + x[17:20] + "-" + x[20:32] + "}"
}

func atoi(s string) int {
	n := 0
	for _, c := range s {
		if c < '0' || c > '9' {
			break
		}
		n = n*10 + int(c-'0')
	}
	return n
}

// derive writes a package made from src with other properties and
// PackageCode: the real counterpart of the packages matrix --check
// derives in its simulation (simulate.Package.With: same tables, other
// codes or version, and the Upgrade rows' bounds that were the old
// version moved to the new one, as a build of that version has them).
func derive(ctx context.Context, run execx.Runner, src, dst string, props map[string]string, oldVersion, pkgCode string) error {
	if err := packaging.CopyFile(src, dst); err != nil {
		return err
	}
	var sql []string
	keys := make([]string, 0, len(props))
	for k := range props {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		sql = append(sql, "UPDATE `Property` SET `Value` = "+msitools.Quote(props[k])+" WHERE `Property` = "+msitools.Quote(k))
	}
	if v, ok := props["ProductVersion"]; ok {
		// VersionMin and VersionMax are in the Upgrade table's primary
		// key, which libmsi cannot UPDATE: delete and insert again (as
		// packaging/msi.FixUpgradeAttributes does).
		t, err := msipkg.ReadTable(src, "Upgrade")
		if err != nil {
			return err
		}
		for _, r := range t.Rows {
			col := func(name string) string {
				if i := t.Col(name); i >= 0 && i < len(r) {
					return r[i]
				}
				return ""
			}
			lo, hi := col("VersionMin"), col("VersionMax")
			if lo != oldVersion && hi != oldVersion {
				continue
			}
			if lo == oldVersion {
				lo = v
			}
			if hi == oldVersion {
				hi = v
			}
			sql = append(sql, "DELETE FROM `Upgrade` WHERE `ActionProperty` = "+msitools.Quote(col("ActionProperty")),
				fmt.Sprintf("INSERT INTO `Upgrade` (`UpgradeCode`, `VersionMin`, `VersionMax`, `Language`, `Attributes`, `Remove`, `ActionProperty`) VALUES (%s, %s, %s, %s, %d, %s, %s)",
					msitools.Quote(col("UpgradeCode")), msitools.Quote(lo), msitools.Quote(hi), msitools.Quote(col("Language")), atoi(col("Attributes")), msitools.Quote(col("Remove")), msitools.Quote(col("ActionProperty"))))
		}
	}
	if len(sql) > 0 {
		if err := msitools.Query(ctx, run, dst, sql...); err != nil {
			return err
		}
	}
	return msipkg.ApplyFixes(ctx, run, dst, []msipkg.Fix{msipkg.FixSummary(map[int]string{msipkg.PIDRevision: pkgCode})})
}

func subject(ctx context.Context, run execx.Runner, root, name, src string, old *info, o Options) (*Subject, []Scenario, error) {
	in, err := readInfo(src)
	if err != nil {
		return nil, nil, fmt.Errorf("--msi: %w", err)
	}
	dir := filepath.Join(root, name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, nil, err
	}
	sub := &Subject{Name: name, Source: filepath.Base(src), Packages: map[string]Package{},
		SettingsKey: `Software\` + in.manufacturer + `\` + in.product, RunValue: in.runValue, ExeName: in.exeName}
	add := func(pkg string, p Package) { p.File = name + `\` + pkg + ".msi"; sub.Packages[pkg] = p }
	if err := packaging.CopyFile(src, filepath.Join(dir, matrix.PkgThis+".msi")); err != nil {
		return nil, nil, err
	}
	add(matrix.PkgThis, Package{ProductCode: in.code, PackageCode: in.pkgCode, Version: in.version, Is64: in.is64})
	next := Package{ProductCode: derivedCode(in.code, "next"), PackageCode: derivedCode(in.pkgCode, "next"), Version: msiversion.Next(in.version), Is64: in.is64}
	rebuild := Package{ProductCode: in.code, PackageCode: derivedCode(in.pkgCode, "rebuild"), Version: in.version, Is64: in.is64}
	sibling := Package{ProductCode: derivedCode(in.code, "sibling"), PackageCode: derivedCode(in.pkgCode, "sibling"), Version: in.version, Is64: in.is64}
	for pkg, p := range map[string]Package{matrix.PkgNext: next, matrix.PkgRebuild: rebuild, matrix.PkgSibling: sibling} {
		props := map[string]string{}
		if p.ProductCode != in.code {
			props["ProductCode"] = p.ProductCode
		}
		if p.Version != in.version {
			props["ProductVersion"] = p.Version
		}
		if err := derive(ctx, run, src, filepath.Join(dir, pkg+".msi"), props, in.version, p.PackageCode); err != nil {
			return nil, nil, fmt.Errorf("derive the %s package of %s: %w", pkg, src, err)
		}
		add(pkg, p)
	}
	rel := ""
	if old != nil {
		var err error
		rel, err = matrix.UpgradeRelation(
			matrix.Release{Name: "--upgrade-from " + old.path, UpgradeCode: old.upg, ProductCode: old.code, Version: old.version},
			matrix.Release{Name: src, UpgradeCode: in.upg, ProductCode: in.code, Version: in.version})
		if err != nil {
			return nil, nil, err
		}
		if err := packaging.CopyFile(old.path, filepath.Join(dir, matrix.PkgOld+".msi")); err != nil {
			return nil, nil, err
		}
		add(matrix.PkgOld, Package{ProductCode: old.code, PackageCode: old.pkgCode, Version: old.version, Is64: old.is64})
		p := sub.Packages[matrix.PkgThis]
		sub.Packages[matrix.PkgNew] = p // the checked package is "new" in the upgrade scenarios
	}
	wine := matrix.WineDiffers()
	var out []Scenario
	for _, sc := range matrix.Scenarios(o.Defaults) {
		if sc.Group == matrix.GroupUpgrade && sc.When != rel {
			continue
		}
		id := name + "/" + sc.ID
		if !selected(o.Only, id, sc.ID) {
			continue
		}
		k := Scenario{ID: id, Subject: name, Rule: sc.Rule, Windows: onCExpect(sc.Want), Setup: sc.Setup, Step: sc.Step}
		for _, st := range append(append([]matrix.Step{}, sc.Setup...), sc.Step) {
			k.Steps = append(k.Steps, st.String())
			if st.As == matrix.ContextSystem {
				k.Skip = "needs the Local System account (msiexec run by a service, psexec -s or a scheduled task as SYSTEM), which the kit's script does not switch to"
			}
		}
		if d, ok := wine[sc.ID]; ok {
			w := onCExpect(d.Want)
			k.Wine, k.WineReason = &w, d.Reason
		}
		out = append(out, k)
	}
	return sub, out, nil
}

func selected(only []string, ids ...string) bool {
	if len(only) == 0 {
		return true
	}
	for _, p := range only {
		for _, id := range ids {
			if ok, _ := path.Match(p, id); ok {
				return true
			}
		}
	}
	return false
}

func onCExpect(e matrix.Expect) matrix.Expect {
	if e.Settings != nil {
		m := map[string]string{}
		for k, v := range e.Settings {
			m[k] = matrix.OnSystemDrive(v)
		}
		e.Settings = m
	}
	return e
}

// addExe adds, for the first subject, the EXE's first installs: each
// omitted-properties scenario run as setup.exe /S PROPS, which hands its
// properties to msiexec and returns msiexec's exit code (packaging/exe),
// so the expectations are the MSI's. The EXE must carry the first --msi.
func addExe(exp *Expected) {
	var more []Scenario
	for _, sc := range exp.Scenarios {
		if sc.Subject != exp.Subjects[0].Name || !strings.HasPrefix(sc.ID, sc.Subject+"/") || len(sc.Setup) > 0 ||
			sc.Step.Action != matrix.ActInstall || sc.Step.Package != matrix.PkgThis || !strings.Contains(sc.ID, "/no-") {
			continue
		}
		e := sc
		e.ID = "exe/" + strings.TrimPrefix(sc.ID, sc.Subject+"/")
		e.ViaEXE = true
		e.Steps = []string{"setup.exe /S " + strings.Join(sc.Step.Props, " ")}
		if sc.Step.As == matrix.ContextSystem {
			e.Steps[0] += " as system"
		}
		more = append(more, e)
	}
	exp.Scenarios = append(exp.Scenarios, more...)
}

// replaceable refuses an -o that Write must not delete: anything but a
// missing path, an empty folder or a previous kit (its script and
// expected results beside each other).
func replaceable(out string) error {
	fi, err := os.Lstat(out)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("-o %s: %w", out, err)
	}
	if !fi.IsDir() {
		return fmt.Errorf("-o %s: exists and is not a folder; give a new folder for the kit", out)
	}
	entries, err := os.ReadDir(out)
	if err != nil {
		return fmt.Errorf("-o %s: %w", out, err)
	}
	if len(entries) == 0 {
		return nil
	}
	for _, f := range []string{ScriptName, ExpectedName} {
		if fi, err := os.Lstat(filepath.Join(out, f)); err != nil || !fi.Mode().IsRegular() {
			return fmt.Errorf("-o %s: a folder that is neither empty nor a verification kit (no %s); give a new folder, the kit replaces it", out, f)
		}
	}
	return nil
}
