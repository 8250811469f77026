package site_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/msiforge/msiforge/internal/matrix"
	"github.com/msiforge/msiforge/internal/testutil"
)

// browser opens the page in headless Chromium with the given user agent
// and returns a context to drive it as a visitor with a keyboard and a
// mouse would.
func browser(t *testing.T, path, userAgent string) context.Context {
	t.Helper()
	testutil.NeedTool(t, "chromium")
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath("chromium"),
		chromedp.NoSandbox, // root in CI
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.UserAgent(userAgent),
	)
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancel)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(cancel)
	if err := chromedp.Do(ctx,
		chromedp.Navigate("file://"+path),
		chromedp.WaitVisible(chromedp.CSS(`body[data-ready="1"]`)),
	); err != nil {
		t.Fatalf("chromium: %v", err)
	}
	return ctx
}

// get runs one action that returns a string.
func get(t *testing.T, ctx context.Context, a chromedp.Action[string]) string {
	t.Helper()
	tctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	v, err := chromedp.Run(tctx, a)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

const uaMac = "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36"

// TestBrowserSelects checks the preselected menu entries for four systems,
// reading the live <select> values.
func TestBrowserSelects(t *testing.T) {
	p := page(t, true, true)
	for _, tc := range []struct{ ua, console, vsc string }{
		{uaWin64, "console-1.0.0-x64.msi", "x64"},
		{uaARM, "console-1.0.0-arm64.msi", "arm64"},
		{uaWin32, "console-1.0.0-x86.msi", "x86"},
		{uaMac, "console-1.0.0-x64.msi", "x64"},
	} {
		ctx := browser(t, p, tc.ua)
		console := get(t, ctx, chromedp.Value(chromedp.CSS("#platform")))
		vsc := get(t, ctx, chromedp.Value(chromedp.CSS("#vsc-arch")))
		detected := get(t, ctx, chromedp.Text(chromedp.CSS("#detected")))
		if console != tc.console || vsc != tc.vsc {
			t.Errorf("%s: console %q, VSC %q; want %q, %q (%s)", tc.ua, console, vsc, tc.console, tc.vsc, detected)
		}
	}
}

// TestBrowserTyping uses the command builder with the keyboard and mouse:
// all users with auto-update warns, and a typed INSTALLDIR with spaces
// appears quoted in the exact command. A screenshot is left for people.
func TestBrowserTyping(t *testing.T) {
	p := page(t, false, false)
	ctx := browser(t, p, uaWin64)
	if err := chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS("#scope-machine")),
		chromedp.Click(chromedp.CSS("#autoupdate")),
		chromedp.SendKeys(chromedp.CSS("#installdir"), `D:\Support Tools\Example Console`),
		chromedp.Focus(chromedp.CSS("#runatstartup")),
		chromedp.KeyEvent(" "), // the keyboard toggles a checkbox
	); err != nil {
		t.Fatal(err)
	}
	msiCmd := get(t, ctx, chromedp.Text(chromedp.CSS("#cmd-msi")))
	exeCmd := get(t, ctx, chromedp.Text(chromedp.CSS("#cmd-exe")))
	warnings := get(t, ctx, chromedp.Text(chromedp.CSS("#warnings")))
	shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(90))
	if err != nil {
		t.Fatal(err)
	}
	if want := `msiexec /i console-1.0.0-x64.msi /qn "INSTALLDIR=D:\Support Tools\Example Console" RUNATSTARTUP=1 SHOULDAUTOUPDATE=1 ALLUSERS=1`; msiCmd != want {
		t.Errorf("msiexec command\n got %s\nwant %s", msiCmd, want)
	}
	if want := `console-1.0.0-x64.exe /S "INSTALLDIR=D:\Support Tools\Example Console" RUNATSTARTUP=1 SHOULDAUTOUPDATE=1 ALLUSERS=1`; exeCmd != want {
		t.Errorf("EXE command\n got %s\nwant %s", exeCmd, want)
	}
	if !strings.Contains(warnings, matrix.Rows[3].Warning) {
		t.Errorf("no all-users + auto-update warning in %q", warnings)
	}
	out := filepath.Join(os.TempDir(), "msiforge-index-builder.png")
	if err := os.WriteFile(out, shot, 0o644); err == nil {
		t.Logf("screenshot: %s", out)
	}
}
