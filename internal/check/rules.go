package check

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/msiforge/msiforge/internal/matrix"
	"github.com/msiforge/msiforge/internal/simulate"
)

// What the simulation reads: a package without one of these would be
// "checked" against nothing (an MSI with no Property table used to pass
// every combination), so the check fails and names what is missing.
var (
	neededTables = []string{"Property", "InstallExecuteSequence", "CustomAction", "LaunchCondition", "AppSearch", "RegLocator",
		"Upgrade", "Directory", "Component", "File", "Registry"}
	neededProps   = []string{"ProductCode", "ProductVersion", "UpgradeCode", "ProductName", "Manufacturer"}
	neededActions = []string{"FindRelatedProducts", "AppSearch", "LaunchConditions", "CostFinalize", "RemoveExistingProducts",
		"WriteRegistryValues", "InstallFinalize"}
)

// TableLister is what lists the tables a database has (internal/msi.File).
type TableLister interface {
	Tables() ([]string, error)
}

// Requirements lists what the package lacks of what the checks need:
// tables, properties, sequence actions, the INSTALLDIR directory and the
// public properties the matrix is about (in a Registry value or a
// condition). An empty list means the package can be checked.
func Requirements(t simulate.Tables) ([]string, error) {
	var missing []string
	if l, ok := t.(TableLister); ok {
		names, err := l.Tables()
		if err != nil {
			return nil, err
		}
		have := map[string]bool{}
		for _, n := range names {
			have[n] = true
		}
		for _, n := range neededTables {
			if !have[n] {
				missing = append(missing, "table "+n)
			}
		}
	}
	props, err := t.Rows("Property")
	if err != nil {
		return nil, err
	}
	have := map[string]bool{}
	for _, r := range props {
		if r["Value"] != "" {
			have[r["Property"]] = true
		}
	}
	for _, p := range neededProps {
		if !have[p] {
			missing = append(missing, "property "+p)
		}
	}
	seq, err := t.Rows("InstallExecuteSequence")
	if err != nil {
		return nil, err
	}
	actions := map[string]bool{}
	for _, r := range seq {
		actions[r["Action"]] = true
	}
	for _, a := range neededActions {
		if !actions[a] {
			missing = append(missing, "InstallExecuteSequence action "+a)
		}
	}
	dirs, err := t.Rows("Directory")
	if err != nil {
		return nil, err
	}
	hasDir := false
	for _, r := range dirs {
		hasDir = hasDir || r["Directory"] == matrix.PropInstallDir
	}
	if !hasDir {
		missing = append(missing, "directory "+matrix.PropInstallDir)
	}
	// Each public property must reach the package: a Registry value that
	// records it or a condition that reads it.
	regs, err := t.Rows("Registry")
	if err != nil {
		return nil, err
	}
	lcs, err := t.Rows("LaunchCondition")
	if err != nil {
		return nil, err
	}
	var text strings.Builder
	for _, r := range regs {
		text.WriteString(r["Value"] + "\n")
	}
	for _, r := range lcs {
		text.WriteString(r["Condition"] + "\n")
	}
	for _, p := range []string{matrix.PropRunAtStartup, matrix.PropShouldAutoUpdate} {
		if !strings.Contains(text.String(), p) {
			missing = append(missing, "the property "+p+" (no Registry value or launch condition uses it)")
		}
	}
	return missing, nil
}

// Rules checks what the tables must say whatever the properties: no
// immediate custom action carries msidbCustomActionTypeNoImpersonate
// (0x800), which only deferred actions may use (ICE68; ICE105 rejects it
// in a per-user package).
// https://learn.microsoft.com/en-us/windows/win32/msi/custom-action-in-script-execution-options
func Rules(t simulate.Tables) ([]Line, error) {
	cas, err := t.Rows("CustomAction")
	if err != nil {
		return nil, err
	}
	var bad []string
	for _, c := range cas {
		typ, _ := strconv.Atoi(c["Type"])     // a non-number reads as 0: no bits set
		if typ&0x400 == 0 && typ&0x800 != 0 { // not in-script, yet no-impersonate
			bad = append(bad, fmt.Sprintf("%s (type %d)", c["Action"], typ))
		}
	}
	sort.Strings(bad)
	line := Line{Input: "no immediate custom action carries 0x800 (no-impersonate)", OK: len(bad) == 0}
	if len(bad) > 0 {
		line.Problems = []string{"immediate custom actions with msidbCustomActionTypeNoImpersonate (0x800): " + strings.Join(bad, ", ")}
	}
	return []Line{line}, nil
}
