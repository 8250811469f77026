package winname

import (
	"strings"
	"testing"
)

func TestCheckName(t *testing.T) {
	for _, tc := range []struct {
		name, err string
	}{
		{"Console.exe", ""},
		{"Файл.txt", ""},
		{"aux.txt", "reserved device name"},
		{"nul", "reserved device name"},
		{"COM1", "reserved device name"},
		{"com¹.log", "reserved device name"},
		{"LPT9.txt", "reserved device name"},
		{"COM10.txt", ""},
		{"CONSOLE.txt", ""},
		{"file.", "ends with a dot or a space"},
		{"file ", "ends with a dot or a space"},
		{"a\x7fb", "control character U+007F"},
		{"a\u0085b", "control character U+0085"},
		{"a\tb", "control character U+0009"},
		{"a:b", "does not allow"},
		{"a|b", "does not allow"},
		{"..", "not a name"},
		{"", "empty"},
		{"a\uFFFEb", "not a character"},
	} {
		err := CheckName(tc.name)
		switch {
		case tc.err == "" && err != nil:
			t.Errorf("CheckName(%q) = %v, want nil", tc.name, err)
		case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
			t.Errorf("CheckName(%q) = %v, want an error containing %q", tc.name, err, tc.err)
		}
	}
}

func TestCheckPath(t *testing.T) {
	long := `C:\` + strings.Repeat("a", 250)
	for _, tc := range []struct {
		path, err string
	}{
		{`C:\Apps\Console`, ""},
		{`D:\Apps\Support Console\`, ""},
		{`\\server\share\Console`, ""},
		{`\\server\share`, ""},
		{`C:\`, ""},
		{`C:\Apps\CON\x`, "reserved"},
		{`C:\Apps.\x`, "dot or a space"},
		{`\\server`, "not a UNC path"},
		{`Apps\Console`, "not an absolute"},
		{`/opt/console`, "not an absolute"},
		{long, "at most 248"},
	} {
		err := CheckPath(tc.path)
		switch {
		case tc.err == "" && err != nil:
			t.Errorf("CheckPath(%q) = %v, want nil", tc.path, err)
		case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
			t.Errorf("CheckPath(%q) = %v, want an error containing %q", tc.path, err, tc.err)
		}
	}
}

func TestBudget(t *testing.T) {
	b := FileBudget(`C:\Users\user\AppData\Local\Example Corp\Console\`, "docs/licenses/THIRD_PARTY.txt")
	if want := `C:\Users\user\AppData\Local\Example Corp\Console\docs\licenses\THIRD_PARTY.txt`; b.Path != want || b.Len != len(want) || b.Over() {
		t.Errorf("FileBudget = %+v, want path %q", b, want)
	}
	if got := UTF16Len("a😀"); got != 3 {
		t.Errorf("UTF16Len = %d, want 3", got)
	}
}
