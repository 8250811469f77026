package msi_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/msiforge/msiforge/internal/execx"
	"github.com/msiforge/msiforge/packaging/msi"
)

// failingMsibuild stands in for msibuild failing as the real one does on
// a statement it cannot run (exit status 1, a message on stderr), and
// records the commands it was given.
type failingMsibuild struct{ cmds []execx.Cmd }

func (r *failingMsibuild) Run(_ context.Context, c execx.Cmd) (execx.Result, error) {
	r.cmds = append(r.cmds, c)
	return execx.Result{Stderr: []byte("sql error\n")}, &execx.ExitError{Cmd: c, Code: 1, Output: "sql error"}
}

func editFix(name string, env []string, steps ...msi.Step) msi.Fix {
	return msi.Fix{Name: name, Edit: func(string) (msi.Edit, error) { return msi.Edit{Steps: steps, Env: env}, nil }}
}

// TestOneBatchFailure: when the one msibuild run fails, the error names
// every fix-up of the batch and msibuild's own words, and the idt files
// written for the run are gone.
func TestOneBatchFailure(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "out.msi")
	if err := os.WriteFile(path, []byte("not read: the runner is a stand-in"), 0o644); err != nil {
		t.Fatal(err)
	}
	run := &failingMsibuild{}
	err := msi.ApplyFixes(context.Background(), run, path, []msi.Fix{
		editFix("A", nil, msi.Step{Query: "UPDATE `Property` SET `Value` = '1' WHERE `Property` = 'X'"}),
		editFix("B", nil, msi.Step{Import: "_SummaryInformation", Text: []byte("PropertyId\tValue\ni2\tl255\n_SummaryInformation\tPropertyId\n")}),
	})
	var ee *execx.ExitError
	if !errors.As(err, &ee) || ee.Code != 1 {
		t.Fatalf("err = %v; want msibuild's exit status 1", err)
	}
	if !strings.Contains(err.Error(), "fix-ups A, B: patch "+path) || !strings.Contains(err.Error(), "sql error") {
		t.Errorf("err = %q; want it to name both fix-ups, the MSI and msibuild's message", err)
	}
	if len(run.cmds) != 1 {
		t.Errorf("msibuild ran %d times; want once for the batch", len(run.cmds))
	}
	if left, _ := filepath.Glob(filepath.Join(dir, ".fixups-*")); len(left) > 0 {
		t.Errorf("left behind: %v", left)
	}
}

// TestOneBatchRefusesConflicts: two fix-ups of one run that need
// different values of one environment variable, or import one table,
// are refused before msibuild runs.
func TestOneBatchRefusesConflicts(t *testing.T) {
	path := filepath.Join(t.TempDir(), "out.msi")
	for _, tc := range []struct {
		name  string
		fixes []msi.Fix
		want  string
	}{
		{"environment", []msi.Fix{
			editFix("A", []string{"WINDOWS_LANGUAGE=1033"}, msi.Step{Query: "q1"}),
			editFix("B", []string{"WINDOWS_LANGUAGE=1036"}, msi.Step{Query: "q2"}),
		}, "fix-ups A and B need different values of WINDOWS_LANGUAGE in one msibuild run"},
		{"import", []msi.Fix{
			editFix("A", nil, msi.Step{Import: "Property", Text: []byte("x")}),
			editFix("B", nil, msi.Step{Import: "Property", Text: []byte("y")}),
		}, "fix-up B imports table Property, which another fix-up of the run imports too"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			run := &failingMsibuild{}
			err := msi.ApplyFixes(context.Background(), run, path, tc.fixes)
			if err == nil || err.Error() != tc.want {
				t.Errorf("err = %v; want %q", err, tc.want)
			}
			if len(run.cmds) > 0 {
				t.Errorf("msibuild ran: %v", run.cmds)
			}
		})
	}
}
