package config

import (
	"strings"
	"testing"
)

func TestNormalizeVersion(t *testing.T) {
	for in, want := range map[string]string{"v2.3.0": "2.3.0", "2.3.0": "2.3.0", " V1.2.3 ": "1.2.3", "vx": "vx"} {
		got, err := NormalizeVersion("--version", in)
		if err != nil || got != want {
			t.Errorf("NormalizeVersion(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	_, err := NormalizeVersion("MSIFORGE_VERSION", "v2.3.0-rc.1")
	if err == nil {
		t.Fatal("2.3.0-rc.1 accepted")
	}
	for _, s := range []string{"MSIFORGE_VERSION", `"-rc.1"`, "compares only major.minor.build", "2.3.1"} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("error %q lacks %q", err, s)
		}
	}
}
