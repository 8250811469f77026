package config

import (
	"bytes"
	_ "embed"
	"strings"

	"github.com/google/uuid"
)

// Starter is the commented config 'msiforge init' writes, with the nil
// GUID where [NewStarter] puts a fresh UpgradeCode: as it is, it does not
// validate.
//
//go:embed starter.yaml
var Starter []byte

// NewStarter is the starter config with upgradeCode as product.upgrade_code.
func NewStarter(upgradeCode string) []byte {
	return bytes.Replace(Starter, []byte("upgrade_code: "+NilGUID), []byte("upgrade_code: "+upgradeCode), 1)
}

// NewUpgradeCode returns a new random GUID in the form the config uses
// (upper-case, no braces). An UpgradeCode is chosen once per product,
// then never changes: this is the one place msiforge makes a random GUID
// (every other GUID is derived from it).
func NewUpgradeCode() string {
	return strings.ToUpper(uuid.New().String())
}
