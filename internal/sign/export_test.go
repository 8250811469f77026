package sign

import "bytes"

// For the external tests (package sign_test), which need testutil, which
// imports this package.

// MinimalPE is a small valid PE32+ image with an odd-sized overlay.
func MinimalPE() []byte {
	var b bytes.Buffer
	if err := writePE(&b, 64<<10, 333, 1); err != nil {
		panic(err)
	}
	return b.Bytes()
}

// TestMSIFile is a copy of a small wixl-built MSI in a fresh directory.
var TestMSIFile = testMSI
