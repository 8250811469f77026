// Package installcmd writes the Windows command line that installs a
// console MSI or EXE with the chosen properties, and the warnings of the
// update matrix for that choice.
package installcmd

import (
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/msiforge/msiforge/internal/matrix"
	"github.com/msiforge/msiforge/internal/winname"
)

// Request is what the administrator wants.
type Request struct {
	File string // the .msi or .exe on this machine; the command names it by its file name
	// Path is where the package will be on the target machine (--path): a
	// file path, or a folder ending in \ that holds it. "" names the
	// package by its file name alone, for a command run in its folder: a
	// path on the build machine means nothing to the Windows machine.
	Path             string
	AllUsers         bool
	ShouldAutoUpdate string // "", "0" or "1"; "" leaves the package default
	RunAtStartup     string // "", "0" or "1"
	InstallDir       string // "" leaves the default
	Quiet            bool   // /qn for msiexec, /S for the EXE
	Log              string // verbose log file; "" for none
	System           bool   // run by a deployment tool as Local System
	// Defaults are the package's own defaults, used to evaluate the rules
	// when a property is left out (read from the MSI; "0" when unknown).
	DefaultShouldAutoUpdate, DefaultRunAtStartup string
	// PackageVersion is the package's ProductVersion ("" when unknown) and
	// SiteVersion the support site's version ("" when not given).
	PackageVersion, SiteVersion string
	// Change asks for the settings-change command of an installed console
	// (REINSTALL=ALL REINSTALLMODE=omus with the new values) instead of an
	// install command.
	Change bool
}

// ChangeArgs are the msiexec arguments of a settings change on an
// installed console (matrix.ChangeArgs, where the package rules live).
var ChangeArgs = matrix.ChangeArgs

// Check refuses values that would not reach msiexec as typed: control
// characters (a newline would start a second command), [Property]
// references (msiexec formats property values), %VAR% (cmd.exe expands
// it, and a batch file drops a lone %) and double quotes (they end the
// quoted value). It runs before anything is read.
func Check(r Request) error {
	for _, v := range []struct{ flag, value string }{
		{"file", r.File}, {"--path", r.Path}, {"--install-dir", r.InstallDir}, {"--log", r.Log},
		{"--auto-update", r.ShouldAutoUpdate}, {"--run-at-startup", r.RunAtStartup},
		{"--site-version", r.SiteVersion}, {"--package-version", r.PackageVersion},
	} {
		if err := checkValue(v.flag, v.value); err != nil {
			return err
		}
	}
	return nil
}

func checkValue(flag, v string) error {
	for _, c := range v {
		if c < 0x20 || c == 0x7F || (c >= 0x80 && c <= 0x9F) {
			return fmt.Errorf("%s %q: contains the control character U+%04X, which would break the command line; control characters are not allowed", flag, v, c)
		}
	}
	switch {
	case strings.ContainsAny(v, "[]"):
		return fmt.Errorf("%s %q: '[' and ']' are not allowed: msiexec would read [NAME] as a property reference and replace it", flag, v)
	case strings.Contains(v, "%"):
		return fmt.Errorf("%s %q: '%%' is not allowed: cmd.exe expands %%NAME%% (and a batch file drops a lone %%), so the value would not arrive as typed", flag, v)
	case strings.Contains(v, `"`):
		return fmt.Errorf("%s %q: '\"' is not allowed: it would end the quoted value (and Windows names cannot contain it)", flag, v)
	}
	return nil
}

// ErrOutdated is returned when the package is older than the site: such
// a console cannot update itself and fails with error 1.1gws.
var ErrOutdated = errors.New("the package is older than the support site")

// Command is the result.
type Command struct {
	Line     string         `json:"command"`
	Outcome  matrix.Outcome `json:"outcome"`
	Warnings []string       `json:"warnings,omitempty"`
}

