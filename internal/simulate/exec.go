package simulate

import (
	"fmt"
	"github.com/msiforge/msiforge/internal/msiversion"
	"sort"
	"strings"

	"github.com/msiforge/msiforge/internal/cond"
)

// msiexec exit codes.
// https://learn.microsoft.com/en-us/windows/win32/msi/error-codes
const (
	ExitSuccess        = 0
	ExitFailure        = 1603 // ERROR_INSTALL_FAILURE: a launch condition refused, or an action failed
	ExitUnknownProduct = 1605 // ERROR_UNKNOWN_PRODUCT: /x or /f of a product that is not installed
	ExitProductVersion = 1638 // ERROR_PRODUCT_VERSION: another version of this product is already installed
)

// Msg1638 is the text of ERROR_PRODUCT_VERSION.
const Msg1638 = "Another version of this product is already installed. Installation of this version cannot continue. To configure or remove the existing version of this product, use Add/Remove Programs on the Control Panel."

// Run modes.
const (
	ModeInstall     = "install"     // first install of the ProductCode
	ModeMaintenance = "maintenance" // Installed set, nothing reinstalled
	ModeReinstall   = "reinstall"   // Installed set, REINSTALL given
	ModeUninstall   = "uninstall"   // REMOVE=ALL
)

// Outcome is how one msiexec run ends.
type Outcome struct {
	Exit    int      `json:"exit"`
	Mode    string   `json:"mode"`
	Message string   `json:"message,omitempty"` // the launch condition's message or the error's text
	Removed []string `json:"removed,omitempty"` // ProductCodes RemoveExistingProducts removed
	Result  *Result  `json:"-"`
}

// Component attributes.
// https://learn.microsoft.com/en-us/windows/win32/msi/component-table
const (
	compTransitive = 0x40  // msidbComponentAttributesTransitive
	comp64         = 0x100 // msidbComponentAttributes64bit
)

// Upgrade table attributes.
// https://learn.microsoft.com/en-us/windows/win32/msi/upgrade-table
const (
	upgOnlyDetect        = 0x2
	upgMinInclusive      = 0x100
	upgMaxInclusive      = 0x200
	upgLanguagesExclusve = 0x400
)

// Exec plays `msiexec /i PACKAGE PROPS` run by account. The machine
// changes only when the run succeeds: a failed run rolls back.
func (m *Machine) Exec(pkg *Package, cmdline map[string]string, account string) (*Outcome, error) {
	w := m.Clone()
	out, err := w.exec(pkg, cmdline, account, "")
	if err != nil {
		return nil, err
	}
	if out.Exit == ExitSuccess {
		*m = *w
	}
	return out, nil
}

// Repair plays `msiexec /f` of an installed product: a reinstall from the
// cached package with the command-line option's default mode, "pecms",
// and no public property from the command line.
// https://learn.microsoft.com/en-us/windows/win32/msi/command-line-options
// https://learn.microsoft.com/en-us/windows/win32/msi/reinstallmode
func (m *Machine) Repair(productCode, account string) (*Outcome, error) {
	p := m.visible(productCode, account)
	if p == nil {
		return &Outcome{Exit: ExitUnknownProduct, Mode: ModeReinstall, Message: "This action is only valid for products that are currently installed."}, nil
	}
	return m.Exec(p.Package, map[string]string{"REINSTALL": "ALL", "REINSTALLMODE": "pecms"}, account)
}

// Uninstall plays `msiexec /x PRODUCTCODE PROPS`: REMOVE=ALL with the
// cached package.
// https://learn.microsoft.com/en-us/windows/win32/msi/remove
func (m *Machine) Uninstall(productCode, account string, cmdline map[string]string) (*Outcome, error) {
	p := m.visible(productCode, account)
	if p == nil {
		return &Outcome{Exit: ExitUnknownProduct, Mode: ModeUninstall, Message: "This action is only valid for products that are currently installed."}, nil
	}
	props := map[string]string{"REMOVE": "ALL"}
	for k, v := range cmdline {
		props[k] = v
	}
	return m.Exec(p.Package, props, account)
}

