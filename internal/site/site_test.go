package site_test

import (
	"context"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/msiforge/msiforge/internal/execx"
	"github.com/msiforge/msiforge/internal/manifest"
	"github.com/msiforge/msiforge/internal/matrix"
	"github.com/msiforge/msiforge/internal/site"
	"github.com/msiforge/msiforge/internal/testutil"
	"github.com/msiforge/msiforge/packaging"
)

func page(t *testing.T, withARM, withVSC bool) string {
	t.Helper()
	var arts []packaging.Artifact
	archs := []string{"x86", "x64"}
	if withARM {
		archs = append(archs, "arm64")
	}
	for _, a := range archs {
		arts = append(arts,
			packaging.Artifact{Path: "console-1.0.0-" + a + ".msi", Kind: packaging.KindConsoleMSI, Arch: a, Size: 800000, SHA256: strings.Repeat("a", 64)},
			packaging.Artifact{Path: "console-1.0.0-" + a + ".exe", Kind: packaging.KindConsoleEXE, Arch: a, Size: 900000, SHA256: strings.Repeat("b", 64)})
		if withVSC {
			arts = append(arts,
				packaging.Artifact{Path: "console-vsc-representative-1.0.0-" + a + ".msi", Kind: "vsc-representative", Arch: a, Size: 1000, SHA256: strings.Repeat("c", 64)},
				packaging.Artifact{Path: "console-vsc-customer-1.0.0-" + a + ".msi", Kind: "vsc-customer", Arch: a, Size: 1000, SHA256: strings.Repeat("d", 64)})
		}
	}
	m := manifest.New(manifest.Product{Name: "Example <Console> & Co", Manufacturer: "Example Corp", Version: "1.0.0"}, arts, manifest.Build{})
	b, err := site.Render(m)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "index.html")
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestPageIsSelfContained(t *testing.T) {
	b, err := os.ReadFile(page(t, true, true))
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	if regexp.MustCompile(`(?i)(src|href)="(https?:)?//`).MatchString(s) || strings.Contains(s, "@import") {
		t.Error("the page loads an external resource")
	}
	if !strings.Contains(s, "Example &lt;Console&gt; &amp; Co") {
		t.Error("the product name is not HTML-escaped")
	}
	// Every warning text the page can show comes from internal/matrix.
	for _, w := range []string{matrix.WarnLoginOnce, matrix.WarnSystemPerUser, matrix.Rows[3].Warning} {
		if !strings.Contains(s, strings.ReplaceAll(w, "'", `\u0027`)) && !strings.Contains(s, w) {
			t.Errorf("the page lacks the matrix warning %q", w)
		}
	}
}

// browse loads the page in headless Chromium with a user agent and URL
// fragment, lets its script run, and returns the resulting DOM.
func browse(t *testing.T, path, userAgent, fragment string) string {
	t.Helper()
	testutil.NeedTool(t, "chromium")
	res, err := execx.OS{}.Run(context.Background(), execx.Cmd{Name: "chromium", Args: []string{
		"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--user-data-dir=" + t.TempDir(), "--virtual-time-budget=5000",
		"--user-agent=" + userAgent, "--dump-dom", "file://" + path + "#" + fragment,
	}})
	if err != nil {
		t.Fatalf("chromium: %v", err)
	}
	dom := string(res.Stdout)
	if !strings.Contains(dom, `data-ready="1"`) {
		t.Fatalf("the page's script did not finish:\n%s", execx.Tail(dom, 40))
	}
	return dom
}

// text returns the text of the element with id in dom.
func text(dom, id string) string {
	m := regexp.MustCompile(`(?s)id="` + id + `"[^>]*>(.*?)</`).FindStringSubmatch(dom)
	if m == nil {
		return ""
	}
	return strings.NewReplacer("&amp;", "&", "&quot;", `"`, "&lt;", "<", "&gt;", ">").Replace(m[1])
}

func selected(dom string) string {
	// The DOM dump does not carry the select's live value; the page mirrors
	// the chosen file in the download link.
	return text(dom, "console-link")
}

const (
	uaWin64 = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36"
	uaWin32 = "Mozilla/5.0 (Windows NT 10.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36"
	uaARM   = "Mozilla/5.0 (Windows NT 10.0; ARM64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36"
	uaLinux = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36"
)

