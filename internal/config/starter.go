package config

import _ "embed"

// Starter is the commented config 'msiforge init' writes.
//
//go:embed starter.yaml
var Starter []byte
