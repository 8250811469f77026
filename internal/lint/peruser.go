package lint

import (
	"regexp"
	"sort"
	"strings"

	"github.com/msiforge/msiforge/internal/cond"
)

// profileFolders are the system folder properties that resolve inside the
// user's profile when the package installs per-user; ICE38, ICE43, ICE57
// and ICE64 treat everything beneath them as per-user
// (https://learn.microsoft.com/windows/win32/msi/ice38).
var profileFolders = set("AppDataFolder", "LocalAppDataFolder", "DesktopFolder", "FavoritesFolder", "NetHoodFolder",
	"PersonalFolder", "PrintHoodFolder", "ProgramMenuFolder", "RecentFolder", "SendToFolder", "StartMenuFolder",
	"StartupFolder", "TemplateFolder", "MyPicturesFolder", "AdminToolsFolder")

// fixedProfileFolders stay in the profile even in a per-machine
// installation: they have no all-users counterpart
// (https://learn.microsoft.com/windows/win32/msi/ice91).
var fixedProfileFolders = set("AppDataFolder", "LocalAppDataFolder", "FavoritesFolder", "NetHoodFolder",
	"PersonalFolder", "PrintHoodFolder", "RecentFolder", "SendToFolder", "TemplateFolder", "MyPicturesFolder")

// systemFolders may not appear in a package that can install per-user
// (https://learn.microsoft.com/windows/win32/msi/ice-105).
var systemFolders = set("AdminToolsFolder", "CommonAppDataFolder", "FontsFolder", "System16Folder", "System64Folder",
	"SystemFolder", "TempFolder", "WindowsFolder", "WindowsVolume")

func set(names ...string) map[string]bool {
	m := map[string]bool{}
	for _, n := range names {
		m[n] = true
	}
	return m
}

// ancestors returns dir and its parents up to the root.
func (d *db) ancestors(dir string) []string {
	if d.parents == nil {
		d.parents = map[string]string{}
		for _, r := range d.rows["Directory"] {
			d.parents[r["Directory"]] = r["Directory_Parent"]
		}
	}
	parents := d.parents
	var out []string
	seen := map[string]bool{}
	for dir != "" && !seen[dir] {
		seen[dir] = true
		out = append(out, dir)
		dir = parents[dir]
	}
	return out
}

// under returns the first of dir's ancestors (itself included) in names.
func (d *db) under(dir string, names map[string]bool) string {
	for _, a := range d.ancestors(dir) {
		if names[a] {
			return a
		}
	}
	return ""
}

// perMachineOnly reports a package that installs only per-machine
// (ALLUSERS=1 and no MSIINSTALLPERUSER), so HKMU (root -1) means HKLM.
func (d *db) perMachineOnly() bool {
	return d.props["ALLUSERS"] == "1" && d.props["MSIINSTALLPERUSER"] != "1"
}

// perUserCapable reports a package that installs per-user by default or
// on request: ALLUSERS unset, or 2 (https://learn.microsoft.com/windows/win32/msi/single-package-authoring).
func (d *db) perUserCapable() bool {
	a := d.props["ALLUSERS"]
	return a == "" || a == "2" || d.props["MSIINSTALLPERUSER"] == "1"
}

// keyPathRoot returns the registry root of a component's key path, or
// ok=false when its key path is not a registry value.
func (d *db) keyPathRoot(c map[string]string) (root int, ok bool) {
	if atoi(c["Attributes"])&0x4 == 0 || c["KeyPath"] == "" {
		return 0, false
	}
	if d.registry == nil {
		d.registry = d.byKey("Registry", "Registry")
	}
	r := d.registry[c["KeyPath"]]
	if r == nil {
		return 0, false
	}
	return atoi(r["Root"]), true
}

// hkcuKeyPath reports whether c's key path is under HKCU in a per-user
// installation: root 1, or root -1 (HKMU) in a package that can install
// per-user, where HKMU resolves to HKCU. ICE38 itself wants root 1; the
// dual-purpose console writes HKMU on purpose (one component serves both
// contexts), which is the single-package-authoring pattern.
func (d *db) hkcuKeyPath(c map[string]string) (isReg, hkcu bool) {
	root, ok := d.keyPathRoot(c)
	if !ok {
		return false, false
	}
	return true, root == 1 || (root == -1 && !d.perMachineOnly())
}

