package msi

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/msiforge/msiforge/internal/execx"
	"github.com/msiforge/msiforge/internal/msi"
	"github.com/msiforge/msiforge/internal/msitools"
	"github.com/msiforge/msiforge/wix"
)

// A Fix corrects one thing wixl gets wrong in a built MSI, and proves it:
// Check reads the tables back and fails if the MSI is not as asked.
//
// A fix says what it changes with Edit: ApplyFixes plans the edits of all
// the fixes and runs them in one msibuild process, because each msibuild
// run rewrites the whole file (about 0.43 s on a 200 MB package) and
// re-encodes its strings. Edits are planned against the MSI as it was
// before the batch, so an Edit must not depend on another fix's change.
// Apply is for a change msibuild cannot express as an edit (and for
// tests); a fix with Apply ends the batch before it. A fix with neither
// only checks.
type Fix struct {
	Name  string
	Edit  func(path string) (Edit, error)
	Apply func(ctx context.Context, run execx.Runner, path string) error
	Check func(ctx context.Context, run execx.Runner, path string) error
}

// An Edit is what one fix changes: msibuild steps, in order, and the
// environment msibuild needs for them.
type Edit struct {
	Steps []Step
	Env   []string // KEY=VALUE
}

// A Step is one msibuild option: a SQL statement (-q) or an idt file
// imported into table Import (-i).
type Step struct {
	Query  string
	Import string // the table the idt text names on its third line
	Text   []byte // the idt text of Import
}

// Queries is an Edit of SQL statements (with a nil error, the form an
// Edit func returns).
func Queries(sql ...string) (Edit, error) {
	e := Edit{}
	for _, q := range sql {
		e.Steps = append(e.Steps, Step{Query: q})
	}
	return e, nil
}

// ApplyFixes applies the fixes, then checks each one against the result.
// Consecutive fixes with an Edit are applied by one msibuild run.
func ApplyFixes(ctx context.Context, run execx.Runner, path string, fixes []Fix) error {
	var batch []Fix
	flush := func() error {
		err := applyEdits(ctx, run, path, batch)
		batch = nil
		return err
	}
	for _, f := range fixes {
		if f.Edit != nil {
			batch = append(batch, f)
			continue
		}
		if f.Apply == nil {
			continue
		}
		if err := flush(); err != nil {
			return err
		}
		if err := f.Apply(ctx, run, path); err != nil {
			return fmt.Errorf("fix-up %s: %w", f.Name, err)
		}
	}
	if err := flush(); err != nil {
		return err
	}
	for _, f := range fixes {
		if f.Check == nil {
			continue
		}
		if err := f.Check(ctx, run, path); err != nil {
			return fmt.Errorf("fix-up %s did not take: %w", f.Name, err)
		}
	}
	return nil
}

// applyEdits plans each fix's edit and runs them all in one msibuild
// process, in the order of fixes (so FixCodepage, first, records the code
// page before any statement adds a string).
func applyEdits(ctx context.Context, run execx.Runner, path string, fixes []Fix) error {
	var (
		args    = []string{path}
		env     []string
		envFrom = map[string]string{} // key -> the fix that set it
		imports = map[string][]byte{}
		names   []string
	)
	for _, f := range fixes {
		e, err := f.Edit(path)
		if err != nil {
			return fmt.Errorf("fix-up %s: %w", f.Name, err)
		}
		for _, kv := range e.Env {
			k, _, _ := strings.Cut(kv, "=")
			if prev, ok := envFrom[k]; ok {
				if !slices.Contains(env, kv) {
					return fmt.Errorf("fix-ups %s and %s need different values of %s in one msibuild run", prev, f.Name, k)
				}
				continue
			}
			envFrom[k] = f.Name
			env = append(env, kv)
		}
		for _, s := range e.Steps {
			if s.Import == "" {
				args = append(args, "-q", s.Query)
				continue
			}
			if _, dup := imports[s.Import]; dup {
				return fmt.Errorf("fix-up %s imports table %s, which another fix-up of the run imports too", f.Name, s.Import)
			}
			imports[s.Import] = s.Text
			args = append(args, "-i", s.Import+".idt")
		}
		if len(e.Steps) > 0 {
			names = append(names, f.Name)
		}
	}
	if len(names) == 0 {
		return nil
	}
	if len(imports) > 0 {
		dir, err := os.MkdirTemp(filepath.Dir(path), ".fixups-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		for table, text := range imports {
			if err := os.WriteFile(filepath.Join(dir, table+".idt"), text, 0o644); err != nil {
				return err
			}
		}
		for i := 1; i < len(args); i++ {
			if args[i-1] == "-i" {
				args[i] = filepath.Join(dir, args[i])
			}
		}
	}
	if _, err := run.Run(ctx, execx.Cmd{Name: "msibuild", Args: args, Env: env}); err != nil {
		return fmt.Errorf("fix-ups %s: patch %s: %w", strings.Join(names, ", "), path, err)
	}
	return nil
}

