package lint

import (
	"fmt"
	"github.com/msiforge/msiforge/internal/msiversion"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/msiforge/msiforge/internal/cond"
	"github.com/msiforge/msiforge/internal/msi"
)

// ms is the root of Microsoft's ICE reference pages.
const ms = "https://learn.microsoft.com/windows/win32/msi/"

var rules = []Rule{
	{"ICE03", Error, "foreign keys, data types (GUIDs, registry roots, versions), formatted fields and conditions of the tables present", ms + "ice03", ice03},
	{"ICE08", Error, "no two components share a ComponentId GUID", ms + "ice08", ice08},
	{"ICE09", Warning, "components installed into SystemFolder are permanent", ms + "ice09", ice09},
	{"ICE16", Error, "ProductName is at most 63 characters", ms + "ice16", ice16},
	{"ICE18", Error, "a component whose key path is its folder lists that folder in CreateFolder", ms + "ice18", ice18},
	{"ICE21", Error, "every component belongs to a feature", ms + "ice21", ice21},
	{"ICE24", Error, "ProductCode, ProductVersion and ProductLanguage are valid", ms + "ice24", ice24},
	{"ICE27", Error, "InstallExecuteSequence order: costing, validation, then the script between InstallInitialize and InstallFinalize", ms + "ice27", ice27},
	{"ICE30", Error, "no file is installed twice into one folder by two components (long or short name)", ms + "ice30", ice30},
	{"ICE32", Error, "foreign key columns have the type and size of the keys they refer to", ms + "ice32", ice32},
	{"ICE38", Error, "components in the user profile use an HKCU registry key as key path", ms + "ice38", ice38},
	{"ICE43", Error, "components with non-advertised shortcuts in the profile use an HKCU key path", ms + "ice43", ice43},
	{"ICE45", Warning, "no reserved attribute bits are set (Component, File, Feature)", ms + "ice45", ice45},
	{"ICE46", Warning, "conditions do not name a defined property with other letter case", ms + "ice46", ice46},
	{"ICE47", Error, "no feature has 1600 or more components", ms + "ice47", ice47},
	{"ICE57", Error, "no component mixes per-user and per-machine data with a per-machine key path", ms + "ice57", ice57},
	{"ICE61", Error, "Upgrade rows: a version bound, secure upper-case action properties, no removal of the current version", ms + "ice61", ice61},
	{"ICE63", Warning, "RemoveExistingProducts is placed where Windows Installer can run it", ms + "ice63", ice63},
	{"ICE64", Error, "folders created in the user profile are listed in RemoveFile", ms + "ice64", ice64},
	{"ICE68", Error, "custom action types are valid; no-impersonate only on deferred actions (warning)", ms + "ice68", ice68},
	{"ICE69", Warning, "formatted [#file] references stay within the row's component (error across features)", ms + "ice69", ice69},
	{"ICE73", Warning, "the package does not reuse the Windows Installer SDK samples' product, upgrade or package codes", ms + "ice73", ice73},
	{"ICE80", Error, "64-bit components and folders match the Template summary property", ms + "ice80", ice80},
	{"ICE90", Warning, "shortcuts in the profile are not in a public-property (ALL CAPS) folder", ms + "ice90", ice90},
	{"ICE91", Warning, "files in per-user folders that do not follow ALLUSERS", ms + "ice91", ice91},
	{"ICE99", Error, "no Directory key is a Windows Installer public property", ms + "ice99", ice99},
	{"ICE102", Error, "MsiServiceConfig and MsiServiceConfigFailureActions rows: events, config types, arguments, components", ms + "ice-102", ice102},
	{"ICE105", Error, "a package that can install per-user has no elevated actions, system folders, services or HKLM keys", ms + "ice-105", ice105},
	{"MSF001", Warning, "components in a folder redirected into the profile at run time use an HKCU (or HKMU) key path", ms + "ice38", msf001},
	{"MSF002", Error, "folders redirected into the profile at run time are listed in RemoveFile", ms + "ice64", msf002},
	{"MSF003", Error, "ServiceInstall rows: service type, start type, error control, name and key path", ms + "serviceinstall-table", msf003},
}