type run struct {
	m          *Machine
	pkg        *Package
	account    string
	props      map[string]string
	res        *Result
	out        *Outcome
	reg        *Product // the registration a maintenance run works on
	perMachine bool
	remove     bool
	reinstall  string // the REINSTALLMODE letters when REINSTALL is set
	comps      []Row
	states     map[string]bool // component -> installed after the run
	dirs       map[string]string
	compDirs   map[string]string // where the components this run installs go
}

func (m *Machine) exec(pkg *Package, cmdline map[string]string, account, upgrading string) (*Outcome, error) {
	r := &run{m: m, pkg: pkg, account: account, props: map[string]string{},
		res: &Result{Components: map[string]bool{}}, out: &Outcome{Mode: ModeInstall}, compDirs: map[string]string{}}
	r.out.Result = r.res
	for k, v := range folders(account) {
		r.props[k] = v
	}
	for k, v := range map[string]string{"VersionNT": "603", "VersionNT64": "603", "Privileged": "1", "AdminUser": "1", "UILevel": "2"} {
		r.props[k] = v
	}
	for k, v := range pkg.props {
		r.props[k] = v
	}
	for k, v := range cmdline {
		r.props[k] = v
	}
	if upgrading != "" {
		r.props["UPGRADINGPRODUCTCODE"] = upgrading
	}
	code := pkg.props["ProductCode"]
	if code != "" {
		r.reg = m.visible(code, account)
	}
	if r.reg != nil {
		// Same ProductCode, other PackageCode: only a reinstall that
		// recaches the package (REINSTALLMODE v) may apply it; anything
		// else is refused with 1638.
		// https://learn.microsoft.com/en-us/windows/win32/msi/applying-small-updates-by-reinstalling-the-product
		// https://learn.microsoft.com/en-us/windows/win32/msi/error-codes
		recache := r.props["REINSTALL"] != "" && strings.ContainsAny(strings.ToLower(r.props["REINSTALLMODE"]), "v")
		if !strings.EqualFold(r.reg.PackageCode, pkg.PackageCode) && !recache {
			r.out.Exit, r.out.Mode, r.out.Message = ExitProductVersion, ModeMaintenance, Msg1638
			return r.out, nil
		}
		// A maintenance run: Installed is set, and the run takes the
		// context of the registration it works on, whatever ALLUSERS the
		// command line gives (the product is found per-user first, then
		// per-machine).
		// https://learn.microsoft.com/en-us/windows/win32/msi/installed
		// https://learn.microsoft.com/en-us/windows/win32/msi/installation-context
		// The ALLUSERS property keeps the command line's value: no page
		// says Windows Installer sets it to the registration's context on
		// a maintenance run (Installation Context says it resets ALLUSERS
		// when it installs), and Wine does not. A package must work
		// either way; this is the case that shows when it does not.
		r.props["Installed"] = "00:00:00"
		r.props["ProductState"] = "5"
		r.out.Mode = ModeMaintenance
		switch {
		case strings.EqualFold(r.props["REMOVE"], "ALL"):
			r.remove, r.out.Mode = true, ModeUninstall
		case r.props["REINSTALL"] != "":
			// REINSTALLMODE defaults to "omus".
			// https://learn.microsoft.com/en-us/windows/win32/msi/reinstall
			r.reinstall = strings.ToLower(r.props["REINSTALLMODE"])
			if r.reinstall == "" {
				r.reinstall = "omus"
			}
			r.out.Mode = ModeReinstall
		}
	} else if r.props["ALLUSERS"] == "2" {
		// ALLUSERS=2 becomes 1 for a privileged user, as the simulated one is.
		// https://learn.microsoft.com/en-us/windows/win32/msi/allusers
		r.props["ALLUSERS"] = "1"
	}
	// https://learn.microsoft.com/en-us/windows/win32/msi/allusers
	r.perMachine = r.props["ALLUSERS"] != ""
	if r.reg != nil {
		r.perMachine = r.reg.PerMachine
	}
	if err := r.sequence(); err != nil {
		return nil, err
	}
	r.res.Properties = r.props
	return r.out, nil
}

func (r *run) eval(text, where string) (bool, error) {
	ok, err := cond.Eval(text, &cond.Env{Props: r.props})
	if err != nil {
		return false, fmt.Errorf("%s: %s: condition %q: %w", r.pkg.Name, where, text, err)
	}
	return ok, nil
}

