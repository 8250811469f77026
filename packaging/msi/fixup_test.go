package msi_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/msiforge/msiforge/internal/execx"
	"github.com/msiforge/msiforge/internal/msitools"
	"github.com/msiforge/msiforge/internal/testutil"
	"github.com/msiforge/msiforge/packaging/msi"
)

// lifecycleWxs has one of each thing the console's lifecycle fix-ups
// correct: a component meant to be transitive, an exact-version
// OnlyDetect Upgrade row, registry searches and an immediate type-51
// action written without Impersonate (wixl's default: 0x800).
const lifecycleWxs = `<?xml version="1.0" encoding="utf-8"?>
<Wix xmlns="http://schemas.microsoft.com/wix/2006/wi">
  <Product Id="{11111111-2222-3333-4444-555555555555}" Name="T" Language="1033" Version="2.3.4" Manufacturer="M"
           UpgradeCode="{11111111-2222-3333-4444-666666666666}">
    <Package InstallerVersion="500" Compressed="yes" InstallScope="perUser"/>
    <MediaTemplate EmbedCab="yes"/>
    <MajorUpgrade DowngradeErrorMessage="newer"/>
    <Upgrade Id="{11111111-2222-3333-4444-666666666666}">
      <UpgradeVersion Minimum="2.3.4" Maximum="2.3.4" IncludeMinimum="yes" OnlyDetect="yes" Property="SAMEVERSIONDETECTED"/>
    </Upgrade>
    <Property Id="UserX">
      <RegistrySearch Id="XUser" Root="HKCU" Key="Software\M\T" Name="X" Type="raw"/>
    </Property>
    <Property Id="MachineX">
      <RegistrySearch Id="XMachine" Root="HKLM" Key="Software\M\T" Name="X" Type="raw" Win64="yes"/>
    </Property>
    <CustomAction Id="Plain" Property="A" Value="1"/>
    <CustomAction Id="Impersonated" Property="B" Value="1" Impersonate="yes"/>
    <CustomAction Id="Deferred" Property="CMD" ExeCommand="/c echo" Execute="deferred" Return="ignore"/>
    <Property Id="CMD" Value="cmd.exe"/>
    <InstallExecuteSequence>
      <Custom Action="Plain" Sequence="51"/>
      <Custom Action="Impersonated" Sequence="52"/>
      <Custom Action="Deferred" After="InstallFiles"/>
    </InstallExecuteSequence>
    <Directory Id="TARGETDIR" Name="SourceDir">
      <Directory Id="LocalAppDataFolder">
        <Directory Id="INSTALLDIR" Name="T">
          <Component Id="Run" Guid="{11111111-2222-3333-4444-777777777777}" Win64="yes">
            <RegistryValue Root="HKCU" Key="Software\M\T" Name="X" Type="string" Value="1" KeyPath="yes"/>
          </Component>
        </Directory>
      </Directory>
    </Directory>
    <Feature Id="Main" Level="1"><ComponentRef Id="Run"/></Feature>
  </Product>
</Wix>`

// lifecycleMSI compiles lifecycleWxs with the real wixl.
func lifecycleMSI(t *testing.T) string {
	t.Helper()
	testutil.NeedTool(t, "wixl", "msibuild")
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "p.wxs"), []byte(lifecycleWxs), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := msi.Compile(context.Background(), execx.OS{}, dir, "x64", "p.wxs", "out.msi"); err != nil {
		t.Fatal(err)
	}
	return filepath.Join(dir, "out.msi")
}

func cell(t *testing.T, path, table, key, keyValue, col string) string {
	t.Helper()
	tab, err := msi.ReadTable(path, table)
	if err != nil {
		t.Fatal(err)
	}
	v, ok := tab.Lookup(key, keyValue, col)
	if !ok {
		t.Fatalf("%s has no row %s=%s", table, key, keyValue)
	}
	return v
}