// ICE38: https://learn.microsoft.com/windows/win32/msi/ice38
func ice38(d *db) []Finding {
	var out []Finding
	for _, c := range d.rows["Component"] {
		if d.under(c["Directory_"], profileFolders) == "" {
			continue
		}
		switch isReg, hkcu := d.hkcuKeyPath(c); {
		case !isReg:
			out = append(out, find("ICE38", Error, "Component", c["Component"], "Component %s installs to user profile. It must use a registry key under HKCU as its KeyPath, not a file.", c["Component"]))
		case !hkcu:
			out = append(out, find("ICE38", Error, "Component", c["Component"], "Component %s installs to user profile. It's KeyPath registry key must fall under HKCU.", c["Component"]))
		}
	}
	return out
}

// ICE43: https://learn.microsoft.com/windows/win32/msi/ice43
func ice43(d *db) []Finding {
	var out []Finding
	comps := d.byKey("Component", "Component")
	done := map[string]bool{}
	for _, s := range d.rows["Shortcut"] {
		if !strings.HasPrefix(s["Target"], "[") || d.under(s["Directory_"], profileFolders) == "" {
			continue // advertised (Target names a feature), or outside the profile
		}
		c := comps[s["Component_"]]
		if c == nil || done[s["Component_"]] {
			continue
		}
		done[s["Component_"]] = true
		switch isReg, hkcu := d.hkcuKeyPath(c); {
		case !isReg:
			out = append(out, find("ICE43", Error, "Component", c["Component"], "Component %s has non-advertised shortcuts. It should use a registry key under HKCU as its KeyPath, not a file.", c["Component"]))
		case !hkcu:
			out = append(out, find("ICE43", Error, "Component", c["Component"], "Component %s has non-advertised shortcuts. It's KeyPath registry key should fall under HKCU.", c["Component"]))
		}
	}
	return out
}

// ICE57: https://learn.microsoft.com/windows/win32/msi/ice57
func ice57(d *db) []Finding {
	var out []Finding
	regsOf := map[string][]map[string]string{}
	for _, r := range d.rows["Registry"] {
		regsOf[r["Component_"]] = append(regsOf[r["Component_"]], r)
	}
	hasFiles := d.index("File", "Component_")
	for _, c := range d.rows["Component"] {
		inProfile := d.under(c["Directory_"], profileFolders) != ""
		perUser := inProfile && hasFiles[c["Component"]]
		for _, r := range regsOf[c["Component"]] {
			if r["Root"] == "1" {
				perUser = true
			}
		}
		if !perUser {
			continue
		}
		root, isReg := d.keyPathRoot(c)
		perMachineKey := (isReg && root == 2) || (!isReg && c["KeyPath"] != "" && !inProfile)
		if perMachineKey {
			out = append(out, find("ICE57", Error, "Component", c["Component"], "Component '%s' has both per-user and per-machine data with a per-machine KeyPath.", c["Component"]))
		}
	}
	return out
}

// removedFolders returns the directories a RemoveFile row removes.
func (d *db) removedFolders() map[string]bool {
	m := map[string]bool{}
	for _, r := range d.rows["RemoveFile"] {
		if r["FileName"] == "" {
			m[r["DirProperty"]] = true
		}
	}
	return m
}

// ICE64: https://learn.microsoft.com/windows/win32/msi/ice64
func ice64(d *db) []Finding {
	var out []Finding
	removed := d.removedFolders()
	for _, r := range d.rows["Directory"] {
		dir := r["Directory"]
		if profileFolders[dir] || d.under(dir, profileFolders) == "" || removed[dir] {
			continue
		}
		out = append(out, find("ICE64", Error, "Directory", dir, "The directory %s is in the user profile but is not listed in the RemoveFile table.", dir))
	}
	return out
}