func find(rule string, lvl Level, table, key, format string, args ...any) Finding {
	return Finding{Rule: rule, Level: lvl, Table: table, Key: key, Message: fmt.Sprintf(format, args...)}
}

var guidRE = regexp.MustCompile(`^\{[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}\}$`)

// validVersion reports a Windows Installer version: up to four fields,
// major and minor at most 255, build at most 65535
// (https://learn.microsoft.com/windows/win32/msi/productversion).
func validVersion(v string) bool {
	parts := strings.Split(v, ".")
	if len(parts) > 4 {
		return false
	}
	max := []int{255, 255, 65535, 65535}
	for i, p := range parts {
		if p == "" || len(p) > 5 || strings.Trim(p, "0123456789") != "" || atoi(p) > max[i] {
			return false
		}
	}
	return true
}

type fk struct{ table, col, ref, refCol string }

// The foreign keys of the tables msiforge's packages use, from each
// table's reference page (Component table, File table, ...).
var foreignKeys = []fk{
	{"Component", "Directory_", "Directory", "Directory"},
	{"Directory", "Directory_Parent", "Directory", "Directory"},
	{"File", "Component_", "Component", "Component"},
	{"FeatureComponents", "Feature_", "Feature", "Feature"},
	{"FeatureComponents", "Component_", "Component", "Component"},
	{"Feature", "Feature_Parent", "Feature", "Feature"},
	{"Registry", "Component_", "Component", "Component"},
	{"RemoveFile", "Component_", "Component", "Component"},
	{"CreateFolder", "Directory_", "Directory", "Directory"},
	{"CreateFolder", "Component_", "Component", "Component"},
	{"Shortcut", "Component_", "Component", "Component"},
	{"Shortcut", "Directory_", "Directory", "Directory"},
	{"ServiceInstall", "Component_", "Component", "Component"},
	{"ServiceControl", "Component_", "Component", "Component"},
	{"MsiFileHash", "File_", "File", "File"},
}

// ICE03: https://learn.microsoft.com/windows/win32/msi/ice03 . wixl writes
// no _Validation table, so the column rules come from the table reference
// pages instead of the package.
func ice03(d *db) []Finding {
	var out []Finding
	bad := func(table string, r map[string]string, col, what string) {
		out = append(out, find("ICE03", Error, table, d.key(table, r), "%s; Table: %s, Column: %s, Key(s): %s", what, table, col, d.key(table, r)))
	}
	for _, k := range foreignKeys {
		if !d.has(k.table) {
			continue
		}
		refs := d.index(k.ref, k.refCol)
		for _, r := range d.rows[k.table] {
			v := r[k.col]
			if v == "" || refs[v] {
				continue
			}
			if k.table == "Directory" && v == r["Directory"] {
				continue // a root names itself, as the Directory table page allows
			}
			bad(k.table, r, k.col, "Not a valid foreign key")
		}
	}
	files, regs := d.index("File", "File"), d.index("Registry", "Registry")
	for _, r := range d.rows["Component"] {
		if id := r["ComponentId"]; id != "" && !guidRE.MatchString(id) {
			bad("Component", r, "ComponentId", "Invalid GUID string (Be sure GUID is all UPPER case)")
		}
		kp, attr := r["KeyPath"], atoi(r["Attributes"])
		switch {
		case kp == "" || attr&0x20 != 0: // a folder, or an ODBC data source
		case attr&0x4 != 0 && !regs[kp]:
			bad("Component", r, "KeyPath", "Not a valid foreign key")
		case attr&0x4 == 0 && !files[kp]:
			bad("Component", r, "KeyPath", "Not a valid foreign key")
		}
	}
	for _, r := range d.rows["Registry"] {
		if root := atoi(r["Root"]); root < -1 || root > 3 || r["Root"] == "" {
			bad("Registry", r, "Root", "Value exceeds MaxValue")
		}
	}
	for _, r := range d.rows["Upgrade"] {
		for _, c := range []string{"VersionMin", "VersionMax"} {
			if v := r[c]; v != "" && !validVersion(v) {
				bad("Upgrade", r, c, "Invalid version string")
			}
		}
	}
	// Formatted columns (https://learn.microsoft.com/windows/win32/msi/formatted):
	// balanced brackets, and [#file], [!file] and [$component] naming rows
	// that exist.
	comps := d.index("Component", "Component")
	for _, fc := range formattedColumns {
		for _, r := range d.rows[fc.table] {
			v := r[fc.col]
			if fc.table == "CustomAction" && !formattedTarget(atoi(r["Type"])) {
				continue
			}
			if !balanced(v) {
				bad(fc.table, r, fc.col, "Invalid format string")
				continue
			}
			for _, m := range fileRefRE.FindAllStringSubmatch(v, -1) {
				if (m[1] == "$" && !comps[m[2]]) || (m[1] != "$" && !files[m[2]]) {
					bad(fc.table, r, fc.col, fmt.Sprintf("Invalid format string: [%s%s] names no %s", m[1], m[2], map[bool]string{true: "component", false: "file"}[m[1] == "$"]))
				}
			}
		}
	}
	// Condition columns (https://learn.microsoft.com/windows/win32/msi/conditional-statement-syntax).
	for _, cc := range conditionColumns {
		for _, r := range d.rows[cc.table] {
			if _, err := cond.Parse(r[cc.col]); err != nil {
				bad(cc.table, r, cc.col, fmt.Sprintf("Invalid condition string (%v)", err))
			}
		}
	}
	return out
}

