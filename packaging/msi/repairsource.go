package msi

import (
	"context"
	"fmt"

	"github.com/msiforge/msiforge/internal/execx"
	"github.com/msiforge/msiforge/internal/msi"
	"github.com/msiforge/msiforge/internal/msitools"
	"github.com/msiforge/msiforge/wix"
)

// RemoveFile.InstallMode 2: remove when the component is removed
// (uninstall, and the old product's removal in a major upgrade).
// https://learn.microsoft.com/en-us/windows/win32/msi/removefile-table
const removeOnUninstall = "2"

// RemoveFile rows that delete the EXE's MSI cache (wix.SetupCache).
const (
	setupCacheFilesKey  = "SetupCacheFiles"  // FileName "*": every file in the folder
	setupCacheMSIKey    = "SetupCacheMSI"    // the cached MSI by name
	setupCacheFolderKey = "SetupCacheFolder" // FileName null: the folder itself, once empty
)

// RepairSourceFixes are the console fix-ups of the EXE's repair source:
// the RemoveFile rows that delete the cache folder at uninstall, and the
// types of the two immediate actions that name the folder.
func RepairSourceFixes(m *wix.Console) []Fix {
	sc := m.SetupCache()
	return []Fix{
		FixRemoveCacheFolder(m.SettingsComponent(), sc.Property, sc.File),
		// Immediate type 51 without the no-impersonate bit (0x800), which
		// ICE68 flags and ICE105 rejects in a per-user package; the
		// template asks wixl for it with Impersonate="yes":
		// https://learn.microsoft.com/en-us/windows/win32/msi/custom-action-in-script-execution-options
		Verify("type of custom action "+sc.UserAction, "CustomAction", "Action", sc.UserAction, map[string]string{"Type": "51"}),
		Verify("type of custom action "+sc.MachineAction, "CustomAction", "Action", sc.MachineAction, map[string]string{"Type": "51"}),
	}
}

// FixRemoveCacheFolder adds RemoveFile rows that delete every file in the
// folder named by dirProperty, then the folder, when component is removed.
// Windows Installer expands wildcards in RemoveFile.FileName ("*"); Wine
// does not (it passes "dir\*" to DeleteFile, which fails), so a second row
// names the cached MSI, file, itself. The name goes in the Filename form
// short|long (a long name with spaces needs a short one beside it); the
// short name only matters on volumes without long names.
// component must be installed whenever the product is (no condition), so
// the rows run at every uninstall. wixl 0.101 has RemoveFolder but no
// RemoveFile element, hence a fix-up.
func FixRemoveCacheFolder(component, dirProperty, file string) Fix {
	type row struct{ key, fileName string }
	rows := []row{{setupCacheFilesKey, "*"}, {setupCacheMSIKey, "SETUP~1.MSI|" + file}, {setupCacheFolderKey, ""}}
	return Fix{
		Name: "RemoveFile rows of the setup cache",
		Edit: func(path string) (Edit, error) {
			var qs []string
			has, err := hasTable(path, "RemoveFile")
			if err != nil {
				return Edit{}, err
			}
			if !has {
				// The column definitions of the MSI SDK's RemoveFile table.
				qs = append(qs, "CREATE TABLE `RemoveFile` (`FileKey` CHAR(72) NOT NULL, `Component_` CHAR(72) NOT NULL, "+
					"`FileName` CHAR(255) LOCALIZABLE, `DirProperty` CHAR(72) NOT NULL, `InstallMode` SHORT NOT NULL PRIMARY KEY `FileKey`)")
			}
			for _, r := range rows {
				if r.fileName == "" {
					qs = append(qs, fmt.Sprintf("INSERT INTO `RemoveFile` (`FileKey`, `Component_`, `DirProperty`, `InstallMode`) VALUES (%s, %s, %s, %s)",
						msitools.Quote(r.key), msitools.Quote(component), msitools.Quote(dirProperty), removeOnUninstall))
					continue
				}
				qs = append(qs, fmt.Sprintf("INSERT INTO `RemoveFile` (`FileKey`, `Component_`, `FileName`, `DirProperty`, `InstallMode`) VALUES (%s, %s, %s, %s, %s)",
					msitools.Quote(r.key), msitools.Quote(component), msitools.Quote(r.fileName), msitools.Quote(dirProperty), removeOnUninstall))
			}
			return Queries(qs...)
		},
		Check: func(ctx context.Context, run execx.Runner, path string) error {
			for _, r := range rows {
				if err := CheckRow(ctx, run, path, "RemoveFile", "FileKey", r.key, map[string]string{
					"Component_": component, "FileName": r.fileName, "DirProperty": dirProperty, "InstallMode": removeOnUninstall,
				}); err != nil {
					return err
				}
			}
			// The component must exist and be unconditional, or the rows
			// would not run at every uninstall.
			cond, ok, err := componentCondition(path, component)
			if err != nil {
				return err
			}
			if !ok {
				return fmt.Errorf("RemoveFile rows name component %s, which the package lacks", component)
			}
			if cond != "" {
				return fmt.Errorf("component %s of the RemoveFile rows has the condition %q: the cache folder would outlive an uninstall", component, cond)
			}
			return nil
		},
	}
}

func componentCondition(path, component string) (string, bool, error) {
	t, err := ReadTable(path, "Component")
	if err != nil {
		return "", false, err
	}
	cond, ok := t.Lookup("Component", component, "Condition")
	return cond, ok, nil
}

// hasTable reports whether the MSI at path has table.
func hasTable(path, table string) (bool, error) {
	f, err := msi.Open(path)
	if err != nil {
		return false, err
	}
	defer f.Close()
	names, err := f.Tables()
	if err != nil {
		return false, err
	}
	for _, n := range names {
		if n == table {
			return true, nil
		}
	}
	return false, nil
}
