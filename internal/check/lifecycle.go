package check

import (
	"fmt"
	"sort"
	"strings"

	"github.com/msiforge/msiforge/internal/matrix"
	"github.com/msiforge/msiforge/internal/msiversion"
	"github.com/msiforge/msiforge/internal/simulate"
)

// The packages the single-package lifecycle derives from the checked one
// (matrix.PkgNext, PkgRebuild, PkgSibling) get these codes.
const (
	derivedNextCode     = "{5EED0000-0000-4000-8000-00000000000A}"
	derivedSiblingCode  = "{5EED0000-0000-4000-8000-00000000000B}"
	derivedPackageCode1 = "{5EED0000-0000-4000-8000-0000000000C1}"
	derivedPackageCode2 = "{5EED0000-0000-4000-8000-0000000000C2}"
	derivedPackageCode3 = "{5EED0000-0000-4000-8000-0000000000C3}"
)

// runKey holds the Run values.
const runKey = `Software\Microsoft\Windows\CurrentVersion\Run`

// derive builds the single-package lifecycle's packages from p.
func derive(p *simulate.Package) map[string]*simulate.Package {
	return map[string]*simulate.Package{
		matrix.PkgThis: p,
		matrix.PkgNext: p.With(matrix.PkgNext, derivedPackageCode1, map[string]string{
			"ProductCode": derivedNextCode, "ProductVersion": msiversion.Next(p.Property("ProductVersion"))}),
		matrix.PkgRebuild: p.With(matrix.PkgRebuild, derivedPackageCode2, nil),
		matrix.PkgSibling: p.With(matrix.PkgSibling, derivedPackageCode3, map[string]string{"ProductCode": derivedSiblingCode}),
	}
}

// relation names how the checked package relates to --upgrade-from's.
func relation(old, cur *simulate.Package) (string, error) {
	rel := func(p *simulate.Package) matrix.Release {
		return matrix.Release{Name: p.Name, UpgradeCode: p.Property("UpgradeCode"), ProductCode: p.Property("ProductCode"), Version: p.Property("ProductVersion")}
	}
	return matrix.UpgradeRelation(rel(old), rel(cur))
}

// Lifecycle plays the scenarios of matrix.Scenarios on the package: the
// omitted properties, the single-package lifecycle, and, when old is not
// nil, the upgrade scenarios from old.
func Lifecycle(p, old *simulate.Package, d matrix.Defaults) ([]Line, error) {
	pk := derive(p)
	rel := ""
	var lines []Line
	if old != nil {
		pk[matrix.PkgOld], pk[matrix.PkgNew] = old, p
		var err error
		if rel, err = relation(old, p); err != nil {
			lines = append(lines, Line{Input: "upgrade from " + old.Name, Problems: []string{err.Error()}})
		}
	}
	for _, sc := range matrix.Scenarios(d) {
		if sc.Group == matrix.GroupUpgrade && (old == nil || sc.When != rel) {
			continue
		}
		line := Line{Input: sc.ID + ": " + sc.Step.String()}
		probs, err := play(sc, pk)
		if err != nil {
			return nil, fmt.Errorf("scenario %s: %w", sc.ID, err)
		}
		line.Problems, line.OK = probs, len(probs) == 0
		lines = append(lines, line)
	}
	return lines, nil
}

func account(as string) string {
	if as == matrix.ContextSystem {
		return simulate.AccountSystem
	}
	return simulate.AccountUser
}

func do(m *simulate.Machine, st matrix.Step, pk map[string]*simulate.Package) (*simulate.Outcome, error) {
	p := pk[st.Package]
	if p == nil {
		return nil, fmt.Errorf("no package %q", st.Package)
	}
	props := map[string]string{}
	for _, kv := range st.Props {
		k, v, _ := strings.Cut(kv, "=")
		props[k] = v
	}
	acct := account(st.As)
	switch st.Action {
	case matrix.ActRepair:
		return m.Repair(p.Property("ProductCode"), acct)
	case matrix.ActUninstall:
		return m.Uninstall(p.Property("ProductCode"), acct, props)
	}
	return m.Exec(p, props, acct)
}

// label names a registered product by the scenario package it came from,
// trying the names the scenario expects first (with --upgrade-from, "new"
// and "this" are one package).
func label(pr *simulate.Product, pk map[string]*simulate.Package, expected []string) string {
	var names []string
	for _, e := range expected {
		name, _, _ := strings.Cut(e, ":")
		names = append(names, name)
	}
	names = append(names, matrix.PkgThis, matrix.PkgNew, matrix.PkgOld, matrix.PkgNext, matrix.PkgRebuild, matrix.PkgSibling)
	for _, name := range names {
		if p := pk[name]; p != nil && strings.EqualFold(p.PackageCode, pr.PackageCode) && strings.EqualFold(p.Property("ProductCode"), pr.ProductCode) {
			return name + ":" + pr.Context()
		}
	}
	return pr.ProductCode + ":" + pr.Context()
}

// where is the hive and view a product's settings live in.
func where(pr *simulate.Product) (hive, view string) {
	if !pr.PerMachine {
		return "HKCU", ""
	}
	if pr.Package != nil && pr.Package.Is64() {
		return "HKLM", "64"
	}
	return "HKLM", "32"
}