// ICE91: https://learn.microsoft.com/windows/win32/msi/ice91
func ice91(d *db) []Finding {
	var out []Finding
	comps := d.byKey("Component", "Component")
	for _, f := range d.rows["File"] {
		c := comps[f["Component_"]]
		if c == nil {
			continue
		}
		if root := d.under(c["Directory_"], fixedProfileFolders); root != "" {
			out = append(out, find("ICE91", Warning, "File", f["File"], "The file '%s' will be installed to the per user directory '%s' that doesn't vary based on ALLUSERS value. This file won't be copied to each user's profile even if a per machine installation is desired.", f["File"], c["Directory_"]))
		}
	}
	return out
}

// ICE105: https://learn.microsoft.com/windows/win32/msi/ice-105 . It
// applies only to a package that can install per-user (the console), not
// to the per-machine VSC packages.
func ice105(d *db) []Finding {
	if !d.perUserCapable() {
		return nil
	}
	var out []Finding
	for _, r := range d.rows["CustomAction"] {
		if atoi(r["Type"])&0x800 != 0 {
			out = append(out, find("ICE105", Error, "CustomAction", r["Action"], "Custom action '%s' is marked to run with elevated privileges (msidbCustomActionTypeNoImpersonate); a per-user package cannot elevate.", r["Action"]))
		}
	}
	for _, r := range d.rows["Directory"] {
		if systemFolders[r["Directory"]] {
			out = append(out, find("ICE105", Error, "Directory", r["Directory"], "The Directory table contains the system folder property %s, which a per-user installation cannot write to.", r["Directory"]))
		}
	}
	for _, r := range d.rows["ServiceInstall"] {
		out = append(out, find("ICE105", Error, "ServiceInstall", r["ServiceInstall"], "Service '%s' is installed; a per-user package cannot install services.", r["Name"]))
	}
	for _, r := range d.rows["Registry"] {
		if r["Root"] == "2" {
			out = append(out, find("ICE105", Error, "Registry", r["Registry"], "Registry entry '%s' is written under HKEY_LOCAL_MACHINE; a per-user package cannot write there.", r["Registry"]))
		}
	}
	return out
}

// redirect is a directory a type-51 custom action points into the user
// profile at run time (the console's SetUserInstallDir).
type redirect struct{ action, target, folder string }

// redirects finds the sequenced type-51 actions whose target is a
// Directory key and whose value starts with a profile folder property.
func (d *db) redirects() map[string]redirect {
	dirs := d.index("Directory", "Directory")
	seq := d.index("InstallExecuteSequence", "Action")
	for a := range d.index("InstallUISequence", "Action") {
		seq[a] = true
	}
	out := map[string]redirect{}
	for _, r := range d.rows["CustomAction"] {
		if atoi(r["Type"])&0x3f != 51 || !dirs[r["Source"]] || !seq[r["Action"]] {
			continue
		}
		t := r["Target"]
		if !strings.HasPrefix(t, "[") {
			continue
		}
		name, _, ok := strings.Cut(t[1:], "]")
		if ok && profileFolders[name] {
			out[r["Source"]] = redirect{r["Action"], t, name}
		}
	}
	return out
}

// MSF001: ICE38 sees only the Directory table, where the console's
// INSTALLDIR sits under ProgramFiles; SetUserInstallDir moves it into
// LocalAppDataFolder for per-user installs at run time. The rule ICE38
// states (https://learn.microsoft.com/windows/win32/msi/ice38) applies to
// the folder it ends up in. It is a warning, not ICE38's error: the
// folder is LocalAppDataFolder, which does not roam, so a file key path
// still detects the component for the user who installed it; what is lost
// is the HKCU key path's independence from the file (ICE38's reason).
func msf001(d *db) []Finding {
	var out []Finding
	red := d.redirects()
	if len(red) == 0 {
		return nil
	}
	for _, c := range d.rows["Component"] {
		var dir string
		var rd redirect
		for _, a := range d.ancestors(c["Directory_"]) {
			if x, ok := red[a]; ok {
				dir, rd = a, x
				break
			}
		}
		if dir == "" {
			continue
		}
		if isReg, hkcu := d.hkcuKeyPath(c); !isReg || !hkcu {
			out = append(out, find("MSF001", Warning, "Component", c["Component"], "Component %s installs to %s, which custom action %s sets to %s (the user profile). It must use a registry key under HKCU as its KeyPath, not a file.", c["Component"], dir, rd.action, rd.target))
		}
	}
	return out
}

