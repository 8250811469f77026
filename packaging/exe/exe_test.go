package exe_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/msiforge/msiforge/internal/execx"
	"github.com/msiforge/msiforge/internal/golden"
	"github.com/msiforge/msiforge/internal/render"
	"github.com/msiforge/msiforge/packaging"
	"github.com/msiforge/msiforge/packaging/exe"
	"github.com/msiforge/msiforge/wix"
)

func TestMakensisArgs(t *testing.T) {
	for _, tc := range []struct {
		name             string
		script, msi, out string
		want             []string
	}{
		{
			name: "plain", script: "/b/console.nsi", msi: "/b/package.msi", out: "/d/out.exe",
			want: []string{"-V2", "-WX", "-INPUTCHARSET", "UTF8", "-NOCD", "-DMSI=/b/package.msi", "-DOUTFILE=/d/out.exe", "/b/console.nsi"},
		},
		{
			// One argv element per define: spaces need no quoting.
			name: "spaces", script: "/my build/c.nsi", msi: "/my build/p.msi", out: "/my dist/x.exe",
			want: []string{"-V2", "-WX", "-INPUTCHARSET", "UTF8", "-NOCD", "-DMSI=/my build/p.msi", "-DOUTFILE=/my dist/x.exe", "/my build/c.nsi"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := exe.MakensisArgs(tc.script, tc.msi, tc.out)
			if !slices.Equal(got, tc.want) {
				t.Errorf("MakensisArgs = %q, want %q", got, tc.want)
			}
			// makensis applies options and defines only to scripts after
			// them: the script must be last.
			if got[len(got)-1] != tc.script {
				t.Errorf("script %q is not the last argument", tc.script)
			}
		})
	}
}

func TestNewModel(t *testing.T) {
	for _, tc := range []struct {
		arch, version   string
		target, fileVer string
		wantErr         string
	}{
		{arch: "x86", version: "1.4.2", target: "x86-unicode", fileVer: "1.4.2.0"},
		{arch: "x64", version: "1.4.2", target: "amd64-unicode", fileVer: "1.4.2.0"},
		{arch: "arm64", version: "255.255.65535", target: "x86-unicode", fileVer: "255.255.65535.0"},
		{arch: "x64", version: "1.2.3.4", target: "amd64-unicode", fileVer: "1.2.3.4"},
		{arch: "ia64", version: "1.4.2", wantErr: `no NSIS stub for architecture "ia64"`},
		{arch: "x64", version: "1.x.2", wantErr: `"x" is not a number`},
		{arch: "x64", version: "1.65536.2", wantErr: `"65536" is not a number`},
		{arch: "x64", version: "01.2.3", wantErr: `"01" is not a number`},
		{arch: "x64", version: "1.2.3.4.5", wantErr: "want major.minor.build"},
	} {
		t.Run(tc.arch+"_"+tc.version, func(t *testing.T) {
			m, err := exe.NewModel(&wix.Console{ProductName: "P", Manufacturer: "M", Version: tc.version, Arch: tc.arch})
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if m.Target != tc.target || m.FileVersion != tc.fileVer {
				t.Errorf("target %q file version %q, want %q %q", m.Target, m.FileVersion, tc.target, tc.fileVer)
			}
		})
	}
}

// TestGoldenExample pins the NSIS scripts of the example, per architecture.
// Review a diff of these files like code.
func TestGoldenExample(t *testing.T) {
	c := loadExample(t, "x86", "x64", "arm64")
	for _, arch := range []string{"x86", "x64", "arm64"} {
		src, err := exe.Source(nil, console(t, c, arch))
		if err != nil {
			t.Fatal(err)
		}
		golden.Assert(t, "example-console-1.4.2-"+arch+".nsi", src)
	}
}

// TestSourceEscapes checks that NSIS specials in config values reach the
// script as literals.
func TestSourceEscapes(t *testing.T) {
	c := loadExample(t, "x64")
	m := console(t, c, "x64")
	m.ProductName = "Say \"$INSTDIR\"\n"
	src, err := exe.Source(nil, m)
	if err != nil {
		t.Fatal(err)
	}
	if want := `Name "Say $\"$$INSTDIR$\"$\n"`; !strings.Contains(string(src), want) {
		t.Errorf("script lacks %s", want)
	}
	// Compile-time strings keep a '$' as it is (makensis would keep "$$").
	if want := `"ProductName" "Say $\"$INSTDIR$\"$\n"`; !strings.Contains(string(src), want) {
		t.Errorf("script lacks %s", want)
	}
	for _, name := range []string{"A ${MSI} B", "A $%PATH% B", `A $\n B`} {
		m.ProductName = name
		if _, err := exe.Source(nil, m); err == nil || !strings.Contains(err.Error(), "makensis would expand") {
			t.Errorf("product name %q: error %v, want a refusal", name, err)
		}
	}
}

// fakeMakensis records the command and writes the output file named by
// -DOUTFILE, like makensis, plus what it is told to print.
type fakeMakensis struct {
	cmds   []execx.Cmd
	script []byte
	msi    os.FileInfo
	stdout string
	err    error
}