func settingsKey(p *simulate.Package) string {
	return `Software\` + p.Property("Manufacturer") + `\` + p.Property("ProductName")
}

// play runs one scenario on a clean machine and lists how it differs.
func play(sc matrix.Scenario, pk map[string]*simulate.Package) ([]string, error) {
	m := simulate.NewMachine()
	for i, st := range sc.Setup {
		out, err := do(m, st, pk)
		if err != nil {
			return nil, err
		}
		if out.Exit != 0 {
			return []string{fmt.Sprintf("setup step %d (%s) failed with %d: %s", i+1, st, out.Exit, out.Message)}, nil
		}
	}
	var first *simulate.Product
	if len(m.Products) > 0 {
		first = m.Products[0]
	}
	acct := account(sc.Step.As)
	installedDir := ""
	if first != nil {
		h, v := where(first)
		installedDir, _ = m.Value(h, first.Account, v, settingsKey(first.Package), "InstallDir")
	}
	before := m.Dump()
	out, err := do(m, sc.Step, pk)
	if err != nil {
		return nil, err
	}
	var p []string
	want := sc.Want
	if out.Exit != want.Exit {
		got := fmt.Sprintf("exit %d", out.Exit)
		if out.Message != "" {
			got += fmt.Sprintf(" (%q)", out.Message)
		}
		p = append(p, fmt.Sprintf("%s, want %s", got, exitWords(want.Exit)))
	} else {
		for _, frag := range want.MessageHas {
			text := frag
			switch frag {
			case matrix.HoleInstalledCode:
				if first != nil {
					text = first.ProductCode
				}
			case matrix.HoleInstalledDir:
				text = strings.TrimSuffix(installedDir, `\`)
			case matrix.HoleInstalledCtx:
				if first != nil {
					text = first.Context()
				}
			}
			if text == "" || !strings.Contains(strings.ToLower(out.Message), strings.ToLower(text)) {
				p = append(p, fmt.Sprintf("refused with %q, which does not name %s (%q)", out.Message, frag, text))
			}
		}
	}
	if want.Unchanged {
		if after := m.Dump(); after != before {
			p = append(p, "the machine changed: "+firstDiff(before, after))
		}
	}
	if want.Products != nil {
		var got []string
		for _, pr := range m.Products {
			got = append(got, label(pr, pk, want.Products))
		}
		sort.Strings(got)
		w := append([]string{}, want.Products...)
		sort.Strings(w)
		if strings.Join(got, ",") != strings.Join(w, ",") {
			p = append(p, fmt.Sprintf("registered %s, want %s", list(got), list(w)))
		}
	}
	// The product whose settings the scenario looks at: the one left, or
	// the one the setup installed.
	target := first
	if len(m.Products) > 0 {
		target = m.Products[len(m.Products)-1]
	}
	if target == nil {
		return p, nil
	}
	h, view := where(target)
	owner := target.Account
	if owner == "" {
		owner = acct
	}
	keys := make([]string, 0, len(want.Settings))
	for k := range want.Settings {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		w := want.Settings[k]
		got, ok := m.Value(h, owner, view, settingsKey(target.Package), k)
		switch {
		case w == "" && ok:
			p = append(p, fmt.Sprintf("settings value %s=%q left in %s, want none", k, got, h))
		case w != "" && !ok:
			p = append(p, fmt.Sprintf("settings value %s missing in %s, want %q", k, h, w))
		case w != "" && !strings.EqualFold(got, w):
			p = append(p, fmt.Sprintf("settings value %s=%q, want %q", k, got, w))
		}
	}
	if want.Run != "" {
		var run []string
		for _, v := range m.Values(runKey) {
			if v.Hive == h && (h == "HKCU" || v.View == view) {
				run = append(run, v.Name+"="+v.Value)
			}
		}
		switch {
		case want.Run == "yes" && len(run) == 0:
			p = append(p, "no Run value in "+h+", want one")
		case want.Run == "no" && len(run) > 0:
			p = append(p, fmt.Sprintf("Run value %s left in %s, want none", strings.Join(run, ", "), h))
		}
	}
	if want.Files != "" {
		files := m.Files()
		switch {
		case want.Files == "yes" && len(files) == 0:
			p = append(p, "no files installed")
		case want.Files == "no" && len(files) > 0:
			p = append(p, fmt.Sprintf("%d files left, e.g. %s", len(files), files[0]))
		}
	}
	return p, nil
}

func exitWords(code int) string {
	switch code {
	case matrix.ExitOK:
		return "exit 0"
	case matrix.ExitRefused:
		return "refused by a launch condition (1603)"
	}
	return fmt.Sprintf("exit %d", code)
}

func list(s []string) string {
	if len(s) == 0 {
		return "nothing"
	}
	return strings.Join(s, ", ")
}

// firstDiff names the first line two dumps differ in.
func firstDiff(a, b string) string {
	la, lb := strings.Split(a, "\n"), strings.Split(b, "\n")
	set := map[string]bool{}
	for _, l := range la {
		set[l] = true
	}
	for _, l := range lb {
		if !set[l] && l != "" {
			return "added " + l
		}
	}
	set = map[string]bool{}
	for _, l := range lb {
		set[l] = true
	}
	for _, l := range la {
		if !set[l] && l != "" {
			return "removed " + l
		}
	}
	return "reordered"
}
