package msi

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/msiforge/msiforge/internal/msi"
	"github.com/msiforge/msiforge/wix"
)

// A Name is one name the config asked for, which the built package must
// hold intact: a row of Table whose Cells hold these values. Names of
// files, shortcuts and folders are compared by their long form (after the
// "|" of "SHORT~1.TXT|Long name.txt"; a DefaultDir by its target part).
type Name struct {
	Table string
	Key   string            // the row's primary key when the model fixes it; "" matches any row
	Cells map[string]string // column → value
	What  string            // what the config calls it, for the message
}

// longNameColumns hold "short|long" file-name values.
var longNameColumns = map[string]bool{"File.FileName": true, "Shortcut.Name": true, "Directory.DefaultDir": true}

// readBackTables are the tables whose rows a ReadBack lists when the
// config did not ask for them (a custom template may add such rows).
var readBackTables = []string{"File", "Shortcut", "Directory", "Registry"}

// ReadBack reads the whole package at path with msiforge's own reader:
// every table, every string reference (a bad one is an error naming the
// table, row and column) and the summary information. Then it finds every
// name of names intact; a missing or damaged one is an error. It returns
// the rows of the File, Shortcut, Directory and Registry tables that no
// name accounts for, as "Table Key: value…" lines, which are not errors.
func ReadBack(path string, names []Name) (extra []string, err error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	st, err := fh.Stat()
	if err != nil {
		return nil, err
	}
	// NewReader, not Open: messages name the table, row and column, not
	// the build's temporary file.
	f, err := msi.NewReader(fh, st.Size())
	if err != nil {
		return nil, fmt.Errorf("read back: %w", err)
	}
	tables, err := f.Tables()
	if err != nil {
		return nil, fmt.Errorf("read back: %w", err)
	}
	read := map[string]*msi.Table{}
	for _, name := range append([]string{"_Tables", "_Columns"}, tables...) {
		t, err := f.Table(name)
		if err != nil {
			return nil, fmt.Errorf("read back: %w", err)
		}
		read[name] = t
	}
	if _, err := f.Summary(); err != nil {
		return nil, fmt.Errorf("read back: %w", err)
	}

	matched := map[string]map[int]bool{}
	var errs []error
	for _, n := range names {
		t := read[n.Table]
		if t == nil {
			errs = append(errs, fmt.Errorf("%s: the package has no %s table", n.What, n.Table))
			continue
		}
		if matched[n.Table] == nil {
			matched[n.Table] = map[int]bool{}
		}
		found := false
		for i, r := range t.Rows {
			if n.Key != "" && r[0].String() != n.Key {
				continue
			}
			if bad := mismatch(t, r, n.Cells); bad != "" {
				if n.Key != "" {
					errs = append(errs, fmt.Errorf("%s: %s row %s is damaged: %s", n.What, n.Table, n.Key, bad))
					found = true // reported
				}
				continue
			}
			matched[n.Table][i] = true
			found = true
		}
		if !found {
			errs = append(errs, fmt.Errorf("%s: no %s row has %s", n.What, n.Table, describe(n.Cells)))
		}
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("read back: the package lacks names the config asked for:\n%w", errors.Join(errs...))
	}
	for _, name := range readBackTables {
		t := read[name]
		if t == nil {
			continue
		}
		for i, r := range t.Rows {
			if matched[name][i] || (name == "Directory" && standardDir(t, r)) {
				continue
			}
			cells := make([]string, 0, len(r)-1)
			for j := 1; j < len(r); j++ {
				if v := r[j].String(); v != "" {
					cells = append(cells, t.Columns[j].Name+"="+v)
				}
			}
			extra = append(extra, fmt.Sprintf("%s %s: %s", name, r[0].String(), strings.Join(cells, " ")))
		}
	}
	return extra, nil
}

// mismatch describes how row r differs from cells ("" when it matches).
func mismatch(t *msi.Table, r []msi.Value, cells map[string]string) string {
	cols := make([]string, 0, len(cells))
	for c := range cells {
		cols = append(cols, c)
	}
	sort.Strings(cols)
	for _, c := range cols {
		j := t.ColumnIndex(c)
		if j < 0 {
			return "no column " + c
		}
		got := r[j].String()
		if longNameColumns[t.Name+"."+c] {
			got = LongName(got)
		}
		if got != cells[c] {
			return fmt.Sprintf("%s is %q, want %q", c, got, cells[c])
		}
	}
	return ""
}

func describe(cells map[string]string) string {
	var parts []string
	for c, v := range cells {
		parts = append(parts, fmt.Sprintf("%s %q", c, v))
	}
	sort.Strings(parts)
	return strings.Join(parts, " and ")
}

