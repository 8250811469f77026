package main

import (
	"os"
	"path/filepath"
	"testing"
)

// pnputil's documented exit codes: 0 and 259 succeed, 3010 succeeds with a
// reboot, anything else fails.
func TestSuccess(t *testing.T) {
	for code, want := range map[int][2]bool{0: {true, false}, 259: {true, false}, 3010: {true, true}, 5: {}, 87: {}, 1: {}, -1: {}} {
		ok, reboot := success(code)
		if ok != want[0] || reboot != want[1] {
			t.Errorf("success(%d) = %v, %v, want %v, %v", code, ok, reboot, want[0], want[1])
		}
	}
}

func TestPublishedName(t *testing.T) {
	for out, want := range map[string]string{
		"Microsoft PnP Utility\r\n\r\nAdding driver package:  x.inf\r\nDriver package added successfully.\r\nPublished Name:         oem12.inf\r\n": "oem12.inf",
		"Published name : OEM3.INF\n": "oem3.inf",
		"Driver package added.\n":     "",
		"oem4.inf copied\n":           "", // not on a "published" line
	} {
		if got := publishedName([]byte(out)); got != want {
			t.Errorf("publishedName(%q) = %q, want %q", out, got, want)
		}
	}
}

func TestIdentical(t *testing.T) {
	dir := t.TempDir()
	inf := filepath.Join(t.TempDir(), "x.inf")
	os.WriteFile(inf, []byte("[Version]\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "oem1.inf"), []byte("other"), 0o644)
	if got := identical(dir, inf); got != "" {
		t.Errorf("identical = %q with no copy in the store", got)
	}
	os.WriteFile(filepath.Join(dir, "oem2.inf"), []byte("[Version]\n"), 0o644)
	if got := identical(dir, inf); got != "oem2.inf" {
		t.Errorf("identical = %q, want oem2.inf", got)
	}
}
