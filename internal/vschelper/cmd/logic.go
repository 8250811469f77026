// Command msiforge-vschelper is the Windows program the VSC driver packages
// run from their deferred custom actions instead of pnputil itself. An EXE
// custom action fails the install on any non-zero exit code, but pnputil
// also exits non-zero on success: 259 (ERROR_NO_MORE_ITEMS, no device
// matched: the normal case of a root-enumerated driver on a clean machine)
// and 3010 (ERROR_SUCCESS_REBOOT_REQUIRED). The helper maps those to 0,
// records the published oemNN.inf name so the uninstall removes exactly
// that package, and passes every other code on, so the install fails,
// rolls back, and Windows Installer's log names pnputil's code
// ("CustomAction ... returned actual error code N").
// https://learn.microsoft.com/windows-hardware/drivers/devtest/pnputil-return-values
// https://learn.microsoft.com/windows/win32/msi/custom-action-return-values
//
// msiforge cross-compiles it at packaging time from this source alone (it
// imports only the standard library, so it builds offline in a throwaway
// module), for the package's architecture, and signs it like every payload.
//
//	msiforge-vschelper add      <inf> <state key>   (install; re-add on a failed uninstall)
//	msiforge-vschelper rollback <inf> <state key>   (undo add on a failed install)
//	msiforge-vschelper remove   <inf> <state key> [<other>]   (uninstall; other: the
//	                                                 other VSC package's version when it
//	                                                 is installed: the driver stays)
//
// The state key (under HKLM) holds PublishedName, InfPath, PreExisting
// (the same INF was in the driver store before add) and RebootRequired
// (pnputil returned 3010). remove and rollback delete it.
package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// pnputil's exit codes that mean success.
const (
	codeOK             = 0
	codeNoMoreItems    = 259  // staged; no device matched (nothing to install on)
	codeRebootRequired = 3010 // installed; a reboot completes it
)

// success reports whether a pnputil exit code means the driver is in, and
// whether a reboot is needed.
func success(code int) (ok, reboot bool) {
	switch code {
	case codeOK, codeNoMoreItems:
		return true, false
	case codeRebootRequired:
		return true, true
	}
	return false, false
}

// publishedName finds "Published Name: oem12.inf" (pnputil's English
// output; "Published name" on older builds). Other display languages fall
// back to comparing the INF with the driver store's copies (identical).
// No regexp: the helper stays small (it is stored in every package).

// publishedName returns the oemNN.inf pnputil's output names, or "".
func publishedName(out []byte) string {
	for _, line := range strings.Split(string(out), "\n") {
		if strings.Contains(strings.ToLower(line), "published") {
			if name := oemName(strings.ToLower(line)); name != "" {
				return name
			}
		}
	}
	return ""
}

// oemName returns the first "oem<digits>.inf" word of s, or "".
func oemName(s string) string {
	for i := strings.Index(s, "oem"); i >= 0; {
		j := i + 3
		for j < len(s) && s[j] >= '0' && s[j] <= '9' {
			j++
		}
		if j > i+3 && strings.HasPrefix(s[j:], ".inf") && (i == 0 || !isWord(s[i-1])) && (j+4 == len(s) || !isWord(s[j+4])) {
			return s[i : j+4]
		}
		k := strings.Index(s[i+3:], "oem")
		if k < 0 {
			break
		}
		i += 3 + k
	}
	return ""
}

func isWord(c byte) bool {
	return c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

// identical returns the name of the oem*.inf in infDir that is byte for
// byte the INF at inf (pnputil copies it unchanged), or "".
func identical(infDir, inf string) string {
	want, err := os.ReadFile(inf)
	if err != nil {
		return ""
	}
	names, _ := filepath.Glob(filepath.Join(infDir, "oem*.inf"))
	for _, n := range names {
		if got, err := os.ReadFile(n); err == nil && bytes.Equal(got, want) {
			return strings.ToLower(filepath.Base(n))
		}
	}
	return ""
}

func main() {
	os.Exit(run(os.Args[1:]))
}

// logPath is the helper's own log, %SystemRoot%\Temp\msiforge-vschelper.log
// (LocalSystem's temporary folder): nothing captures a custom action
// EXE's output, and the log survives the rollback, so it is where a failed
// install says which code pnputil returned.
func logPath() string {
	return filepath.Join(os.Getenv("SystemRoot"), "Temp", "msiforge-vschelper.log")
}

func logf(format string, args ...any) {
	line := "msiforge-vschelper: " + fmt.Sprintf(format, args...) + "\n"
	os.Stderr.WriteString(line)
	if os.Getenv("SystemRoot") == "" {
		return
	}
	if f, err := os.OpenFile(logPath(), os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644); err == nil {
		f.WriteString(line)
		f.Close()
	}
}