// MSF002: the ICE64 rule (https://learn.microsoft.com/windows/win32/msi/ice64)
// for folders redirected into the profile at run time.
func msf002(d *db) []Finding {
	var out []Finding
	removed := d.removedFolders()
	red := d.redirects()
	dirs := make([]string, 0, len(red))
	for k := range red {
		dirs = append(dirs, k)
	}
	sort.Strings(dirs)
	for _, dir := range dirs {
		if !removed[dir] {
			out = append(out, find("MSF002", Error, "Directory", dir, "The directory %s is in the user profile (custom action %s sets it to %s) but is not listed in the RemoveFile table.", dir, red[dir].action, red[dir].target))
		}
	}
	// The folders below a redirected one are in the profile too (the
	// console's payload tree under INSTALLDIR).
	for _, r := range d.rows["Directory"] {
		dir := r["Directory"]
		if _, ok := red[dir]; ok || removed[dir] {
			continue
		}
		for _, a := range d.ancestors(dir)[1:] {
			if rd, ok := red[a]; ok {
				out = append(out, find("MSF002", Error, "Directory", dir, "The directory %s is in the user profile (under %s, which custom action %s sets to %s) but is not listed in the RemoveFile table.", dir, a, rd.action, rd.target))
				break
			}
		}
	}
	return out
}