func (r *run) fail(msg string) {
	r.out.Exit, r.out.Message = ExitFailure, msg
	r.res.Refused, r.res.Message = true, msg
}

// sequence plays InstallExecuteSequence in Sequence order; each action
// runs when its condition is true.
// https://learn.microsoft.com/en-us/windows/win32/msi/using-a-sequence-table
func (r *run) sequence() error {
	seq, err := r.pkg.Tables.Rows("InstallExecuteSequence")
	if err != nil {
		return err
	}
	sort.SliceStable(seq, func(i, j int) bool { return atoi(seq[i]["Sequence"]) < atoi(seq[j]["Sequence"]) })
	cas, err := r.pkg.Tables.Rows("CustomAction")
	if err != nil {
		return err
	}
	byName := map[string]Row{}
	for _, c := range cas {
		byName[c["Action"]] = c
	}
	for _, step := range seq {
		action := step["Action"]
		ok, err := r.eval(step["Condition"], "InstallExecuteSequence "+action)
		if err != nil {
			return err
		}
		if !ok {
			continue
		}
		if ca, isCA := byName[action]; isCA {
			// Type 51 sets a property, type 35 a directory, to a formatted
			// value; both take effect at once.
			// https://learn.microsoft.com/en-us/windows/win32/msi/custom-action-type-51
			// https://learn.microsoft.com/en-us/windows/win32/msi/custom-action-type-35
			if t := atoi(ca["Type"]) & 0x3F; t == 51 || t == 35 {
				r.props[ca["Source"]] = format(ca["Target"], r.props)
				r.res.Actions = append(r.res.Actions, action)
			}
			continue
		}
		switch action {
		case "FindRelatedProducts":
			err = r.findRelatedProducts()
		case "AppSearch":
			err = r.appSearch()
		case "LaunchConditions":
			err = r.launchConditions()
		case "CostFinalize":
			err = r.costFinalize()
		case "RemoveExistingProducts":
			err = r.removeExistingProducts()
		case "RemoveRegistryValues":
			err = r.removeComponents()
		case "WriteRegistryValues":
			err = r.writeComponents()
		case "InstallFinalize":
			return r.finalize()
		}
		if err != nil || r.out.Exit != ExitSuccess {
			return err
		}
	}
	return r.finalize()
}

// findRelatedProducts appends to each Upgrade row's ActionProperty the
// installed products of that UpgradeCode in the version range. It does
// not run in maintenance mode, and finds only products of the installing
// context (the same account's per-user installs, or per-machine ones).
// https://learn.microsoft.com/en-us/windows/win32/msi/findrelatedproducts-action
// https://learn.microsoft.com/en-us/windows/win32/msi/upgrade-table
func (r *run) findRelatedProducts() error {
	if r.reg != nil {
		return nil
	}
	rows, err := r.pkg.Tables.Rows("Upgrade")
	if err != nil {
		return err
	}
	for _, u := range rows {
		attr := atoi(u["Attributes"])
		for _, p := range r.m.Products {
			if !strings.EqualFold(p.UpgradeCode, u["UpgradeCode"]) || strings.EqualFold(p.ProductCode, r.pkg.props["ProductCode"]) {
				continue
			}
			if p.PerMachine != r.perMachine || (!p.PerMachine && p.Account != r.account) {
				continue
			}
			if !inRange(p.Version, u["VersionMin"], u["VersionMax"], attr) || !langMatch(p.Language, u["Language"], attr) {
				continue
			}
			prop := u["ActionProperty"]
			if cur := r.props[prop]; cur != "" {
				r.props[prop] = cur + ";" + p.ProductCode
			} else {
				r.props[prop] = p.ProductCode
			}
		}
	}
	return nil
}

// inRange: an empty VersionMin is 0, an empty VersionMax has no bound.
func inRange(v, lo, hi string, attr int) bool {
	if lo != "" {
		c := msiversion.Compare(v, lo)
		if c < 0 || (c == 0 && attr&upgMinInclusive == 0) {
			return false
		}
	}
	if hi != "" {
		c := msiversion.Compare(v, hi)
		if c > 0 || (c == 0 && attr&upgMaxInclusive == 0) {
			return false
		}
	}
	return true
}

