package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/msiforge/msiforge/internal/cli"
)

func runCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := cli.Main(context.Background(), args, &out, &errb, func(string) string { return "" })
	return code, out.String(), errb.String()
}

// TestCatalogCommand: msiforge catalog writes a test-signed catalog for the
// example driver INF that verify accepts (exit 0, with the not-Microsoft
// warning), finding the INF and .sys next to it; one changed byte in the
// .sys or an unsigned catalog makes verify exit 3 (issue 13, problem 6).
func TestCatalogCommand(t *testing.T) {
	dir := t.TempDir()
	for _, f := range []string{"vscsample.inf", "vscsample.sys"} {
		b, err := os.ReadFile(filepath.Join("..", "..", "examples", "vsc", "driver", f))
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(dir, f), b, 0o644)
	}
	keys := filepath.Join(dir, "keys")
	if code, _, stderr := runCLI(t, "dev-cert", "-o", keys, "--subject", "Catalog CLI Test"); code != 0 {
		t.Fatalf("dev-cert: %d %s", code, stderr)
	}
	cert, key := filepath.Join(keys, "cert.pem"), filepath.Join(keys, "key.pem")
	inf := filepath.Join(dir, "vscsample.inf")
	cat := filepath.Join(dir, "vscsample.cat")
	code, stdout, stderr := runCLI(t, "catalog", inf, "--cert", cert, "--key", key, "--time", "2026-01-02T03:04:05Z")
	if code != 0 || !strings.Contains(stdout, "vscsample.cat: 2 members, SHA-256, signed by") {
		t.Fatalf("catalog: exit %d\n%s%s", code, stdout, stderr)
	}
	code, stdout, stderr = runCLI(t, "verify", "--roots", cert, "--json", cat)
	var reps []struct {
		OK      bool `json:"ok"`
		Catalog struct {
			Files []struct {
				Listed bool `json:"listed"`
			} `json:"files"`
			Warnings []string `json:"warnings"`
		} `json:"catalog"`
	}
	if err := json.Unmarshal([]byte(stdout), &reps); err != nil || code != 0 || len(reps) != 1 || !reps[0].OK ||
		len(reps[0].Catalog.Files) != 2 || len(reps[0].Catalog.Warnings) != 1 {
		t.Fatalf("verify: exit %d, %v\n%s%s", code, err, stdout, stderr)
	}

	sys := filepath.Join(dir, "vscsample.sys")
	orig, _ := os.ReadFile(sys)
	os.WriteFile(sys, append(bytes.Clone(orig[:len(orig)-1]), orig[len(orig)-1]^1), 0o644)
	code, stdout, _ = runCLI(t, "verify", "--roots", cert, cat)
	if code != 3 || !strings.Contains(stdout, "vscsample.sys (") || !strings.Contains(stdout, "NOT LISTED") {
		t.Fatalf("tampered .sys: exit %d\n%s", code, stdout)
	}
	os.WriteFile(sys, orig, 0o644)

	code, stdout, stderr = runCLI(t, "catalog", inf, "-o", filepath.Join(dir, "unsigned.cat"), "--json")
	var js struct {
		Path    string  `json:"path"`
		Members int     `json:"members"`
		Hash    string  `json:"hash"`
		Signer  *string `json:"signer"`
	}
	if err := json.Unmarshal([]byte(stdout), &js); code != 0 || err != nil || js.Path != filepath.Join(dir, "unsigned.cat") || js.Members != 2 || js.Hash != "SHA-256" || js.Signer != nil {
		t.Fatalf("unsigned catalog --json: exit %d, %v: %+v\n%s%s", code, err, js, stdout, stderr)
	}
	code, stdout, _ = runCLI(t, "verify", "--roots", cert, filepath.Join(dir, "unsigned.cat"), "--inf", inf, "--sys", sys)
	if code != 3 || !strings.Contains(stdout, "signer: unsigned") || !strings.Contains(stdout, "catalog is not signed") {
		t.Fatalf("unsigned: exit %d\n%s", code, stdout)
	}
}
