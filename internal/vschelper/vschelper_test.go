package vschelper_test

import (
	"context"
	"debug/pe"
	"errors"
	"testing"

	"github.com/msiforge/msiforge/internal/execx"
	"github.com/msiforge/msiforge/internal/testutil"
	"github.com/msiforge/msiforge/internal/vschelper"
)

// The helper cross-compiles from its embedded source for every
// architecture, to a PE of the right machine type.
func TestBuild(t *testing.T) {
	testutil.NeedTool(t, "go")
	for arch, machine := range map[string]uint16{"x86": pe.IMAGE_FILE_MACHINE_I386, "x64": pe.IMAGE_FILE_MACHINE_AMD64, "arm64": pe.IMAGE_FILE_MACHINE_ARM64} {
		p, err := vschelper.Build(context.Background(), execx.OS{}, arch, t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		f, err := pe.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		if f.Machine != machine {
			t.Errorf("%s: machine %#x, want %#x", arch, f.Machine, machine)
		}
		f.Close()
	}
}

type noGo struct{}

func (noGo) Run(_ context.Context, c execx.Cmd) (execx.Result, error) {
	return execx.Result{}, &execx.ToolMissingError{Tool: c.Name}
}

func TestBuildWithoutGo(t *testing.T) {
	_, err := vschelper.Build(context.Background(), noGo{}, "x64", t.TempDir())
	var missing *execx.ToolMissingError
	if !errors.As(err, &missing) {
		t.Fatalf("err = %v, want a missing tool", err)
	}
}