// standardDir reports the Directory rows every package has: the root
// (SourceDir) and the system folders, whose DefaultDir is ".".
func standardDir(t *msi.Table, r []msi.Value) bool {
	j := t.ColumnIndex("DefaultDir")
	if j < 0 {
		return false
	}
	d := r[j].String()
	return d == "." || d == "SourceDir" || d == "SOURCEDIR"
}

// LongName returns the long form of an MSI file or folder name value:
// "SHORT~1|Long name" gives "Long name"; a DefaultDir "target:source"
// gives its target's long name.
func LongName(v string) string {
	if i := strings.IndexByte(v, ':'); i >= 0 {
		v = v[:i]
	}
	if i := strings.IndexByte(v, '|'); i >= 0 {
		v = v[i+1:]
	}
	return v
}

// runKey is where the console's start-with-Windows value lives.
const runKey = `Software\Microsoft\Windows\CurrentVersion\Run`

// ConsoleNames are the names the config asks the console MSI for.
func ConsoleNames(m *wix.Console) []Name {
	var out []Name
	for _, f := range m.Files {
		out = append(out, Name{Table: "File", Key: f.ID, Cells: map[string]string{"FileName": f.Name, "Component_": f.ComponentID}, What: "payload file " + strings.TrimPrefix(f.Source, "payload/")})
	}
	for _, d := range m.AllDirs() { // the payload tree's folders (console.files)
		out = append(out, Name{Table: "Directory", Key: d.ID, Cells: map[string]string{"DefaultDir": d.Name}, What: "payload folder " + d.Path})
	}
	out = append(out, identity(m.ProductName, m.Manufacturer, m.Version)...)
	out = append(out,
		Name{Table: "Directory", Key: "INSTALLDIR", Cells: map[string]string{"DefaultDir": m.ProductName}, What: "install folder (product.name)"},
		Name{Table: "Directory", Cells: map[string]string{"DefaultDir": m.Manufacturer}, What: "manufacturer folder (product.manufacturer)"},
		Name{Table: "Registry", Cells: map[string]string{"Key": m.SettingsKey}, What: "settings key (product.manufacturer, product.name)"},
		Name{Table: "Registry", Cells: map[string]string{"Key": runKey, "Name": m.RunValueName}, What: "start-with-Windows value (product.name)"},
	)
	if s := m.Shortcut; s != nil {
		out = append(out,
			Name{Table: "Shortcut", Cells: map[string]string{"Name": s.Name}, What: "shortcut (console.shortcut.name)"},
			Name{Table: "Directory", Cells: map[string]string{"DefaultDir": s.Folder}, What: "Start menu folder (product.name)"},
		)
	}
	return out
}

// VSCNames are the names the config asks a VSC driver package for.
func VSCNames(m *wix.VSC) []Name {
	var out []Name
	for _, f := range m.Files() {
		out = append(out, Name{Table: "File", Key: f.ID, Cells: map[string]string{"FileName": f.Name}, What: "vsc file " + f.Name})
	}
	out = append(out, identity(m.ProductName, m.Manufacturer, m.Version)...)
	return append(out,
		Name{Table: "Directory", Key: "INSTALLDIR", Cells: map[string]string{"DefaultDir": m.RoleFolder}, What: "role folder"},
		Name{Table: "Directory", Cells: map[string]string{"DefaultDir": m.VSCFolder}, What: "VSC folder (product.name)"},
		Name{Table: "Directory", Cells: map[string]string{"DefaultDir": m.Manufacturer}, What: "manufacturer folder (product.manufacturer)"},
		Name{Table: "Directory", Cells: map[string]string{"DefaultDir": "Driver"}, What: "driver folder"},
		Name{Table: "Registry", Cells: map[string]string{"Key": m.RegistryKey + `\` + m.RoleFolder}, What: "registration key (product.manufacturer, product.name)"},
	)
}

// readBack is Build's last look at the fixed-up package before it is
// signed: the whole package reads back with every name asked for, and no
// payload file changed while it was packaged.
func readBack(job Job, path string, payload []*stagedFile) error {
	extra, err := ReadBack(path, job.Names)
	if err != nil {
		return err
	}
	if job.Log != nil && len(extra) > 0 {
		job.Log(fmt.Sprintf("%s: %d rows the config did not ask for (a custom template's?):", filepath.Base(job.Out), len(extra)))
		for _, e := range extra {
			job.Log("  " + e)
		}
	}
	return checkPayload(payload)
}

// identity is the product's name, manufacturer and version in the
// Property table (what Programs and Features shows).
func identity(name, manufacturer, version string) []Name {
	prop := func(p, v, what string) Name {
		return Name{Table: "Property", Key: p, Cells: map[string]string{"Value": v}, What: what}
	}
	return []Name{
		prop("ProductName", name, "product name (product.name)"),
		prop("Manufacturer", manufacturer, "manufacturer (product.manufacturer)"),
		prop("ProductVersion", version, "version (product.version)"),
	}
}
