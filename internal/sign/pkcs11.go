//go:build cgo

package sign

import (
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/ThalesGroup/crypto11"
	"github.com/miekg/pkcs11"
	"github.com/sassoftware/relic/v8/lib/certloader"

	"github.com/msiforge/msiforge/internal/safefile"
)

// PKCS11Available reports whether this build can use PKCS#11 tokens.
const PKCS11Available = true

// OpenPKCS11 loads the module, logs in to the token and finds the key
// and its certificate. The key never leaves the token: each signature is
// one C_Sign on it. Close the result to log out.
func OpenPKCS11(c PKCS11Config) (*Local, error) {
	if p := c.Check(); len(p) > 0 {
		return nil, errors.New(strings.Join(p, "; "))
	}
	n := nameFunc(c.Names)
	if fi, err := os.Stat(c.Module); err != nil || fi.IsDir() {
		return nil, fmt.Errorf("%s %s: no such file: give the path of the token's PKCS#11 library (e.g. /usr/lib/softhsm/libsofthsm2.so for SoftHSM2)", n("module"), c.Module)
	}
	var pin []byte
	var err error
	if c.PinEnv != "" {
		pin, err = PasswordFromEnv(c.PinEnv)
	} else {
		pin, err = PasswordFromFile(c.PinFile)
	}
	if err != nil {
		return nil, fmt.Errorf("token PIN: %w", err)
	}
	ctx, err := crypto11.Configure(&crypto11.Config{Path: c.Module, TokenLabel: c.Token, Pin: string(pin)})
	if err != nil {
		return nil, c.explain(err)
	}
	var id, label []byte
	if c.KeyID != "" {
		id, _ = hex.DecodeString(strings.TrimPrefix(c.KeyID, "0x"))
	} else {
		label = []byte(c.KeyLabel)
	}
	key, err := ctx.FindKeyPair(id, label)
	if (err == nil && key == nil) || (err != nil && strings.Contains(err.Error(), "was not found")) {
		err = fmt.Errorf("no private key %s on token %q (a private key needs its public key or its certificate with the same CKA_ID beside it)", c.keyName(), c.Token)
		ctx.Close()
		return nil, err
	}
	if err != nil {
		ctx.Close()
		return nil, c.explain(err)
	}
	certs, err := c.certificates(ctx, id, label)
	if err != nil {
		ctx.Close()
		return nil, err
	}
	s, err := newSigner(key, certs)
	if err != nil {
		ctx.Close()
		return nil, fmt.Errorf("token %q key %s: %w", c.Token, c.keyName(), err)
	}
	s.AllowWeak = c.AllowWeak
	if !c.AllowWeak {
		if err := s.CheckIdentity(time.Now()); err != nil {
			ctx.Close()
			return nil, fmt.Errorf("token %q key %s: %w", c.Token, c.keyName(), err)
		}
	}
	return &Local{S: s, Roots: s.BuildRoots(), kind: "pkcs11", close: ctx}, nil
}

// certificates reads Cert, or else the token's certificate with the key's
// id or label.
func (c PKCS11Config) certificates(ctx *crypto11.Context, id, label []byte) ([]*x509.Certificate, error) {
	n := nameFunc(c.Names)
	if c.Cert != "" {
		b, err := safefile.ReadFile(c.Cert, safefile.KeyLimit)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", n("cert"), err)
		}
		chain, err := certloader.ParseX509Certificates(b)
		if err != nil {
			return nil, fmt.Errorf("%s %s: %w", n("cert"), c.Cert, err)
		}
		return chain, nil
	}
	cert, err := ctx.FindCertificate(id, label, nil)
	if err != nil {
		return nil, c.explain(err)
	}
	if cert == nil {
		return nil, fmt.Errorf("token %q has no certificate for the key %s: give %s, or store the certificate on the token with the key's label and id (pkcs11-tool --write-object cert.der --type cert --label L --id ID)", c.Token, c.keyName(), n("cert"))
	}
	return []*x509.Certificate{cert}, nil
}

// explain turns PKCS#11 return values into what went wrong, never
// mentioning the PIN itself.
func (c PKCS11Config) explain(err error) error {
	n := nameFunc(c.Names)
	pinFrom := n("pin_file") + " " + c.PinFile
	if c.PinEnv != "" {
		pinFrom = n("pin_env") + " " + c.PinEnv
	}
	var rv pkcs11.Error
	switch {
	case strings.Contains(err.Error(), "could not find PKCS#11 token"): // crypto11 does not export the error
		return fmt.Errorf("no token labelled %q (%s) in PKCS#11 module %s", c.Token, n("token"), c.Module)
	case errors.As(err, &rv) && (rv == pkcs11.CKR_PIN_INCORRECT || rv == pkcs11.CKR_PIN_INVALID || rv == pkcs11.CKR_PIN_LEN_RANGE):
		return fmt.Errorf("token %q: wrong PIN (from %s)", c.Token, pinFrom)
	case errors.As(err, &rv) && rv == pkcs11.CKR_PIN_LOCKED:
		return fmt.Errorf("token %q: the PIN is locked after too many wrong tries; the security officer must reset it", c.Token)
	case strings.Contains(err.Error(), "failed to create module context"):
		return fmt.Errorf("%s %s: cannot load it as a PKCS#11 module: %v", n("module"), c.Module, err)
	}
	return fmt.Errorf("token %q: %w", c.Token, err)
}
