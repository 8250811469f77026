package vsc_test

import (
	"testing"

	"github.com/msiforge/msiforge/packaging"
	"github.com/msiforge/msiforge/packaging/vsc"
	"github.com/msiforge/msiforge/wix"
)

func TestEvents(t *testing.T) {
	// 0xA3 is what wixl writes for Start="install" Stop="both"
	// Remove="uninstall"; a demand or disabled service is not started.
	if got := vsc.Events(&wix.VSC{StartOnInstall: true}); got != 0xA3 {
		t.Errorf("auto start: events %#x, want 0xa3", got)
	}
	if got := vsc.Events(&wix.VSC{}); got != 0xA2 {
		t.Errorf("demand start: events %#x, want 0xa2", got)
	}
}

func TestKind(t *testing.T) {
	if vsc.Kind("representative") != packaging.KindVSCRepresentative || vsc.Kind("customer") != packaging.KindVSCCustomer {
		t.Error("kinds do not follow the roles")
	}
}

func TestTypes(t *testing.T) {
	// The custom action types the packages must carry, spelled out.
	for name, c := range map[string]struct{ got, want int }{
		"install":   {wix.TypeDriverInstall, 2 + 0x400 + 0x800},
		"uninstall": {wix.TypeDriverUninstall, 2 + 0x40 + 0x400 + 0x800},
		"rollback":  {wix.TypeDriverRollback, 2 + 0x40 + 0x100 + 0x400 + 0x800},
		"re-add":    {wix.TypeDriverReAdd, 2 + 0x40 + 0x100 + 0x400 + 0x800},
	} {
		if c.got != c.want {
			t.Errorf("%s type %d, want %d", name, c.got, c.want)
		}
	}
}
