package uptodate

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/msiforge/msiforge/internal/manifest"
)

// TestKeyCanonical: the encoding is length-prefixed, so moving bytes
// between a name and a value, or between two inputs, changes the key.
func TestKeyCanonical(t *testing.T) {
	key := func(f func(k *Key)) string {
		k := NewKey("console-msi")
		f(k)
		return k.Sum()
	}
	seen := map[string]string{}
	for name, f := range map[string]func(k *Key){
		"ab|c":    func(k *Key) { k.String("a", "bc") },
		"a|bc":    func(k *Key) { k.String("ab", "c") },
		"two":     func(k *Key) { k.String("a", "b"); k.String("c", "") },
		"one":     func(k *Key) { k.String("a", "bc"); k.String("", "") },
		"swapped": func(k *Key) { k.String("c", ""); k.String("a", "b") },
		"empty":   func(k *Key) {},
	} {
		s := key(f)
		if other, ok := seen[s]; ok {
			t.Errorf("%s and %s have the same key", name, other)
		}
		seen[s] = name
	}
	if NewKey("console-msi").Sum() == NewKey("console-exe").Sum() {
		t.Error("the kind is not in the key")
	}
	if a, b := key(func(k *Key) { k.String("x", "y") }), key(func(k *Key) { k.String("x", "y") }); a != b || len(a) != 64 {
		t.Errorf("keys of the same inputs: %s, %s", a, b)
	}
}

// TestEnvAdd: each shared input changes the key; tools the artifact does
// not use do not.
func TestEnvAdd(t *testing.T) {
	base := Env{Msiforge: "1.0 abc", Tools: map[string]string{"wixl": "0.101", "makensis": "3.08"}, Epoch: time.Unix(946684800, 0), Cert: "none"}
	sum := func(e Env, tools ...string) string {
		k := NewKey("console-msi")
		e.Add(k, tools)
		return k.Sum()
	}
	ref := sum(base, "wixl")
	for name, e := range map[string]Env{
		"msiforge":     {Msiforge: "1.1 abc", Tools: base.Tools, Epoch: base.Epoch, Cert: "none"},
		"tool version": {Msiforge: base.Msiforge, Tools: map[string]string{"wixl": "0.102", "makensis": "3.08"}, Epoch: base.Epoch, Cert: "none"},
		"epoch":        {Msiforge: base.Msiforge, Tools: base.Tools, Epoch: base.Epoch.Add(time.Second), Cert: "none"},
		"certificate":  {Msiforge: base.Msiforge, Tools: base.Tools, Epoch: base.Epoch, Cert: "ab12"},
		"sign payload": {Msiforge: base.Msiforge, Tools: base.Tools, Epoch: base.Epoch, Cert: "none", SignPayload: true},
		"extra":        {Msiforge: base.Msiforge, Tools: base.Tools, Epoch: base.Epoch, Cert: "none", Extra: []string{"lint ignore MSF001"}},
	} {
		if sum(e, "wixl") == ref {
			t.Errorf("a different %s gives the same key", name)
		}
	}
	other := base
	other.Tools = map[string]string{"wixl": "0.101", "makensis": "3.09"}
	if sum(other, "wixl") != ref {
		t.Error("a tool the artifact does not use changed its key")
	}
}

func TestReuse(t *testing.T) {
	prevDir, stage := t.TempDir(), t.TempDir()
	write := func(name, content string) manifest.Artifact {
		p := filepath.Join(prevDir, name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		sum, size, err := HashFile(p)
		if err != nil {
			t.Fatal(err)
		}
		return manifest.Artifact{File: name, SHA256: sum, Size: size, BuildKey: "key-" + name}
	}
	a, b, c := write("a.msi", "aaa"), write("b.msi", "bbb"), write("c.msi", "ccc")
	gone := manifest.Artifact{File: "gone.msi", SHA256: a.SHA256, Size: 3, BuildKey: "key-gone.msi"}
	write("b.msi", "BBB") // changed after the manifest was written
	p := NewPrevious(prevDir, []manifest.Artifact{a, b, c, gone, {File: "nokey.msi", SHA256: a.SHA256, Size: 3}})
	badSig := errors.New("bad signature")
	check := func(path string, e manifest.Artifact) error {
		if e.File == "c.msi" {
			return badSig
		}
		return nil
	}

	e, ok, err := p.Reuse("a.msi", "key-a.msi", filepath.Join(stage, "a.msi"), check)
	if !ok || err != nil || e.SHA256 != a.SHA256 {
		t.Fatalf("a.msi: %v %v %+v", ok, err, e)
	}
	if got, _ := os.ReadFile(filepath.Join(stage, "a.msi")); string(got) != "aaa" {
		t.Errorf("staged a.msi holds %q", got)
	}
	for _, tc := range []struct{ name, key, why string }{
		{"a.msi", "other key", ""},
		{"nokey.msi", "", ""},
		{"unknown.msi", "key-unknown.msi", ""},
		{"b.msi", "key-b.msi", "changed since it was built"},
		{"c.msi", "key-c.msi", "bad signature"},
		{"gone.msi", "key-gone.msi", "missing"},
	} {
		dst := filepath.Join(stage, "x-"+tc.name)
		_, ok, err := p.Reuse(tc.name, tc.key, dst, check)
		if ok {
			t.Errorf("%s reused", tc.name)
		}
		var nr *NotReusedError
		switch {
		case tc.why == "" && err != nil:
			t.Errorf("%s: %v, want a plain rebuild", tc.name, err)
		case tc.why != "" && (!errors.As(err, &nr) || !strings.Contains(err.Error(), tc.why)):
			t.Errorf("%s: %v, want a NotReusedError saying %q", tc.name, err, tc.why)
		}
		if _, err := os.Lstat(dst); err == nil {
			t.Errorf("%s: %s left in the staging directory", tc.name, dst)
		}
	}
	var nilPrev *Previous
	if _, ok, err := nilPrev.Reuse("a.msi", "key-a.msi", filepath.Join(stage, "n"), nil); ok || err != nil {
		t.Errorf("no previous release: %v %v", ok, err)
	}
}
