package matrix_test

import (
	"strings"
	"testing"

	"github.com/msiforge/msiforge/internal/cond"
	"github.com/msiforge/msiforge/internal/matrix"
)

// TestLaunchConditions evaluates each launch condition of the console
// (internal/cond follows the Windows Installer condition syntax) on the
// runs that matter for it: true lets the run proceed, false refuses it.
func TestLaunchConditions(t *testing.T) {
	userDir := `C:\Users\u\AppData\Local\Example Corp\Console\`
	machineDir := `C:\Program Files\Example Corp\Console\`
	cases := []struct {
		name  string
		cond  string
		props map[string]string
		want  bool
	}{
		{"first install, valid", matrix.CondValidRunAtStartup, map[string]string{"RUNATSTARTUP": "1"}, true},
		{"re-run with RUNATSTARTUP=2", matrix.CondValidRunAtStartup, map[string]string{"Installed": "1", "RUNATSTARTUP": "2"}, false},
		{"re-run with SHOULDAUTOUPDATE=yes", matrix.CondValidShouldAutoUpdate, map[string]string{"Installed": "1", "SHOULDAUTOUPDATE": "yes"}, false},
		{"re-run with ALLUSERS=3", matrix.CondValidAllUsers, map[string]string{"Installed": "1", "ALLUSERS": "3"}, false},
		{"uninstall whatever is remembered", matrix.CondValidRunAtStartup, map[string]string{"Installed": "1", "REMOVE": "ALL", "RUNATSTARTUP": "2"}, true},
		{"uninstall, REMOVE in lower case", matrix.CondValidAllUsers, map[string]string{"Installed": "1", "REMOVE": "all", "ALLUSERS": "7"}, true},

		{"per-user run, per-machine install exists", matrix.CondNoMachineInstall, map[string]string{"MachineInstallDir": machineDir}, false},
		{"per-user run, other architecture's per-machine install", matrix.CondNoMachineInstall, map[string]string{"MachineInstallDirOtherView": machineDir}, false},
		{"per-machine run over per-machine install", matrix.CondNoMachineInstall, map[string]string{"ALLUSERS": "1", "MachineInstallDir": machineDir}, true},
		{"per-user run, nothing installed", matrix.CondNoMachineInstall, map[string]string{}, true},
		{"per-user uninstall beside a per-machine install", matrix.CondNoMachineInstall, map[string]string{"REMOVE": "ALL", "MachineInstallDir": machineDir}, true},
		{"per-machine run, per-user install exists", matrix.CondNoUserInstall, map[string]string{"ALLUSERS": "1", "UserInstallDir": userDir}, false},
		{"per-user run over per-user install", matrix.CondNoUserInstall, map[string]string{"UserInstallDir": userDir}, true},
		// A maintenance run works on the registered product: a repair of a
		// per-machine install without ALLUSERS=1 (Add/Remove Programs,
		// msiexec /f, self-repair) is not the other context.
		{"repair of a per-machine install without ALLUSERS", matrix.CondNoMachineInstall, map[string]string{"Installed": "1", "MachineInstallDir": machineDir}, true},
		{"maintenance of a per-user install with ALLUSERS=1", matrix.CondNoUserInstall, map[string]string{"Installed": "1", "ALLUSERS": "1", "UserInstallDir": userDir}, true},

		{"re-run, INSTALLDIR omitted (copied from the remembered)", matrix.CondSameInstallDir, map[string]string{"Installed": "1", "INSTALLDIR": userDir, "UserInstallDir": userDir}, true},
		{"re-run, same folder in other case", matrix.CondSameInstallDir, map[string]string{"Installed": "1", "INSTALLDIR": strings.ToUpper(userDir), "UserInstallDir": userDir}, true},
		{"re-run, other folder", matrix.CondSameInstallDir, map[string]string{"Installed": "1", "INSTALLDIR": `D:\Other\`, "UserInstallDir": userDir}, false},
		{"per-machine re-run, other folder", matrix.CondSameInstallDir, map[string]string{"Installed": "1", "ALLUSERS": "1", "INSTALLDIR": `D:\Other\`, "MachineInstallDir": machineDir}, false},
		{"per-machine re-run, same folder", matrix.CondSameInstallDir, map[string]string{"Installed": "1", "ALLUSERS": "1", "INSTALLDIR": machineDir, "MachineInstallDir": machineDir}, true},
		{"per-machine re-run without ALLUSERS, other folder", matrix.CondSameInstallDir, map[string]string{"Installed": "1", "INSTALLDIR": `D:\Other\`, "MachineInstallDir": machineDir}, false},
		{"per-machine re-run without ALLUSERS, same folder", matrix.CondSameInstallDir, map[string]string{"Installed": "1", "INSTALLDIR": machineDir, "MachineInstallDir": machineDir}, true},
		{"major upgrade into another folder", matrix.CondSameInstallDir, map[string]string{"INSTALLDIR": `D:\Other\`, "UserInstallDir": userDir}, true},
		{"uninstall with another INSTALLDIR", matrix.CondSameInstallDir, map[string]string{"Installed": "1", "REMOVE": "ALL", "INSTALLDIR": `D:\Other\`, "UserInstallDir": userDir}, true},

		{"same version of the other architecture", matrix.CondNoSameVersion, map[string]string{"SAMEVERSIONDETECTED": "{0C5E1C57-0000-0000-0000-000000000000}"}, false},
		{"nothing of this version installed", matrix.CondNoSameVersion, map[string]string{}, true},
		{"maintenance run (FindRelatedProducts skipped)", matrix.CondNoSameVersion, map[string]string{"Installed": "1", "SAMEVERSIONDETECTED": "{X}"}, true},

		{"INSTALLDIR without a trailing backslash gets one", matrix.CondAddInstallDirSlash, map[string]string{"INSTALLDIR": `D:\Apps`}, true},
		{"INSTALLDIR with one is left alone", matrix.CondAddInstallDirSlash, map[string]string{"INSTALLDIR": `D:\Apps\`}, false},
		{"no INSTALLDIR", matrix.CondAddInstallDirSlash, map[string]string{}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := cond.Eval(c.cond, &cond.Env{Props: c.props})
			if err != nil {
				t.Fatal(err)
			}
			if got != c.want {
				t.Errorf("%s with %v = %v, want %v", c.cond, c.props, got, c.want)
			}
		})
	}
}

// TestRememberedValuesContext: which remembered values a run copies. A
// maintenance run follows the registered product, not ALLUSERS: a
// per-machine product repaired without ALLUSERS=1 (no Microsoft page says
// Windows sets it then; Wine does not) still uses the per-machine values
// and the per-machine update rule, so a repair cannot rewrite the settings
// and the Run value with the defaults; a per-user product run with
// ALLUSERS=1 keeps its per-user values.
func TestRememberedValuesContext(t *testing.T) {
	userDir := `C:\Users\u\AppData\Local\Example Corp\Console\`
	machineDir := `C:\Program Files\Example Corp\Console\`
	cases := []struct {
		name          string
		props         map[string]string
		user, machine bool
	}{
		{"per-user first install", map[string]string{}, true, false},
		{"per-machine first install", map[string]string{"ALLUSERS": "1"}, false, true},
		{"per-user maintenance", map[string]string{"Installed": "1", "UserInstallDir": userDir}, true, false},
		{"per-machine maintenance with ALLUSERS=1", map[string]string{"Installed": "1", "ALLUSERS": "1", "MachineInstallDir": machineDir}, false, true},
		{"per-machine maintenance without ALLUSERS (repair)", map[string]string{"Installed": "1", "MachineInstallDir": machineDir}, false, true},
		{"per-user maintenance beside a per-machine install", map[string]string{"Installed": "1", "UserInstallDir": userDir, "MachineInstallDir": machineDir}, true, false},
		{"per-user maintenance with ALLUSERS=1", map[string]string{"Installed": "1", "ALLUSERS": "1", "UserInstallDir": userDir}, true, false},
	}
	for _, c := range cases {
		for _, x := range []struct {
			cond string
			want bool
		}{{matrix.CondUserValues, c.user}, {matrix.CondMachineValues, c.machine}} {
			got, err := cond.Eval(x.cond, &cond.Env{Props: c.props})
			if err != nil {
				t.Fatal(err)
			}
			if got != x.want {
				t.Errorf("%s: %s = %v, want %v", c.name, x.cond, got, x.want)
			}
		}
		au := map[string]string{"SHOULDAUTOUPDATE": "1"}
		for k, v := range c.props {
			au[k] = v
		}
		if got, _ := cond.Eval(matrix.CondAutoUpdate, &cond.Env{Props: au}); got != c.user {
			t.Errorf("%s: auto-update %v, want %v (only a per-user console auto-updates)", c.name, got, c.user)
		}
	}
}

// TestLaunchConditionMessages: every refusal says what to do, and names
// what it found.
func TestLaunchConditionMessages(t *testing.T) {
	for _, lc := range matrix.LaunchConditions {
		m := strings.ToLower(lc.Message)
		if !strings.Contains(m, "use ") && !strings.Contains(m, "set ") && !strings.Contains(m, "uninstall") {
			t.Errorf("message of %s says no remedy: %q", lc.Condition, lc.Message)
		}
	}
	for msg, want := range map[string]string{
		matrix.MsgMachineInstalled: "[MachineInstallDir]",
		matrix.MsgUserInstalled:    "[UserInstallDir]",
		matrix.MsgInstallDirChange: "uninstall it",
		matrix.MsgSameVersion:      "[SAMEVERSIONDETECTED]",
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("message %q lacks %q", msg, want)
		}
	}
	if got := strings.Join(matrix.ChangeArgs, " "); got != "REINSTALL=ALL REINSTALLMODE=omus" || !strings.Contains(matrix.ChangeCommand, got) {
		t.Errorf("ChangeArgs %q, ChangeCommand %q", got, matrix.ChangeCommand)
	}
}
