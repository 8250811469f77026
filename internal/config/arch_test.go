package config_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/msiforge/msiforge/internal/config"
)

func TestNormalizeArch(t *testing.T) {
	for in, want := range map[string]string{"x64": "x64", "amd64": "x64", "X86_64": "x64", "386": "x86", "i386": "x86", "i686": "x86", "aarch64": "arm64", "ARM64": "arm64"} {
		if got, err := config.NormalizeArch(in); err != nil || got != want {
			t.Errorf("NormalizeArch(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for in, want := range map[string]string{
		"x46":   `"x46" is not an architecture (x86, x64, arm64; msiforge also reads 386, i386, i686 as x86; amd64, x86_64 as x64; aarch64 as arm64); did you mean x86 or x64?`,
		"amd46": "did you mean x64?",
		"arm46": "did you mean arm64?",
		"ia64":  "aarch64 as arm64)",
	} {
		_, err := config.NormalizeArch(in)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("NormalizeArch(%q): %v, want %q", in, err, want)
		}
	}
	if _, err := config.NormalizeArch("ia64"); err == nil || strings.Contains(err.Error(), "did you mean") {
		t.Errorf("ia64 (Itanium) is two edits from x64, too far for a guess: %v", err)
	}
}

// TestConfigArchAliases: the config reads the aliases wherever it names
// an architecture, and refuses an architecture given twice under two names.
func TestConfigArchAliases(t *testing.T) {
	y := strings.Replace(withVSC, "    x64: [bin/Console.exe, README.txt]\n    x86: [bin/Console.exe]\n", "    amd64: [bin/Console.exe, README.txt]\n    i386: [bin/Console.exe]\n", 1)
	y = strings.Replace(y, "      x64: {inf", "      x86_64: {inf", 1)
	y = strings.Replace(y, "vsc:\n", "vsc:\n  architectures: [aarch64, amd64]\n", 1)
	y += "architectures: [386, X64]\n" // any letter case, as --arch
	y = strings.Replace(y, "    x86: {inf: vsc/vsc.inf, sys: vsc/vsc.sys, cat: vsc/vsc.cat, service: vsc/VscService.exe}\n  customer", "    aarch64: {inf: vsc/vsc.inf, sys: vsc/vsc.sys, cat: vsc/vsc.cat, service: vsc/VscService.exe}\n  customer", 1)
	y = strings.Replace(y, "      x86: {inf: vsc/vsc.inf, sys: vsc/vsc.sys, cat: vsc/vsc.cat, service: vsc/VscService.exe}\n", "      arm64: {inf: vsc/vsc.inf, sys: vsc/vsc.sys, cat: vsc/vsc.cat, service: vsc/VscService.exe}\n", 1)
	c, err := config.Parse([]byte(y), "msiforge.yaml", dir(t))
	if err != nil {
		t.Fatalf("%v\n%s", err, y)
	}
	if !cmp.Equal(c.Architectures, []string{"x86", "x64"}) || !cmp.Equal(c.VSC.Architectures, []string{"arm64", "x64"}) {
		t.Errorf("architectures %v, vsc.architectures %v", c.Architectures, c.VSC.Architectures)
	}
	if got := c.PayloadArchs(); !cmp.Equal(got, []string{"x86", "x64"}) {
		t.Errorf("payload archs %v", got)
	}
	if _, ok := c.VSC.Representative.Files["arm64"]; !ok {
		t.Errorf("vsc files %v", c.VSC.Representative.Files)
	}

	dup := strings.Replace(good, "    x86: [bin/Console.exe]\n", "    amd64: [bin/Console.exe]\n", 1)
	_, err = config.Parse([]byte(dup), "msiforge.yaml", dir(t))
	if want := "msiforge.yaml:11: console.payload.amd64: is another name of x64, which line 10 gives already; give it once"; err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("err = %v, want %q", err, want)
	}
}

// TestParseEveryProblemSortedByLine: unknown keys, type errors, duplicate
// keys, aliases given twice and rule violations all come out of one run,
// in line order (issue 15).
func TestParseEveryProblemSortedByLine(t *testing.T) {
	y := strings.Replace(good, "  version: 1.4.2\n", "  version: 1.4.2.7\n", 1)                 // line 5: rule
	y = strings.Replace(y, "  executable: Console.exe\n", "  executable: [Console.exe]\n", 1)   // line 8: type
	y = strings.Replace(y, "    x86: [bin/Console.exe]\n", "    amd64: [bin/Console.exe]\n", 1) // line 11: alias twice
	y += "  colour: blue\n"                                                                     // line 12: unknown key
	y += "output:\n  name: my console\n"                                                        // line 14: rule
	y += "architectures: [x64, x46]\n"                                                          // line 15: rule
	y += "product: {}\n"                                                                        // line 16: duplicate
	_, err := config.Parse([]byte(y), "msiforge.yaml", dir(t))
	ve, ok := err.(*config.ValidationError)
	if !ok {
		t.Fatalf("err = %v", err)
	}
	want := []string{
		"msiforge.yaml:5: product.version:",
		"msiforge.yaml:8: console.executable: is a list",
		"msiforge.yaml:11: console.payload.amd64: is another name of x64",
		`msiforge.yaml:12: console.colour: unknown key "colour"`,
		"msiforge.yaml:14: output.name:",
		`msiforge.yaml:15: architectures[1]: "x46" is not one of x86, x64, arm64`,
		`msiforge.yaml:16: product: the key "product" is given twice`,
	}
	got := ve.Problems
	i := 0
	for _, p := range got {
		if i < len(want) && strings.Contains(p, want[i]) {
			i++
		}
	}
	if i != len(want) {
		t.Errorf("problems, in order, lack %q:\n%s", want[i], strings.Join(got, "\n"))
	}
	last := 0
	for _, p := range got {
		var line int
		if _, err := fmt.Sscanf(strings.TrimSpace(p), "msiforge.yaml:%d:", &line); err != nil || line < last {
			t.Errorf("not sorted by line: %q after line %d", p, last)
		}
		last = line
	}
}
