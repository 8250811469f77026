package lint

import (
	"strings"
)

// ICE102: https://learn.microsoft.com/windows/win32/msi/ice-102 . The
// MsiServiceConfig and MsiServiceConfigFailureActions tables (Windows
// Installer 5.0) configure installed services; wixl writes neither, but a
// custom template may.
func ice102(d *db) []Finding {
	var out []Finding
	comps := d.index("Component", "Component")
	bad := func(table, key, format string, args ...any) {
		out = append(out, find("ICE102", Error, table, key, format, args...))
	}
	event := func(table, key, v string) {
		if e := atoi(v); v == "" || e < 1 || e > 7 {
			bad(table, key, "In the %s table entry (%s = %s), Event = %s is not a valid parameter. It should be a combination of msidbServiceConfigEventInstall (1), msidbServiceConfigEventUninstall (2) and msidbServiceConfigEventReinstall (4).", table, table, key, v)
		}
	}
	component := func(table, key, v string) {
		if !comps[v] {
			bad(table, key, "In the %s table entry (%s = %s), Component_ = %s is not a key of the Component table.", table, table, key, v)
		}
	}
	for _, r := range d.rows["MsiServiceConfig"] {
		key := r["MsiServiceConfig"]
		event("MsiServiceConfig", key, r["Event"])
		component("MsiServiceConfig", key, r["Component_"])
		arg := r["Argument"]
		argBad := func(typ, want string) {
			bad("MsiServiceConfig", key, "In the MsiServiceConfig table entry (MsiServiceConfig = %s), Argument = %s is not a valid %s parameter. It should be %s.", key, arg, typ, want)
		}
		switch ct := r["ConfigType"]; ct {
		case "3": // SERVICE_CONFIG_DELAYED_AUTO_START_INFO
			if arg != "0" && arg != "1" {
				argBad("SERVICE_CONFIG_DELAYED_AUTO_START", "0 or 1")
			}
		case "4": // SERVICE_CONFIG_FAILURE_ACTIONS_FLAG
			if arg != "0" && arg != "1" {
				argBad("SERVICE_CONFIG_FAILURE_ACTIONS_FLAG", "0 or 1")
			}
		case "5": // SERVICE_CONFIG_SERVICE_SID_INFO
			if arg != "0" && arg != "1" && arg != "3" {
				argBad("SERVICE_CONFIG_SERVICE_SID_INFO", "SERVICE_SID_TYPE_NONE (0), SERVICE_SID_TYPE_UNRESTRICTED (1) or SERVICE_SID_TYPE_RESTRICTED (3)")
			}
		case "6": // SERVICE_CONFIG_REQUIRED_PRIVILEGES_INFO
			ok := arg != ""
			for _, p := range strings.Split(arg, "[~]") {
				if !strings.HasPrefix(p, "Se") || !(strings.HasSuffix(p, "Privilege") || strings.HasSuffix(p, "Right")) {
					ok = false
				}
			}
			if !ok {
				argBad("SERVICE_CONFIG_REQUIRED_PRIVILEGES_INFO", "privilege constants (SeXxxPrivilege) separated by [~]")
			}
		case "7": // SERVICE_CONFIG_PRESHUTDOWN_INFO
			if arg != "" && (strings.Trim(arg, "0123456789") != "" || atoi(arg) <= 0) {
				argBad("SERVICE_CONFIG_PRESHUTDOWN_INFO", "a positive number of milliseconds or empty")
			}
		default:
			bad("MsiServiceConfig", key, "In the MsiServiceConfig table entry (MsiServiceConfig = %s), ConfigType = %s is not a valid parameter. It should be between 3 and 7.", key, ct)
		}
	}
	for _, r := range d.rows["MsiServiceConfigFailureActions"] {
		key := r["MsiServiceConfigFailureActions"]
		event("MsiServiceConfigFailureActions", key, r["Event"])
		component("MsiServiceConfigFailureActions", key, r["Component_"])
		acts, delays := split(r["Actions"]), split(r["DelayActions"])
		for _, a := range acts {
			if a != "0" && a != "1" && a != "2" && a != "3" {
				bad("MsiServiceConfigFailureActions", key, "In the MsiServiceConfigFailureActions table entry (MsiServiceConfigFailureActions = %s), Actions = %s is not a valid parameter. It should be SC_ACTION_NONE (0), SC_ACTION_RESTART (1), SC_ACTION_REBOOT (2) or SC_ACTION_RUN_COMMAND (3), separated by [~].", key, r["Actions"])
				break
			}
		}
		if len(acts) != len(delays) {
			bad("MsiServiceConfigFailureActions", key, "In the MsiServiceConfigFailureActions table entry (MsiServiceConfigFailureActions = %s), Actions lists %d values and DelayActions %d; they must list as many.", key, len(acts), len(delays))
		}
	}
	return out
}

func split(v string) []string {
	if v == "" {
		return nil
	}
	return strings.Split(v, "[~]")
}
