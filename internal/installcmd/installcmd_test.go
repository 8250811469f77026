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
		{"spaces everywhere", installcmd.Request{File: `D:\My Files\c 1.msi`, Quiet: true, InstallDir: `C:\Program Files\Example Console`, Log: `C:\Temp Logs\i.log`},
			`msiexec /i "D:\My Files\c 1.msi" /qn /l*v "C:\Temp Logs\i.log" INSTALLDIR="C:\Program Files\Example Console"`, nil},
		{"semicolon and comma", installcmd.Request{File: "c.msi", InstallDir: `C:\Apps;Tools,X\Console`},
			`msiexec /i c.msi INSTALLDIR="C:\Apps;Tools,X\Console"`, nil},
		{"UNC", installcmd.Request{File: "c.msi", InstallDir: `\\server\share\Console`},
			`msiexec /i c.msi INSTALLDIR=\\server\share\Console`, nil},
		{"all users and auto-update", installcmd.Request{File: "c.msi", Quiet: true, AllUsers: true, ShouldAutoUpdate: "1", RunAtStartup: "1"},
			"msiexec /i c.msi /qn RUNATSTARTUP=1 SHOULDAUTOUPDATE=1 ALLUSERS=1", []string{matrix.Rows[3].Warning, "needs an elevated context"}},
		{"per-user as system", installcmd.Request{File: "c.msi", Quiet: true, System: true, ShouldAutoUpdate: "1"},
			"msiexec /i c.msi /qn SHOULDAUTOUPDATE=1", []string{matrix.WarnSystemPerUser, matrix.WarnLoginOnce}},
		{"exe", installcmd.Request{File: `C:\dl\setup x64.exe`, Quiet: true, RunAtStartup: "1", Log: `C:\t\l.log`},
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

func TestBadInstallDir(t *testing.T) {
	for dir, want := range map[string]string{
		`Apps\Console`:        "want an absolute Windows path",
		`C:Console`:           "want an absolute Windows path",
		`/opt/console`:        "want an absolute Windows path",
		`\\server`:            "want an absolute Windows path",
		`C:\Apps\..\Windows`:  `".." is not allowed`,
		`C:\Apps\Con|sole`:    `'|' is not allowed`,
		`C:\Apps\"Console"`:   `'"' is not allowed`,
		`C:\Apps\Con:sole`:    `':' is not allowed`,
		"C:\\Apps\\Con\tsole": "control characters",
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
