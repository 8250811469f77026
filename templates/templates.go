// Package templates holds the embedded WiX and NSIS templates
// msiforge renders. They live at the top of the repository so reviewers find
// them; embed needs this Go file next to them.
package templates

import "embed"

// FS holds every template, by path ("msi/console.wxs.tmpl").
//
//go:embed msi nsis
var FS embed.FS
