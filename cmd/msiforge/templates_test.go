package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/msiforge/msiforge/internal/cli"
	"github.com/msiforge/msiforge/internal/msi"
	"github.com/msiforge/msiforge/internal/testutil"
	"github.com/msiforge/msiforge/templates"
)

// consoleOnly writes the example without its VSC packages into dir and
// returns the config's path.
func consoleOnly(t *testing.T, dir string) string {
	t.Helper()
	if err := testutil.WriteExample(dir); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, "msiforge.yaml")
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	i, j := strings.Index(s, "\nvsc:"), strings.Index(s, "\narchitectures:")
	s = s[:i] + s[j:]
	s = strings.Replace(s, "dir: ../../dist", "dir: dist", 1)
	if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// customTemplate writes the embedded console template, changed by edit,
// into dir/msi/console.wxs.tmpl.
func customTemplate(t *testing.T, dir string, old, new string) {
	t.Helper()
	b, err := templates.FS.ReadFile("msi/console.wxs.tmpl")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(b, []byte(old)) {
		t.Fatalf("the console template has no %q", old)
	}
	p := filepath.Join(dir, "msi", "console.wxs.tmpl")
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, bytes.Replace(b, []byte(old), []byte(new), 1), 0o644); err != nil {
		t.Fatal(err)
	}
}

func run(args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	code := cli.Main(context.Background(), args, &out, &errb, func(string) string { return "" })
	return code, out.String(), errb.String()
}

// A team's template that adds a registry value builds, passes every check
// and the value is in the package's Registry table.
func TestCustomTemplateAddsRegistryValue(t *testing.T) {
	testutil.NeedTool(t, "wixl", "msibuild", "msiinfo", "makensis")
	dir := t.TempDir()
	cfg := consoleOnly(t, filepath.Join(dir, "example"))
	tpl := filepath.Join(dir, "tpl")
	customTemplate(t, tpl, `Name="Version" Type="string" Value="[ProductVersion]"/>`,
		`Name="Version" Type="string" Value="[ProductVersion]"/>
              <RegistryValue Root="HKMU" Key="{{xml .SettingsKey}}" Name="Team" Type="string" Value="blue"/>`)
	code, out, stderr := run("build", "-f", cfg, "--arch", "x64", "--templates", tpl)
	if code != 0 {
		t.Fatalf("build: exit %d\n%s", code, stderr)
	}
	msiPath := strings.Fields(out)[0]
	f, err := msi.Open(msiPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	reg, err := f.ExportIDT("Registry")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(reg, "\tTeam\tblue\t") {
		t.Errorf("the Registry table has no Team=blue row:\n%s", reg)
	}
}

// A template that drops the launch condition guarding RUNATSTARTUP's
// values fails the build with exit status 3 and the matrix check's
// message; nothing is published.
func TestCustomTemplateBreakingRulesFails(t *testing.T) {
	testutil.NeedTool(t, "wixl", "msibuild", "msiinfo", "makensis")
	dir := t.TempDir()
	cfg := consoleOnly(t, filepath.Join(dir, "example"))
	// templates.dir in the config, relative to it.
	b, _ := os.ReadFile(cfg)
	if err := os.WriteFile(cfg, append(b, "templates:\n  dir: tpl\n"...), 0o644); err != nil {
		t.Fatal(err)
	}
	customTemplate(t, filepath.Join(dir, "example", "tpl"), "{{- range .LaunchConditions}}",
		"{{- range .LaunchConditions}}{{if eq .Message `RUNATSTARTUP=\"[RUNATSTARTUP]\" is not supported: use RUNATSTARTUP=0 or RUNATSTARTUP=1.`}}{{continue}}{{end}}")
	code, _, stderr := run("build", "-f", cfg, "--arch", "x64")
	if code != 3 {
		t.Fatalf("build: exit %d, want 3\n%s", code, stderr)
	}
	for _, s := range []string{"matrix check:", `first install RUNATSTARTUP="2" (not allowed): the install proceeds; want it refused by a launch condition`} {
		if !strings.Contains(stderr, s) {
			t.Errorf("stderr lacks %q:\n%s", s, stderr)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "example", "dist")); !os.IsNotExist(err) {
		t.Errorf("dist/ exists after a failed build: %v", err)
	}
}

// When wixl fails anyway (here a custom template puts a Condition inside
// a Component, which makes wixl 0.101 abort), the error says it crashed,
// keeps the rendered source in a named file and shows wixl's last lines.
func TestWixlCrashKeepsSource(t *testing.T) {
	testutil.NeedTool(t, "wixl", "msibuild", "msiinfo", "makensis")
	dir := t.TempDir()
	cfg := consoleOnly(t, filepath.Join(dir, "example"))
	tpl := filepath.Join(dir, "tpl")
	customTemplate(t, tpl, `KeyPath="yes"/>
{{- if eq .ID $.Exe.ID}}`, `KeyPath="yes"/>
              <Condition>1</Condition>
{{- if eq .ID $.Exe.ID}}`)
	code, _, stderr := run("build", "-f", cfg, "--arch", "x64", "--templates", tpl)
	if code != 1 {
		t.Fatalf("build: exit %d, want 1\n%s", code, stderr)
	}
	if !strings.Contains(stderr, "compile: wixl crashed (killed by a signal) on the WiX source ") {
		t.Errorf("stderr does not say wixl crashed:\n%s", stderr)
	}
	i := strings.Index(stderr, "on the WiX source ")
	kept := strings.Fields(stderr[i+len("on the WiX source "):])[0]
	t.Cleanup(func() { os.RemoveAll(filepath.Dir(kept)) })
	b, err := os.ReadFile(kept)
	if err != nil || !bytes.Contains(b, []byte("<Condition>1</Condition>")) {
		t.Errorf("kept source %s: %v", kept, err)
	}
	if !strings.Contains(stderr, "wixl's last lines:\n") {
		t.Errorf("stderr shows no wixl output:\n%s", stderr)
	}
}
