package matrix

// WineDiff is a lifecycle scenario whose outcome under Wine's Windows
// Installer differs from Windows' documented one: why (the row of
// docs/wine-differences.md) and what Wine ends with instead.
type WineDiff struct {
	Reason string `json:"reason"`
	Want   Expect `json:"want"`
}

// WineDiffers lists, by scenario ID, the scenarios of [Scenarios] in which
// Wine (8.0) departs from Windows, with Wine's outcome. internal/check's
// TestWineScenarios fails when one of them starts to agree with Windows,
// and the verification kit (internal/verifykit) compares a run under Wine
// with these expectations instead of the Windows ones.
func WineDiffers() map[string]WineDiff {
	out := map[string]WineDiff{}
	for _, s := range scopes {
		this := []string{PkgThis + ":" + s.name}
		full := settings(s, "1", "1", CustomInstallDir)
		// Row 1: a maintenance run reinstalls with the command line's
		// values; row 2: the Run component stays although its condition
		// turned false.
		out[s.name+"/rerun-without-reinstall"] = WineDiff{"a maintenance run reinstalls (docs/wine-differences.md row 1)",
			Expect{Exit: ExitOK, Products: this, Settings: settings(s, "0", "1", CustomInstallDir), Run: "yes", Files: "yes"}}
		for _, id := range []string{"change-run-off", "installdir-same-accepted"} {
			out[s.name+"/"+id] = WineDiff{"a component whose condition turned false stays (row 2)",
				Expect{Exit: ExitOK, Products: this, Settings: settings(s, "0", "1", CustomInstallDir), Run: "yes", Files: "yes"}}
		}
		// Row 4: no 1638; the rebuild (same ProductCode) runs as a
		// maintenance run with the remembered values.
		out[s.name+"/rebuild"] = WineDiff{"no 1638 (row 4)",
			Expect{Exit: ExitOK, Products: this, Settings: full, Run: "yes", Files: "yes"}}
		// Row 5: the run is a maintenance run (Installed is set, so the
		// other-context launch conditions pass) that keeps the command
		// line's ALLUSERS: it writes the settings and the Run value into
		// the other context's hive too, while the product stays
		// registered in its own context (measured with verify-kit).
		out[s.name+"/other-context-same-package"] = WineDiff{"maintenance keeps the command line's ALLUSERS (row 5)",
			Expect{Exit: ExitOK, Products: this, Settings: full, Run: "yes", Files: "yes"}}
	}
	return out
}