type column struct{ table, col string }

var formattedColumns = []column{
	{"Registry", "Key"}, {"Registry", "Name"}, {"Registry", "Value"},
	{"Shortcut", "Target"}, {"Shortcut", "Arguments"},
	{"CustomAction", "Target"},
	{"IniFile", "Value"}, {"Environment", "Value"},
	{"ServiceInstall", "Arguments"}, {"ServiceControl", "Arguments"},
}

var conditionColumns = []column{
	{"Component", "Condition"}, {"LaunchCondition", "Condition"}, {"Condition", "Condition"},
	{"InstallExecuteSequence", "Condition"}, {"InstallUISequence", "Condition"},
	{"AdminExecuteSequence", "Condition"}, {"AdminUISequence", "Condition"}, {"AdvtExecuteSequence", "Condition"},
}

// formattedTarget reports custom action types whose Target is Formatted:
// the property and directory setters (51, 35), and the executable's
// command line (2, 18, 34, 50).
func formattedTarget(t int) bool {
	switch t & 0x3f {
	case 51, 35, 2, 18, 34, 50:
		return true
	}
	return false
}

// balanced reports whether every '[' of a formatted string is closed and
// no ']' comes unopened; [\[] and [\]] escape the brackets themselves.
func balanced(v string) bool {
	v = strings.NewReplacer(`[\[]`, "", `[\]]`, "").Replace(v)
	depth := 0
	for _, c := range v {
		switch c {
		case '[':
			depth++
		case ']':
			if depth == 0 {
				return false
			}
			depth--
		}
	}
	return depth == 0
}

// ICE08: https://learn.microsoft.com/windows/win32/msi/ice08
func ice08(d *db) []Finding {
	var out []Finding
	seen := map[string]string{}
	for _, r := range d.rows["Component"] {
		id := strings.ToUpper(r["ComponentId"])
		if id == "" {
			continue
		}
		if first, ok := seen[id]; ok {
			out = append(out, find("ICE08", Error, "Component", r["Component"], "Component: %s has a duplicate GUID: %s (also %s)", r["Component"], r["ComponentId"], first))
			continue
		}
		seen[id] = r["Component"]
	}
	return out
}

// ICE09: https://learn.microsoft.com/windows/win32/msi/ice09
func ice09(d *db) []Finding {
	var out []Finding
	for _, r := range d.rows["Component"] {
		switch r["Directory_"] {
		case "SystemFolder", "System64Folder", "System16Folder":
			if atoi(r["Attributes"])&0x10 == 0 {
				out = append(out, find("ICE09", Warning, "Component", r["Component"], "Component: '%s' is a non-permanent system component", r["Component"]))
			}
		}
	}
	return out
}

