// Package vsc builds the VSC driver packages (representative and
// customer). It reuses packaging/msi's wixl build, fix-up and read-back
// path and adds what a driver package needs: the rollback bit wixl cannot
// write, and read-back checks of the per-machine scope, the service and
// the driver custom actions.
package vsc

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/msiforge/msiforge/internal/config"
	"github.com/msiforge/msiforge/internal/execx"
	"github.com/msiforge/msiforge/internal/msitools"
	"github.com/msiforge/msiforge/internal/vschelper"
	"github.com/msiforge/msiforge/packaging"
	"github.com/msiforge/msiforge/packaging/msi"
	"github.com/msiforge/msiforge/wix"
)

// Job is one VSC package to build.
type Job struct {
	Model       *wix.VSC
	Source      []byte // the rendered .wxs
	Out         string
	Epoch       time.Time
	Signer      packaging.Signer // signs the service executable and the MSI
	SignPayload bool
	Log         func(msg string) // receives the read-back's extra rows; may be nil
	// Check, when set, inspects the fixed-up MSI before it is signed (see msi.Job).
	Check func(ctx context.Context, path string) error
	Step  func(step string) // see msi.Job; may be nil
	// Helper, when set, returns the helper built for an architecture
	// (a release builds it once per architecture for both roles); nil:
	// Build builds its own. Build only reads the file.
	Helper func(ctx context.Context, arch string) (string, error)
}

// Kind is the artifact kind of a role.
func Kind(role string) string {
	if role == config.RoleCustomer {
		return packaging.KindVSCCustomer
	}
	return packaging.KindVSCRepresentative
}

// Tools are the programs Build runs, for the build's preflight: the
// helper's build, then the MSI's.
var Tools = append(append([]string(nil), vschelper.Tools...), msi.Tools...)

// Build builds job.Model's package into job.Out. It first cross-compiles
// the helper the driver actions run (internal/vschelper), which needs Go.
func Build(ctx context.Context, run execx.Runner, job Job) (packaging.Artifact, error) {
	m := job.Model
	if job.Step != nil {
		job.Step("helper")
	}
	helper := job.Helper
	if helper == nil {
		dir, err := os.MkdirTemp("", "msiforge-vsc-")
		if err != nil {
			return packaging.Artifact{}, err
		}
		defer os.RemoveAll(dir)
		helper = func(ctx context.Context, arch string) (string, error) { return vschelper.Build(ctx, run, arch, dir) }
	}
	var err error
	if m.Helper.Path, err = helper(ctx, m.Arch); err != nil {
		return packaging.Artifact{}, err
	}
	return msi.Build(ctx, run, msi.Job{
		Kind:        Kind(m.Role),
		Package:     msi.PackageInfo{Arch: m.Arch, WixlArch: m.WixlArch, ProductCode: m.ProductCode, UpgradeCode: m.UpgradeCode, Version: m.Version, Codepage: m.Codepage},
		Files:       append(m.Files(), m.Helper), // the helper is staged (and signed) for the Binary table
		Fixes:       func(packageCode string, epoch time.Time) []msi.Fix { return Fixes(m, packageCode, epoch) },
		Source:      job.Source,
		Out:         job.Out,
		Epoch:       job.Epoch,
		Signer:      job.Signer,
		SignPayload: job.SignPayload,
		Names:       msi.VSCNames(m),
		Log:         job.Log,
		Check:       job.Check,
		Step:        job.Step,
	})
}

// ServiceControl event bits (msidbServiceControlEvent*).
const (
	EventStart           = 0x001
	EventStop            = 0x002
	EventUninstallStop   = 0x020
	EventUninstallDelete = 0x080
)

// ServiceType and start values of the ServiceInstall table.
const (
	ServiceOwnProcess = 0x10
	ErrorNormal       = 1
)

// StartType maps the config's start types to ServiceInstall.StartType.
var StartType = map[string]int{"auto": 2, "demand": 3, "disabled": 4}

// Events are the ServiceControl events of m's service: stop on install
// (before an upgrade replaces it) and on uninstall, delete on uninstall,
// start on install for an automatic service.
func Events(m *wix.VSC) int {
	e := EventStop | EventUninstallStop | EventUninstallDelete
	if m.StartOnInstall {
		e |= EventStart
	}
	return e
}

// FixSequence moves action to seq in InstallExecuteSequence.
func FixSequence(action string, seq int) msi.Fix {
	return msi.Fix{
		Name: "sequence of " + action,
		Edit: func(string) (msi.Edit, error) {
			return msi.Queries(fmt.Sprintf("UPDATE `InstallExecuteSequence` SET `Sequence` = %d WHERE `Action` = %s", seq, msitools.Quote(action)))
		},
		Check: func(ctx context.Context, run execx.Runner, path string) error {
			return msi.CheckRow(ctx, run, path, "InstallExecuteSequence", "Action", action, map[string]string{"Sequence": strconv.Itoa(seq)})
		},
	}
}

