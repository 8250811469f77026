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
func Identifier(prefix, name string) string { return identifier(prefix, name, shortHash) }

// shortHash is Identifier's hash length in bytes (a test lowers it to
// make collisions).
var shortHash = 4

// identifier is Identifier with a hash of n bytes.
func identifier(prefix, name string, n int) string {
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
	h := "_" + strings.ToUpper(hex.EncodeToString(sum[:n]))
	s := b.String()
	if len(s)+len(h) > 72 {
		s = s[:72-len(h)]
	}
	return s + h
}

// PackedGUID is Windows Installer's packed form of a GUID, the key name of
// a product under ...\Installer\Products and ...\Installer\UserData: the
// first three groups reversed, then each byte of the last two with its
// two hex digits swapped. It returns "" for a string that is not a GUID.
func PackedGUID(g string) string {
	f := strings.Split(strings.Trim(g, "{}"), "-")
	if len(f) != 5 || len(f[0]) != 8 || len(f[1]) != 4 || len(f[2]) != 4 || len(f[3]) != 4 || len(f[4]) != 12 {
		return ""
	}
	rev := func(s string) string {
		b := []byte(s)
		for i, j := 0, len(b)-1; i < j; i, j = i+1, j-1 {
			b[i], b[j] = b[j], b[i]
		}
		return string(b)
	}
	out := rev(f[0]) + rev(f[1]) + rev(f[2])
	rest := f[3] + f[4]
	for i := 0; i+1 < len(rest); i += 2 {
		out += string(rest[i+1]) + string(rest[i])
	}
	return strings.ToUpper(out)
}