// ICE16: https://learn.microsoft.com/windows/win32/msi/ice16
func ice16(d *db) []Finding {
	name, ok := d.props["ProductName"]
	if !ok {
		return []Finding{find("ICE16", Error, "Property", "ProductName", "ProductName property not found in Property table")}
	}
	if n := len([]rune(name)); n > 63 {
		return []Finding{find("ICE16", Error, "Property", "ProductName", "ProductName: '%s' is greater than 63 characters in length. Current length: %d", name, n)}
	}
	return nil
}

// ICE18: https://learn.microsoft.com/windows/win32/msi/ice18
func ice18(d *db) []Finding {
	var out []Finding
	pairs := map[string]bool{}
	for _, r := range d.rows["CreateFolder"] {
		pairs[r["Directory_"]+"\x00"+r["Component_"]] = true
	}
	for _, r := range d.rows["Component"] {
		if r["KeyPath"] != "" || pairs[r["Directory_"]+"\x00"+r["Component"]] {
			continue
		}
		out = append(out, find("ICE18", Error, "Component", r["Component"], "KeyPath for Component: '%s' is Directory: '%s'. The Directory/Component pair must be listed in the CreateFolders table.", r["Component"], r["Directory_"]))
	}
	return out
}

// ICE21: https://learn.microsoft.com/windows/win32/msi/ice21
func ice21(d *db) []Finding {
	var out []Finding
	mapped := d.index("FeatureComponents", "Component_")
	for _, r := range d.rows["Component"] {
		if !mapped[r["Component"]] {
			out = append(out, find("ICE21", Error, "Component", r["Component"], "Component: '%s' does not belong to any Feature.", r["Component"]))
		}
	}
	return out
}

// ICE24: https://learn.microsoft.com/windows/win32/msi/ice24
func ice24(d *db) []Finding {
	var out []Finding
	if v := d.props["ProductCode"]; !guidRE.MatchString(v) {
		out = append(out, find("ICE24", Error, "Property", "ProductCode", "ProductCode: '%s' is an invalid Product Code. It must be all uppercase.", v))
	}
	if v := d.props["ProductVersion"]; !validVersion(v) {
		out = append(out, find("ICE24", Error, "Property", "ProductVersion", "ProductVersion: '%s' is an invalid version string.", v))
	}
	if v := d.props["ProductLanguage"]; v == "" || strings.Trim(v, "0123456789") != "" || atoi(v) > 65535 {
		out = append(out, find("ICE24", Error, "Property", "ProductLanguage", "ProductLanguage: '%s' is an invalid language ID.", v))
	}
	return out
}

// scriptActions are the standard actions that write the installation
// script, so they belong between InstallInitialize and InstallFinalize
// (https://learn.microsoft.com/windows/win32/msi/installexecutesequence-table).
var scriptActions = []string{
	"ProcessComponents", "UnpublishFeatures", "StopServices", "DeleteServices", "RemoveRegistryValues",
	"RemoveShortcuts", "RemoveFiles", "RemoveFolders", "CreateFolders", "InstallFiles", "DuplicateFiles",
	"MoveFiles", "CreateShortcuts", "WriteRegistryValues", "WriteIniValues", "RemoveIniValues",
	"InstallServices", "StartServices", "RegisterUser", "RegisterProduct", "PublishFeatures", "PublishProduct",
	"SelfRegModules", "SelfUnregModules", "InstallODBC", "RemoveODBC", "WriteEnvironmentStrings", "RemoveEnvironmentStrings",
}

func sequence(d *db, table string) map[string]int {
	m := map[string]int{}
	for _, r := range d.rows[table] {
		if r["Sequence"] != "" {
			m[r["Action"]] = atoi(r["Sequence"])
		}
	}
	return m
}

