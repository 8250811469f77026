package testutil

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// GoReleaserBinary is a GoReleaser v2 "Binary" artifact of build id for
// windows/goarch, as artifacts.json spells it (v2.15.1: dist/<id>_windows_<goarch>_<variant>/name).
func GoReleaserBinary(id, name, goarch, goamd64 string) map[string]any {
	dir := id + "_windows_" + goarch
	target := "windows_" + goarch
	a := map[string]any{"internal_type": 4, "type": "Binary", "goos": "windows", "goarch": goarch, "name": name,
		"extra": map[string]any{"Binary": strings.TrimSuffix(name, ".exe"), "Builder": "go", "Ext": ".exe", "ID": id}}
	switch goarch {
	case "amd64":
		dir, target = dir+"_"+goamd64, target+"_"+goamd64
		a["goamd64"] = goamd64
	case "386":
		dir, target = dir+"_sse2", target+"_sse2"
		a["go386"] = "sse2"
	case "arm64":
		dir, target = dir+"_v8.0", target+"_v8.0"
		a["goarm64"] = "v8.0"
	}
	a["path"], a["target"] = "dist/"+dir+"/"+name, target
	return a
}

// WriteGoReleaserDist writes root/dist as `goreleaser build` leaves it for
// arts (each file holding "MZ" and its path), plus an archive and the
// metadata artifact, with metadata.json giving version; it returns the
// dist directory.
func WriteGoReleaserDist(t testing.TB, root, version string, arts ...map[string]any) string {
	t.Helper()
	dist := filepath.Join(root, "dist")
	for _, a := range arts {
		p := filepath.Join(root, filepath.FromSlash(a["path"].(string)))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("MZ "+a["path"].(string)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	arts = append(arts,
		map[string]any{"name": "hello_windows_amd64.zip", "path": "dist/hello_windows_amd64.zip", "goos": "windows", "goarch": "amd64", "goamd64": "v1", "internal_type": 1, "type": "Archive", "extra": map[string]any{"ID": "default"}},
		map[string]any{"name": "metadata.json", "path": "dist/metadata.json", "internal_type": 35, "type": "Metadata"},
	)
	b, err := json.Marshal(arts)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(dist, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dist, "artifacts.json"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	tag := version
	if !strings.HasPrefix(tag, "v") {
		tag = "v" + tag
	}
	meta, _ := json.Marshal(map[string]any{"project_name": "hello", "tag": tag, "previous_tag": "", "version": version,
		"commit": "0123456789abcdef0123456789abcdef01234567", "date": "2026-12-01T10:00:00Z", "runtime": map[string]string{"goos": "linux", "goarch": "amd64"}})
	if err := os.WriteFile(filepath.Join(dist, "metadata.json"), meta, 0o644); err != nil {
		t.Fatal(err)
	}
	return dist
}
