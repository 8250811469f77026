// Command benchsign runs one operation of internal/sign (or a plain SHA-256
// pass) in its own process, so scripts/bench-sign.sh can measure its wall
// time and peak memory with /usr/bin/time. It is a benchmark aid, not part
// of the msiforge CLI.
package main

import (
	"context"
	"crypto/sha256"
	"crypto/x509"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/msiforge/msiforge/internal/sign"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "benchsign:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	if len(args) < 2 {
		return fmt.Errorf("usage: benchsign devcert DIR | sha256 FILE | sign CERT KEY FILE | sign-to CERT KEY IN OUT | verify ROOT FILE | keys KIND FILE RUNS PARALLEL")
	}
	switch args[0] {
	case "devcert":
		c, k, err := sign.NewDevCert("msiforge bench", time.Now().Add(24*time.Hour))
		if err != nil {
			return err
		}
		if err := os.WriteFile(args[1]+"/cert.pem", c, 0o644); err != nil {
			return err
		}
		return os.WriteFile(args[1]+"/key.pem", k, 0o600)
	case "sha256":
		f, err := os.Open(args[1])
		if err != nil {
			return err
		}
		defer f.Close()
		h := sha256.New()
		if _, err := io.CopyBuffer(h, f, make([]byte, 1<<20)); err != nil {
			return err
		}
		fmt.Printf("%x\n", h.Sum(nil))
		return nil
	case "sign":
		if len(args) != 4 {
			return fmt.Errorf("usage: benchsign sign CERT KEY FILE")
		}
		s, err := sign.LoadPEM(args[1], args[2])
		if err != nil {
			return err
		}
		return s.SignFile(context.Background(), args[3])
	case "sign-to":
		if len(args) != 5 {
			return fmt.Errorf("usage: benchsign sign-to CERT KEY IN OUT")
		}
		s, err := sign.LoadPEM(args[1], args[2])
		if err != nil {
			return err
		}
		return s.SignFileTo(context.Background(), args[3], args[4])
	case "keys":
		if len(args) != 5 {
			return fmt.Errorf("usage: benchsign keys file|pkcs11|remote FILE RUNS PARALLEL")
		}
		return benchKeys(args[1], args[2], args[3], args[4])
	case "verify":
		if len(args) != 3 {
			return fmt.Errorf("usage: benchsign verify ROOT FILE")
		}
		pem, err := os.ReadFile(args[1])
		if err != nil {
			return err
		}
		roots := x509.NewCertPool()
		roots.AppendCertsFromPEM(pem)
		r, err := sign.Verify(args[2], sign.VerifyOptions{Roots: roots})
		if err != nil {
			return err
		}
		return r.Err()
	}
	return fmt.Errorf("unknown operation %q", args[0])
}
