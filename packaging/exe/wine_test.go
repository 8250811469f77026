package exe_test

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/msiforge/msiforge/internal/execx"
	"github.com/msiforge/msiforge/internal/winetest"
	"github.com/msiforge/msiforge/packaging/exe"
)

const (
	settingsKey = `Software\Example Corp\Example Support Console`
	runKey      = `Software\Microsoft\Windows\CurrentVersion\Run`
	runName     = "Example Support Console"
)

// TestWineEXE builds the example's x64 EXE (amd64 stub) around the real
// MSI and runs it under Wine, the real Windows Installer here: properties
// pass through, /S is silent, a refused value fails with msiexec's code and
// installs nothing. One prefix for every case; each case uninstalls.
func TestWineEXE(t *testing.T) {
	needMakensis(t)
	c := loadExample(t, "x64")
	msi := buildMSI(t, c, "x64").Path
	start := time.Now()
	a, err := exe.Build(context.Background(), execx.OS{}, exe.Job{Model: console(t, c, "x64"), MSI: msi, Out: tempOut(t, "example-console-1.4.2-x64.exe")})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("EXE built in %v, %d bytes", time.Since(start).Round(time.Millisecond), a.Size)
	start = time.Now()
	w := winetest.New(t)
	t.Logf("prefix ready in %v", time.Since(start).Round(time.Millisecond))

	run := func(t *testing.T, args ...string) int {
		t.Helper()
		start := time.Now()
		rc := w.Run(append([]string{a.Path}, args...)...)
		t.Logf("setup %s: exit %d in %v", strings.Join(args, " "), rc, time.Since(start).Round(time.Millisecond))
		return rc
	}
	nothingInstalled := func(t *testing.T) {
		t.Helper()
		for _, hive := range []string{"HKCU", "HKLM"} {
			if w.KeyExists(hive + `\` + settingsKey) {
				t.Errorf("%s\\%s exists", hive, settingsKey)
			}
			if _, ok := w.RegValue(hive+`\`+runKey, runName); ok {
				t.Errorf("Run value under %s", hive)
			}
		}
	}

	t.Run("per-user custom folder", func(t *testing.T) {
		dir := `C:\Program Files\Example Console\`
		if rc := run(t, "/S", "RUNATSTARTUP=1", "INSTALLDIR="+strings.TrimSuffix(dir, `\`)); rc != 0 {
			t.Fatalf("exit %d", rc)
		}
		if !w.Exists(dir + "ExampleConsole.exe") {
			t.Errorf("%sExampleConsole.exe not installed", dir)
		}
		if got, _ := w.RegValue(`HKCU\`+settingsKey, "InstallDir"); got != dir {
			t.Errorf("InstallDir %q, want %q", got, dir)
		}
		if got, _ := w.RegValue(`HKCU\`+settingsKey, "AllUsers"); got != "" {
			t.Errorf("AllUsers %q, want empty (per-user)", got)
		}
		if got, ok := w.RegValue(`HKCU\`+runKey, runName); got != `"`+dir+`ExampleConsole.exe"` {
			t.Errorf("HKCU Run value %q (exists %v)", got, ok)
		}
		if w.KeyExists(`HKLM\` + settingsKey) {
			t.Error("a per-user install wrote HKLM settings")
		}
		// Under Wine an empty ALLUSERS= must come last.
		if rc := w.Msiexec("/x", msi, "/qn", "ALLUSERS="); rc != 0 {
			t.Fatalf("uninstall: exit %d", rc)
		}
		nothingInstalled(t)
	})

	t.Run("per-machine", func(t *testing.T) {
		if rc := run(t, "/S", "ALLUSERS=1"); rc != 0 {
			t.Fatalf("exit %d", rc)
		}
		dir := `C:\Program Files\Example Corp\Example Support Console\`
		if got, _ := w.RegValue(`HKLM\`+settingsKey, "InstallDir"); got != dir {
			t.Errorf("HKLM InstallDir %q, want %q", got, dir)
		}
		if got, _ := w.RegValue(`HKLM\`+settingsKey, "AllUsers"); got != "1" {
			t.Errorf("AllUsers %q, want 1", got)
		}
		if !w.Exists(dir + "ExampleConsole.exe") {
			t.Errorf("%sExampleConsole.exe not installed", dir)
		}
		if w.KeyExists(`HKCU\` + settingsKey) {
			t.Error("a per-machine install wrote HKCU settings")
		}
		if _, ok := w.RegValue(`HKLM\`+runKey, runName); ok {
			t.Error("Run value written with RUNATSTARTUP defaulting to 0")
		}
		// Wine needs the ALLUSERS hint to uninstall per-machine.
		if rc := w.Msiexec("/x", msi, "/qn", "ALLUSERS=1"); rc != 0 {
			t.Fatalf("uninstall: exit %d", rc)
		}
		nothingInstalled(t)
	})

	t.Run("refused value", func(t *testing.T) {
		if rc := run(t, "/S", "RUNATSTARTUP=2"); rc != winetest.Code(1603) {
			t.Errorf("exit %d, want 1603 (%d under Wine)", rc, winetest.Code(1603))
		}
		nothingInstalled(t)
	})

	t.Run("bad argument", func(t *testing.T) {
		if rc := run(t, "/S", "/norestart"); rc != winetest.Code(1639) {
			t.Errorf("exit %d, want 1639 (%d under Wine)", rc, winetest.Code(1639))
		}
		nothingInstalled(t)
	})

	t.Run("usage under /S", func(t *testing.T) {
		if rc := run(t, "/S", "/?", "RUNATSTARTUP=1"); rc != 0 {
			t.Errorf("exit %d, want 0", rc)
		}
		nothingInstalled(t)
	})

	t.Run("log, /D and quoting", func(t *testing.T) {
		// wine quotes arguments with spaces, so this /D= arrives quoted.
		log := `C:\setup logs\console.log`
		if err := os.MkdirAll(w.Path(`C:\setup logs`), 0o755); err != nil {
			t.Fatal(err)
		}
		if rc := run(t, "/S", "/L="+log, `COMMENT=say "hi" there`, `/D=C:\Other Dir`); rc != 0 {
			t.Fatalf("exit %d", rc)
		}
		if !w.Exists(`C:\Other Dir\ExampleConsole.exe`) {
			t.Error("/D= did not set INSTALLDIR")
		}
		b, err := os.ReadFile(w.Path(log))
		if err != nil {
			t.Fatal(err)
		}
		text := strings.ReplaceAll(string(b), "\r", "")
		for _, want := range []string{
			"=== Logging started", // msiexec's verbose log
			` /qn /norestart COMMENT="say ""hi"" there" INSTALLDIR="C:\Other Dir" /l*v "` + log + `"`,
			"\nExit code: 0\n",
		} {
			if !strings.Contains(text, want) {
				t.Errorf("log lacks %q", want)
			}
		}
		if rc := w.Msiexec("/x", msi, "/qn", "ALLUSERS="); rc != 0 {
			t.Fatalf("uninstall: exit %d", rc)
		}
		nothingInstalled(t)
	})
}