// ICE27: https://learn.microsoft.com/windows/win32/msi/ice27
func ice27(d *db) []Finding {
	var out []Finding
	seq := sequence(d, "InstallExecuteSequence")
	wrong := func(action, current, required string) {
		out = append(out, find("ICE27", Error, "InstallExecuteSequence", action, "'%s' Action in InstallExecuteSequence table in wrong place. Current: %s, Required: %s", action, current, required))
	}
	order := []string{"CostInitialize", "FileCost", "CostFinalize", "InstallValidate", "InstallInitialize", "InstallFinalize"}
	prev := ""
	for _, a := range order {
		s, ok := seq[a]
		if !ok {
			continue
		}
		if prev != "" && s <= seq[prev] {
			wrong(a, fmt.Sprint(s), "after "+prev)
		}
		prev = a
	}
	ii, okI := seq["InstallInitialize"]
	fi, okF := seq["InstallFinalize"]
	if !okI || !okF {
		return out
	}
	inScript := func(a string) {
		if s, ok := seq[a]; ok && (s < ii || s > fi) {
			wrong(a, fmt.Sprint(s), "between InstallInitialize and InstallFinalize")
		}
	}
	for _, a := range scriptActions {
		inScript(a)
	}
	for _, r := range d.rows["CustomAction"] {
		if atoi(r["Type"])&0x400 != 0 { // deferred, rollback or commit
			inScript(r["Action"])
		}
	}
	return out
}

// fileNames splits a Filename column ("SHORT~1.TXT|Long name.txt") into
// its short and long name.
func fileNames(v string) (short, long string) {
	if s, l, ok := strings.Cut(v, "|"); ok {
		return s, l
	}
	return v, v
}

// ICE30: https://learn.microsoft.com/windows/win32/msi/ice30
func ice30(d *db) []Finding {
	var out []Finding
	comps := d.byKey("Component", "Component")
	type owner struct{ comp, file string }
	lfn, sfn := map[string]owner{}, map[string]owner{}
	files := slices.Clone(d.rows["File"])
	sort.SliceStable(files, func(i, j int) bool { return files[i]["File"] < files[j]["File"] })
	for _, r := range files {
		c := comps[r["Component_"]]
		if c == nil {
			continue
		}
		dir := c["Directory_"]
		short, long := fileNames(r["FileName"])
		for _, v := range []struct {
			m         map[string]owner
			name, sys string
		}{{lfn, long, "LFN"}, {sfn, short, "SFN"}} {
			k := dir + "\x00" + strings.ToLower(v.name)
			if o, ok := v.m[k]; ok && o.comp != r["Component_"] {
				out = append(out, find("ICE30", Error, "File", r["File"], "The target file '%s' is installed in '%s' by two different components on an %s system: '%s' and '%s'. This breaks component reference counting.", v.name, dir, v.sys, o.comp, r["Component_"]))
				continue
			}
			v.m[k] = owner{r["Component_"], r["File"]}
		}
	}
	return out
}

// Attribute bits each table defines; the rest are reserved.
var attributeMasks = []struct {
	table, key string
	mask       int
}{
	{"Component", "Component", 0x0fff}, // LocalOnly..Shared (https://learn.microsoft.com/windows/win32/msi/component-table)
	{"File", "File", 0x7607},           // ReadOnly, Hidden, System, Vital, Checksum, PatchAdded, Noncompressed, Compressed
	{"Feature", "Feature", 0x003f},     // FavorLocal..NoUnsupportedAdvertise
}

// ICE45: https://learn.microsoft.com/windows/win32/msi/ice45
func ice45(d *db) []Finding {
	var out []Finding
	for _, m := range attributeMasks {
		for _, r := range d.rows[m.table] {
			if atoi(r["Attributes"])&^m.mask != 0 {
				out = append(out, find("ICE45", Warning, m.table, r[m.key], "Row '%s' in table '%s' has bits set in the 'Attributes' column that are reserved. They should be 0 to ensure compatibility with future installer versions.", r[m.key], m.table))
			}
		}
	}
	return out
}

// Upgrade attribute bits (https://learn.microsoft.com/windows/win32/msi/upgrade-table).
const (
	upgradeOnlyDetect          = 0x2
	upgradeVersionMinInclusive = 0x100
	upgradeVersionMaxInclusive = 0x200
)

