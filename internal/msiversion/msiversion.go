// Package msiversion compares and derives Windows Installer product
// versions. Only major.minor.build count: "the fourth field is ignored"
// when the installer compares versions
// (https://learn.microsoft.com/en-us/windows/win32/msi/productversion).
// Parsing is lenient (a field stops at its first non-digit) because the
// callers read versions back from built packages and simulated ones;
// config.validate and lint's ICE rules judge whether a version is valid.
package msiversion

import (
	"fmt"
	"strings"
)

// Compare returns -1, 0 or 1 as a is lower than, equal to or higher than
// b in their first three fields.
func Compare(a, b string) int {
	fa, fb := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; i < 3; i++ {
		x, y := Field(fa, i), Field(fb, i)
		switch {
		case x < y:
			return -1
		case x > y:
			return 1
		}
	}
	return 0
}

// Next is the next minor release: 1.4.2 -> 1.5.0. The lifecycle checks
// derive their "next version" package with it.
func Next(v string) string {
	f := strings.Split(v, ".")
	return fmt.Sprintf("%d.%d.0", Field(f, 0), Field(f, 1)+1)
}

// Field is the number in fields[i] (0 when absent), read up to its first
// non-digit.
func Field(fields []string, i int) int {
	if i >= len(fields) {
		return 0
	}
	n := 0
	for _, c := range fields[i] {
		if c < '0' || c > '9' || n > 1<<20 {
			break
		}
		n = n*10 + int(c-'0')
	}
	return n
}