// MSF003: the ServiceInstall table's columns
// (https://learn.microsoft.com/windows/win32/msi/serviceinstall-table).
func msf003(d *db) []Finding {
	var out []Finding
	comps := d.byKey("Component", "Component")
	for _, r := range d.rows["ServiceInstall"] {
		key := r["ServiceInstall"]
		bad := func(format string, args ...any) {
			out = append(out, find("MSF003", Error, "ServiceInstall", key, format, args...))
		}
		if n := r["Name"]; n == "" || len(n) > 256 || strings.ContainsAny(n, `/\`) {
			bad("Name '%s' is not a service name: 1 to 256 characters, no / or \\.", n)
		}
		if t := atoi(r["ServiceType"]) &^ 0x100; t != 0x10 && t != 0x20 {
			bad("ServiceType %s is not SERVICE_WIN32_OWN_PROCESS (0x10) or SERVICE_WIN32_SHARE_PROCESS (0x20), optionally with SERVICE_INTERACTIVE_PROCESS (0x100); Windows Installer does not install drivers.", r["ServiceType"])
		}
		if s := atoi(r["StartType"]); s < 2 || s > 4 {
			bad("StartType %s is not SERVICE_AUTO_START (2), SERVICE_DEMAND_START (3) or SERVICE_DISABLED (4); boot and system start are for drivers.", r["StartType"])
		}
		if e := atoi(r["ErrorControl"]) &^ 0x8000; e != 0 && e != 1 && e != 3 {
			bad("ErrorControl %s is not SERVICE_ERROR_IGNORE (0), SERVICE_ERROR_NORMAL (1) or SERVICE_ERROR_CRITICAL (3), optionally with msidbServiceInstallErrorControlVital (0x8000).", r["ErrorControl"])
		}
		if c := comps[r["Component_"]]; c != nil && (c["KeyPath"] == "" || atoi(c["Attributes"])&0x4 != 0) {
			bad("Component %s installs the service but its KeyPath is not a file; the service's executable must be the component's key file.", r["Component_"])
		}
	}
	return out
}

var fileRefRE = regexp.MustCompile(`\[([#!$])([^\]\[]+)\]`)

// ICE69: https://learn.microsoft.com/windows/win32/msi/ice69
func ice69(d *db) []Finding {
	var out []Finding
	fileComp := map[string]string{}
	for _, f := range d.rows["File"] {
		fileComp[f["File"]] = f["Component_"]
	}
	features := map[string]map[string]bool{}
	for _, r := range d.rows["FeatureComponents"] {
		if features[r["Component_"]] == nil {
			features[r["Component_"]] = map[string]bool{}
		}
		features[r["Component_"]][r["Feature_"]] = true
	}
	share := func(a, b string) bool {
		for f := range features[a] {
			if features[b][f] {
				return true
			}
		}
		return false
	}
	for _, t := range []struct{ table, key, col string }{{"Shortcut", "Shortcut", "Target"}, {"Registry", "Registry", "Value"}, {"Shortcut", "Shortcut", "Arguments"}} {
		for _, r := range d.rows[t.table] {
			own := r["Component_"]
			for _, m := range fileRefRE.FindAllStringSubmatch(r[t.col], -1) {
				ref, kind := m[2], "file"
				other := fileComp[ref]
				if m[1] == "$" {
					other, kind = ref, "component"
				}
				if other == "" || other == own {
					continue
				}
				msg := "Mismatched component reference. Entry '%s' of the %s table belongs to component '%s'. However, the formatted string in column '%s' references %s '%s' which belongs to component '%s'. "
				if share(own, other) {
					out = append(out, find("ICE69", Warning, t.table, r[t.key], msg+"Components are in the same feature.", r[t.key], t.table, own, t.col, kind, ref, other))
				} else {
					out = append(out, find("ICE69", Error, t.table, r[t.key], msg+"Components belong to different features", r[t.key], t.table, own, t.col, kind, ref, other))
				}
			}
		}
	}
	return out
}

// ICE80: https://learn.microsoft.com/windows/win32/msi/ice80
func ice80(d *db) []Finding {
	var out []Finding
	platform, _, _ := strings.Cut(d.summary.Template, ";")
	is64 := false
	for _, p := range strings.Split(platform, ",") {
		switch strings.ToLower(strings.TrimSpace(p)) {
		case "x64", "intel64", "arm64":
			is64 = true
		}
	}
	dirs64 := set("ProgramFiles64Folder", "System64Folder", "CommonFiles64Folder")
	for _, c := range d.rows["Component"] {
		attr := atoi(c["Attributes"])
		switch {
		case attr&0x100 != 0 && !is64:
			out = append(out, find("ICE80", Error, "Component", c["Component"], "This package contains 64 bit component '%s' but the Template Summary Property does not contain Intel64, x64 or Arm64.", c["Component"]))
		case attr&0x100 == 0:
			if dir := d.under(c["Directory_"], dirs64); dir != "" {
				out = append(out, find("ICE80", Error, "Component", c["Component"], "Component '%s' uses 64-bit directory '%s' but is a 32-bit component.", c["Component"], dir))
			}
		}
	}
	return out
}

// publicProperties are Windows Installer properties a Directory key must
// not shadow (https://learn.microsoft.com/windows/win32/msi/ice99).
var publicProperties = set("ALLUSERS", "AdminUser", "ARPINSTALLLOCATION", "COMPANYNAME", "ComputerName", "Installed",
	"LogonUser", "MSIINSTALLPERUSER", "Privileged", "ProductCode", "ProductName", "ProductVersion", "ProductLanguage",
	"Manufacturer", "REINSTALL", "REINSTALLMODE", "REMOVE", "ADDLOCAL", "ADDSOURCE", "ADVERTISE", "USERNAME",
	"UpgradeCode", "VersionNT", "VersionNT64", "Version9X", "WindowsBuild", "UILevel", "SOURCEDIR", "PATCH",
	"TRANSFORMS", "REBOOT", "PRIMARYFOLDER")

// ICE99: https://learn.microsoft.com/windows/win32/msi/ice99
func ice99(d *db) []Finding {
	var out []Finding
	for _, r := range d.rows["Directory"] {
		if publicProperties[r["Directory"]] {
			out = append(out, find("ICE99", Error, "Directory", r["Directory"], "The directory name: %s is the same as one of the MSI Public Properties and can cause unforeseen side effects.", r["Directory"]))
		}
	}
	return out
}

// standardProperties are set by Windows Installer itself, so conditions
// may name them though no table defines them
// (https://learn.microsoft.com/windows/win32/msi/property-reference).
var standardProperties = set("ALLUSERS", "Installed", "REMOVE", "REINSTALL", "UPGRADINGPRODUCTCODE", "VersionNT", "VersionNT64",
	"Version9X", "WindowsBuild", "ServicePackLevel", "Privileged", "AdminUser", "UILevel", "Preselected",
	"MSIINSTALLPERUSER", "ProductCode", "ProductVersion", "ProductName", "Manufacturer", "ProductLanguage",
	"Intel", "Intel64", "Msix64", "MsiNTProductType", "MsiAMD64", "ADDLOCAL", "PATCH", "RESUME", "ProductState",
	"LocalAppDataFolder", "AppDataFolder", "ProgramFilesFolder", "ProgramFiles64Folder", "CommonAppDataFolder",
	"System64Folder", "SystemFolder", "WindowsFolder", "MsiRunningElevated", "REBOOT", "WIX_UPGRADE_DETECTED")

// ICE46: https://learn.microsoft.com/windows/win32/msi/ice46
func ice46(d *db) []Finding {
	defined := map[string]bool{}
	add := func(n string) {
		if n != "" {
			defined[n] = true
		}
	}
	for n := range d.props {
		add(n)
	}
	for n := range standardProperties {
		add(n)
	}
	for _, r := range d.rows["CustomAction"] {
		if atoi(r["Type"])&0x3f == 51 {
			add(r["Source"])
		}
	}
	for _, r := range d.rows["Upgrade"] {
		add(r["ActionProperty"])
	}
	for _, r := range d.rows["AppSearch"] {
		add(r["Property"])
	}
	for _, r := range d.rows["Directory"] {
		add(r["Directory"])
	}
	lower := map[string]string{}
	for n := range defined {
		lower[strings.ToLower(n)] = n
	}
	var out []Finding
	check := func(table, col, key, text string) {
		c, err := cond.Parse(text)
		if err != nil {
			return
		}
		for _, p := range c.Properties() {
			if defined[p] {
				continue
			}
			if other, ok := lower[strings.ToLower(p)]; ok {
				out = append(out, find("ICE46", Warning, table, key, "Property '%s' referenced in column '%s'.'%s' of row '%s' differs from a defined property ('%s') by case only.", p, table, col, key, other))
			}
		}
	}
	for _, r := range d.rows["Component"] {
		check("Component", "Condition", r["Component"], r["Condition"])
	}
	for _, r := range d.rows["LaunchCondition"] {
		check("LaunchCondition", "Condition", r["Condition"], r["Condition"])
	}
	for _, t := range []string{"InstallExecuteSequence", "InstallUISequence", "AdminExecuteSequence", "AdminUISequence", "AdvtExecuteSequence"} {
		for _, r := range d.rows[t] {
			check(t, "Condition", r["Action"], r["Condition"])
		}
	}
	for _, r := range d.rows["Condition"] {
		check("Condition", "Condition", r["Feature_"]+"/"+r["Level"], r["Condition"])
	}
	return out
}

// ICE90: https://learn.microsoft.com/windows/win32/msi/ice90 . A shortcut
// folder that is a public property (all capitals) under the profile is
// resolved before ALLUSERS may change, so it can point at the wrong
// profile.
func ice90(d *db) []Finding {
	var out []Finding
	for _, s := range d.rows["Shortcut"] {
		dir := s["Directory_"]
		if dir == strings.ToUpper(dir) && strings.ToUpper(dir) != strings.ToLower(dir) && !profileFolders[dir] && d.under(dir, profileFolders) != "" {
			out = append(out, find("ICE90", Warning, "Shortcut", s["Shortcut"], "The shortcut '%s' has a directory that is a public property (ALL CAPS) and is under user profile directory. This results in a problem if the value of the ALLUSERS property changes in the UI sequence.", s["Shortcut"]))
		}
	}
	return out
}