// ICE61: https://learn.microsoft.com/windows/win32/msi/ice61 . A row that
// only detects (msidbUpgradeAttributesOnlyDetect) may include the current
// version: the console's SAMEVERSIONDETECTED row does so on purpose, to
// refuse a same-version reinstall, and removes nothing.
func ice61(d *db) []Finding {
	var out []Finding
	secure := map[string]bool{}
	for _, p := range strings.Split(d.props["SecureCustomProperties"], ";") {
		secure[p] = true
	}
	code, version := d.props["UpgradeCode"], d.props["ProductVersion"]
	for _, r := range d.rows["Upgrade"] {
		key := d.key("Upgrade", r)
		minV, maxV, attr, ap := r["VersionMin"], r["VersionMax"], atoi(r["Attributes"]), r["ActionProperty"]
		if minV == "" && maxV == "" {
			out = append(out, find("ICE61", Error, "Upgrade", key, "Upgrade.VersionMin and Upgrade.VersionMax cannot both be null. UpgradeCode is %s", r["UpgradeCode"]))
		}
		if ap != strings.ToUpper(ap) {
			out = append(out, find("ICE61", Error, "Upgrade", key, "Upgrade.ActionProperty %s cannot contain lowercase letters", ap))
		}
		if ap != "" && !secure[ap] {
			out = append(out, find("ICE61", Error, "Upgrade", key, "Upgrade.ActionProperty %s must be added to the SecureCustomProperties property", ap))
		}
		if !strings.EqualFold(r["UpgradeCode"], code) || attr&upgradeOnlyDetect != 0 || version == "" {
			continue
		}
		aboveMin := minV == "" || msiversion.Compare(version, minV) > 0 || (msiversion.Compare(version, minV) == 0 && attr&upgradeVersionMinInclusive != 0)
		belowMax := maxV == "" || msiversion.Compare(version, maxV) < 0 || (msiversion.Compare(version, maxV) == 0 && attr&upgradeVersionMaxInclusive != 0)
		if aboveMin && belowMax {
			out = append(out, find("ICE61", Warning, "Upgrade", key, "This product should remove only older versions of itself. The Maximum version is not less than the current product. (%s %s)", maxV, version))
		}
	}
	return out
}

// ICE63: https://learn.microsoft.com/windows/win32/msi/ice63
func ice63(d *db) []Finding {
	seq := sequence(d, "InstallExecuteSequence")
	rep, ok := seq["RemoveExistingProducts"]
	if !ok {
		return nil
	}
	iv, hasIV := seq["InstallValidate"]
	ii, hasII := seq["InstallInitialize"]
	fi, hasFI := seq["InstallFinalize"]
	const tbl = "InstallExecuteSequence"
	switch {
	case hasIV && rep < iv:
		return []Finding{find("ICE63", Error, tbl, "RemoveExistingProducts", "RemoveExistingProducts action sequenced before InstallValidate (%d < %d); it may be placed between InstallValidate and InstallInitialize, right after InstallInitialize, InstallExecute or InstallExecuteAgain, or after InstallFinalize.", rep, iv)}
	case !hasII || !hasFI || rep < ii || rep > fi:
		return nil
	}
	// Inside the script: only right after InstallInitialize, InstallExecute
	// or InstallExecuteAgain. Report the actions in between.
	start := ii
	for _, a := range []string{"InstallExecute", "InstallExecuteAgain"} {
		if s, ok := seq[a]; ok && s < rep && s > start {
			start = s
		}
	}
	var between []string
	for a, s := range seq {
		if s > start && s < rep {
			between = append(between, a)
		}
	}
	sort.Slice(between, func(i, j int) bool { return seq[between[i]] < seq[between[j]] })
	var out []Finding
	for _, a := range between {
		out = append(out, find("ICE63", Warning, tbl, a, "Some action falls between InstallInitialize and RemoveExistingProducts. The action '%s' occurs between InstallInitialize and RemoveExistingProducts.", a))
	}
	return out
}

// validActionTypes are the base custom action types (source and target
// bits, https://learn.microsoft.com/windows/win32/msi/summary-list-of-all-custom-action-types).
var validActionTypes = map[int]bool{1: true, 2: true, 5: true, 6: true, 7: true, 17: true, 18: true, 19: true, 21: true, 22: true,
	23: true, 34: true, 35: true, 37: true, 38: true, 39: true, 50: true, 51: true, 53: true, 54: true}