// Fixes are the fix-ups and read-back checks of a VSC package.
func Fixes(m *wix.VSC, packageCode string, epoch time.Time) []msi.Fix {
	itoa := strconv.Itoa
	fixes := []msi.Fix{
		msi.FixCustomActionType(wix.VSCDriverInstall, wix.TypeDriverInstall),
		msi.FixCustomActionType(wix.VSCDriverUninstall, wix.TypeDriverUninstall),
		msi.FixCustomActionType(wix.VSCDriverRollback, wix.TypeDriverRollback),
		msi.FixCustomActionType(wix.VSCDriverReAdd, wix.TypeDriverReAdd),
		FixSequence("RemoveExistingProducts", wix.SeqRemoveExistingProducts),
		msi.Verify("per-machine package", "Property", "Property", "ALLUSERS", map[string]string{"Value": "1"}),
		msi.Verify("driver install action", "CustomAction", "Action", wix.VSCDriverInstall,
			map[string]string{"Source": wix.VSCHelperBinary, "Target": m.HelperCommand("add")}),
		msi.Verify("driver rollback action", "CustomAction", "Action", wix.VSCDriverRollback,
			map[string]string{"Source": wix.VSCHelperBinary, "Target": m.HelperCommand("rollback")}),
		msi.Verify("driver uninstall action", "CustomAction", "Action", wix.VSCDriverUninstall,
			map[string]string{"Source": wix.VSCHelperBinary, "Target": m.HelperCommand("remove")}),
		msi.Verify("driver re-add action", "CustomAction", "Action", wix.VSCDriverReAdd,
			map[string]string{"Source": wix.VSCHelperBinary, "Target": m.HelperCommand("add")}),
		msi.Verify("driver install sequence", "InstallExecuteSequence", "Action", wix.VSCDriverInstall,
			map[string]string{"Sequence": itoa(wix.SeqDriverInstall), "Condition": "NOT Installed"}),
		msi.Verify("driver rollback sequence", "InstallExecuteSequence", "Action", wix.VSCDriverRollback,
			map[string]string{"Sequence": itoa(wix.SeqDriverRollback), "Condition": "NOT Installed"}),
		msi.Verify("driver re-add sequence", "InstallExecuteSequence", "Action", wix.VSCDriverReAdd,
			map[string]string{"Sequence": itoa(wix.SeqDriverReAdd), "Condition": m.CondDriverRemove()}),
		msi.Verify("driver uninstall sequence", "InstallExecuteSequence", "Action", wix.VSCDriverUninstall,
			map[string]string{"Sequence": itoa(wix.SeqDriverRemove), "Condition": m.CondDriverRemove()}),
		msi.Verify("detection of the other VSC package", "AppSearch", "Property", wix.OtherInstalled,
			map[string]string{"Signature_": "VscOtherRole"}),
		msi.Verify("build number search", "AppSearch", "Property", wix.BuildNumber, map[string]string{"Signature_": "VscBuildNumber"}),
		msi.FixRegLocator("VscBuildNumber", msi.RootHKLM, regType(m.Win64)),
		msi.Verify("service", "ServiceInstall", "Name", m.ServiceName, map[string]string{
			"DisplayName": m.DisplayName, "ServiceType": itoa(ServiceOwnProcess), "StartType": itoa(StartType[m.Start]),
			"ErrorControl": itoa(ErrorNormal), "StartName": "LocalSystem", "Component_": wix.VSCServiceComp,
		}),
		msi.Verify("service control", "ServiceControl", "Name", m.ServiceName, map[string]string{
			"Event": itoa(Events(m)), "Wait": "1", "Component_": wix.VSCServiceComp,
		}),
	}
	for _, c := range m.LaunchConditions {
		fixes = append(fixes, msi.Verify("launch condition", "LaunchCondition", "Condition", c.Condition, map[string]string{"Description": c.Message}))
	}
	if m.ARM64Guard {
		fixes = append(fixes,
			msi.Verify("processor architecture search", "AppSearch", "Property", wix.ProcArch, map[string]string{"Signature_": "VscProcArch"}),
			msi.FixRegLocator("VscProcArch", msi.RootHKLM, regType(true)))
	}
	return append(fixes,
		// Last: the summary fields that make the build reproducible (and arm64).
		msi.FixSummary(map[int]string{
			msi.PIDTemplate:  m.Template,
			msi.PIDRevision:  packageCode,
			msi.PIDCreated:   msi.SummaryTime(epoch),
			msi.PIDLastSaved: msi.SummaryTime(epoch),
		}),
	)
}

// regType is a raw RegLocator read, of the 64-bit registry when win64.
func regType(win64 bool) int {
	if win64 {
		return msi.LocatorRawValue | msi.Locator64Bit
	}
	return msi.LocatorRawValue
}
