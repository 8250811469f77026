// Package wix is the model of the WiX sources msiforge renders: typed,
// pure data built from the config, with stable identifiers and GUIDs. It
// does no IO; the templates in templates/ turn it into .wxs text.
package wix

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"

	"github.com/google/uuid"
)

// StableGUID derives a GUID from a namespace GUID (the product's
// UpgradeCode) and a key, as a UUIDv5: the same inputs always give the same
// GUID, so builds are reproducible and component GUIDs stay stable across
// releases. The result is upper case in braces, as Windows Installer wants.
func StableGUID(namespace string, key ...string) string {
	ns, err := uuid.Parse(namespace)
	if err != nil {
		// Callers pass a validated UpgradeCode; fall back to a fixed
		// namespace rather than panic on a caller's bug.
		ns = uuid.NameSpaceOID
	}
	id := uuid.NewSHA1(ns, []byte(strings.Join(key, "/")))
	return "{" + strings.ToUpper(id.String()) + "}"
}

// Identifier makes a valid MSI identifier (letters, digits, '_' and '.',
// starting with a letter or '_', at most 72 characters) from prefix and a
// name, keeping it readable and adding a short hash so different names that
// sanitise alike stay different.
func Identifier(prefix, name string) string {
	var b strings.Builder
	b.WriteString(prefix)
	for _, r := range name {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '.':
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	sum := sha256.Sum256([]byte(strings.ToLower(name)))
	h := "_" + strings.ToUpper(hex.EncodeToString(sum[:4]))
	s := b.String()
	if len(s)+len(h) > 72 {
		s = s[:72-len(h)]
	}
	return s + h
}