// ConsoleFixes are the fix-ups of the console MSI. packageCode and epoch
// replace wixl's random PackageCode and wall-clock times.
func ConsoleFixes(m *wix.Console, packageCode string, epoch time.Time) []Fix {
	fixes := append([]Fix{FixHKMU()}, RepairSourceFixes(m)...) // repairsource.go
	fixes = append(fixes, FixRemoveManufacturerDir(m))         // tree.go
	for _, cc := range m.ComponentConditions {
		fixes = append(fixes, FixComponentCondition(cc.Component, cc.Condition))
	}
	for _, ca := range m.ComponentAttributes {
		fixes = append(fixes, FixComponentAttributes(ca.Component, ca.Bits))
	}
	// The remembered values: each search in its own hive and, for a
	// 64-bit package, the 64-bit view of HKLM (what wixl writes today;
	// set and read back so a wixl change cannot move them).
	// The other-view searches read HKLM's other view: the 32-bit one for
	// a 64-bit package, the 64-bit one (0x10) for an x86 package.
	machine, other := LocatorRawValue, LocatorRawValue|Locator64Bit
	if m.Win64 {
		machine, other = LocatorRawValue|Locator64Bit, LocatorRawValue
	}
	for _, r := range m.Remembered() {
		fixes = append(fixes,
			FixRegLocator(r.Name+"User", RootHKCU, LocatorRawValue),
			FixRegLocator(r.Name+"Machine", RootHKLM, machine),
			FixRegLocator(r.OtherViewSearch(), RootHKLM, other))
	}
	fixes = append(fixes,
		FixUpgradeAttributes(m.SameVersionProperty(), UpgradeOnlyDetect|UpgradeVersionMinInclusive|UpgradeVersionMaxInclusive),
		FixImmediateImpersonate(),
		FixSecureProperties(m.SecureProperties))
	// Last: the summary fields that make the build reproducible (and arm64).
	fixes = append(fixes, FixSummary(map[int]string{
		PIDTemplate:  m.Template,
		PIDRevision:  packageCode,
		PIDCreated:   SummaryTime(epoch),
		PIDLastSaved: SummaryTime(epoch),
	}))
	return fixes
}

// FixHKMU rewrites wixl's Root 4 to -1, the Registry.Root of HKMU ("HKCU
// for a per-user install, HKLM for a per-machine one"). Windows Installer
// skips Root 4 values without an error.
func FixHKMU() Fix {
	return Fix{
		Name: "HKMU registry root",
		Edit: func(path string) (Edit, error) {
			return Queries("UPDATE `Registry` SET `Root` = -1 WHERE `Root` = 4")
		},
		Check: func(ctx context.Context, run execx.Runner, path string) error {
			t, err := ReadTable(path, "Registry")
			if err != nil {
				return err
			}
			root := t.Col("Root")
			for _, r := range t.Rows {
				if r[root] == "4" {
					return fmt.Errorf("Registry row %s still has Root 4", r[0])
				}
			}
			return nil
		},
	}
}

// FixComponentCondition sets a Component table condition (wixl 0.101
// aborts on <Condition> in a Component and ignores the Condition attribute).
func FixComponentCondition(component, condition string) Fix {
	return Fix{
		Name: "condition of component " + component,
		Edit: func(path string) (Edit, error) {
			return Queries(fmt.Sprintf("UPDATE `Component` SET `Condition` = %s WHERE `Component` = %s",
				msitools.Quote(condition), msitools.Quote(component)))
		},
		Check: func(ctx context.Context, run execx.Runner, path string) error {
			t, err := ReadTable(path, "Component")
			if err != nil {
				return err
			}
			got, ok := t.Lookup("Component", component, "Condition")
			if !ok {
				return fmt.Errorf("no component %s", component)
			}
			if got != condition {
				return fmt.Errorf("component %s has condition %q, want %q", component, got, condition)
			}
			return nil
		},
	}
}

