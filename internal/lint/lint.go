// Package lint runs Windows Installer's internal consistency evaluators
// (ICEs) off Windows: it reads an MSI with internal/msi and reports what
// the ICEs of the Windows SDK would report for the tables this project's
// packages use, plus msiforge's own rules where the ICEs are blind (the
// per-user folder, which the console redirects only at run time).
//
// Each rule names the Microsoft ICE reference page it follows
// (https://learn.microsoft.com/windows/win32/msi/ice-reference) and words
// its messages as that page does where the page gives a message.
package lint

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/invopop/jsonschema"

	"github.com/msiforge/msiforge/internal/msi"
)

// Level is how serious a finding is: an error fails lint (exit 3), a
// warning only with --strict.
type Level string

// The levels.
const (
	Error   Level = "error"
	Warning Level = "warning"
)

// JSONSchemaExtend lists the levels in the schema of lint --json
// (github.com/invopop/jsonschema calls it).
func (Level) JSONSchemaExtend(s *jsonschema.Schema) { s.Enum = []any{string(Error), string(Warning)} }

// Finding is one problem a rule found in one row.
type Finding struct {
	Rule    string `json:"rule"`  // ICE38, MSF001
	Level   Level  `json:"level"` // error or warning
	Table   string `json:"table"` // the table of the row at fault
	Key     string `json:"key"`   // the row's primary key (columns joined by "/")
	Message string `json:"message"`
}

func (f Finding) String() string {
	return fmt.Sprintf("%s %s: %s.%s: %s", f.Rule, f.Level, f.Table, f.Key, f.Message)
}

// Rule is one evaluator.
type Rule struct {
	ID      string // ICE number or msiforge's MSFnnn
	Level   Level  // the level of its most serious finding
	Summary string // one line, for --list and the README
	URL     string // the reference page it follows
	check   func(d *db) []Finding
}

// Rules returns every rule, in ID order.
func Rules() []Rule {
	out := slices.Clone(rules)
	sort.Slice(out, func(i, j int) bool { return idLess(out[i].ID, out[j].ID) })
	return out
}

// idLess orders rule IDs by prefix, then number: ICE99 before ICE105.
func idLess(a, b string) bool {
	pa, pb := strings.TrimRight(a, "0123456789"), strings.TrimRight(b, "0123456789")
	if pa != pb {
		return pa < pb
	}
	return atoi(a[len(pa):]) < atoi(b[len(pb):])
}

// Lookup returns the rule with the given ID (case-insensitive).
func Lookup(id string) (Rule, bool) {
	for _, r := range rules {
		if strings.EqualFold(r.ID, id) {
			return r, true
		}
	}
	return Rule{}, false
}

// Options select the rules to run.
type Options struct {
	Rules  []string // run only these (nil: all)
	Ignore []string // skip these
}

// Validate reports an unknown rule ID in opts.
func (o Options) Validate() error {
	for _, id := range append(slices.Clone(o.Rules), o.Ignore...) {
		if _, ok := Lookup(id); !ok {
			return fmt.Errorf("unknown rule %q (msiforge lint --list shows them)", id)
		}
	}
	return nil
}

// Check runs the selected rules on f and returns their findings, sorted
// by rule, table and key.
func Check(f *msi.File, opts Options) ([]Finding, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	d, err := load(f)
	if err != nil {
		return nil, err
	}
	var out []Finding
	for _, r := range Rules() {
		if len(opts.Rules) > 0 && !slices.ContainsFunc(opts.Rules, func(s string) bool { return strings.EqualFold(s, r.ID) }) {
			continue
		}
		if slices.ContainsFunc(opts.Ignore, func(s string) bool { return strings.EqualFold(s, r.ID) }) {
			continue
		}
		out = append(out, r.check(d)...)
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Rule != b.Rule {
			return idLess(a.Rule, b.Rule)
		}
		if a.Table != b.Table {
			return a.Table < b.Table
		}
		return a.Key < b.Key
	})
	return out, nil
}

// CheckFile opens path and checks it.
func CheckFile(path string, opts Options) ([]Finding, error) {
	f, err := msi.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return Check(f, opts)
}