// ICE68: https://learn.microsoft.com/windows/win32/msi/ice68
func ice68(d *db) []Finding {
	var out []Finding
	for _, r := range d.rows["CustomAction"] {
		t := atoi(r["Type"])
		switch {
		case !validActionTypes[t&0x3f] || t&^0xffff != 0:
			out = append(out, find("ICE68", Error, "CustomAction", r["Action"], "Invalid custom action type for action '%s'. %d is not a valid action type.", r["Action"], t))
		case t&0x800 != 0 && t&0x400 == 0:
			out = append(out, find("ICE68", Warning, "CustomAction", r["Action"], "Even though custom action '%s' is marked to be elevated (with attribute msidbCustomActionTypeNoImpersonate), it will not be run with elevated privileges because it's not deferred (with attribute msidbCustomActionTypeInScript).", r["Action"]))
		}
	}
	return out
}

// ICE32: https://learn.microsoft.com/windows/win32/msi/ice32 . A foreign
// key column must have the type and size of the key it refers to.
func ice32(d *db) []Finding {
	var out []Finding
	col := func(table, name string) (c msiColumn, ok bool) {
		t := d.tables[table]
		if t == nil {
			return c, false
		}
		i := t.ColumnIndex(name)
		if i < 0 {
			return c, false
		}
		k := t.Columns[i]
		return msiColumn{str: k.Kind != msi.KindInt, size: k.Size}, true
	}
	for _, k := range foreignKeys {
		a, ok1 := col(k.table, k.col)
		b, ok2 := col(k.ref, k.refCol)
		if !ok1 || !ok2 || a == b {
			continue
		}
		out = append(out, find("ICE32", Error, "_Columns", k.table+"."+k.col, "Possible Mis-Aligned Foreign Keys: %s.%s = %s, %s.%s = %s", k.table, k.col, a, k.ref, k.refCol, b))
	}
	return out
}

type msiColumn struct {
	str  bool
	size int
}

func (c msiColumn) String() string {
	if c.str {
		return fmt.Sprintf("s%d", c.size)
	}
	return fmt.Sprintf("i%d", c.size)
}

// ICE47: https://learn.microsoft.com/windows/win32/msi/ice47 . ICE47
// reports features with 1600 or more components.
func ice47(d *db) []Finding {
	count := map[string]int{}
	for _, r := range d.rows["FeatureComponents"] {
		count[r["Feature_"]]++
	}
	var out []Finding
	for _, f := range d.rows["Feature"] {
		if n := count[f["Feature"]]; n >= 1600 {
			out = append(out, find("ICE47", Error, "Feature", f["Feature"], "Feature '%s' has %d components. ICE47 allows fewer than 1600 per feature: split it into several features.", f["Feature"], n))
		}
	}
	return out
}

// sdkCodes are the Windows Installer SDK samples' codes the ICE73 page
// documents: orca.msi's ProductCode, msispy.msi's PackageCode, and the
// UpgradeCode range {8FC7****-88A0-4B41-82B8-8905D4AA904C} reserved for
// SDK packages. The page gives no complete list; these are what it names.
var sdkCodes = map[string]string{
	"{80F7E030-A751-11D2-A7D4-006097C99860}": "orca.msi 1.0",
	"{000C1101-0000-0000-C000-000000000047}": "msispy.msi 1.0",
}

var sdkUpgradeRange = regexp.MustCompile(`^\{8FC7[0-9A-F]{4}-88A0-4B41-82B8-8905D4AA904C\}$`)

// ICE73: https://learn.microsoft.com/windows/win32/msi/ice73
func ice73(d *db) []Finding {
	var out []Finding
	check := func(table, key, what, v string) {
		u := strings.ToUpper(v)
		if pkg, ok := sdkCodes[u]; ok {
			out = append(out, find("ICE73", Warning, table, key, "This package reuses the '%s' %s of the %s Windows Installer SDK package.", v, what, pkg))
		} else if sdkUpgradeRange.MatchString(u) {
			out = append(out, find("ICE73", Warning, table, key, "This package reuses the '%s' %s of a 1.1 Windows Installer SDK package.", v, what))
		}
	}
	check("Property", "ProductCode", "ProductCode", d.props["ProductCode"])
	check("Property", "UpgradeCode", "Upgrade Code", d.props["UpgradeCode"])
	check("_SummaryInformation", "PID_REVNUMBER", "Package Code", d.summary.PackageCode)
	return out
}
