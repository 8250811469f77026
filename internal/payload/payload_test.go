package payload

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func mk(t *testing.T, root string, files ...string) {
	t.Helper()
	for _, f := range files {
		p := filepath.Join(root, filepath.FromSlash(f))
		if strings.HasSuffix(f, "/") {
			if err := os.MkdirAll(p, 0o755); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(f), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func dsts(items []Item) string {
	var out []string
	for _, it := range items {
		s := it.Dst
		if it.Folder {
			s += "/"
		}
		out = append(out, s)
	}
	return strings.Join(out, " ")
}

func TestExpand(t *testing.T) {
	root := t.TempDir()
	mk(t, root, "bin/app.exe", "bin/Helper.dll", "res/a.dat", "res/lang/fr/s.dat", "res/empty/", "res/only/deeper/",
		"docs/LICENSE.txt", "docs/NOTICE.txt", "docs/readme.md")
	for _, tc := range []struct {
		name    string
		entries []Entry
		want    string
	}{
		{"file keeps its name at the top", []Entry{{Src: "bin/app.exe"}}, "app.exe"},
		{"file to a path", []Entry{{Src: "docs/readme.md", Dst: `doc\README.md`}}, "doc/README.md"},
		{"file into a folder", []Entry{{Src: "docs/readme.md", Dst: "doc/"}}, "doc/readme.md"},
		{"directory into a folder", []Entry{{Src: "res", Dst: "resources"}}, "resources/a.dat resources/lang/fr/s.dat"},
		{"directory at the top", []Entry{{Src: "bin", Dst: "."}}, "app.exe Helper.dll"},
		{"empty folders kept when asked", []Entry{{Src: "res", Dst: "r", KeepEmpty: true}}, "r/a.dat r/empty/ r/lang/fr/s.dat r/only/deeper/"},
		{"glob into a folder", []Entry{{Src: "docs/*.txt", Dst: "docs/licenses"}}, "docs/licenses/LICENSE.txt docs/licenses/NOTICE.txt"},
		{"order does not follow the entries", []Entry{{Src: "docs/readme.md", Dst: "z.md"}, {Src: "bin/app.exe", Dst: "a/app.exe"}}, "a/app.exe z.md"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			items, probs := Expand(root, "console.files.x64", tc.entries)
			if len(probs) > 0 {
				t.Fatalf("problems: %v", probs)
			}
			if got := dsts(items); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestExpandErrors(t *testing.T) {
	root := t.TempDir()
	mk(t, root, "src/app.exe", "src/APP.EXE.d/x", "other/app.exe", "Other/App.exe", "bad/aux.txt", "empty/", "outside/secret.txt", "tree/ok.txt")
	if err := os.Symlink(filepath.Join(root, "outside", "secret.txt"), filepath.Join(root, "tree", "escape.txt")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("ok.txt", filepath.Join(root, "tree", "inside.txt")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("..", filepath.Join(root, "tree", "loop")); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name    string
		entries []Entry
		want    []string // substrings of the problems, in order
	}{
		{"dotdot", []Entry{{Src: "src/app.exe", Dst: "../app.exe"}}, []string{`console.files.x64[0].dst: "../app.exe" steps out of its folder with ".."; dst stays under INSTALLDIR`}},
		{"absolute", []Entry{{Src: "src/app.exe", Dst: "/opt/app.exe"}}, []string{`console.files.x64[0].dst: "/opt/app.exe" is an absolute path`}},
		{"drive", []Entry{{Src: "src/app.exe", Dst: `C:\app.exe`}}, []string{`"C:\\app.exe" is an absolute path (a drive)`}},
		{"bad name in dst", []Entry{{Src: "src/app.exe", Dst: "bin/con.exe"}}, []string{`console.files.x64[0].dst: "bin/con.exe": "con.exe" is a reserved device name`}},
		{"bad character in dst", []Entry{{Src: "src/app.exe", Dst: "a<b/app.exe"}}, []string{`contains '<', which Windows does not allow in a name`}},
		{"bad name in the source tree", []Entry{{Src: "bad", Dst: "b"}}, []string{`console.files.x64[0].src: ` + filepath.Join(root, "bad", "aux.txt") + ` cannot be installed: "aux.txt" is a reserved device name`}},
		{"missing", []Entry{{Src: "nope.txt"}}, []string{`console.files.x64[0].src: "nope.txt" does not exist`}},
		{"no src", []Entry{{Dst: "x"}}, []string{`console.files.x64[0].src: is required`}},
		{"glob matches nothing", []Entry{{Src: "src/*.zip", Dst: "z"}}, []string{`"src/*.zip" matches no file`}},
		{"empty directory", []Entry{{Src: "empty", Dst: "e"}}, []string{`the directory "empty" holds no file (set keep_empty: true`}},
		{"symlink escaping", []Entry{{Src: "tree", Dst: "t"}}, []string{
			`the symlink ` + filepath.Join(root, "tree", "escape.txt") + ` points to ` + filepath.Join(root, "outside", "secret.txt") + `, outside the source tree`,
			`the symlink ` + filepath.Join(root, "tree", "loop") + ` points to ` + root + `, outside the source tree`,
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, probs := Expand(root, "console.files.x64", tc.entries)
			if len(probs) != len(tc.want) {
				t.Fatalf("got %d problems %v, want %d", len(probs), probs, len(tc.want))
			}
			for i, w := range tc.want {
				if !strings.Contains(probs[i].Error(), w) {
					t.Errorf("problem %d: %q lacks %q", i, probs[i].Error(), w)
				}
			}
		})
	}
}

func TestSymlinkInsideIsFollowed(t *testing.T) {
	root := t.TempDir()
	mk(t, root, "tree/ok.txt", "tree/sub/x.txt")
	if err := os.Symlink("ok.txt", filepath.Join(root, "tree", "alias.txt")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("sub", filepath.Join(root, "tree", "linked")); err != nil {
		t.Fatal(err)
	}
	items, probs := Expand(root, "f", []Entry{{Src: "tree", Dst: "t"}})
	if len(probs) > 0 {
		t.Fatal(probs)
	}
	if got, want := dsts(items), "t/alias.txt t/linked/x.txt t/ok.txt t/sub/x.txt"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if items[0].Src != filepath.Join(root, "tree", "alias.txt") {
		t.Errorf("Src %s", items[0].Src)
	}
}

func TestCollisions(t *testing.T) {
	root := t.TempDir()
	mk(t, root, "a/Readme.txt", "b/README.TXT", "c/docs", "d/docs/x.txt")
	items, probs := Expand(root, "console.files.x64", []Entry{{Src: "a", Dst: "."}, {Src: "b", Dst: "."}, {Src: "c", Dst: "."}, {Src: "d", Dst: "."}})
	if len(probs) > 0 {
		t.Fatal(probs)
	}
	got := Collisions(items)
	if len(got) != 2 {
		t.Fatalf("got %v, want 2 problems", got)
	}
	// Both sources are named; the order follows the destinations' letters.
	if w := `console.files.x64[0]: ` + filepath.Join(root, "a", "Readme.txt") + ` collides with Readme.txt (from console.files.x64[1], ` + filepath.Join(root, "b", "README.TXT") + `); Windows file names are case-insensitive`; got[0].Error() != w+", so each destination must be unique" {
		t.Errorf("got %q\nwant %q", got[0].Error(), w)
	}
	if w := `needs the folder docs, which is the destination of the file ` + filepath.Join(root, "c", "docs"); !strings.Contains(got[1].Error(), w) {
		t.Errorf("got %q, want it to contain %q", got[1].Error(), w)
	}
}

// TestConfigFolderWithPatternCharacters: only an entry's own text is a
// pattern; the config's folder may hold [, * or ? in its name.
func TestConfigFolderWithPatternCharacters(t *testing.T) {
	root := filepath.Join(t.TempDir(), "proj [old]*")
	mk(t, root, "bin/app.exe", "docs/a.txt", "docs/b.txt")
	items, probs := Expand(root, "console.files.x64", []Entry{{Src: "bin/app.exe"}, {Src: "docs/*.txt", Dst: "docs"}})
	if len(probs) > 0 {
		t.Fatalf("problems: %v", probs)
	}
	if got, want := dsts(items), "app.exe docs/a.txt docs/b.txt"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	for _, it := range items {
		if !strings.HasPrefix(it.Src, root+string(filepath.Separator)) {
			t.Errorf("%s comes from %s, outside %s", it.Dst, it.Src, root)
		}
	}
}

// TestSrcSymlinkToDirectory: an entry's own src that is a symlink to a
// directory (build/current -> v1.2) installs the directory's tree.
func TestSrcSymlinkToDirectory(t *testing.T) {
	root := t.TempDir()
	mk(t, root, "build/v1.2/app.exe", "build/v1.2/lang/fr.dat")
	if err := os.Symlink("v1.2", filepath.Join(root, "build", "current")); err != nil {
		t.Fatal(err)
	}
	items, probs := Expand(root, "console.files.x64", []Entry{{Src: "build/current", Dst: "."}})
	if len(probs) > 0 {
		t.Fatalf("problems: %v", probs)
	}
	if got, want := dsts(items), "app.exe lang/fr.dat"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

// TestTooManyFilesStopsTheWalk: past the limit, one problem and no more
// walking (a src of "/" must not flood the output).
func TestTooManyFilesStopsTheWalk(t *testing.T) {
	defer func(n int) { maxItems = n }(maxItems)
	maxItems = 3
	root := t.TempDir()
	mk(t, root, "d/1", "d/2", "d/3", "d/4", "d/5", "d/sub/6", "d/sub/7")
	_, probs := Expand(root, "console.files.x64", []Entry{{Src: "d"}})
	if len(probs) != 1 || !strings.Contains(probs[0].Msg, "expands to more than 3 files") {
		t.Errorf("problems %v; want one saying the entry expands to more than 3 files", probs)
	}
}