func TestBrowserPreselectsDetectedPlatform(t *testing.T) {
	p := page(t, true, true)
	for _, tc := range []struct{ ua, frag, link, detected, vsc string }{
		{uaWin64, "", "Download console-1.0.0-x64.msi", "Detected: Windows x64", "console-vsc-representative-1.0.0-x64.msi"},
		{uaWin32, "", "Download console-1.0.0-x86.msi", "Detected: Windows x86", "console-vsc-representative-1.0.0-x86.msi"},
		{uaARM, "", "Download console-1.0.0-arm64.msi", "Detected: Windows arm64", "console-vsc-customer-1.0.0-arm64.msi"},
		{uaARM, "kind=exe", "Download console-1.0.0-arm64.exe", "Detected: Windows arm64", ""},
		{uaLinux, "", "Download console-1.0.0-x64.msi", "not Windows or could not be detected", ""},
	} {
		dom := browse(t, p, tc.ua, tc.frag)
		if got := selected(dom); got != tc.link {
			t.Errorf("%s #%s: link %q, want %q", tc.ua, tc.frag, got, tc.link)
		}
		if got := text(dom, "detected"); !strings.Contains(got, tc.detected) {
			t.Errorf("%s: detected %q, want %q", tc.ua, got, tc.detected)
		}
		if tc.vsc != "" && !strings.Contains(text(dom, "vsc-list")+dom, tc.vsc) {
			t.Errorf("%s: VSC list lacks %s", tc.ua, tc.vsc)
		}
	}
	// A Windows arm64 visitor of a release without arm64 is told so.
	dom := browse(t, page(t, false, false), uaARM, "")
	if got := text(dom, "detected"); !strings.Contains(got, "no console installer for it; the x64 installer is shown") {
		t.Errorf("detected %q", got)
	}
	// Without VSC packages the page has no VSC section (and its script
	// still runs: browse checks it finished).
	if strings.Contains(dom, `id="vsc-h"`) || strings.Contains(dom, "smart card") {
		t.Error("a release without VSC packages shows a VSC section")
	}
}

func TestBrowserCommandBuilder(t *testing.T) {
	p := page(t, false, false)
	for _, tc := range []struct {
		frag, msi, exe, outcome string
		warnings                []string
	}{
		{"", "msiexec /i console-1.0.0-x64.msi /qn", "console-1.0.0-x64.exe /S",
			"per-user install, settings in HKCU, automatic updates off", []string{matrix.WarnMachineInstalled}},
		{"autoupdate=1", "msiexec /i console-1.0.0-x64.msi /qn SHOULDAUTOUPDATE=1", "console-1.0.0-x64.exe /S SHOULDAUTOUPDATE=1",
			"automatic updates on", []string{matrix.WarnLoginOnce, matrix.WarnMachineInstalled}},
		{"allusers=1&autoupdate=1&runatstartup=1&installdir=D:%5CApps%5CSupport%20Console",
			`msiexec /i console-1.0.0-x64.msi /qn "INSTALLDIR=D:\Apps\Support Console" RUNATSTARTUP=1 SHOULDAUTOUPDATE=1 ALLUSERS=1`,
			`console-1.0.0-x64.exe /S "INSTALLDIR=D:\Apps\Support Console" RUNATSTARTUP=1 SHOULDAUTOUPDATE=1 ALLUSERS=1`,
			"per-machine install, settings in HKLM, automatic updates off", []string{matrix.Rows[3].Warning, matrix.WarnUserInstalled, "needs an elevated context"}},
		{"system=1&quiet=0", "msiexec /i console-1.0.0-x64.msi", "console-1.0.0-x64.exe",
			"per-user install", []string{matrix.WarnSystemPerUser, matrix.WarnMachineInstalled}},
	} {
		dom := browse(t, p, uaWin64, tc.frag)
		if got := text(dom, "cmd-msi"); got != tc.msi {
			t.Errorf("#%s: msiexec command %q, want %q", tc.frag, got, tc.msi)
		}
		if got := text(dom, "cmd-exe"); got != tc.exe {
			t.Errorf("#%s: EXE command %q, want %q", tc.frag, got, tc.exe)
		}
		if got := text(dom, "outcome"); !strings.Contains(got, tc.outcome) {
			t.Errorf("#%s: outcome %q, want %q", tc.frag, got, tc.outcome)
		}
		ws := regexp.MustCompile(`<li class="warning">Warning: (.*?)</li>`).FindAllStringSubmatch(dom, -1)
		if len(ws) != len(tc.warnings) {
			t.Errorf("#%s: %d warnings, want %d: %v", tc.frag, len(ws), len(tc.warnings), ws)
			continue
		}
		for i, w := range tc.warnings {
			if got := strings.ReplaceAll(ws[i][1], "&#39;", "'"); !strings.Contains(got, w) {
				t.Errorf("#%s: warning %d %q, want %q", tc.frag, i, got, w)
			}
		}
	}
}

