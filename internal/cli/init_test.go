package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestInitJSON: init --json names what it wrote and the UpgradeCode it put
// into the starter; a second run without --force keeps an existing
// schema (init.ct shows --force rewriting it).
func TestInitJSON(t *testing.T) {
	dir := t.TempDir()
	var out, errOut bytes.Buffer
	if code := Main(context.Background(), []string{"init", dir, "--json"}, &out, &errOut, func(string) string { return "" }); code != ExitOK {
		t.Fatalf("exit %d: %s", code, &errOut)
	}
	var got struct {
		Config      string   `json:"config"`
		UpgradeCode string   `json:"upgrade_code"`
		Written     []string `json:"written"`
	}
	if err := json.Unmarshal(out.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	yml, err := os.ReadFile(got.Config)
	if err != nil || !strings.Contains(string(yml), "upgrade_code: "+got.UpgradeCode+"\n") {
		t.Errorf("config %s (%v) lacks upgrade_code %s", got.Config, err, got.UpgradeCode)
	}
	want := []string{filepath.Join(dir, "msiforge.yaml"), filepath.Join(dir, "msiforge.schema.json")}
	if strings.Join(got.Written, " ") != strings.Join(want, " ") {
		t.Errorf("written %q, want %q", got.Written, want)
	}
	// Without --force an existing schema is kept (and not listed).
	os.Remove(want[0])
	if err := os.WriteFile(want[1], []byte("{} // the user's\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	if code := Main(context.Background(), []string{"init", dir, "--json"}, &out, &errOut, func(string) string { return "" }); code != ExitOK {
		t.Fatalf("exit %d: %s", code, &errOut)
	}
	if err := json.Unmarshal(out.Bytes(), &got); err != nil || strings.Join(got.Written, " ") != want[0] {
		t.Errorf("second init wrote %q (%v), want only the config", got.Written, err)
	}
	if b, err := os.ReadFile(want[1]); err != nil || string(b) != "{} // the user's\n" {
		t.Errorf("second init changed the existing schema: %q (%v)", b, err)
	}
}