// FixComponentAttributes sets bits in a component's Attributes, keeping
// the ones wixl wrote (registry key path, 64-bit). wixl 0.101 ignores
// Component/@Transitive.
func FixComponentAttributes(component string, bits int) Fix {
	read := func(path string) (int, error) {
		t, err := ReadTable(path, "Component")
		if err != nil {
			return 0, err
		}
		v, ok := t.Lookup("Component", component, "Attributes")
		if !ok {
			return 0, fmt.Errorf("no component %s", component)
		}
		n, err := strconv.Atoi(v)
		if err != nil {
			return 0, fmt.Errorf("component %s has Attributes %q", component, v)
		}
		return n, nil
	}
	return Fix{
		Name: fmt.Sprintf("attributes 0x%x of component %s", bits, component),
		Edit: func(path string) (Edit, error) {
			cur, err := read(path)
			if err != nil {
				return Edit{}, err
			}
			return Queries(fmt.Sprintf("UPDATE `Component` SET `Attributes` = %d WHERE `Component` = %s",
				cur|bits, msitools.Quote(component)))
		},
		Check: func(ctx context.Context, run execx.Runner, path string) error {
			cur, err := read(path)
			if err != nil {
				return err
			}
			if cur&bits != bits {
				return fmt.Errorf("component %s has Attributes 0x%x, which lacks 0x%x", component, cur, bits)
			}
			return nil
		},
	}
}

// RegLocator roots and types.
// https://learn.microsoft.com/windows/win32/msi/reglocator-table
const (
	RootHKCU        = 1
	RootHKLM        = 2
	LocatorRawValue = 2    // msidbLocatorTypeRawValue
	Locator64Bit    = 0x10 // msidbLocatorType64bit: the 64-bit registry view
)

// FixRegLocator sets the Root and Type of a registry search. wixl writes
// them right today (HKCU 1, HKLM 2, raw 2, Win64 0x10); the fix-up makes
// the build fail, not the package, if a wixl version does not.
func FixRegLocator(signature string, root, typ int) Fix {
	return Fix{
		Name: "registry search " + signature,
		Edit: func(path string) (Edit, error) {
			return Queries(fmt.Sprintf("UPDATE `RegLocator` SET `Root` = %d, `Type` = %d WHERE `Signature_` = %s",
				root, typ, msitools.Quote(signature)))
		},
		Check: func(ctx context.Context, run execx.Runner, path string) error {
			return CheckRow(ctx, run, path, "RegLocator", "Signature_", signature, map[string]string{"Root": strconv.Itoa(root), "Type": strconv.Itoa(typ)})
		},
	}
}

// Upgrade table attributes.
// https://learn.microsoft.com/windows/win32/msi/upgrade-table
const (
	UpgradeOnlyDetect          = 2
	UpgradeVersionMinInclusive = 256
	UpgradeVersionMaxInclusive = 512
)

// FixUpgradeAttributes sets the Attributes of the Upgrade row whose
// ActionProperty is property. wixl 0.101 ignores
// UpgradeVersion/@IncludeMaximum, so a row meant to match exactly one
// version (VersionMin = VersionMax, both inclusive) matches none.
// Attributes is part of the Upgrade table's primary key, which libmsi
// cannot UPDATE: the row is deleted and inserted again, in one msibuild
// run.
func FixUpgradeAttributes(property string, attrs int) Fix {
	rows := func(path string) (*msitools.Table, [][]string, error) {
		t, err := ReadTable(path, "Upgrade")
		if err != nil {
			return nil, nil, err
		}
		var out [][]string
		for _, r := range t.Rows {
			if r[t.Col("ActionProperty")] == property {
				out = append(out, r)
			}
		}
		if len(out) != 1 {
			return nil, nil, fmt.Errorf("%d Upgrade rows set %s, want 1", len(out), property)
		}
		return t, out, nil
	}
	return Fix{
		Name: "attributes of the Upgrade row of " + property,
		Edit: func(path string) (Edit, error) {
			t, found, err := rows(path)
			if err != nil {
				return Edit{}, err
			}
			r := found[0]
			col := func(name string) string { return msitools.Quote(r[t.Col(name)]) }
			return Queries(
				fmt.Sprintf("DELETE FROM `Upgrade` WHERE `ActionProperty` = %s", msitools.Quote(property)),
				fmt.Sprintf("INSERT INTO `Upgrade` (`UpgradeCode`, `VersionMin`, `VersionMax`, `Language`, `Attributes`, `Remove`, `ActionProperty`) VALUES (%s, %s, %s, %s, %d, %s, %s)",
					col("UpgradeCode"), col("VersionMin"), col("VersionMax"), col("Language"), attrs, col("Remove"), msitools.Quote(property)))
		},
		Check: func(ctx context.Context, run execx.Runner, path string) error {
			t, found, err := rows(path)
			if err != nil {
				return err
			}
			if got := found[0][t.Col("Attributes")]; got != strconv.Itoa(attrs) {
				return fmt.Errorf("Upgrade row of %s has Attributes %s, want %d", property, got, attrs)
			}
			return nil
		},
	}
}

