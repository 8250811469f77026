//go:build !cgo

package sign

import "errors"

// PKCS11Available reports whether this build can use PKCS#11 tokens.
const PKCS11Available = false

// ErrNoPKCS11 is the error of a build without cgo asked for a token.
var ErrNoPKCS11 = errors.New("this msiforge was built without cgo, so it cannot load a PKCS#11 module: " +
	"build it with cgo (gcc and libc headers installed): CGO_ENABLED=1 go build ./cmd/msiforge; " +
	"or sign through a relic server (signing.remote) or a command (signing.command)")

// OpenPKCS11 fails: PKCS#11 needs cgo (the module is a C library).
func OpenPKCS11(c PKCS11Config) (*Local, error) {
	return nil, ErrNoPKCS11
}
