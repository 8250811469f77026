// Package msitools drives the msitools command-line programs (msiinfo,
// msibuild) through execx: reading tables back as idt text and patching
// tables and summary information with SQL.
package msitools

import (
	"context"
	"fmt"
	"strings"

	"github.com/msiforge/msiforge/internal/execx"
)

// Table is a table exported as idt: column names and rows of strings.
type Table struct {
	Name    string
	Columns []string
	Rows    [][]string
}

// Col returns the index of column name, or -1.
func (t *Table) Col(name string) int {
	for i, c := range t.Columns {
		if c == name {
			return i
		}
	}
	return -1
}

// Lookup returns the value of column col in the first row whose column key
// equals value, and whether such a row exists.
func (t *Table) Lookup(key, value, col string) (string, bool) {
	k, c := t.Col(key), t.Col(col)
	if k < 0 || c < 0 {
		return "", false
	}
	for _, r := range t.Rows {
		if r[k] == value {
			return r[c], true
		}
	}
	return "", false
}

// Export reads table from the MSI at path with `msiinfo export`.
func Export(ctx context.Context, run execx.Runner, path, table string) (*Table, error) {
	res, err := run.Run(ctx, execx.Cmd{Name: "msiinfo", Args: []string{"export", path, table}})
	if err != nil {
		return nil, fmt.Errorf("read table %s: %w", table, err)
	}
	return ParseIDT(table, string(res.Stdout))
}

// ParseIDT parses msiinfo's idt export: a header of column names, a line of
// column types, a line naming the table and its keys, then one row a line,
// tab-separated, with CRLF line ends.
func ParseIDT(table, text string) (*Table, error) {
	lines := strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n")
	if len(lines) < 3 {
		return nil, fmt.Errorf("read table %s: short idt export", table)
	}
	t := &Table{Name: table, Columns: strings.Split(lines[0], "\t")}
	for _, l := range lines[3:] {
		if l == "" {
			continue
		}
		f := strings.Split(l, "\t")
		for len(f) < len(t.Columns) {
			f = append(f, "")
		}
		t.Rows = append(t.Rows, f)
	}
	return t, nil
}

// Summary reads `msiinfo suminfo` into a map keyed by its labels
// ("Template", "Revision number (UUID)", ...).
func Summary(ctx context.Context, run execx.Runner, path string) (map[string]string, error) {
	res, err := run.Run(ctx, execx.Cmd{Name: "msiinfo", Args: []string{"suminfo", path}})
	if err != nil {
		return nil, fmt.Errorf("read summary information: %w", err)
	}
	m := map[string]string{}
	for _, l := range strings.Split(string(res.Stdout), "\n") {
		if k, v, ok := strings.Cut(l, ": "); ok {
			m[strings.TrimSpace(k)] = strings.TrimSpace(v)
		}
	}
	return m, nil
}

// Query runs SQL statements against the MSI with `msibuild -q`.
func Query(ctx context.Context, run execx.Runner, path string, sql ...string) error {
	args := []string{path}
	for _, q := range sql {
		args = append(args, "-q", q)
	}
	if _, err := run.Run(ctx, execx.Cmd{Name: "msibuild", Args: args}); err != nil {
		return fmt.Errorf("patch %s: %w", path, err)
	}
	return nil
}

// IDT renders t back as idt text (LF line ends, which msibuild accepts),
// with the given column-type line.
func (t *Table) IDT(types string) string {
	var b strings.Builder
	b.WriteString(strings.Join(t.Columns, "\t") + "\n" + types + "\n" + t.Name + "\t" + t.Columns[0] + "\n")
	for _, r := range t.Rows {
		b.WriteString(strings.Join(r, "\t") + "\n")
	}
	return b.String()
}

// Import imports an idt file (its third line names the table) with
// `msibuild -i`. Times in a _SummaryInformation idt are UTC: msibuild
// reads them in the local zone, so it runs with TZ=UTC.
func Import(ctx context.Context, run execx.Runner, path, idt string) error {
	if _, err := run.Run(ctx, execx.Cmd{Name: "msibuild", Args: []string{path, "-i", idt}, Env: []string{"TZ=UTC"}}); err != nil {
		return fmt.Errorf("import %s into %s: %w", idt, path, err)
	}
	return nil
}

// Quote makes s a SQL string literal for msibuild.
func Quote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}
