package hostile

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestLintCases: lint on packages missing the tables its rules read, with
// a Directory cycle, and on files that are no MSI: findings or a clear
// error, never a hang or a panic (issue 16).
func TestLintCases(t *testing.T) {
	tools := []string{"wixl", "msibuild", "msiinfo", "makensis"}
	Run(t, []Case{
		{
			Name: "lint of an MSI without a Property table",
			Setup: func(t *testing.T, dir string) []string {
				return []string{"lint", consoleMSI(t, dir, "DROP TABLE `Property`")}
			},
			Code:   3,
			Stdout: []string{"ICE16 error: Property.ProductName: ProductName property not found in Property table", "ICE24 error: Property.ProductCode"},
			Tools:  tools,
		},
		{
			Name: "lint of an MSI without Component and Directory tables",
			Setup: func(t *testing.T, dir string) []string {
				return []string{"lint", consoleMSI(t, dir, "DROP TABLE `Component`", "DROP TABLE `Directory`")}
			},
			Code:   3,
			Stdout: []string{"ICE03 error: File.F_README.txt_9E6E4772: Not a valid foreign key; Table: File, Column: Component_"},
			Tools:  tools,
		},
		{
			Name: "lint of a Directory cycle ends",
			Setup: func(t *testing.T, dir string) []string {
				return []string{"lint", "--rules", "ICE38,ICE64,ICE80,MSF001", consoleMSI(t, dir, "UPDATE `Directory` SET `Directory_Parent` = 'INSTALLDIR' WHERE `Directory` = 'ManufacturerDir'")}
			},
			Code:    0,
			Stdout:  []string{"0 errors"},
			Tools:   tools,
			Timeout: 20 * time.Second,
		},
		{
			Name: "lint of an empty file",
			Setup: func(t *testing.T, dir string) []string {
				p := filepath.Join(dir, "empty.msi")
				if err := os.WriteFile(p, nil, 0o644); err != nil {
					t.Fatal(err)
				}
				return []string{"lint", p}
			},
			Code:   1,
			Stderr: []string{"empty.msi"},
		},
		{
			Name: "lint --rules of an unknown rule",
			Setup: func(t *testing.T, dir string) []string {
				return []string{"lint", "--rules", "ICE38,XYZ", "x.msi"}
			},
			Code:   2,
			Stderr: []string{`unknown rule "XYZ"`},
		},
	})
}