// Custom action type bits.
// https://learn.microsoft.com/windows/win32/msi/custom-action-in-script-execution-options
const (
	CAInScript      = 0x400 // msidbCustomActionTypeInScript: deferred, rollback, commit
	CANoImpersonate = 0x800 // msidbCustomActionTypeNoImpersonate
)

// FixImmediateImpersonate clears the no-impersonate bit (0x800) of every
// immediate custom action. The bit only means something for a deferred
// action; wixl sets it by default even on immediate ones (unless
// Impersonate="yes"), where ICE68 warns and ICE105 rejects it in a
// per-user package.
func FixImmediateImpersonate() Fix {
	bad := func(path string) (map[string]int, error) {
		t, err := ReadTable(path, "CustomAction")
		if err != nil {
			return nil, err
		}
		out := map[string]int{}
		a, ty := t.Col("Action"), t.Col("Type")
		for _, r := range t.Rows {
			n, err := strconv.Atoi(r[ty])
			if err != nil {
				return nil, fmt.Errorf("custom action %s has Type %q", r[a], r[ty])
			}
			if n&CAInScript == 0 && n&CANoImpersonate != 0 {
				out[r[a]] = n
			}
		}
		return out, nil
	}
	return Fix{
		Name: "no 0x800 on immediate custom actions",
		Edit: func(path string) (Edit, error) {
			rows, err := bad(path)
			if err != nil {
				return Edit{}, err
			}
			names := make([]string, 0, len(rows))
			for name := range rows {
				names = append(names, name)
			}
			sort.Strings(names)
			var qs []string
			for _, name := range names {
				qs = append(qs, fmt.Sprintf("UPDATE `CustomAction` SET `Type` = %d WHERE `Action` = %s", rows[name]&^CANoImpersonate, msitools.Quote(name)))
			}
			return Queries(qs...)
		},
		Check: func(ctx context.Context, run execx.Runner, path string) error {
			rows, err := bad(path)
			if err != nil {
				return err
			}
			for name, n := range rows {
				return fmt.Errorf("immediate custom action %s has Type %d, with the no-impersonate bit 0x800", name, n)
			}
			return nil
		},
	}
}

// FixSecureProperties adds props to SecureCustomProperties, so a
// per-machine install passes them from the client to the elevated server.
// wixl ignores Property/@Secure; its MajorUpgrade already created the row.
func FixSecureProperties(props []string) Fix {
	want := func(existing string) string {
		set := map[string]bool{}
		for _, p := range strings.Split(existing, ";") {
			if p != "" {
				set[p] = true
			}
		}
		for _, p := range props {
			set[p] = true
		}
		all := make([]string, 0, len(set))
		for p := range set {
			all = append(all, p)
		}
		sort.Strings(all)
		return strings.Join(all, ";")
	}
	read := func(path string) (string, bool, error) {
		t, err := ReadTable(path, "Property")
		if err != nil {
			return "", false, err
		}
		v, ok := t.Lookup("Property", "SecureCustomProperties", "Value")
		return v, ok, nil
	}
	return Fix{
		Name: "SecureCustomProperties",
		Edit: func(path string) (Edit, error) {
			cur, ok, err := read(path)
			if err != nil {
				return Edit{}, err
			}
			q := fmt.Sprintf("UPDATE `Property` SET `Value` = %s WHERE `Property` = 'SecureCustomProperties'", msitools.Quote(want(cur)))
			if !ok {
				q = fmt.Sprintf("INSERT INTO `Property` (`Property`, `Value`) VALUES ('SecureCustomProperties', %s)", msitools.Quote(want("")))
			}
			return Queries(q)
		},
		Check: func(ctx context.Context, run execx.Runner, path string) error {
			cur, _, err := read(path)
			if err != nil {
				return err
			}
			have := map[string]bool{}
			for _, p := range strings.Split(cur, ";") {
				have[p] = true
			}
			for _, p := range props {
				if !have[p] {
					return fmt.Errorf("SecureCustomProperties %q lacks %s", cur, p)
				}
			}
			return nil
		},
	}
}

// Summary information property ids (the MSI SDK's PID_*).
const (
	PIDTemplate  = 7
	PIDRevision  = 9 // the PackageCode
	PIDCreated   = 12
	PIDLastSaved = 13
)

