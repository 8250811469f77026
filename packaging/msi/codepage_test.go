package msi

import (
	"context"
	"strings"
	"testing"

	"github.com/msiforge/msiforge/internal/config"
	"github.com/msiforge/msiforge/internal/execx"
)

// Every code page the config accepts has a WINDOWS_LANGUAGE for wixl, and
// no other.
func TestEveryConfigCodepageCanBeBuilt(t *testing.T) {
	for id := range config.Codepages {
		if _, ok := windowsLanguage[id]; !ok {
			t.Errorf("config accepts code page %d, which has no WINDOWS_LANGUAGE", id)
		}
	}
	for id := range windowsLanguage {
		if _, ok := config.Codepages[id]; !ok {
			t.Errorf("WINDOWS_LANGUAGE for code page %d, which the config does not accept", id)
		}
	}
}

type recorder struct{ cmds []execx.Cmd }

func (r *recorder) Run(_ context.Context, c execx.Cmd) (execx.Result, error) {
	r.cmds = append(r.cmds, c)
	return execx.Result{}, nil
}

// wixl runs with the libgsf override of the package's code page, whatever
// the host's locale; an unknown code page never reaches wixl.
func TestCompileSetsWindowsLanguage(t *testing.T) {
	var r recorder
	dir := t.TempDir()
	if err := CompileCodepage(context.Background(), &r, dir, "x64", "p.wxs", "o.msi", 932); err != nil {
		t.Fatal(err)
	}
	if len(r.cmds) != 1 || r.cmds[0].Name != "wixl" || strings.Join(r.cmds[0].Env, " ") != "WINDOWS_LANGUAGE=ja_JP TMPDIR="+dir {
		t.Errorf("ran %+v", r.cmds)
	}
	r.cmds = nil
	if err := CompileCodepage(context.Background(), &r, t.TempDir(), "x64", "p.wxs", "o.msi", 437); err == nil || len(r.cmds) != 0 {
		t.Errorf("code page 437: err %v, ran %+v", err, r.cmds)
	}
}
