// Package simulate plays a first install of an MSI from its own tables,
// the way Windows Installer would: property defaults and command-line
// values, type-51 custom actions in sequence order under their conditions,
// launch conditions, directory resolution, component conditions and the
// registry values written (HKMU resolved by ALLUSERS). It answers "what
// would this package do with these properties" without Windows.
package simulate

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/msiforge/msiforge/internal/cond"
)

// Row is one table row, by column name.
type Row = map[string]string

// Tables gives the rows of a table by name; a missing table has no rows.
type Tables interface {
	Rows(table string) ([]Row, error)
}

// Context describes the machine and account the install runs in.
type Context struct {
	System bool // Local System (a deployment tool) rather than an interactive user
}

// folders are the system folder properties Windows Installer sets on a
// 64-bit Windows; the profile depends on the account.
func folders(ctx Context) map[string]string {
	profile := `C:\Users\user\`
	if ctx.System {
		profile = `C:\Windows\System32\config\systemprofile\`
	}
	return map[string]string{
		"TARGETDIR":            `C:\`,
		"ProgramFilesFolder":   `C:\Program Files (x86)\`,
		"ProgramFiles64Folder": `C:\Program Files\`,
		"CommonFilesFolder":    `C:\Program Files (x86)\Common Files\`,
		"CommonFiles64Folder":  `C:\Program Files\Common Files\`,
		"SystemFolder":         `C:\Windows\SysWOW64\`,
		"System64Folder":       `C:\Windows\System32\`,
		"WindowsFolder":        `C:\Windows\`,
		"LocalAppDataFolder":   profile + `AppData\Local\`,
		"AppDataFolder":        profile + `AppData\Roaming\`,
		"ProgramMenuFolder":    profile + `AppData\Roaming\Microsoft\Windows\Start Menu\Programs\`,
		"DesktopFolder":        profile + `Desktop\`,
	}
}

// Hive names for Registry.Root.
func hive(root, allUsers string) string {
	switch root {
	case "-1":
		if allUsers == "" {
			return "HKCU"
		}
		return "HKLM"
	case "0":
		return "HKCR"
	case "1":
		return "HKCU"
	case "2":
		return "HKLM"
	case "3":
		return "HKU"
	}
	return "root " + root
}

// RegValue is one registry value an install writes.
type RegValue struct {
	Hive, Key, Name, Value string
	Component              string
}

// Result is the outcome of a simulated install.
type Result struct {
	Refused    bool   // a launch condition failed
	Message    string // its formatted message
	Properties map[string]string
	Dirs       map[string]string // resolved Directory paths
	Components map[string]bool   // component installed
	Registry   []RegValue
	Actions    []string // custom actions that ran, in order
}

// Install simulates a first install with the given command-line
// properties.
func Install(t Tables, cmdline map[string]string, ctx Context) (*Result, error) {
	s := &sim{t: t, props: map[string]string{}, res: &Result{Components: map[string]bool{}}}
	for k, v := range folders(ctx) {
		s.props[k] = v
	}
	for k, v := range map[string]string{"VersionNT": "603", "VersionNT64": "603", "Privileged": "1", "UILevel": "2"} {
		s.props[k] = v
	}
	props, err := t.Rows("Property")
	if err != nil {
		return nil, err
	}
	for _, r := range props {
		s.props[r["Property"]] = r["Value"]
	}
	for k, v := range cmdline {
		s.props[k] = v
	}
	if err := s.run(); err != nil {
		return nil, err
	}
	s.res.Properties = s.props
	return s.res, nil
}

type sim struct {
	t     Tables
	props map[string]string
	res   *Result
	dirs  map[string]string
}

func (s *sim) env() *cond.Env { return &cond.Env{Props: s.props} }

func (s *sim) eval(text, where string) (bool, error) {
	ok, err := cond.Eval(text, s.env())
	if err != nil {
		return false, fmt.Errorf("%s: condition %q: %w", where, text, err)
	}
	return ok, nil
}

func (s *sim) run() error {
	seq, err := s.t.Rows("InstallExecuteSequence")
	if err != nil {
		return err
	}
	sort.SliceStable(seq, func(i, j int) bool { return atoi(seq[i]["Sequence"]) < atoi(seq[j]["Sequence"]) })
	cas, err := s.t.Rows("CustomAction")
	if err != nil {
		return err
	}
	byName := map[string]Row{}
	for _, r := range cas {
		byName[r["Action"]] = r
	}
	for _, step := range seq {
		action := step["Action"]
		ok, err := s.eval(step["Condition"], "InstallExecuteSequence "+action)
		if err != nil {
			return err
		}
		if !ok {
			continue
		}
		if ca, isCA := byName[action]; isCA {
			if atoi(ca["Type"])&0x3F == 51 { // set a property from a formatted value
				s.props[ca["Source"]] = s.format(ca["Target"])
				s.res.Actions = append(s.res.Actions, action)
			}
			continue
		}
		switch action {
		case "LaunchConditions":
			refused, err := s.launchConditions()
			if err != nil || refused {
				return err
			}
		case "CostFinalize":
			if err := s.costFinalize(); err != nil {
				return err
			}
		case "WriteRegistryValues":
			if err := s.writeRegistry(); err != nil {
				return err
			}
		case "InstallFinalize":
			return nil
		}
	}
	return nil
}

func (s *sim) launchConditions() (bool, error) {
	rows, err := s.t.Rows("LaunchCondition")
	if err != nil {
		return false, err
	}
	for _, r := range rows {
		ok, err := s.eval(r["Condition"], "LaunchCondition")
		if err != nil {
			return false, err
		}
		if !ok {
			s.res.Refused, s.res.Message = true, s.format(r["Description"])
			return true, nil
		}
	}
	return false, nil
}

// costFinalize resolves the Directory table (a property of a directory's
// name, when set, overrides its default path) and component conditions.
func (s *sim) costFinalize() error {
	rows, err := s.t.Rows("Directory")
	if err != nil {
		return err
	}
	byID := map[string]Row{}
	for _, r := range rows {
		byID[r["Directory"]] = r
	}
	s.dirs = map[string]string{}
	var resolve func(id string, depth int) string
	resolve = func(id string, depth int) string {
		if p, ok := s.dirs[id]; ok {
			return p
		}
		var p string
		switch r, ok := byID[id]; {
		case s.props[id] != "":
			p = withSlash(s.props[id])
		case !ok || depth > 64:
			p = `C:\`
		case r["Directory_Parent"] == "" || r["Directory_Parent"] == id:
			p = `C:\` // TARGETDIR
		default:
			p = resolve(r["Directory_Parent"], depth+1)
			if name := longName(r["DefaultDir"]); name != "." && name != "" {
				p += name + `\`
			}
		}
		s.dirs[id] = p
		return p
	}
	ids := make([]string, 0, len(byID))
	for id := range byID {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		s.props[id] = resolve(id, 0)
	}
	s.res.Dirs = s.dirs

	comps, err := s.t.Rows("Component")
	if err != nil {
		return err
	}
	for _, c := range comps {
		ok, err := s.eval(c["Condition"], "Component "+c["Component"])
		if err != nil {
			return err
		}
		s.res.Components[c["Component"]] = ok
	}
	return nil
}

func (s *sim) writeRegistry() error {
	rows, err := s.t.Rows("Registry")
	if err != nil {
		return err
	}
	for _, r := range rows {
		if !s.res.Components[r["Component_"]] {
			continue
		}
		s.res.Registry = append(s.res.Registry, RegValue{
			Hive: hive(r["Root"], s.props["ALLUSERS"]), Key: s.format(r["Key"]), Name: s.format(r["Name"]),
			Value: s.format(r["Value"]), Component: r["Component_"],
		})
	}
	return nil
}

// format expands [PROPERTY] references and the [\x] escape of formatted
// fields. File and component references are left as written.
func (s *sim) format(text string) string {
	var b strings.Builder
	for {
		i := strings.IndexByte(text, '[')
		if i < 0 {
			b.WriteString(text)
			return b.String()
		}
		j := strings.IndexByte(text[i:], ']')
		if j < 0 {
			b.WriteString(text)
			return b.String()
		}
		b.WriteString(text[:i])
		ref := text[i+1 : i+j]
		switch {
		case strings.HasPrefix(ref, `\`) && len(ref) == 2:
			b.WriteString(ref[1:])
		case ref == `\` && strings.HasPrefix(text[i+j:], "]]"): // [\]] is a literal ]
			b.WriteString("]")
			j++
		case ref == "" || strings.ContainsAny(ref, "#$!%~"):
			b.WriteString("[" + ref + "]")
		default:
			b.WriteString(s.props[ref])
		}
		text = text[i+j+1:]
	}
}

// longName picks the long name of a Directory.DefaultDir ("short|long"),
// and the target part of "target:source".
func longName(d string) string {
	if i := strings.IndexByte(d, ':'); i >= 0 {
		d = d[:i]
	}
	if i := strings.IndexByte(d, '|'); i >= 0 {
		d = d[i+1:]
	}
	return d
}

func withSlash(p string) string {
	if strings.HasSuffix(p, `\`) {
		return p
	}
	return p + `\`
}

func atoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}
