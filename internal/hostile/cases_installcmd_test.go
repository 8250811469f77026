package hostile

import "testing"

// TestInstallCmd: install-cmd values that Windows refuses as names or that
// the printed command line would not pass on as typed (issue 12, "Windows
// names" and install-cmd). Each is refused with exit 2 before any command
// is printed (no "/qn" anywhere), naming the flag and what is wrong.
func TestInstallCmd(t *testing.T) {
	args := func(extra ...string) func(*testing.T, string) []string {
		return func(*testing.T, string) []string {
			return append([]string{"install-cmd", "console.msi", "--no-read"}, extra...)
		}
	}
	noCommand := []string{"/qn"}
	Run(t, []Case{
		{Name: "install-dir CON", Setup: args("--install-dir", `C:\Apps\CON`), Code: 2,
			Stderr: []string{"--install-dir", `"CON" is a reserved device name`}, NotIn: noCommand},
		{Name: "install-dir nul with an extension", Setup: args("--install-dir", `C:\nul.txt\Console`), Code: 2,
			Stderr: []string{"reserved device name"}, NotIn: noCommand},
		{Name: "install-dir COM superscript one", Setup: args("--install-dir", `C:\Apps\COM¹`), Code: 2,
			Stderr: []string{"reserved device name"}, NotIn: noCommand},
		{Name: "install-dir trailing dot", Setup: args("--install-dir", `C:\Apps\Console.`), Code: 2,
			Stderr: []string{"ends with a dot or a space"}, NotIn: noCommand},
		{Name: "install-dir trailing space in a folder", Setup: args("--install-dir", `C:\Apps \Console`), Code: 2,
			Stderr: []string{"ends with a dot or a space"}, NotIn: noCommand},
		{Name: "install-dir DEL", Setup: args("--install-dir", "C:\\Apps\\Con\x7fsole"), Code: 2,
			Stderr: []string{"control character U+007F"}, NotIn: noCommand},
		{Name: "install-dir C1 control", Setup: args("--install-dir", "C:\\Apps\\Con\u0085sole"), Code: 2,
			Stderr: []string{"control character U+0085"}, NotIn: noCommand},
		{Name: "install-dir property reference", Setup: args("--install-dir", `C:\[WindowsFolder]`), Code: 2,
			Stderr: []string{"property reference"}, NotIn: noCommand},
		{Name: "install-dir percent expansion", Setup: args("--install-dir", `C:\%USERNAME%\Console`), Code: 2,
			Stderr: []string{"cmd.exe expands"}, NotIn: noCommand},
		{Name: "install-dir over MAX_PATH", Setup: args("--install-dir", `C:\`+longName(250)), Code: 2,
			Stderr: []string{"MAX_PATH"}, NotIn: noCommand},
		{Name: "log with a newline prints no second command", Setup: args("--log", "C:\\l.log\r\nformat C:"), Code: 2,
			Stderr: []string{"--log", "control character U+000D"}, NotIn: []string{"/qn", "\nformat C:"}},
		{Name: "log with a property reference", Setup: args("--log", `C:\[TempFolder]\l.log`), Code: 2,
			Stderr: []string{"property reference"}, NotIn: noCommand},
		{Name: "log with percent expansion", Setup: args("--log", `%TEMP%\l.log`), Code: 2,
			Stderr: []string{"cmd.exe expands"}, NotIn: noCommand},
		{Name: "auto-update with a newline", Setup: args("--auto-update", "1\nRUNATSTARTUP=1"), Code: 2,
			Stderr: []string{"control character U+000A"}, NotIn: noCommand},
		{Name: "file name with a newline, before reading it", Setup: func(*testing.T, string) []string {
			return []string{"install-cmd", "console\n.msi"}
		}, Code: 2, Stderr: []string{"control character U+000A"}, NotIn: noCommand},
		{Name: "change cannot move the folder", Setup: args("--change", "--run-at-startup", "0", "--install-dir", `D:\Apps`), Code: 2,
			Stderr: []string{"cannot be moved", "uninstall it, then install it"}, NotIn: noCommand},
	})
}

func longName(n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = 'a'
	}
	return string(b)
}
