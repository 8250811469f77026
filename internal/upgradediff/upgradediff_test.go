package upgradediff_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/msiforge/msiforge/internal/config"
	"github.com/msiforge/msiforge/internal/execx"
	"github.com/msiforge/msiforge/internal/msitools"
	"github.com/msiforge/msiforge/internal/release"
	"github.com/msiforge/msiforge/internal/testutil"
	"github.com/msiforge/msiforge/internal/upgradediff"
)

// build builds the example's x64 console MSI with the real wixl, after
// edit changes the config or its payload.
func build(t *testing.T, edit func(c *config.Config)) string {
	t.Helper()
	testutil.NeedTool(t, "wixl", "msibuild", "msiinfo")
	c := testutil.LoadExample(t, "x64")
	off := false
	c.Console.EXE = &off
	if edit != nil {
		edit(c)
	}
	arts, err := release.Build(context.Background(), execx.OS{}, c, release.Options{Archs: []string{"x64"}, OutDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	if len(arts) != 1 {
		t.Fatalf("built %d artifacts, want 1", len(arts))
	}
	return arts[0].Path
}

// patched copies the MSI at path and runs SQL on the copy with msibuild.
func patched(t *testing.T, path string, sql ...string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), filepath.Base(path))
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := msitools.Query(context.Background(), execx.OS{}, p, sql...); err != nil {
		t.Fatal(err)
	}
	return p
}

func rules(r *upgradediff.Report) string {
	var s []string
	for _, p := range r.Problems {
		s = append(s, p.Rule)
	}
	return strings.Join(s, ",")
}

// TestDiffRealBuilds compares real wixl builds of the example: 1.4.2, a
// 1.5.0 built from the same config, and a rebuild of 1.4.2 whose payload
// changed (issue 11 problem 6: same version, other content, the 1638
// case), plus msibuild edits that each break one rule.
func TestDiffRealBuilds(t *testing.T) {
	base := build(t, nil)
	next := build(t, func(c *config.Config) { c.Product.Version = "1.5.0" })
	rebuilt := build(t, func(c *config.Config) {
		if err := os.WriteFile(c.Path("README.txt"), []byte("the same version with other content\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	})

	for _, tc := range []struct {
		name      string
		old, new  string
		wantRules string // "" = no problem
		wantKind  string
		wantText  string // a fragment of a problem's message
	}{
		{"major upgrade", base, next, "", "major upgrade", ""},
		{"identical rebuild", base, build(t, nil), "", "identical package (same PackageCode)", ""},
		{"same version, other content", base, rebuilt, upgradediff.RuleSameVersion, "same version, other build", "Windows refuses it over the earlier build: error 1638"},
		{"downgrade", next, base, upgradediff.RuleVersion, "downgrade", "goes down from 1.5.0 to 1.4.2"},
		{"fourth field only", base, patched(t, base, "UPDATE `Property` SET `Value` = '1.4.2.7' WHERE `Property` = 'ProductVersion'"),
			upgradediff.RuleFourthField, "same version (fourth field only)", "differ only in the fourth field"},
		{"ProductCode kept with a new version", base, patched(t, next, "UPDATE `Property` SET `Value` = '"+productCode(t, base)+"' WHERE `Property` = 'ProductCode'"),
			upgradediff.RuleProductCode, "same ProductCode, other version", "error 1638"},
		{"UpgradeCode changed", base, patched(t, next, "UPDATE `Property` SET `Value` = '{00000000-1111-2222-3333-444444444444}' WHERE `Property` = 'UpgradeCode'"),
			upgradediff.RuleUpgradeCode, "unrelated product (other UpgradeCode)", "install beside the old one"},
		{"no Upgrade row removes the old version", base, patched(t, next, "DELETE FROM `Upgrade` WHERE `ActionProperty` = 'WIX_UPGRADE_DETECTED'"),
			upgradediff.RuleNoUpgradeRow, "major upgrade", "both would stay installed"},
		{"component moved to another folder", base, patched(t, next, "UPDATE `Component` SET `Directory_` = 'ManufacturerDir' WHERE `Component` = 'Settings'"),
			upgradediff.RuleComponent, "major upgrade", `moved from [ProgramFiles64Folder]\Example Corp\Example Support Console to [ProgramFiles64Folder]\Example Corp`},
		{"component key path renamed", base, patched(t, next, "UPDATE `File` SET `FileName` = 'Console2.exe' WHERE `FileName` = 'ExampleConsole.exe'"),
			upgradediff.RuleComponent, "major upgrade", `key path changed from [ProgramFiles64Folder]\Example Corp\Example Support Console\ExampleConsole.exe to [ProgramFiles64Folder]\Example Corp\Example Support Console\Console2.exe`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := upgradediff.Diff(tc.old, tc.new)
			if err != nil {
				t.Fatal(err)
			}
			if got := rules(r); got != tc.wantRules {
				t.Errorf("rules %q, want %q\n%s", got, tc.wantRules, r.Text())
			}
			if r.OK != (tc.wantRules == "") {
				t.Errorf("OK = %v with problems %q", r.OK, rules(r))
			}
			if r.Kind != tc.wantKind {
				t.Errorf("kind %q, want %q", r.Kind, tc.wantKind)
			}
			if tc.wantText != "" && !strings.Contains(r.Text(), tc.wantText) {
				t.Errorf("report lacks %q:\n%s", tc.wantText, r.Text())
			}
		})
	}
}

func productCode(t *testing.T, path string) string {
	t.Helper()
	p, err := upgradediff.Read(path)
	if err != nil {
		t.Fatal(err)
	}
	return p.ProductCode
}

func TestParseVersion(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want upgradediff.Version
		bad  bool
	}{
		{"1.4.2", upgradediff.Version{1, 4, 2, 0}, false},
		{"1.4.2.7", upgradediff.Version{1, 4, 2, 7}, false},
		{"255.255.65535", upgradediff.Version{255, 255, 65535, 0}, false},
		{"1.0", upgradediff.Version{1, 0, 0, 0}, false},
		{"256.0.0", upgradediff.Version{}, true},
		{"1.256.0", upgradediff.Version{}, true},
		{"1.0.65536", upgradediff.Version{}, true},
		{"1.4.2.7.1", upgradediff.Version{}, true},
		{"1.04.2", upgradediff.Version{}, true},
		{"", upgradediff.Version{}, true},
		{"1.-1.0", upgradediff.Version{}, true},
	} {
		got, err := upgradediff.ParseVersion(tc.in)
		if (err != nil) != tc.bad || (!tc.bad && got != tc.want) {
			t.Errorf("ParseVersion(%q) = %v, %v", tc.in, got, err)
		}
	}
	a, _ := upgradediff.ParseVersion("1.4.2.1")
	b, _ := upgradediff.ParseVersion("1.4.2.9")
	if a.Compare3(b) != 0 {
		t.Error("the fourth field must not count")
	}
}
