package matrix

// The other install context. Windows Installer keeps per-user and
// per-machine installations apart: FindRelatedProducts only finds products
// installed in the context of the running install
// (https://learn.microsoft.com/en-us/windows/win32/msi/findrelatedproducts-action),
// so a per-machine install beside a per-user one would give two copies,
// two Run values and two shortcuts. The console package refuses it (launch
// conditions), and whoever chooses a command is told beforehand what to do.
const (
	// WarnMachineInstalled goes with every per-user choice.
	WarnMachineInstalled = "a per-user install is refused where the console is already installed for all users (per-machine): update that installation with ALLUSERS=1, or uninstall it first to switch to per-user (Windows Installer never upgrades across install contexts)"
	// WarnUserInstalled goes with every per-machine choice.
	WarnUserInstalled = "a per-machine install is refused when the installing account already has a per-user install of the console: update that one without ALLUSERS, or uninstall it first (as that user) to switch to per-machine; other users' per-user installs are not detected and stay beside it (Windows Installer never upgrades across install contexts)"
)

// OtherContextWarning is the warning of a choice of scope ("per-user" or
// "per-machine") about an installation in the other context.
func OtherContextWarning(scope string) string {
	if scope == "per-machine" {
		return WarnUserInstalled
	}
	return WarnMachineInstalled
}
