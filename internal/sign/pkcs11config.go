package sign

import (
	"encoding/hex"
	"fmt"
	"strings"
)

// PKCS11Config names a private key on a PKCS#11 token (an HSM, a USB
// token, SoftHSM): the vendor's module, the token's label, the key's
// CKA_LABEL or CKA_ID, and where the PIN is (an environment variable or a
// file, never the config or argv). The certificate comes from Cert when
// given, otherwise from the token: the certificate object with the key's
// CKA_ID.
type PKCS11Config struct {
	Module   string // path of the PKCS#11 library (.so, .dll, .dylib)
	Token    string // token label
	KeyLabel string // CKA_LABEL of the private key
	KeyID    string // CKA_ID of the private key, hex
	PinEnv   string // environment variable holding the user PIN
	PinFile  string // file holding the user PIN
	Cert     string // PEM certificate chain; empty: read from the token
	// AllowWeak: see [Signer.AllowWeak].
	AllowWeak bool
	// Names spell the fields in messages, e.g. Names["module"] =
	// "signing.pkcs11.module"; nil uses the bare names.
	Names map[string]string
}

// Check reports what is missing or inconsistent in c.
func (c PKCS11Config) Check() []string {
	n := nameFunc(c.Names)
	var out []string
	if c.Module == "" {
		out = append(out, fmt.Sprintf("%s is required: the token's PKCS#11 library, e.g. /usr/lib/softhsm/libsofthsm2.so", n("module")))
	}
	if c.Token == "" {
		out = append(out, fmt.Sprintf("%s is required: the token's label", n("token")))
	}
	switch {
	case c.KeyLabel == "" && c.KeyID == "":
		out = append(out, fmt.Sprintf("give %s or %s: which private key on the token signs", n("key_label"), n("key_id")))
	case c.KeyLabel != "" && c.KeyID != "":
		out = append(out, fmt.Sprintf("give one of %s and %s, not both", n("key_label"), n("key_id")))
	case c.KeyID != "":
		if _, err := hex.DecodeString(strings.TrimPrefix(c.KeyID, "0x")); err != nil {
			out = append(out, fmt.Sprintf("%s %q is not hex (the CKA_ID as pkcs11-tool --list-objects shows it)", n("key_id"), c.KeyID))
		}
	}
	switch {
	case c.PinEnv == "" && c.PinFile == "":
		out = append(out, fmt.Sprintf("give %s or %s: where the token's user PIN is", n("pin_env"), n("pin_file")))
	case c.PinEnv != "" && c.PinFile != "":
		out = append(out, fmt.Sprintf("give one of %s and %s, not both", n("pin_env"), n("pin_file")))
	}
	return out
}

// keyName says which key c names, for messages.
func (c PKCS11Config) keyName() string {
	n := nameFunc(c.Names)
	if c.KeyLabel != "" {
		return fmt.Sprintf("labelled %q (%s)", c.KeyLabel, n("key_label"))
	}
	return fmt.Sprintf("with id %s (%s)", c.KeyID, n("key_id"))
}
