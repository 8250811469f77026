package installcmd_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/msiforge/msiforge/internal/installcmd"
	"github.com/msiforge/msiforge/internal/matrix"
)

func TestCommands(t *testing.T) {
	tests := []struct {
		name string
		r    installcmd.Request
		line string
		warn []string
	}{
		{"defaults", installcmd.Request{File: "c.msi", Quiet: true},
			"msiexec /i c.msi /qn", []string{matrix.WarnLoginOnce}},
		// The path on the build machine means nothing on the target one.
		{"build machine path", installcmd.Request{File: "dist/x64/c.msi", Quiet: true},
			"msiexec /i c.msi /qn", nil},
		{"UNC folder", installcmd.Request{File: "dist/c.msi", Path: `\\server\share\deploy\`},
			`msiexec /i \\server\share\deploy\c.msi`, nil},
		{"spaces everywhere", installcmd.Request{File: "dist/c 1.msi", Path: `D:\My Files\c 1.msi`, Quiet: true, InstallDir: `C:\Program Files\Example Console`, Log: `C:\Temp Logs\i.log`},
			`msiexec /i "D:\My Files\c 1.msi" /qn /l*v "C:\Temp Logs\i.log" INSTALLDIR="C:\Program Files\Example Console"`, nil},
		{"semicolon and comma", installcmd.Request{File: "c.msi", InstallDir: `C:\Apps;Tools,X\Console`},
			`msiexec /i c.msi INSTALLDIR="C:\Apps;Tools,X\Console"`, nil},
		{"= in the file's path", installcmd.Request{File: "c.msi", Path: `C:\a=b c\`, Log: `C:\x=y.log`},
			`msiexec /i "C:\a=b c\c.msi" /l*v "C:\x=y.log"`, nil},
		{"UNC", installcmd.Request{File: "c.msi", InstallDir: `\\server\share\Console`},
			`msiexec /i c.msi INSTALLDIR=\\server\share\Console`, nil},
		{"all users and auto-update", installcmd.Request{File: "c.msi", Quiet: true, AllUsers: true, ShouldAutoUpdate: "1", RunAtStartup: "1"},
			"msiexec /i c.msi /qn RUNATSTARTUP=1 SHOULDAUTOUPDATE=1 ALLUSERS=1", []string{matrix.Rows[3].Warning, "needs an elevated context"}},
		{"per-user as system", installcmd.Request{File: "c.msi", Quiet: true, System: true, ShouldAutoUpdate: "1"},
			"msiexec /i c.msi /qn SHOULDAUTOUPDATE=1", []string{matrix.WarnSystemPerUser, matrix.WarnLoginOnce}},
		{"exe", installcmd.Request{File: "/home/ci/dist/setup x64.exe", Path: `C:\dl\`, Quiet: true, RunAtStartup: "1", Log: `C:\t\l.log`},
			`"C:\dl\setup x64.exe" /S /L=C:\t\l.log RUNATSTARTUP=1`, []string{"MSI is the recommended form"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := installcmd.Build(tt.r)
			if err != nil {
				t.Fatal(err)
			}
			if c.Line != tt.line {
				t.Errorf("command\n got %s\nwant %s", c.Line, tt.line)
			}
			all := strings.Join(c.Warnings, "\n")
			for _, w := range tt.warn {
				if !strings.Contains(all, w) {
					t.Errorf("warnings lack %q:\n%s", w, all)
				}
			}
			if !strings.Contains(all, "1.1gws") {
				t.Errorf("no reminder to log in before the site upgrade:\n%s", all)
			}
		})
	}
}

func TestBadPath(t *testing.T) {
	for path, want := range map[string]string{
		`Deploy\c.msi`:    "is not an absolute Windows path",
		`C:\Deploy\c.exe`: "names a file that is not a .msi like c.msi",
		`C:\Deploy\CON\`:  `"CON" is a reserved device name`,
		`C:/Deploy/c.msi`: "'/' is not a Windows path separator",
		`C:\%TEMP%\c.msi`: "'%' is not allowed",
		`\\server\c.msi`:  "names a share",
	} {
		_, err := installcmd.Build(installcmd.Request{File: "dist/c.msi", Path: path})
		if err == nil || !strings.Contains(err.Error(), "--path") || !strings.Contains(err.Error(), want) {
			t.Errorf("--path %s: err = %v, want %q", path, err, want)
		}
	}
}

func TestBadInstallDir(t *testing.T) {
	for dir, want := range map[string]string{
		`Apps\Console`:        "want an absolute Windows path",
		`C:Console`:           "want an absolute Windows path",
		`/opt/console`:        "want an absolute Windows path",
		`\\server`:            "want an absolute Windows path",
		`C:\Apps\..\Windows`:  `".." is not a name`,
		`C:\Apps\Con|sole`:    `contains '|', which Windows does not allow`,
		`C:\Apps\"Console"`:   `'"' is not allowed`,
		`C:\Apps\Con:sole`:    `contains ':', which Windows does not allow`,
		"C:\\Apps\\Con\tsole": "control character U+0009",
		// Issue 12, "Windows names": reserved device names, trailing dots
		// and spaces, DEL and C1 controls; and what the command line would
		// alter: property references and %-expansion.
		`C:\Apps\CON`:                    "reserved device name",
		`C:\NUL\Console`:                 "reserved device name",
		`C:\Apps\com1.log`:               "reserved device name",
		`C:\Apps\Console.`:               "ends with a dot or a space",
		`C:\Apps\Console \x`:             "ends with a dot or a space",
		"C:\\Apps\\Con\x7fsole":          "control character U+007F",
		"C:\\Apps\\Con\u0085sole":        "control character U+0085",
		`C:\Apps\[ProgramFilesFolder]`:   "property reference",
		`C:\%USERPROFILE%\Console`:       "cmd.exe expands",
		`C:\` + strings.Repeat("a", 250): "MAX_PATH",
	} {
		_, err := installcmd.Build(installcmd.Request{File: "c.msi", InstallDir: dir})
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("INSTALLDIR %q: err = %v, want %q", dir, err, want)
		}
	}
}

func TestSiteVersion(t *testing.T) {
	r := installcmd.Request{File: "c.msi", PackageVersion: "1.4.2", SiteVersion: "1.5.0"}
	_, err := installcmd.Build(r)
	if !errors.Is(err, installcmd.ErrOutdated) || !strings.Contains(err.Error(), "1.1gws") || !strings.Contains(err.Error(), "deploy the MSI of version 1.5.0") {
		t.Errorf("older package: err = %v", err)
	}
	for _, site := range []string{"1.4.2", "1.4.1", "1.4.2.9"} {
		r.SiteVersion = site
		if _, err := installcmd.Build(r); err != nil {
			t.Errorf("site %s, package 1.4.2: err = %v", site, err)
		}
	}
	r.SiteVersion = "v1.5"
	if _, err := installcmd.Build(r); err == nil || !strings.Contains(err.Error(), `--site-version "v1.5"`) {
		t.Errorf("bad site version: err = %v", err)
	}
}

// TestHostileValues: every value install-cmd prints is refused when the
// command line would not pass it on as typed (issue 12).
func TestHostileValues(t *testing.T) {
	for _, tc := range []struct {
		name string
		r    installcmd.Request
		want string
	}{
		{"log with a newline", installcmd.Request{File: "c.msi", Log: "C:\\l.log\r\nformat C:"}, "control character U+000D"},
		{"log with DEL", installcmd.Request{File: "c.msi", Log: "C:\\l\x7f.log"}, "control character U+007F"},
		{"log with a property", installcmd.Request{File: "c.msi", Log: `C:\[TempFolder]\l.log`}, "property reference"},
		{"log with %TEMP%", installcmd.Request{File: "c.msi", Log: `%TEMP%\l.log`}, "cmd.exe expands"},
		{"log with a quote", installcmd.Request{File: "c.msi", Log: `C:\l".log`}, `'"' is not allowed`},
		{"log is a folder", installcmd.Request{File: "c.msi", Log: `C:\logs\`}, "names a folder"},
		{"log with a pipe", installcmd.Request{File: "c.msi", Log: `C:\l|x.log`}, `'|' is not allowed`},
		{"file with a newline", installcmd.Request{File: "c\n.msi"}, "control character U+000A"},
		{"file with C1", installcmd.Request{File: "c\u009b.msi"}, "control character U+009B"},
		{"file with %", installcmd.Request{File: "%APPDATA%\\c.msi"}, "cmd.exe expands"},
		{"site version with a newline", installcmd.Request{File: "c.msi", SiteVersion: "1.5.0\nx", PackageVersion: "1.4.2"}, "control character"},
		{"change with a folder", installcmd.Request{File: "c.msi", Change: true, RunAtStartup: "0", InstallDir: `C:\Apps`}, "cannot be moved"},
		{"change with nothing to change", installcmd.Request{File: "c.msi", Change: true}, "give the settings to change"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := installcmd.Build(tc.r)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want %q (command %q)", err, tc.want, c.Line)
			}
			if c.Line != "" {
				t.Errorf("a refused request printed %q", c.Line)
			}
		})
	}
}

// TestChange: --change prints the settings-change command of an
// installed console, in its context.
func TestChange(t *testing.T) {
	for _, tc := range []struct {
		name string
		r    installcmd.Request
		line string
		warn string
	}{
		{"per-user", installcmd.Request{File: "c.msi", Quiet: true, Change: true, RunAtStartup: "0"},
			"msiexec /i c.msi /qn " + strings.Join(installcmd.ChangeArgs, " ") + " RUNATSTARTUP=0", "without ALLUSERS"},
		{"per-machine", installcmd.Request{File: "c.msi", Quiet: true, Change: true, AllUsers: true, RunAtStartup: "1", ShouldAutoUpdate: "0"},
			"msiexec /i c.msi /qn REINSTALL=ALL REINSTALLMODE=omus RUNATSTARTUP=1 SHOULDAUTOUPDATE=0 ALLUSERS=1", "ALLUSERS=1, elevated"},
		{"exe", installcmd.Request{File: "setup.exe", Quiet: true, Change: true, ShouldAutoUpdate: "1"},
			"setup.exe /S REINSTALL=ALL REINSTALLMODE=omus SHOULDAUTOUPDATE=1", "keep their installed values"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := installcmd.Build(tc.r)
			if err != nil {
				t.Fatal(err)
			}
			if c.Line != tc.line {
				t.Errorf("command\n got %s\nwant %s", c.Line, tc.line)
			}
			if all := strings.Join(c.Warnings, "\n"); !strings.Contains(all, tc.warn) {
				t.Errorf("warnings lack %q:\n%s", tc.warn, all)
			}
		})
	}
}

// TestTrailingBackslash: a quoted INSTALLDIR never ends in a backslash,
// which CommandLineToArgvW (the EXE) would read as an escaped quote.
func TestTrailingBackslash(t *testing.T) {
	for dir, want := range map[string]string{
		`C:\Program Files\Console\`: `INSTALLDIR="C:\Program Files\Console"`,
		`D:\`:                       `INSTALLDIR=D:\`,
		`\\srv\share\Console\\`:     `INSTALLDIR=\\srv\share\Console`,
	} {
		c, err := installcmd.Build(installcmd.Request{File: "setup.exe", InstallDir: dir})
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasSuffix(c.Line, want) {
			t.Errorf("%q: command %q, want it to end %q", dir, c.Line, want)
		}
	}
}

// TestOtherContextWarning: every choice warns about an install in the
// other context, which the package refuses.
func TestOtherContextWarning(t *testing.T) {
	for _, tc := range []struct {
		allUsers bool
		want     string
	}{{false, matrix.WarnMachineInstalled}, {true, matrix.WarnUserInstalled}} {
		c, err := installcmd.Build(installcmd.Request{File: "c.msi", AllUsers: tc.allUsers})
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(strings.Join(c.Warnings, "\n"), tc.want) {
			t.Errorf("all users %v: warnings %q lack %q", tc.allUsers, c.Warnings, tc.want)
		}
	}
}
