package verifykit

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/msiforge/msiforge/internal/matrix"
)

// Run is one scenario as the script recorded it.
type Run struct {
	ID     string
	Setup  []int               // exit codes of the setup steps
	Exit   int                 // of the step; -1 when not recorded
	Before map[string]bool     // state lines ("value HKCU RunAtStartup=1", ...)
	After  map[string]bool     //
	Ended  bool                // the "end" line was written
	Values map[string]string   // after: "HIVE NAME" -> data
	Prior  map[string]string   // before: "HIVE NAME" -> data
	Seen   map[string][]string // after: "run"/"file" HIVE -> yes|no, "product" -> CODE:ctx
}

// Results is a parsed results file.
type Results struct {
	Format int
	Host   string // "windows" or "wine"
	Runs   map[string]*Run
	Skips  map[string]string
}

// Parse reads a results file written by the kit's script.
func Parse(r io.Reader) (*Results, error) {
	res := &Results{Runs: map[string]*Run{}, Skips: map[string]string{}}
	var cur *Run
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimRight(sc.Text(), "\r ")
		if line == "" {
			continue
		}
		word, rest, _ := strings.Cut(line, " ")
		bad := func() error { return fmt.Errorf("line %d: %q is not a results line the kit writes", n, line) }
		switch word {
		case "kit":
			v, err := strconv.Atoi(rest)
			if err != nil {
				return nil, bad()
			}
			res.Format = v
		case "host":
			if rest != "windows" && rest != "wine" {
				return nil, fmt.Errorf("line %d: host %q: want windows or wine", n, rest)
			}
			res.Host = rest
		case "skipped":
			id, why, _ := strings.Cut(rest, " ")
			res.Skips[id] = why
		case "scenario":
			cur = &Run{ID: rest, Exit: -1, Before: map[string]bool{}, After: map[string]bool{},
				Values: map[string]string{}, Prior: map[string]string{}, Seen: map[string][]string{}}
			res.Runs[rest] = cur
		case "setup", "step", "before", "after", "end":
			if cur == nil {
				return nil, fmt.Errorf("line %d: %q before any scenario line", n, line)
			}
			switch word {
			case "setup":
				_, code, _ := strings.Cut(rest, " ")
				v, err := strconv.Atoi(code)
				if err != nil {
					return nil, bad()
				}
				cur.Setup = append(cur.Setup, v)
			case "step":
				v, err := strconv.Atoi(rest)
				if err != nil {
					return nil, bad()
				}
				cur.Exit = v
			case "end":
				cur.Ended = rest == cur.ID
			default:
				set, vals := cur.After, cur.Values
				if word == "before" {
					set, vals = cur.Before, cur.Prior
				}
				set[rest] = true
				kind, tail, _ := strings.Cut(rest, " ")
				switch kind {
				case "value":
					hive, kv, _ := strings.Cut(tail, " ")
					k, v, _ := strings.Cut(kv, "=")
					vals[hive+" "+k] = strings.TrimSpace(v)
				case "run", "file":
					if word == "after" {
						hive, yn, _ := strings.Cut(tail, " ")
						cur.Seen[kind+" "+hive] = append(cur.Seen[kind+" "+hive], yn)
					}
				case "product":
					code, ctx, _ := strings.Cut(tail, " ")
					key := "product"
					if word == "before" {
						key = "product-before"
					}
					cur.Seen[key] = append(cur.Seen[key], strings.ToUpper(code)+":"+ctx)
				}
			}
		default:
			return nil, bad()
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if res.Format != Format {
		return nil, fmt.Errorf("not a results file of this kit format (want a first line \"kit %d\")", Format)
	}
	if res.Host == "" {
		return nil, fmt.Errorf("no host line: the script stopped before it ran anything")
	}
	return res, nil
}

// Line is one scenario's comparison.
type Line struct {
	ID       string   `json:"id"`
	Expected string   `json:"expected"` // "windows", "wine" or "skipped"
	OK       bool     `json:"ok"`
	Skip     string   `json:"skip,omitempty"`
	Problems []string `json:"problems,omitempty"`
}

// Report is the comparison of a results file with a kit's expectations.
type Report struct {
	Host  string `json:"host"`
	Lines []Line `json:"lines"`
}

// Failed counts the scenarios that differ.
func (r *Report) Failed() int {
	n := 0
	for _, l := range r.Lines {
		if !l.OK && l.Skip == "" {
			n++
		}
	}
	return n
}

// Text renders one line per scenario.
func (r *Report) Text() string {
	var b strings.Builder
	fmt.Fprintf(&b, "host: %s\n", r.Host)
	for _, l := range r.Lines {
		switch {
		case l.Skip != "":
			fmt.Fprintf(&b, "skip %s: %s\n", l.ID, l.Skip)
		case l.OK:
			fmt.Fprintf(&b, "ok   %s (%s expectation)\n", l.ID, l.Expected)
		default:
			fmt.Fprintf(&b, "FAIL %s (%s expectation): %s\n", l.ID, l.Expected, strings.Join(l.Problems, "; "))
		}
	}
	ok, skipped := 0, 0
	for _, l := range r.Lines {
		if l.Skip != "" {
			skipped++
		} else if l.OK {
			ok++
		}
	}
	fmt.Fprintf(&b, "%d scenarios: %d as expected, %d differ, %d skipped\n", len(r.Lines), ok, r.Failed(), skipped)
	return b.String()
}

// CompareFile compares a results file with the expected.json beside it.
func CompareFile(results string) (*Report, error) {
	f, err := os.Open(results)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	res, err := Parse(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", results, err)
	}
	expPath := filepath.Join(filepath.Dir(results), ExpectedName)
	data, err := os.ReadFile(expPath)
	if err != nil {
		return nil, fmt.Errorf("%w (the kit's %s must be beside the results file)", err, ExpectedName)
	}
	var exp Expected
	if err := json.Unmarshal(data, &exp); err != nil {
		return nil, fmt.Errorf("%s: %w", expPath, err)
	}
	if exp.Format != Format {
		return nil, fmt.Errorf("%s: format %d, want %d (a kit from another msiforge version)", expPath, exp.Format, Format)
	}
	return Compare(&exp, res), nil
}

// Compare checks each scenario of the kit against what the script
// recorded, with the Wine expectation when it ran under Wine and the
// scenario has one.
func Compare(exp *Expected, res *Results) *Report {
	rep := &Report{Host: res.Host}
	for _, sc := range exp.Scenarios {
		l := Line{ID: sc.ID, Expected: "windows"}
		want := sc.Windows
		if res.Host == "wine" && sc.Wine != nil {
			want, l.Expected = *sc.Wine, "wine"
		}
		if sc.Skip != "" {
			l.Expected, l.Skip = "skipped", sc.Skip
			rep.Lines = append(rep.Lines, l)
			continue
		}
		run := res.Runs[sc.ID]
		switch {
		case run == nil:
			l.Problems = []string{"not in the results: the script did not run it"}
		case !run.Ended:
			l.Problems = []string{"incomplete: the script stopped in this scenario"}
		default:
			l.Problems = compareRun(subjectOf(exp, sc.Subject), want, run)
		}
		l.OK = len(l.Problems) == 0
		rep.Lines = append(rep.Lines, l)
	}
	return rep
}

func sorted(m map[string]bool) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func compareRun(sub Subject, want matrix.Expect, run *Run) []string {
	var p []string
	for i, rc := range run.Setup {
		if rc != 0 {
			p = append(p, fmt.Sprintf("setup step %d exited %d", i+1, rc))
		}
	}
	if run.Exit != want.Exit {
		p = append(p, fmt.Sprintf("exit %d, want %d", run.Exit, want.Exit))
	}
	if want.Unchanged {
		b, a := sorted(run.Before), sorted(run.After)
		if strings.Join(b, "\n") != strings.Join(a, "\n") {
			p = append(p, "the machine changed: "+diffLines(run.Before, run.After))
		}
	}
	// Products, by code and context; the packages sharing a code (this and
	// rebuild) are one product.
	codeOf := map[string]string{}
	pkgOfCode := map[string]Package{}
	for name, pk := range sub.Packages {
		codeOf[name] = strings.ToUpper(pk.ProductCode)
		pkgOfCode[strings.ToUpper(pk.ProductCode)] = pk
	}
	if want.Products != nil {
		var w []string
		for _, q := range want.Products {
			name, ctx, _ := strings.Cut(q, ":")
			w = append(w, codeOf[name]+":"+ctx)
		}
		got := append([]string{}, run.Seen["product"]...)
		sort.Strings(got)
		sort.Strings(w)
		if strings.Join(got, ",") != strings.Join(w, ",") {
			p = append(p, fmt.Sprintf("registered %v, want %v", got, w))
		}
	}
	// The hive of the product the scenario is about: the expected one, or
	// the one installed before the step.
	var about string
	if len(want.Products) > 0 {
		name, ctx, _ := strings.Cut(want.Products[0], ":")
		about = codeOf[name] + ":" + ctx
	} else if b := run.Seen["product-before"]; len(b) > 0 {
		about = b[0]
	}
	code, ctx, _ := strings.Cut(about, ":")
	hive := "HKCU"
	if ctx == "per-machine" {
		hive = "HKLM"
		if pk, ok := pkgOfCode[code]; ok && !pk.Is64 {
			hive = "HKLM32"
		}
	}
	keys := make([]string, 0, len(want.Settings))
	for k := range want.Settings {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v := want.Settings[k]
		got, ok := run.Values[hive+" "+k]
		switch {
		case v == "" && ok:
			p = append(p, fmt.Sprintf("%s %s=%q left, want none", hive, k, got))
		case v != "" && !ok:
			p = append(p, fmt.Sprintf("%s %s absent, want %q", hive, k, v))
		case v != "" && !strings.EqualFold(got, v):
			p = append(p, fmt.Sprintf("%s %s=%q, want %q", hive, k, got, v))
		}
	}
	if want.Run != "" {
		got := strings.Join(run.Seen["run "+hive], ",")
		if got != want.Run {
			p = append(p, fmt.Sprintf("Run value %q in %s: %q, want %s", sub.RunValue, hive, got, want.Run))
		}
	}
	if want.Files != "" {
		got := strings.Join(run.Seen["file "+hive], ",")
		if got == "" {
			got = "no"
		}
		if got != want.Files {
			p = append(p, fmt.Sprintf("%s in the InstallDir of %s: %s, want %s", sub.ExeName, hive, got, want.Files))
		}
	}
	return p
}

func diffLines(before, after map[string]bool) string {
	var d []string
	for _, l := range sorted(before) {
		if !after[l] {
			d = append(d, "-"+l)
		}
	}
	for _, l := range sorted(after) {
		if !before[l] {
			d = append(d, "+"+l)
		}
	}
	return strings.Join(d, ", ")
}