// Errors counts the error-level findings.
func Errors(fs []Finding) int {
	n := 0
	for _, f := range fs {
		if f.Level == Error {
			n++
		}
	}
	return n
}

// db is the package as the rules see it: every table's rows by column
// name, loaded once.
type db struct {
	f       *msi.File
	tables  map[string]*msi.Table
	rows    map[string][]map[string]string
	props   map[string]string
	summary msi.Summary

	parents  map[string]string            // Directory -> Directory_Parent, built on first use
	registry map[string]map[string]string // Registry rows by key, built on first use
}

func load(f *msi.File) (*db, error) {
	d := &db{f: f, tables: map[string]*msi.Table{}, rows: map[string][]map[string]string{}}
	names, err := f.Tables()
	if err != nil {
		return nil, err
	}
	for _, n := range names {
		t, err := f.Table(n)
		if err != nil {
			return nil, err
		}
		d.tables[n] = t
		rows, err := f.Rows(n)
		if err != nil {
			return nil, err
		}
		d.rows[n] = rows
	}
	d.props = map[string]string{}
	for _, r := range d.rows["Property"] {
		d.props[r["Property"]] = r["Value"]
	}
	if s, err := f.Summary(); err == nil {
		d.summary = s
	} else if !errors.Is(err, msi.ErrNotFound) {
		return nil, err
	}
	return d, nil
}

// has reports whether the table exists.
func (d *db) has(table string) bool { _, ok := d.tables[table]; return ok }

// key returns a row's primary key, its key columns joined by "/".
func (d *db) key(table string, r map[string]string) string {
	t := d.tables[table]
	if t == nil {
		return ""
	}
	var parts []string
	for _, c := range t.Columns {
		if c.Key {
			parts = append(parts, r[c.Name])
		}
	}
	return strings.Join(parts, "/")
}

// index returns the set of values of col in table.
func (d *db) index(table, col string) map[string]bool {
	m := map[string]bool{}
	for _, r := range d.rows[table] {
		m[r[col]] = true
	}
	return m
}

// byKey returns table's rows by the value of col.
func (d *db) byKey(table, col string) map[string]map[string]string {
	m := map[string]map[string]string{}
	for _, r := range d.rows[table] {
		m[r[col]] = r
	}
	return m
}

func atoi(s string) int {
	n := 0
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	for _, c := range s {
		if c < '0' || c > '9' {
			return 0
		}
		n = n*10 + int(c-'0')
	}
	if neg {
		return -n
	}
	return n
}

// ErrFindings is wrapped by the error of a lint that found error-level
// problems; the command line turns it into exit status 3.
var ErrFindings = errors.New("lint found errors")

// Gate is the lint build runs on each MSI after the fix-ups and before
// signing: every rule but ignore; error-level findings fail it (wrapping
// ErrFindings) and warnings go to warn, when set.
func Gate(path string, ignore []string, warn func(string)) error {
	fs, err := CheckFile(path, Options{Ignore: ignore})
	if err != nil {
		return fmt.Errorf("lint: %w", err)
	}
	var errs []string
	for _, f := range fs {
		if f.Level == Error {
			errs = append(errs, "  "+f.String())
		} else if warn != nil {
			warn("lint: " + f.String())
		}
	}
	if len(errs) > 0 {
		return gateError(fmt.Sprintf("lint: %d errors (accept a rule with lint.ignore and a reason):\n%s", len(errs), strings.Join(errs, "\n")))
	}
	return nil
}

type gateError string

func (e gateError) Error() string        { return string(e) }
func (e gateError) Is(target error) bool { return target == ErrFindings }

// Markdown renders the rule list as the README's table.
func Markdown() string {
	var b strings.Builder
	b.WriteString("| rule | level | checks |\n|---|---|---|\n")
	for _, r := range Rules() {
		fmt.Fprintf(&b, "| [%s](%s) | %s | %s |\n", r.ID, r.URL, r.Level, strings.ReplaceAll(r.Summary, "|", `\|`))
	}
	return b.String()
}