func langMatch(lang, list string, attr int) bool {
	if list == "" {
		return true
	}
	in := false
	for _, l := range strings.Split(list, ",") {
		if strings.TrimSpace(l) == lang {
			in = true
		}
	}
	return in != (attr&upgLanguagesExclusve != 0)
}

// appSearch sets each AppSearch property whose RegLocator finds a value;
// a search that finds nothing leaves the property as it is. Root 0-3 are
// HKCR, HKCU, HKLM, HKU; Type's low bits say what the value is (0 a
// folder, 1 a file, 2 the raw value), 0x10 searches the 64-bit view.
// https://learn.microsoft.com/en-us/windows/win32/msi/appsearch-action
// https://learn.microsoft.com/en-us/windows/win32/msi/reglocator-table
func (r *run) appSearch() error {
	searches, err := r.pkg.Tables.Rows("AppSearch")
	if err != nil {
		return err
	}
	locs, err := r.pkg.Tables.Rows("RegLocator")
	if err != nil {
		return err
	}
	bySig := map[string]Row{}
	for _, l := range locs {
		bySig[l["Signature_"]] = l
	}
	for _, s := range searches {
		l, ok := bySig[s["Signature_"]]
		if !ok {
			continue
		}
		h := map[string]string{"0": "HKCR", "1": "HKCU", "2": "HKLM", "3": "HKU"}[l["Root"]]
		typ := atoi(l["Type"])
		view := "32"
		if typ&0x10 != 0 {
			view = "64"
		}
		v, found := r.m.Value(h, r.account, view, format(l["Key"], r.props), format(l["Name"], r.props))
		if !found {
			continue
		}
		switch typ & 0x0F {
		case 0: // a folder: found when something is installed in it
			if !r.m.folderExists(v) {
				continue
			}
		case 1:
			if !r.m.FileExists(v) {
				continue
			}
		}
		r.props[s["Property"]] = v
	}
	return nil
}

func (m *Machine) folderExists(dir string) bool {
	d := strings.ToLower(withSlash(dir))
	for k := range m.files {
		if strings.HasPrefix(k, d) {
			return true
		}
	}
	return false
}

// launchConditions: the first false condition ends the run with its
// message (1603). They are evaluated on every run, uninstall included.
// https://learn.microsoft.com/en-us/windows/win32/msi/launchconditions-action
// https://learn.microsoft.com/en-us/windows/win32/msi/launchcondition-table
func (r *run) launchConditions() error {
	rows, err := r.pkg.Tables.Rows("LaunchCondition")
	if err != nil {
		return err
	}
	for _, l := range rows {
		ok, err := r.eval(l["Condition"], "LaunchCondition")
		if err != nil {
			return err
		}
		if !ok {
			r.fail(format(l["Description"], r.props))
			return nil
		}
	}
	return nil
}

