// Package site renders dist/index.html: one static downloads page with no
// external resources. It preselects the installer for the visitor's
// detected Windows architecture and builds msiexec command lines live. The
// rules and warning texts it shows come from internal/matrix, embedded as
// JSON by Render; the page's script only looks them up.
package site

import (
	"bytes"
	_ "embed"
	"fmt"
	"html/template"
	"sort"

	"github.com/msiforge/msiforge/internal/manifest"
	"github.com/msiforge/msiforge/internal/matrix"
	"github.com/msiforge/msiforge/internal/winname"
	"github.com/msiforge/msiforge/packaging"
)

//go:embed index.html.tmpl
var pageTemplate string

// Data is everything the page shows; it is embedded as JSON.
type Data struct {
	Product  manifest.Product        `json:"product"`
	Console  []Download              `json:"console"`
	VSC      []Download              `json:"vsc"`
	Outcomes map[string]OutcomeEntry `json:"outcomes"` // by "allusers|autoupdate|runatstartup|context"
	Notes    []string                `json:"notes"`
	Rows     []matrix.Row            `json:"rows"`
	// ReservedNames are Windows' device names (internal/winname), which
	// the command builder refuses in INSTALLDIR, as install-cmd does.
	ReservedNames []string `json:"reserved_names"`
	// Page holds the page's headings (output.page in the config); the
	// script does not need them.
	Page Page `json:"-"`
}

// Page is the wording of the page's headings; an empty field takes its
// default (see [Page.withDefaults]).
type Page struct {
	Title        string `json:"title"`         // the heading, followed by the version; default: the product name
	ConsoleTitle string `json:"console_title"` // the console section; default "Support console"
	VSCTitle     string `json:"vsc_title"`     // the VSC section, shown only with VSC packages; default "Virtual smart card (VSC) driver"
}

func (p Page) withDefaults(product string) Page {
	if p.Title == "" {
		p.Title = product
	}
	if p.ConsoleTitle == "" {
		p.ConsoleTitle = "Support console"
	}
	if p.VSCTitle == "" {
		p.VSCTitle = "Virtual smart card (VSC) driver"
	}
	return p
}

// Download is one file on the page.
type Download struct {
	File   string `json:"file"`
	Kind   string `json:"kind"`
	Arch   string `json:"arch"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
	Signed bool   `json:"signed"`
	// Untrusted, for a signed file, says why Windows will not trust its
	// signer (a development certificate): the page says so, not "signed".
	Untrusted string `json:"untrusted,omitempty"`
	Label     string `json:"label"`
}

// OutcomeEntry is what one combination of choices does.
type OutcomeEntry struct {
	Scope      string   `json:"scope"`
	Hive       string   `json:"hive"`
	AutoUpdate bool     `json:"auto_update"`
	NeedsAdmin bool     `json:"needs_admin"`
	Warnings   []string `json:"warnings"`
}

var archLabel = map[string]string{"x64": "Windows x64 (64-bit)", "x86": "Windows x86 (32-bit)", "arm64": "Windows on Arm (arm64)"}

var kindLabel = map[string]string{
	packaging.KindConsoleMSI: "MSI", packaging.KindConsoleEXE: "EXE",
	"vsc-representative": "VSC driver, technician (representative)", "vsc-customer": "VSC driver, customer",
}

// NewData builds the page's data from a manifest and internal/matrix.
func NewData(m *manifest.Manifest) Data {
	d := Data{Product: m.Product, Outcomes: map[string]OutcomeEntry{}, Notes: []string{matrix.WarnSystemPerUser, matrix.WarnLoginOnce}, Rows: matrix.Rows,
		ReservedNames: winname.ReservedNames()}
	for _, a := range m.Artifacts {
		dl := Download{File: a.File, Kind: a.Kind, Arch: a.Arch, Size: a.Size, SHA256: a.SHA256, Signed: a.Signed, Untrusted: a.SignerUntrusted,
			Label: fmt.Sprintf("%s — %s", archLabel[a.Arch], kindLabel[a.Kind])}
		switch a.Kind {
		case packaging.KindConsoleMSI, packaging.KindConsoleEXE:
			d.Console = append(d.Console, dl)
		default:
			d.VSC = append(d.VSC, dl)
		}
	}
	order := map[string]int{"x64": 0, "x86": 1, "arm64": 2}
	sort.SliceStable(d.Console, func(i, j int) bool {
		a, b := d.Console[i], d.Console[j]
		if order[a.Arch] != order[b.Arch] {
			return order[a.Arch] < order[b.Arch]
		}
		return a.Kind > b.Kind // MSI before EXE
	})
	for _, au := range []string{"", "1"} {
		for _, sau := range []string{"0", "1"} {
			for _, run := range []string{"0", "1"} {
				for _, ctx := range []string{matrix.ContextUser, matrix.ContextSystem} {
					o, err := matrix.Evaluate(matrix.Input{AllUsers: au, ShouldAutoUpdate: sau, RunAtStartup: run, Context: ctx}, "ProgramFilesFolder")
					if err != nil {
						continue // every input here is valid
					}
					w := append([]string{}, o.Warnings...) // never null in the JSON
					if o.NeedsAdmin {
						w = append(w, "ALLUSERS=1 needs an elevated context: run it from an elevated prompt or a deployment tool running as Local System")
					}
					d.Outcomes[au+"|"+sau+"|"+run+"|"+ctx] = OutcomeEntry{Scope: o.Scope, Hive: o.Hive, AutoUpdate: o.AutoUpdate, NeedsAdmin: o.NeedsAdmin, Warnings: w}
				}
			}
		}
	}
	return d
}

// Render returns the page for m, with the default titles.
func Render(m *manifest.Manifest) ([]byte, error) { return RenderPage(m, Page{}) }

// RenderPage returns the page for m with the titles of p.
func RenderPage(m *manifest.Manifest, p Page) ([]byte, error) {
	t, err := template.New("index").Funcs(template.FuncMap{"vscArchs": vscArchs}).Parse(pageTemplate)
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	d := NewData(m)
	d.Page = p.withDefaults(m.Product.Name)
	if err := t.Execute(&b, d); err != nil {
		return nil, fmt.Errorf("render index.html: %w", err)
	}
	return b.Bytes(), nil
}

// vscArchs lists the architectures of the VSC packages, x64 first.
func vscArchs(ds []Download) []string {
	var out []string
	for _, a := range []string{"x64", "x86", "arm64"} {
		for _, d := range ds {
			if d.Arch == a {
				out = append(out, a)
				break
			}
		}
	}
	return out
}
