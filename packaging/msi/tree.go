package msi

import (
	"context"
	"fmt"

	"github.com/msiforge/msiforge/internal/execx"
	"github.com/msiforge/msiforge/internal/msitools"
	"github.com/msiforge/msiforge/wix"
)

// ManufacturerDirKey is the RemoveFile row that removes the vendor folder
// above INSTALLDIR (Directory ManufacturerDir) at uninstall, once empty.
const ManufacturerDirKey = "RemoveManufacturerDir"

// FixRemoveManufacturerDir adds the RemoveFile row that removes the
// vendor folder at uninstall when it is empty (FileName null), and its
// CreateFolder row (RemoveFolders removes an empty CreateFolder folder
// at uninstall; Wine runs the RemoveFile rows before it deletes the
// files, when the folder is not yet empty, and only RemoveFolders then
// removes it: see docs/wine-differences.md): in a
// per-machine install Program Files\<Manufacturer>, in a per-user one
// %LOCALAPPDATA%\<Manufacturer>, where SetUserManufacturerDir points the
// directory. Without it, a per-user uninstall left an empty
// %LOCALAPPDATA%\<Manufacturer> behind. Folders a per-user install
// creates in the profile must be in the RemoveFile table (ICE64); wixl
// 0.101's RemoveFolder only names its component's own folder, and no
// component lives in this one, hence a fix-up.
// https://learn.microsoft.com/en-us/windows/win32/msi/removefile-table
// https://learn.microsoft.com/en-us/windows/win32/msi/ice64
// https://learn.microsoft.com/en-us/windows/win32/msi/createfolder-table
// ("An attempt is made to remove these folders only when the component
// is uninstalled")
// https://learn.microsoft.com/en-us/windows/win32/msi/removefolders-action
// The row belongs to the settings component, which is installed whenever
// the product is (no condition).
func FixRemoveManufacturerDir(m *wix.Console) Fix {
	component := m.SettingsComponent()
	const dirProperty = "ManufacturerDir"
	return Fix{
		Name: "RemoveFile row of the manufacturer folder",
		// An Edit, not an Apply, so it joins the package's one msibuild
		// run (issue 19).
		Edit: func(string) (Edit, error) {
			// The template's RemoveFolder and CreateFolder elements
			// created the tables.
			return Queries(
				fmt.Sprintf("INSERT INTO `RemoveFile` (`FileKey`, `Component_`, `DirProperty`, `InstallMode`) VALUES (%s, %s, %s, %s)",
					msitools.Quote(ManufacturerDirKey), msitools.Quote(component), msitools.Quote(dirProperty), removeOnUninstall),
				fmt.Sprintf("INSERT INTO `CreateFolder` (`Directory_`, `Component_`) VALUES (%s, %s)",
					msitools.Quote(dirProperty), msitools.Quote(component)))
		},
		Check: func(ctx context.Context, run execx.Runner, path string) error {
			if err := CheckRow(ctx, run, path, "RemoveFile", "FileKey", ManufacturerDirKey, map[string]string{
				"Component_": component, "FileName": "", "DirProperty": dirProperty, "InstallMode": removeOnUninstall,
			}); err != nil {
				return err
			}
			cf, err := ReadTable(path, "CreateFolder")
			if err != nil {
				return err
			}
			d, c, found := cf.Col("Directory_"), cf.Col("Component_"), false
			for _, r := range cf.Rows {
				found = found || (d >= 0 && c >= 0 && r[d] == dirProperty && r[c] == component)
			}
			if !found {
				return fmt.Errorf("no CreateFolder row (%s, %s)", dirProperty, component)
			}
			cond, ok, err := componentCondition(path, component)
			switch {
			case err != nil:
				return err
			case !ok:
				return fmt.Errorf("the RemoveFile row %s names component %s, which the package lacks", ManufacturerDirKey, component)
			case cond != "":
				return fmt.Errorf("component %s of the RemoveFile row %s has the condition %q: the folder would outlive an uninstall", component, ManufacturerDirKey, cond)
			}
			return nil
		},
	}
}
