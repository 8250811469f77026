//go:build !cgo

package sign_test

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/msiforge/msiforge/internal/execx"
	"github.com/msiforge/msiforge/internal/sign"
)

// A build without cgo cannot load a PKCS#11 module; it says how to get
// one that can.
func TestPKCS11Stub(t *testing.T) {
	k := sign.KeySource{PKCS11: sign.PKCS11Config{Module: "/usr/lib/softhsm/libsofthsm2.so", Token: "t", KeyLabel: "k", PinEnv: "PIN"}}
	_, err := k.Open(context.Background(), execx.OS{}, os.Getenv)
	if !errors.Is(err, sign.ErrNoPKCS11) || !strings.Contains(err.Error(), "CGO_ENABLED=1") {
		t.Fatalf("err = %v", err)
	}
}