// Build writes the command for r.
func Build(r Request) (Command, error) {
	if err := Check(r); err != nil {
		return Command{}, err
	}
	if r.Change {
		if r.InstallDir != "" {
			return Command{}, fmt.Errorf("--change with --install-dir %q: an installed console cannot be moved (Windows Installer reinstalls components where they are); uninstall it, then install it with --install-dir", r.InstallDir)
		}
		if r.RunAtStartup == "" && r.ShouldAutoUpdate == "" {
			return Command{}, fmt.Errorf("--change: give the settings to change, --run-at-startup 0|1 and/or --auto-update 0|1")
		}
	}
	for name, v := range map[string]string{"--auto-update": r.ShouldAutoUpdate, "--run-at-startup": r.RunAtStartup} {
		if v != "" && v != "0" && v != "1" {
			return Command{}, fmt.Errorf("%s %q: want 0 or 1", name, v)
		}
	}
	if r.InstallDir != "" {
		if err := CheckInstallDir(r.InstallDir); err != nil {
			return Command{}, err
		}
	}
	if r.Log != "" {
		if err := checkLog(r.Log); err != nil {
			return Command{}, err
		}
	}
	var props []string
	if r.Change {
		props = append(props, ChangeArgs...)
	}
	if r.InstallDir != "" {
		props = append(props, quote("INSTALLDIR="+trimSlash(r.InstallDir)))
	}
	if r.RunAtStartup != "" {
		props = append(props, "RUNATSTARTUP="+r.RunAtStartup)
	}
	if r.ShouldAutoUpdate != "" {
		props = append(props, "SHOULDAUTOUPDATE="+r.ShouldAutoUpdate)
	}
	if r.AllUsers {
		props = append(props, "ALLUSERS=1")
	}
	pkg, err := targetPath(r)
	if err != nil {
		return Command{}, err
	}
	var parts []string
	switch strings.ToLower(filepath.Ext(r.File)) {
	case ".msi":
		parts = []string{"msiexec", "/i", quotePath(pkg)}
		if r.Quiet {
			parts = append(parts, "/qn")
		}
		if r.Log != "" {
			parts = append(parts, "/l*v", quotePath(r.Log))
		}
	case ".exe":
		parts = []string{quotePath(pkg)}
		if r.Quiet {
			parts = append(parts, "/S")
		}
		if r.Log != "" {
			parts = append(parts, quote("/L="+r.Log))
		}
	default:
		return Command{}, fmt.Errorf("%s: want an .msi or .exe file", r.File)
	}
	parts = append(parts, props...)

	in := matrix.Input{AllUsers: "", ShouldAutoUpdate: or(r.ShouldAutoUpdate, r.DefaultShouldAutoUpdate), RunAtStartup: or(r.RunAtStartup, r.DefaultRunAtStartup), InstallDir: r.InstallDir, Context: matrix.ContextUser}
	if r.AllUsers {
		in.AllUsers = "1"
	}
	if r.System {
		in.Context = matrix.ContextSystem
	}
	o, err := matrix.Evaluate(in, "ProgramFilesFolder")
	if err != nil {
		return Command{}, err
	}
	c := Command{Line: strings.Join(parts, " "), Outcome: o, Warnings: o.Warnings}
	if r.AllUsers {
		c.Warnings = append(c.Warnings, "ALLUSERS=1 needs an elevated context: run it from an elevated prompt or a deployment tool running as Local System")
	}
	if strings.EqualFold(filepath.Ext(r.File), ".exe") {
		c.Warnings = append(c.Warnings, "for mass deployment the MSI is the recommended form")
	}
	if !o.AutoUpdate { // Evaluate adds the reminder when auto-update is on
		c.Warnings = append(c.Warnings, matrix.WarnLoginOnce)
	}
	if r.Change {
		ctx := "a per-user installation: run it as that user, without ALLUSERS"
		if r.AllUsers {
			ctx = "a per-machine installation: ALLUSERS=1, elevated"
		}
		c.Warnings = append(c.Warnings, "--change changes an installed console of this version and architecture; this command is for "+ctx+"; properties left out keep their installed values")
	}
	if r.SiteVersion != "" && r.PackageVersion != "" {
		newer, err := newerThan(r.SiteVersion, r.PackageVersion)
		if err != nil {
			return c, err
		}
		if newer {
			return c, fmt.Errorf("--site-version %s is newer than the package's ProductVersion %s: a console installed from it cannot update itself and shows error 1.1gws (\"error communicating with the server while updating the software\"); deploy the MSI of version %s: %w",
				r.SiteVersion, r.PackageVersion, r.SiteVersion, ErrOutdated)
		}
	}
	return c, nil
}

