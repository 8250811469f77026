package wix

import "strings"

// The repair source: the console EXE copies its MSI into a cache folder
// that lasts as long as the product and runs msiexec on that copy, so
// Windows registers the copy as the install source. Windows caches the MSI
// without its cabinet; a repair that must restore a file reads the
// cabinet from the registered source, and fails with 1706 when the source
// is gone (as an EXE's temporary extraction folder is).
// https://learn.microsoft.com/en-us/windows/win32/msi/source-resiliency
// The MSI removes the folder when the product is uninstalled (RemoveFile
// rows, added after the build: wixl 0.101 has no RemoveFile element).

// SetupCacheProperty is the directory property naming the cache folder;
// the RemoveFile rows refer to it (RemoveFile.DirProperty).
const SetupCacheProperty = "SetupCacheDir"

// Type-51 actions that set SetupCacheProperty, one per context.
const (
	SetupCacheUserAction    = "SetupCacheDirUser"
	SetupCacheMachineAction = "SetupCacheDirMachine"
)

// SetupCache is where the EXE keeps the MSI: Folder under the user's local
// app data (per-user) or under ProgramData (per-machine, ALLUSERS=1).
type SetupCache struct {
	// Folder is relative to the base folder, with a trailing backslash:
	// Package Cache\<ProductCode without braces>v<Version>\ . The
	// ProductCode differs per version and architecture, so each package
	// has its own folder (the layout WiX's Burn uses for its cache).
	Folder string
	// File is the cached MSI's name inside Folder.
	File string
	// Property, UserAction and MachineAction name the directory property
	// and the two type-51 actions that set it.
	Property, UserAction, MachineAction string
}

// SetupCache returns the repair-source cache of this package. No braces in
// the folder name: in a formatted string (the type-51 action's target)
// braces have a meaning of their own.
func (m *Console) SetupCache() SetupCache {
	code := strings.Trim(m.ProductCode, "{}")
	return SetupCache{
		Folder:        `Package Cache\` + code + "v" + m.Version + `\`,
		File:          cacheName(m.ProductName) + " " + m.Version + " " + m.Arch + ".msi",
		Property:      SetupCacheProperty,
		UserAction:    SetupCacheUserAction,
		MachineAction: SetupCacheMachineAction,
	}
}

// cacheName is the product name as the cached MSI's file name holds it:
// an apostrophe ("Console d'assistance") becomes '_', because the name
// goes into a RemoveFile row through msibuild's SQL, whose string
// literals have no escape for a quote (libmsi's tokenizer: ” ends the
// literal; "failed to open query", measured with msitools 0.101).
func cacheName(s string) string { return strings.ReplaceAll(s, "'", "_") }