// SummaryTime formats t as msitools' idt form of a FILETIME.
func SummaryTime(t time.Time) string { return t.UTC().Format("2006/01/02 15:04:05") }

// FixSummary sets summary information fields (by property id). wixl
// cannot target arm64 (Template), writes a random PackageCode and the
// wall-clock time, so msiforge sets those itself: the summary stream is
// exported, edited and imported back, keeping every other field.
func FixSummary(fields map[int]string) Fix {
	ids := make([]int, 0, len(fields))
	for id := range fields {
		ids = append(ids, id)
	}
	sort.Ints(ids)
	return Fix{
		Name: "summary information",
		Edit: func(path string) (Edit, error) {
			t, err := ReadTable(path, "_SummaryInformation")
			if err != nil {
				return Edit{}, err
			}
			seen := map[string]bool{}
			for _, r := range t.Rows {
				if v, ok := fields[atoi(r[0])]; ok {
					r[1] = v
					seen[r[0]] = true
				}
			}
			for _, id := range ids {
				if !seen[strconv.Itoa(id)] {
					t.Rows = append(t.Rows, []string{strconv.Itoa(id), fields[id]})
				}
			}
			// Times in the idt are UTC; msibuild reads them in the local
			// zone (see msitools.Import).
			return Edit{
				Steps: []Step{{Import: "_SummaryInformation", Text: []byte(t.IDT("i2\tl255"))}},
				Env:   []string{"TZ=UTC"},
			}, nil
		},
		Check: func(ctx context.Context, run execx.Runner, path string) error {
			t, err := ReadTable(path, "_SummaryInformation")
			if err != nil {
				return err
			}
			for _, id := range ids {
				got, _ := t.Lookup("PropertyId", strconv.Itoa(id), "Value")
				if got != fields[id] {
					return fmt.Errorf("summary property %d is %q, want %q", id, got, fields[id])
				}
			}
			return nil
		},
	}
}

func atoi(s string) int {
	n, err := strconv.Atoi(s)
	if err != nil {
		return -1
	}
	return n
}

// FixCustomActionType sets the Type of a CustomAction row. wixl 0.101
// writes only the deferred bit (0x400) of the execution options, so the
// rollback (0x100) and commit (0x200) kinds are set here.
func FixCustomActionType(action string, typ int) Fix {
	want := strconv.Itoa(typ)
	return Fix{
		Name: "type of custom action " + action,
		Edit: func(path string) (Edit, error) {
			return Queries(fmt.Sprintf("UPDATE `CustomAction` SET `Type` = %d WHERE `Action` = %s", typ, msitools.Quote(action)))
		},
		Check: func(ctx context.Context, run execx.Runner, path string) error {
			return CheckRow(ctx, run, path, "CustomAction", "Action", action, map[string]string{"Type": want})
		},
	}
}

// Verify is a fix with nothing to apply: it only reads back something
// wixl itself writes, so a wixl change cannot slip through unnoticed.
func Verify(name, table, key, keyValue string, want map[string]string) Fix {
	return Fix{
		Name: name,
		Check: func(ctx context.Context, run execx.Runner, path string) error {
			return CheckRow(ctx, run, path, table, key, keyValue, want)
		},
	}
}

// CheckRow reads table back and checks the row whose key column is
// keyValue has the wanted column values.
func CheckRow(ctx context.Context, run execx.Runner, path, table, key, keyValue string, want map[string]string) error {
	t, err := ReadTable(path, table)
	if err != nil {
		return err
	}
	cols := make([]string, 0, len(want))
	for c := range want {
		cols = append(cols, c)
	}
	sort.Strings(cols)
	for _, c := range cols {
		got, ok := t.Lookup(key, keyValue, c)
		if !ok {
			return fmt.Errorf("%s has no row %s=%s with a column %s", table, key, keyValue, c)
		}
		if got != want[c] {
			return fmt.Errorf("%s row %s: %s is %q, want %q", table, keyValue, c, got, want[c])
		}
	}
	return nil
}

// ReadTable reads a table back with msiforge's own reader (internal/msi),
// as idt text parsed into rows. The writes go through msibuild (libmsi's
// proven writer); reading back with an independent reader makes the check
// mean something, and needs no process per check.
func ReadTable(path, table string) (*msitools.Table, error) {
	f, err := msi.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	text, err := f.ExportIDT(table)
	if err != nil {
		return nil, fmt.Errorf("read table %s: %w", table, err)
	}
	return msitools.ParseIDT(table, text)
}