func (f *fakeMakensis) Run(_ context.Context, c execx.Cmd) (execx.Result, error) {
	f.cmds = append(f.cmds, c)
	f.script, _ = os.ReadFile(c.Args[len(c.Args)-1])
	for _, a := range c.Args {
		if p, ok := strings.CutPrefix(a, "-DMSI="); ok {
			f.msi, _ = os.Stat(p)
		}
		if p, ok := strings.CutPrefix(a, "-DOUTFILE="); ok && f.err == nil {
			if err := os.WriteFile(p, []byte("MZ fake"), 0o644); err != nil {
				return execx.Result{}, err
			}
		}
	}
	return execx.Result{Stdout: []byte(f.stdout)}, f.err
}

func TestBuildFake(t *testing.T) {
	c := loadExample(t, "x64")
	m := console(t, c, "x64")
	msi := filepath.Join(t.TempDir(), "in.msi")
	if err := os.WriteFile(msi, []byte("an msi"), 0o644); err != nil {
		t.Fatal(err)
	}
	when := time.Unix(1700000000, 0)

	t.Run("ok", func(t *testing.T) {
		out := tempOut(t, "setup.exe")
		f := &fakeMakensis{}
		a, err := exe.Build(context.Background(), f, exe.Job{Model: m, MSI: msi, Out: out, SourceDate: when})
		if err != nil {
			t.Fatal(err)
		}
		if len(f.cmds) != 1 || f.cmds[0].Name != "makensis" {
			t.Fatalf("ran %v, want one makensis", f.cmds)
		}
		args := f.cmds[0].Args
		script := args[len(args)-1]
		work := filepath.Dir(script)
		if filepath.Dir(work) != filepath.Dir(out) {
			t.Errorf("work directory %s is not next to the output (no atomic rename)", work)
		}
		want := exe.MakensisArgs(script, filepath.Join(work, "package.msi"), filepath.Join(work, "out.exe"))
		if !slices.Equal(args, want) {
			t.Errorf("argv %q, want %q", args, want)
		}
		for _, a := range args {
			if p, ok := strings.CutPrefix(a, "-D"); ok {
				if _, v, _ := strings.Cut(p, "="); !filepath.IsAbs(v) {
					t.Errorf("define %s is not an absolute path", a)
				}
			}
		}
		if wantSrc, _ := exe.Source(nil, m); string(f.script) != string(wantSrc) {
			t.Error("makensis did not get the rendered script")
		}
		if f.msi == nil || !f.msi.ModTime().Equal(when) {
			t.Errorf("staged MSI time %v, want %v", f.msi, when)
		}
		if in, _ := os.Stat(msi); in.ModTime().Equal(when) {
			t.Error("the caller's MSI had its time changed")
		}
		if a.Kind != packaging.KindConsoleEXE || a.Arch != "x64" || a.Path != out || a.Size != int64(len("MZ fake")) || a.Version != "1.4.2" || a.ProductCode != m.ProductCode {
			t.Errorf("artifact %+v", a)
		}
		if _, err := os.Stat(work); !os.IsNotExist(err) {
			t.Errorf("work directory left behind: %v", err)
		}
	})

	for name, f := range map[string]*fakeMakensis{
		"warning": {stdout: "warning 6001: Variable \"x\" not referenced or never set"},
		"failure": {err: &execx.ExitError{Cmd: execx.Cmd{Name: "makensis"}, Code: 1, Output: "Error in script"}},
		"missing": {err: &execx.ToolMissingError{Tool: "makensis"}},
	} {
		t.Run(name, func(t *testing.T) {
			out := tempOut(t, "setup.exe")
			_, err := exe.Build(context.Background(), f, exe.Job{Model: m, MSI: msi, Out: out, SourceDate: when})
			if err == nil {
				t.Fatal("no error")
			}
			if name == "failure" && !strings.Contains(err.Error(), "makensis failed on console.nsi, the NSIS script 'msiforge render' writes") {
				t.Errorf("error %v does not name the script", err)
			}
			if name == "missing" {
				var tm *execx.ToolMissingError
				if !errors.As(err, &tm) {
					t.Errorf("error %v does not wrap the ToolMissingError", err)
				}
			}
			if entries, _ := os.ReadDir(filepath.Dir(out)); len(entries) != 0 {
				t.Errorf("left %v in the output directory", entries)
			}
		})
	}
}

// TestWarningFailsBuild runs the real makensis on a script with a warning.
func TestWarningFailsBuild(t *testing.T) {
	needMakensis(t)
	c := loadExample(t, "x64")
	base, err := os.ReadFile(filepath.Join("..", "..", "templates", "nsis", "console.nsi.tmpl"))
	if err != nil {
		t.Fatal(err)
	}
	ts, err := render.Parse(fstest.MapFS{exe.Template: {Data: append(base, "\nVar NeverUsed\n"...)}})
	if err != nil {
		t.Fatal(err)
	}
	msi := filepath.Join(t.TempDir(), "in.msi")
	if err := os.WriteFile(msi, []byte("an msi"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := tempOut(t, "setup.exe")
	_, err = exe.Build(context.Background(), execx.OS{}, exe.Job{Model: console(t, c, "x64"), MSI: msi, Out: out, Templates: ts})
	if err == nil || !strings.Contains(err.Error(), "NeverUsed") {
		t.Fatalf("error %v, want makensis's warning about NeverUsed", err)
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("%s written despite the warning", out)
	}
}
