package sign

import (
	"bytes"
	"crypto"
	"fmt"
	"io"

	"github.com/sassoftware/relic/v8/lib/authenticode"
	"github.com/sassoftware/relic/v8/lib/comdoc"

	"github.com/msiforge/msiforge/internal/safefile"
)

// ContentDigest returns the SHA-256 Authenticode digest of what a
// signature of the file at path covers: for a PE image everything but the
// checksum, the certificate table entry and the certificates; for an MSI
// the contents of every stream but the signature ones, in name order. It is
// the same before and after signing, whoever signs, even when the signer
// rewrites the whole compound file (signtool does), so comparing it is how
// a build checks that an external signer changed nothing but the
// signature.
func ContentDigest(path string) ([]byte, error) {
	f, err := safefile.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	format, err := DetectFormat(f)
	if err != nil {
		return nil, err
	}
	switch format {
	case FormatPE:
		fi, err := f.Stat()
		if err != nil {
			return nil, err
		}
		var r io.Reader = f
		// An unsigned image is padded to a multiple of 8 bytes before the
		// certificate table is appended, and the padding is hashed: digest
		// it as signed (a signed image's digest stops at the table).
		if pad := fi.Size() % 8; pad != 0 {
			r = io.MultiReader(f, bytes.NewReader(make([]byte, 8-pad)))
		}
		d, err := authenticode.DigestPE(r, crypto.SHA256, false)
		if err != nil {
			return nil, fmt.Errorf("digest PE: %w", err)
		}
		return d.Imprint, nil
	case FormatMSI:
		cdf, err := comdoc.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("read MSI: %w", err)
		}
		defer cdf.Close()
		imprint, _, err := authenticode.DigestMSI(cdf, crypto.SHA256, false)
		if err != nil {
			return nil, fmt.Errorf("digest MSI: %w", err)
		}
		return imprint, nil
	}
	return nil, ErrUnknownFormat
}
