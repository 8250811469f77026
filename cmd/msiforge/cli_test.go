package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmdtest"

	"github.com/msiforge/msiforge/internal/cli"
	"github.com/msiforge/msiforge/internal/execx"
	"github.com/msiforge/msiforge/internal/msitools"
	"github.com/msiforge/msiforge/internal/testutil"
)

var update = flag.Bool("update", false, "rewrite the .ct transcripts with the current output")

// TestCLI runs the go-cmdtest transcripts in testdata/*.ct. Each file runs
// in a fresh directory holding the example config (example/), and fake
// tools (fakebin/) for transcripts that need fixed tool versions.
func TestCLI(t *testing.T) {
	testutil.NeedTool(t, "wixl", "msibuild", "msiinfo")
	ts, err := cmdtest.Read("testdata")
	if err != nil {
		t.Fatal(err)
	}
	ts.Setup = func(root string) error {
		if err := testutil.WriteExample(filepath.Join(root, "example")); err != nil {
			return err
		}
		if err := writeFakeTools(filepath.Join(root, "fakebin")); err != nil {
			return err
		}
		return linkTools(filepath.Join(root, "nonsis"), "wixl", "msibuild", "go")
	}
	ts.Commands["msiforge"] = cmdtest.InProcessProgram("msiforge", func() int {
		return cli.Main(context.Background(), os.Args[1:], os.Stdout, os.Stderr, os.Getenv)
	})
	ts.Commands["ls"] = lsCmd
	ts.Commands["break-run-condition"] = breakRunCondition
	ts.Commands["replace"] = replaceCmd
	ts.Commands["grep"] = grepCmd
	ts.Commands["unsetenv"] = func(args []string, _ string) ([]byte, error) {
		for _, a := range args {
			os.Unsetenv(a)
		}
		return nil, nil
	}
	ts.Commands["orphan-settings"] = orphanSettings
	ts.Commands["samefiles"] = sameFiles
	ts.Run(t, *update)
}

// lsCmd lists a directory's entries, one a line, sorted (hidden ones too,
// so a leftover temporary file shows).
func lsCmd(args []string, _ string) ([]byte, error) {
	if len(args) != 1 {
		return nil, fmt.Errorf("usage: ls DIR")
	}
	entries, err := os.ReadDir(args[0])
	if err != nil {
		return nil, err
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	sort.Strings(names)
	if len(names) == 0 {
		return []byte("(empty)\n"), nil
	}
	return []byte(strings.Join(names, "\n") + "\n"), nil
}

// writeFakeTools writes shell scripts that print fixed versions, so the
// doctor transcript does not depend on the machine.
func writeFakeTools(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	tools := map[string]string{
		"wixl":     "echo 0.101",
		"msiinfo":  "echo 'msiinfo (msitools) version 0.101'",
		"msibuild": "exit 0",
		"makensis": "echo v3.08-3+deb12u1",
	}
	for name, body := range tools {
		if err := os.WriteFile(filepath.Join(dir, name), []byte("#!/bin/sh\n"+body+"\n"), 0o755); err != nil {
			return err
		}
	}
	return nil
}

// linkTools makes dir a PATH of its own holding only the named real
// tools, for the preflight transcript (a machine without makensis).
func linkTools(dir string, tools ...string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for _, tool := range tools {
		p, err := exec.LookPath(tool)
		if err != nil {
			return err
		}
		if err := os.Symlink(p, filepath.Join(dir, tool)); err != nil {
			return err
		}
	}
	return nil
}

// breakRunCondition makes an MSI write the Run value unconditionally, as a
// template bug would, for the matrix --check transcript.
func breakRunCondition(args []string, _ string) ([]byte, error) {
	if len(args) != 1 {
		return nil, fmt.Errorf("usage: break-run-condition FILE.msi")
	}
	return nil, msitools.Query(context.Background(), execx.OS{}, args[0],
		"UPDATE `Component` SET `Condition` = '' WHERE `Component` = 'RunAtStartup'")
}

// orphanSettings takes the console's Settings component out of its
// feature (an ICE21 error), for the lint transcript.
func orphanSettings(args []string, _ string) ([]byte, error) {
	if len(args) != 1 {
		return nil, fmt.Errorf("usage: orphan-settings FILE.msi")
	}
	return nil, msitools.Query(context.Background(), execx.OS{}, args[0],
		"DELETE FROM `FeatureComponents` WHERE `Component_` = 'Settings'")
}

// replaceCmd replaces every OLD with NEW in FILE (a new version in the
// config, other payload content), for the diff transcript.
// grepCmd prints the lines of FILE that contain TEXT, trimmed; none is
// an error.
func grepCmd(args []string, _ string) ([]byte, error) {
	if len(args) != 2 {
		return nil, fmt.Errorf("usage: grep TEXT FILE")
	}
	b, err := os.ReadFile(args[1])
	if err != nil {
		return nil, err
	}
	var out []string
	for _, l := range strings.Split(string(b), "\n") {
		if strings.Contains(l, args[0]) {
			out = append(out, strings.TrimSpace(l))
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s has no %q", args[1], args[0])
	}
	return []byte(strings.Join(out, "\n") + "\n"), nil
}

func replaceCmd(args []string, _ string) ([]byte, error) {
	if len(args) != 3 {
		return nil, fmt.Errorf("usage: replace FILE OLD NEW")
	}
	b, err := os.ReadFile(args[0])
	if err != nil {
		return nil, err
	}
	if !strings.Contains(string(b), args[1]) {
		return nil, fmt.Errorf("%s has no %q", args[0], args[1])
	}
	return nil, os.WriteFile(args[0], []byte(strings.ReplaceAll(string(b), args[1], args[2])), 0o644)
}

// sameFiles compares two directories file by file, byte for byte, for the
// shard transcript (merged shards against a one-machine build).
func sameFiles(args []string, _ string) ([]byte, error) {
	if len(args) != 2 {
		return nil, fmt.Errorf("usage: samefiles DIR1 DIR2")
	}
	a, err := os.ReadDir(args[0])
	if err != nil {
		return nil, err
	}
	b, err := os.ReadDir(args[1])
	if err != nil {
		return nil, err
	}
	if len(a) != len(b) {
		return nil, fmt.Errorf("%s holds %d files, %s %d", args[0], len(a), args[1], len(b))
	}
	for i, e := range a {
		if e.Name() != b[i].Name() {
			return nil, fmt.Errorf("%s holds %s, %s %s", args[0], e.Name(), args[1], b[i].Name())
		}
		x, err := os.ReadFile(filepath.Join(args[0], e.Name()))
		if err != nil {
			return nil, err
		}
		y, err := os.ReadFile(filepath.Join(args[1], e.Name()))
		if err != nil {
			return nil, err
		}
		if string(x) != string(y) {
			return nil, fmt.Errorf("%s differs", e.Name())
		}
	}
	return []byte(fmt.Sprintf("%d files, the same bytes\n", len(a))), nil
}