// TestLifecycleFixes: what wixl 0.101 writes is wrong in each way the fix
// corrects (so each Check fails before its Apply), and after ApplyFixes
// the tables read back as asked, keeping what wixl got right.
func TestLifecycleFixes(t *testing.T) {
	path := lifecycleMSI(t)
	ctx := context.Background()
	run := execx.OS{}
	fixes := []msi.Fix{
		msi.FixComponentAttributes("Run", 0x40),
		msi.FixUpgradeAttributes("SAMEVERSIONDETECTED", msi.UpgradeOnlyDetect|msi.UpgradeVersionMinInclusive|msi.UpgradeVersionMaxInclusive),
		msi.FixImmediateImpersonate(),
	}
	// wixl's own output: no transitive bit, IncludeMaximum dropped, 0x800
	// on an immediate action.
	if got := cell(t, path, "Component", "Component", "Run", "Attributes"); got != "260" {
		t.Errorf("wixl wrote Component Attributes %s, want 260 (the premise of the fix-up)", got)
	}
	if got := cell(t, path, "Upgrade", "ActionProperty", "SAMEVERSIONDETECTED", "Attributes"); got != "258" {
		t.Errorf("wixl wrote Upgrade Attributes %s, want 258 (IncludeMaximum ignored)", got)
	}
	if got := cell(t, path, "CustomAction", "Action", "Plain", "Type"); got != "2099" {
		t.Errorf("wixl wrote type %s for an immediate type-51 action, want 2099 (51 + 0x800)", got)
	}
	for _, f := range fixes {
		if err := f.Check(ctx, run, path); err == nil {
			t.Errorf("check of %q passes on wixl's output: it cannot fail", f.Name)
		}
	}

	if err := msi.ApplyFixes(ctx, run, path, fixes); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ table, key, keyValue, col, want string }{
		{"Component", "Component", "Run", "Attributes", "324"}, // 256 64-bit + 64 transitive + 4 registry key path
		{"Upgrade", "ActionProperty", "SAMEVERSIONDETECTED", "Attributes", "770"},
		{"Upgrade", "ActionProperty", "SAMEVERSIONDETECTED", "VersionMin", "2.3.4"},
		{"Upgrade", "ActionProperty", "SAMEVERSIONDETECTED", "VersionMax", "2.3.4"},
		{"Upgrade", "ActionProperty", "SAMEVERSIONDETECTED", "UpgradeCode", "{11111111-2222-3333-4444-666666666666}"},
		{"Upgrade", "ActionProperty", "WIX_UPGRADE_DETECTED", "Attributes", "1"},
		{"CustomAction", "Action", "Plain", "Type", "51"},
		{"CustomAction", "Action", "Impersonated", "Type", "51"},
		{"CustomAction", "Action", "Deferred", "Type", "3186"}, // 50 + 0x40 ignore + 0x400 deferred + 0x800: kept, it means something there
	} {
		if got := cell(t, path, c.table, c.key, c.keyValue, c.col); got != c.want {
			t.Errorf("%s %s=%s: %s = %q, want %q", c.table, c.key, c.keyValue, c.col, got, c.want)
		}
	}
	up, err := msi.ReadTable(path, "Upgrade")
	if err != nil {
		t.Fatal(err)
	}
	if len(up.Rows) != 3 {
		t.Errorf("Upgrade has %d rows after the fix-up, want 3", len(up.Rows))
	}
	// Applying again changes nothing (a rebuild applies to a fresh MSI,
	// but the fix-ups must not depend on that).
	if err := msi.ApplyFixes(ctx, run, path, fixes); err != nil {
		t.Fatal(err)
	}
	if got := cell(t, path, "Component", "Component", "Run", "Attributes"); got != "324" {
		t.Errorf("second apply: Attributes %s", got)
	}
}

// TestFixRegLocator: the registry searches are forced to the wanted hive
// and view, and the check notices a search in the wrong one.
func TestFixRegLocator(t *testing.T) {
	path := lifecycleMSI(t)
	ctx := context.Background()
	run := execx.OS{}
	user := msi.FixRegLocator("XUser", msi.RootHKCU, msi.LocatorRawValue)
	machine := msi.FixRegLocator("XMachine", msi.RootHKLM, msi.LocatorRawValue|msi.Locator64Bit)
	// What wixl writes is already right: the checks pass as built.
	for _, f := range []msi.Fix{user, machine} {
		if err := f.Check(ctx, run, path); err != nil {
			t.Errorf("wixl's RegLocator: %v", err)
		}
	}
	// A search in the 32-bit view of HKLM is wrong for a 64-bit package.
	if err := msitools.Query(ctx, run, path, "UPDATE `RegLocator` SET `Type` = 2 WHERE `Signature_` = 'XMachine'"); err != nil {
		t.Fatal(err)
	}
	if err := machine.Check(ctx, run, path); err == nil || !strings.Contains(err.Error(), `Type is "2", want "18"`) {
		t.Errorf("check of a 32-bit search: %v", err)
	}
	if err := msi.ApplyFixes(ctx, run, path, []msi.Fix{user, machine}); err != nil {
		t.Fatal(err)
	}
	if got := cell(t, path, "RegLocator", "Signature_", "XMachine", "Type"); got != "18" {
		t.Errorf("Type %s after the fix-up, want 18", got)
	}
	if got := cell(t, path, "RegLocator", "Signature_", "XUser", "Root"); got != "1" {
		t.Errorf("Root %s, want 1 (HKCU)", got)
	}
}

// TestFixUpgradeAttributesNeedsOneRow: no row (or several) setting the
// property is an error, not a silent no-op.
func TestFixUpgradeAttributesNeedsOneRow(t *testing.T) {
	path := lifecycleMSI(t)
	f := msi.FixUpgradeAttributes("NOSUCHPROPERTY", 770)
	err := msi.ApplyFixes(context.Background(), execx.OS{}, path, []msi.Fix{f})
	if err == nil || !strings.Contains(err.Error(), "0 Upgrade rows set NOSUCHPROPERTY, want 1") {
		t.Fatalf("err = %v", err)
	}
}