// FileName is the package's file name: the last element of file, split at
// both / and \ (the file may be named either way).
func FileName(file string) string {
	if i := strings.LastIndexAny(file, `/\`); i >= 0 {
		return file[i+1:]
	}
	return file
}

// targetPath is how the command names the package on the target machine:
// its file name, or r.Path. A path must be absolute (drive or UNC):
// Windows Installer registers the path an MSI was installed from and a
// repair reads the package there again ("Source Resiliency",
// https://learn.microsoft.com/en-us/windows/win32/msi/source-resiliency),
// so it must name the same place from wherever the command runs.
func targetPath(r Request) (string, error) {
	name := FileName(r.File)
	if r.Path == "" {
		return name, nil
	}
	p := r.Path
	if strings.HasSuffix(p, `\`) {
		p += name
	} else if !strings.EqualFold(filepath.Ext(strings.ReplaceAll(p, `\`, "/")), filepath.Ext(name)) {
		return "", fmt.Errorf("--path %q: names a file that is not a %s like %s; give the package's path on the target machine (C:\\Deploy\\%s), or a folder ending in \\ (\\\\server\\share\\)", r.Path, filepath.Ext(name), name, name)
	}
	if strings.Contains(p, "/") {
		return "", fmt.Errorf("--path %q: '/' is not a Windows path separator here; use \\", r.Path)
	}
	if err := winname.CheckPath(p); err != nil {
		return "", fmt.Errorf("--path %q: %w", r.Path, err)
	}
	if strings.HasPrefix(p, `\\`) && len(strings.SplitN(p[2:], `\`, 3)) < 3 {
		return "", fmt.Errorf("--path %q: names a share (\\\\server\\share), not a file in it", r.Path)
	}
	return p, nil
}

// CheckInstallDir accepts an absolute Windows path: a drive letter
// (C:\...) or a UNC path (\\server\share\...) whose every folder name
// Windows can create (internal/winname: no reserved device name such as
// CON or NUL, no trailing dot or space, no forbidden or control
// character, within MAX_PATH), and nothing the command line would alter.
func CheckInstallDir(dir string) error {
	abs := len(dir) >= 3 && (dir[0]|0x20 >= 'a' && dir[0]|0x20 <= 'z') && dir[1] == ':' && dir[2] == '\\' ||
		strings.HasPrefix(dir, `\\`) && len(strings.Split(strings.TrimPrefix(dir, `\\`), `\`)) >= 2
	if !abs {
		return fmt.Errorf("--install-dir %q: want an absolute Windows path, a drive letter (C:\\Apps\\Console) or a UNC path (\\\\server\\share\\Console)", dir)
	}
	if err := checkValue("--install-dir", dir); err != nil {
		return err
	}
	if err := winname.CheckPath(dir); err != nil {
		return fmt.Errorf("--install-dir %q: %w", dir, err)
	}
	return nil
}

// checkLog checks the --log file: a Windows path msiexec can create.
func checkLog(log string) error {
	if i := strings.IndexAny(log, `<>|*?`); i >= 0 {
		return fmt.Errorf("--log %q: %q is not allowed in a Windows path", log, log[i])
	}
	if strings.HasSuffix(log, `\`) || strings.HasSuffix(log, "/") {
		return fmt.Errorf("--log %q: names a folder; give the log file's path", log)
	}
	for _, c := range strings.FieldsFunc(log, func(r rune) bool { return r == '\\' || r == '/' }) {
		if len(c) == 2 && c[1] == ':' {
			continue // the drive
		}
		if err := winname.CheckName(c); err != nil && c != "." && c != ".." {
			return fmt.Errorf("--log %q: %w", log, err)
		}
	}
	return nil
}

// trimSlash drops a folder's trailing backslashes (Windows Installer adds
// one), which a quoted argument cannot end with: CommandLineToArgvW, which
// the EXE uses, reads \" as a literal quote. A drive root keeps its own.
func trimSlash(dir string) string {
	t := strings.TrimRight(dir, `\`)
	if len(t) == 2 && t[1] == ':' {
		return t + `\`
	}
	return t
}

// newerThan compares two ProductVersions by their first three fields,
// as Windows Installer does.
func newerThan(a, b string) (bool, error) {
	pa, err := parseVersion(a)
	if err != nil {
		return false, fmt.Errorf("--site-version %q: %w", a, err)
	}
	pb, err := parseVersion(b)
	if err != nil {
		return false, fmt.Errorf("package version %q: %w", b, err)
	}
	for i := 0; i < 3; i++ {
		if pa[i] != pb[i] {
			return pa[i] > pb[i], nil
		}
	}
	return false, nil
}

func parseVersion(v string) ([3]int, error) {
	var out [3]int
	f := strings.Split(v, ".")
	if len(f) < 2 || len(f) > 4 {
		return out, errors.New("want major.minor.build")
	}
	for i := 0; i < len(f) && i < 3; i++ {
		n, err := strconv.Atoi(f[i])
		if err != nil || n < 0 {
			return out, errors.New("want major.minor.build, numbers only")
		}
		out[i] = n
	}
	return out, nil
}

// quote wraps an argument for cmd.exe and msiexec when it holds a space
// or a character cmd.exe would interpret (; too: msiexec reads it in
// property lists). A double quote inside is doubled, as msiexec expects.
func quote(s string) string {
	const special = " \t&()^|<>;,\""
	if i := strings.IndexByte(s, '='); i > 0 && !strings.ContainsAny(s[:i], special) {
		// PROPERTY=value: msiexec's own form, PROPERTY="value"
		if v := s[i+1:]; strings.ContainsAny(v, special) {
			return s[:i+1] + `"` + strings.ReplaceAll(v, `"`, `""`) + `"`
		}
		return s
	}
	if strings.ContainsAny(s, special) {
		return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
	}
	return s
}

// quotePath quotes a file path as a whole: unlike quote, never in the
// PROPERTY="value" form, even when the path holds a "=".
func quotePath(s string) string {
	if strings.ContainsAny(s, " \t&()^|<>;,=") {
		return `"` + s + `"`
	}
	return s
}

func or(a, b string) string {
	if a != "" {
		return a
	}
	if b != "" {
		return b
	}
	return "0"
}
