package msi_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/msiforge/msiforge/internal/execx"
	"github.com/msiforge/msiforge/internal/testutil"
	"github.com/msiforge/msiforge/packaging/msi"
)

const wxs = `<?xml version="1.0" encoding="utf-8"?>
<Wix xmlns="http://schemas.microsoft.com/wix/2006/wi">
  <Product Id="{11111111-2222-3333-4444-555555555555}" Name="T" Language="1033" Version="1.0.0" Manufacturer="M"
           UpgradeCode="{11111111-2222-3333-4444-666666666666}">
    <Package InstallerVersion="500" Compressed="yes" InstallScope="perUser"/>
    <MediaTemplate EmbedCab="yes"/>
    <Directory Id="TARGETDIR" Name="SourceDir">
      <Directory Id="LocalAppDataFolder">
        <Directory Id="INSTALLDIR" Name="T">
          <Component Id="C" Guid="{11111111-2222-3333-4444-777777777777}" %s>
            <File Id="F" Name="a.txt" Source="a.txt" KeyPath="yes"/>
          </Component>
        </Directory>
      </Directory>
    </Directory>
    <Feature Id="Main" Level="1"><ComponentRef Id="C"/></Feature>
  </Product>
</Wix>`

func compile(t *testing.T, componentAttrs string) error {
	t.Helper()
	testutil.NeedTool(t, "wixl")
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "a.txt"), []byte("a"), 0o644); err != nil {
		t.Fatal(err)
	}
	src := strings.Replace(wxs, "%s", componentAttrs, 1)
	if err := os.WriteFile(filepath.Join(dir, "p.wxs"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	return msi.Compile(context.Background(), execx.OS{}, dir, "x86", "p.wxs", "out.msi")
}

// TestCompileWithRealWixl: a clean source compiles; an attribute wixl
// ignores (it only prints a GLib warning and exits 0) fails the build.
func TestCompileWithRealWixl(t *testing.T) {
	if err := compile(t, ""); err != nil {
		t.Fatalf("clean source: %v", err)
	}
	err := compile(t, `Condition="RUNATSTARTUP=1"`)
	if err == nil || !strings.Contains(err.Error(), "wixl printed warnings, which msiforge treats as errors") || !strings.Contains(err.Error(), "Condition") {
		t.Fatalf("ignored attribute: err = %v", err)
	}
}