// costFinalize resolves the Directory table (a property of a directory's
// name, when set, overrides its default path) and decides each
// component's state. A first install installs the components whose
// condition is true; a maintenance run without REINSTALL changes nothing;
// a reinstall keeps each component as it is except the transitive ones,
// whose condition is evaluated again; an uninstall removes everything.
// https://learn.microsoft.com/en-us/windows/win32/msi/costfinalize-action
// https://learn.microsoft.com/en-us/windows/win32/msi/directory-table
// https://learn.microsoft.com/en-us/windows/win32/msi/using-transitive-components
func (r *run) costFinalize() error {
	rows, err := r.pkg.Tables.Rows("Directory")
	if err != nil {
		return err
	}
	byID := map[string]Row{}
	for _, d := range rows {
		byID[d["Directory"]] = d
	}
	r.dirs = map[string]string{}
	var resolve func(id string, depth int) string
	resolve = func(id string, depth int) string {
		if p, ok := r.dirs[id]; ok {
			return p
		}
		var p string
		switch d, ok := byID[id]; {
		case r.props[id] != "":
			p = withSlash(r.props[id])
		case !ok || depth > 64:
			p = `C:\`
		case d["Directory_Parent"] == "" || d["Directory_Parent"] == id:
			p = `C:\` // TARGETDIR
		default:
			p = resolve(d["Directory_Parent"], depth+1)
			if name := longName(d["DefaultDir"]); name != "." && name != "" {
				p += name + `\`
			}
		}
		r.dirs[id] = p
		return p
	}
	ids := make([]string, 0, len(byID))
	for id := range byID {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		r.props[id] = resolve(id, 0)
	}
	r.res.Dirs = r.dirs

	if r.comps, err = r.pkg.Tables.Rows("Component"); err != nil {
		return err
	}
	r.states = map[string]bool{}
	for _, c := range r.comps {
		name := c["Component"]
		ok, err := r.eval(c["Condition"], "Component "+name)
		if err != nil {
			return err
		}
		was := r.reg != nil && r.reg.Components[name]
		now := ok
		switch {
		case r.reg == nil:
		case r.remove:
			now = false
		case r.reinstall != "" && atoi(c["Attributes"])&compTransitive != 0:
		default:
			now = was
		}
		r.states[name] = now
		r.res.Components[name] = now
	}
	return nil
}

// removeExistingProducts uninstalls the products FindRelatedProducts put
// in the ActionProperty of an Upgrade row without OnlyDetect, each with
// its own cached package, REMOVE=ALL and UPGRADINGPRODUCTCODE set. If one
// fails, so does the upgrade.
// https://learn.microsoft.com/en-us/windows/win32/msi/removeexistingproducts-action
func (r *run) removeExistingProducts() error {
	rows, err := r.pkg.Tables.Rows("Upgrade")
	if err != nil {
		return err
	}
	for _, u := range rows {
		if atoi(u["Attributes"])&upgOnlyDetect != 0 {
			continue
		}
		for _, code := range strings.Split(r.props[u["ActionProperty"]], ";") {
			p := r.m.Product(code)
			if code == "" || p == nil {
				continue
			}
			out, err := r.m.exec(p.Package, map[string]string{"REMOVE": "ALL"}, r.account, r.pkg.props["ProductCode"])
			if err != nil {
				return err
			}
			if out.Exit != ExitSuccess {
				r.fail(fmt.Sprintf("removing %s failed (%d): %s", p, out.Exit, out.Message))
				return nil
			}
			r.out.Removed = append(r.out.Removed, p.ProductCode)
		}
	}
	return nil
}

func (r *run) ctxKey() string {
	if r.perMachine {
		return "machine"
	}
	return "user:" + r.account
}

// regRows are the Registry rows of each component.
func (r *run) regRows() (map[string][]Row, error) {
	rows, err := r.pkg.Tables.Rows("Registry")
	if err != nil {
		return nil, err
	}
	by := map[string][]Row{}
	for _, g := range rows {
		by[g["Component_"]] = append(by[g["Component_"]], g)
	}
	return by, nil
}

func (r *run) address(g Row, c Row) (h, view, k, name string) {
	h = hive(g["Root"], r.perMachine)
	view = "32"
	if atoi(c["Attributes"])&comp64 != 0 {
		view = "64"
	}
	return h, view, format(g["Key"], r.props), format(g["Name"], r.props)
}

// removeComponents removes what the components leaving this run put on
// the machine, once no other product of the context is their client:
// Windows removes the registry values and files the package's tables name
// for them, whoever wrote them.
// https://learn.microsoft.com/en-us/windows/win32/msi/removeregistryvalues-action
// https://learn.microsoft.com/en-us/windows/win32/msi/removefiles-action
func (r *run) removeComponents() error {
	if r.states == nil || r.reg == nil {
		return nil
	}
	regs, err := r.regRows()
	if err != nil {
		return err
	}
	files, err := r.fileRows()
	if err != nil {
		return err
	}
	for _, c := range r.comps {
		name := c["Component"]
		if r.states[name] || !r.reg.Components[name] {
			continue
		}
		ck := r.ctxKey() + "|" + c["ComponentId"]
		delete(r.m.clients[ck], r.reg.ProductCode)
		if len(r.m.clients[ck]) > 0 {
			continue
		}
		for _, g := range regs[name] {
			h, view, k, n := r.address(g, c)
			delete(r.m.registry, key(h, r.account, view, k, n))
		}
		dir := r.reg.componentDirs[name]
		for _, f := range files[name] {
			delete(r.m.files, strings.ToLower(dir+longName(f["FileName"])))
		}
	}
	return nil
}

func (r *run) fileRows() (map[string][]Row, error) {
	rows, err := r.pkg.Tables.Rows("File")
	if err != nil {
		return nil, err
	}
	by := map[string][]Row{}
	for _, f := range rows {
		by[f["Component_"]] = append(by[f["Component_"]], f)
	}
	return by, nil
}

// writeComponents writes the registry values and files of the components
// this run installs, and on a reinstall rewrites the values REINSTALLMODE
// asks for: u for HKCU and HKU, m for HKLM and HKCR. An installed
// component stays in its folder: Windows does not move it.
// https://learn.microsoft.com/en-us/windows/win32/msi/writeregistryvalues-action
// https://learn.microsoft.com/en-us/windows/win32/msi/reinstallmode
func (r *run) writeComponents() error {
	if r.states == nil {
		return nil
	}
	if err := r.removeComponents(); err != nil { // when RemoveRegistryValues is not sequenced
		return err
	}
	regs, err := r.regRows()
	if err != nil {
		return err
	}
	files, err := r.fileRows()
	if err != nil {
		return err
	}
	for _, c := range r.comps {
		name := c["Component"]
		was := r.reg != nil && r.reg.Components[name]
		if !r.states[name] || (was && r.reinstall == "") {
			continue
		}
		ck := r.ctxKey() + "|" + c["ComponentId"]
		if r.m.clients[ck] == nil {
			r.m.clients[ck] = map[string]bool{}
		}
		r.m.clients[ck][r.pkg.props["ProductCode"]] = true
		for _, g := range regs[name] {
			h, view, k, n := r.address(g, c)
			if was {
				letter := "m"
				if h == "HKCU" || h == "HKU" {
					letter = "u"
				}
				if !strings.Contains(r.reinstall, letter) {
					continue
				}
			}
			v := RegValue{Hive: h, View: view, Key: k, Name: n, Value: format(g["Value"], r.props), Component: name}
			if h == "HKCU" {
				v.View = ""
			}
			r.m.registry[key(h, r.account, view, k, n)] = v
			r.res.Registry = append(r.res.Registry, v)
		}
		dir := r.dirs[c["Directory_"]]
		if was && r.reg.componentDirs[name] != "" {
			dir = r.reg.componentDirs[name]
		}
		r.compDirs[name] = dir
		for _, f := range files[name] {
			p := dir + longName(f["FileName"])
			r.m.files[strings.ToLower(p)] = p
		}
	}
	return nil
}

// finalize registers the product (RegisterProduct, PublishProduct) or
// unregisters it when nothing of it stays.
// https://learn.microsoft.com/en-us/windows/win32/msi/registerproduct-action
func (r *run) finalize() error {
	if r.out.Exit != ExitSuccess || r.states == nil {
		return nil
	}
	if r.remove {
		for i, p := range r.m.Products {
			if p == r.reg {
				r.m.Products = append(r.m.Products[:i], r.m.Products[i+1:]...)
				break
			}
		}
		return nil
	}
	p := r.reg
	if p == nil {
		p = &Product{ProductCode: r.pkg.props["ProductCode"], UpgradeCode: r.pkg.props["UpgradeCode"],
			Version: r.pkg.props["ProductVersion"], Language: r.pkg.props["ProductLanguage"], Name: r.pkg.props["ProductName"],
			PerMachine: r.perMachine, Account: r.account, Components: map[string]bool{}, componentIDs: map[string]string{}, componentDirs: map[string]string{}}
		if p.PerMachine {
			p.Account = ""
		}
		r.m.Products = append(r.m.Products, p)
	}
	p.PackageCode, p.Package = r.pkg.PackageCode, r.pkg
	for _, c := range r.comps {
		name := c["Component"]
		p.Components[name] = r.states[name]
		p.componentIDs[name] = c["ComponentId"]
		if d := r.compDirs[name]; d != "" {
			p.componentDirs[name] = d
		}
	}
	return nil
}
