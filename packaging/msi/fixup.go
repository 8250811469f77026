package msi

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
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
type Fix struct {
	Name  string
	Apply func(ctx context.Context, run execx.Runner, path string) error
	Check func(ctx context.Context, run execx.Runner, path string) error
}

// ApplyFixes applies each fix, then checks each one against the result.
func ApplyFixes(ctx context.Context, run execx.Runner, path string, fixes []Fix) error {
	for _, f := range fixes {
		if err := f.Apply(ctx, run, path); err != nil {
			return fmt.Errorf("fix-up %s: %w", f.Name, err)
		}
	}
	for _, f := range fixes {
		if err := f.Check(ctx, run, path); err != nil {
			return fmt.Errorf("fix-up %s did not take: %w", f.Name, err)
		}
	}
	return nil
}

// ConsoleFixes are the fix-ups of the console MSI. packageCode and epoch
// replace wixl's random PackageCode and wall-clock times.
func ConsoleFixes(m *wix.Console, packageCode string, epoch time.Time) []Fix {
	fixes := append([]Fix{FixHKMU()}, RepairSourceFixes(m)...) // repairsource.go
	for _, cc := range m.ComponentConditions {
		fixes = append(fixes, FixComponentCondition(cc.Component, cc.Condition))
	}
	fixes = append(fixes, FixSecureProperties(m.SecureProperties))
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
		Apply: func(ctx context.Context, run execx.Runner, path string) error {
			return msitools.Query(ctx, run, path, "UPDATE `Registry` SET `Root` = -1 WHERE `Root` = 4")
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
		Apply: func(ctx context.Context, run execx.Runner, path string) error {
			return msitools.Query(ctx, run, path, fmt.Sprintf("UPDATE `Component` SET `Condition` = %s WHERE `Component` = %s",
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
	read := func(ctx context.Context, run execx.Runner, path string) (string, bool, error) {
		t, err := ReadTable(path, "Property")
		if err != nil {
			return "", false, err
		}
		v, ok := t.Lookup("Property", "SecureCustomProperties", "Value")
		return v, ok, nil
	}
	return Fix{
		Name: "SecureCustomProperties",
		Apply: func(ctx context.Context, run execx.Runner, path string) error {
			cur, ok, err := read(ctx, run, path)
			if err != nil {
				return err
			}
			q := fmt.Sprintf("UPDATE `Property` SET `Value` = %s WHERE `Property` = 'SecureCustomProperties'", msitools.Quote(want(cur)))
			if !ok {
				q = fmt.Sprintf("INSERT INTO `Property` (`Property`, `Value`) VALUES ('SecureCustomProperties', %s)", msitools.Quote(want("")))
			}
			return msitools.Query(ctx, run, path, q)
		},
		Check: func(ctx context.Context, run execx.Runner, path string) error {
			cur, _, err := read(ctx, run, path)
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
		Apply: func(ctx context.Context, run execx.Runner, path string) error {
			t, err := ReadTable(path, "_SummaryInformation")
			if err != nil {
				return err
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
			dir, err := os.MkdirTemp(filepath.Dir(path), ".summary-")
			if err != nil {
				return err
			}
			defer os.RemoveAll(dir)
			idt := filepath.Join(dir, "_SummaryInformation.idt")
			if err := os.WriteFile(idt, []byte(t.IDT("i2\tl255")), 0o644); err != nil {
				return err
			}
			return msitools.Import(ctx, run, path, idt)
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
		Apply: func(ctx context.Context, run execx.Runner, path string) error {
			return msitools.Query(ctx, run, path, fmt.Sprintf("UPDATE `CustomAction` SET `Type` = %d WHERE `Action` = %s", typ, msitools.Quote(action)))
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
		Name:  name,
		Apply: func(context.Context, execx.Runner, string) error { return nil },
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
