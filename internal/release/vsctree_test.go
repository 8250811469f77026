package release_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/msiforge/msiforge/internal/config"
	"github.com/msiforge/msiforge/internal/execx"
	"github.com/msiforge/msiforge/internal/msi"
	"github.com/msiforge/msiforge/internal/release"
	"github.com/msiforge/msiforge/internal/testutil"
	"github.com/msiforge/msiforge/wix"
)

// vscExtraConfig is the example config whose x64 representative package
// also installs extra, in the payload tree's entry format.
func vscExtraConfig(t *testing.T, extra string) (*config.Config, error) {
	t.Helper()
	path := testutil.ExampleConfig(t)
	dir := filepath.Dir(path)
	write(t, filepath.Join(dir, "vscextra", "readme.txt"), "readme\n")
	write(t, filepath.Join(dir, "vscextra", "bin", "tool.exe"), "tool\n")
	write(t, filepath.Join(dir, "vscextra", "bin", "lang", "fr.dat"), "fr\n")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	const svc = "service: ../vsc/build/x64/VscService.exe}"
	text := strings.Replace(string(data), svc, "service: ../vsc/build/x64/VscService.exe, extra: "+extra+"}", 1)
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return config.Load(path)
}

// TestVSCExtraFiles builds the representative package with extra files in
// the role folder and a subfolder tree, and reads the tables back.
func TestVSCExtraFiles(t *testing.T) {
	testutil.NeedTool(t, "wixl", "msibuild")
	c, err := vscExtraConfig(t, `[{src: vscextra/bin, dst: tools}, {src: vscextra/readme.txt, dst: README.txt}]`)
	if err != nil {
		t.Fatal(err)
	}
	c.Architectures = []string{"x64"}
	c.VSC.Architectures = []string{"x64"}
	c.VSC.Customer = nil
	arts, err := release.Build(context.Background(), execx.OS{}, c, release.Options{OutDir: t.TempDir(), Targets: nil})
	if err != nil {
		t.Fatal(err)
	}
	var path string
	for _, a := range arts {
		if strings.Contains(a.Kind, "representative") {
			path = a.Path
		}
	}
	if path == "" {
		t.Fatal("no representative package built")
	}
	f, err := msi.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows := func(table string) []map[string]string {
		r, err := f.Rows(table)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	comps := map[string]string{}
	for _, r := range rows("Component") {
		comps[r["Component"]] = r["Directory_"]
	}
	dirs := map[string]string{}
	for _, r := range rows("Directory") {
		dirs[r["Directory"]] = r["Directory_Parent"] + "/" + r["DefaultDir"]
	}
	files := map[string]bool{}
	for _, r := range rows("File") {
		name := r["FileName"]
		if i := strings.IndexByte(name, '|'); i >= 0 {
			name = name[i+1:]
		}
		files[comps[r["Component_"]]+"/"+name] = true
	}
	tools, lang := wix.Identifier("D_X_", "tools"), wix.Identifier("D_X_", "tools/lang")
	for _, want := range []string{"INSTALLDIR/README.txt", tools + "/tool.exe", lang + "/fr.dat", "INSTALLDIR/VscService.exe", "DRIVERDIR/vscsample.inf"} {
		if !files[want] {
			t.Errorf("no file %s; files: %v", want, files)
		}
	}
	if dirs[tools] != "INSTALLDIR/tools" || dirs[lang] != tools+"/lang" {
		t.Errorf("Directory rows %q, %q; want INSTALLDIR/tools and %s/lang", dirs[tools], dirs[lang], tools)
	}
	removed := map[string]bool{}
	for _, r := range rows("RemoveFile") {
		removed[r["DirProperty"]] = true
	}
	created := map[string]bool{}
	for _, r := range rows("CreateFolder") {
		created[r["Directory_"]] = true
	}
	for _, d := range []string{tools, lang, "INSTALLDIR"} {
		if !removed[d] || !created[d] {
			t.Errorf("folder %s: in RemoveFile %v, in CreateFolder %v; want both", d, removed[d], created[d])
		}
	}
	fc := 0
	for _, r := range rows("FeatureComponents") {
		if r["Feature_"] == "VSC" {
			fc++
		}
	}
	if want := 5 + 3; fc != want { // service, registry, inf, sys, cat + 3 extra files
		t.Errorf("%d components in feature VSC, want %d", fc, want)
	}
}

func TestVSCExtraErrors(t *testing.T) {
	for _, tt := range []struct{ extra, want string }{
		{`[{src: vscextra/readme.txt, dst: Driver/readme.txt}]`, `vsc.representative.files.x64.extra[0].dst: ` + "DIR" + `/vscextra/readme.txt would be installed as Driver/readme.txt: the Driver folder holds the driver package (inf, sys, cat) only`},
		{`[{src: vscextra/readme.txt, dst: vscservice.EXE}]`, `collides with`},
		{`[{src: vscextra, dst: ../up}]`, `vsc.representative.files.x64.extra[0].dst: "../up" steps out of its folder with ".."`},
	} {
		_, err := vscExtraConfig(t, tt.extra)
		if err == nil {
			t.Errorf("%s: no error", tt.extra)
			continue
		}
		msg := err.Error()
		if i := strings.Index(msg, "/vscextra/"); i >= 0 {
			j := strings.LastIndex(msg[:i], " ")
			msg = msg[:j+1] + "DIR" + msg[i:]
		}
		if !strings.Contains(msg, tt.want) {
			t.Errorf("%s: error %q lacks %q", tt.extra, msg, tt.want)
		}
	}
}