// TestBrowserRefusesHostileInstallDir: the command builder applies
// install-cmd's INSTALLDIR rules (issue 12): a folder Windows refuses, or
// a value the command line would alter, gives no command but says why.
func TestBrowserRefusesHostileInstallDir(t *testing.T) {
	p := page(t, false, false)
	for _, tc := range []struct{ dir, want string }{
		{`C:\Apps\CON`, "reserved device name"},
		{`C:\Apps\nul.txt\x`, "reserved device name"},
		{`C:\Apps\Console.`, "ends with a dot or a space"},
		{"C:\\Apps\\Con\u0085sole", "control characters"},
		// A text field drops newlines itself; a tab stays.
		{"C:\\Apps\\x\tformat", "control characters"},
		{`C:\[WindowsFolder]`, "property reference"},
		{`C:\%USERNAME%`, "cmd.exe expands"},
		{`Apps\Console`, "want an absolute Windows path"},
		{`C:\` + strings.Repeat("a", 250), "MAX_PATH"},
	} {
		dom := browse(t, p, uaWin64, "installdir="+url.QueryEscape(tc.dir))
		if got := text(dom, "installdir-error"); !strings.Contains(got, tc.want) {
			t.Errorf("%q: error %q, want %q", tc.dir, got, tc.want)
		}
		for _, id := range []string{"cmd-msi", "cmd-exe"} {
			if got := text(dom, id); got != "(fix the install folder)" {
				t.Errorf("%q: %s %q, want no command", tc.dir, id, got)
			}
		}
	}
	// A valid folder with a trailing backslash: the quoted value must not
	// end in one (the EXE's CommandLineToArgvW would read \" as a quote).
	dom := browse(t, p, uaWin64, "installdir="+url.QueryEscape(`D:\Apps\Support Console\`))
	if got, want := text(dom, "cmd-exe"), `console-1.0.0-x64.exe /S "INSTALLDIR=D:\Apps\Support Console"`; got != want {
		t.Errorf("EXE command %q, want %q", got, want)
	}
	if got := text(dom, "installdir-error"); got != "" {
		t.Errorf("valid folder: error %q", got)
	}
}

// TestBrowserMarksUntrustedSignature: a file signed by a development
// certificate is shown as untrusted, not as "signed"; a trusted signature
// is "signed", an unsigned file "not signed".
func TestBrowserMarksUntrustedSignature(t *testing.T) {
	for _, tc := range []struct {
		sig  *packaging.Signature
		want string
	}{
		{&packaging.Signature{Subject: "CN=msiforge development signing", Untrusted: "self-signed development certificate"},
			"(781.3 KB, signed with a self-signed development certificate: untrusted, Windows will warn of an unknown publisher)"},
		{&packaging.Signature{Subject: "CN=Example Corp"}, "(781.3 KB, signed)"},
		{nil, "(781.3 KB, not signed)"},
	} {
		arts := []packaging.Artifact{
			{Path: "console-1.0.0-x64.msi", Kind: packaging.KindConsoleMSI, Arch: "x64", Size: 800000, SHA256: strings.Repeat("a", 64), Signature: tc.sig},
			{Path: "console-vsc-customer-1.0.0-x64.msi", Kind: "vsc-customer", Arch: "x64", Size: 1000, SHA256: strings.Repeat("d", 64), Signature: tc.sig},
		}
		b, err := site.Render(manifest.New(manifest.Product{Name: "Example", Manufacturer: "Example Corp", Version: "1.0.0"}, arts, manifest.Build{}))
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(t.TempDir(), "index.html")
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		dom := browse(t, p, uaWin64, "")
		if got := text(dom, "console-size"); got != tc.want {
			t.Errorf("console: %q, want %q", got, tc.want)
		}
		if vsc := strings.TrimPrefix(tc.want, "(781.3 KB, "); !strings.Contains(text(dom, "vsc-list")+dom, "(1000 bytes, "+vsc) {
			t.Errorf("VSC list lacks %q", "(1000 bytes, "+vsc)
		}
	}
}
