package sign_test

import (
	"context"
	"crypto/x509"
	"fmt"
	"log"
	"os"
	"time"

	"github.com/msiforge/msiforge/internal/sign"
)

func Example() {
	ctx := context.Background()
	// A PKCS#12 key whose password comes from the environment:
	//   s, err := sign.LoadPKCS12("release.p12", must(sign.PasswordFromEnv("MSIFORGE_P12_PASSWORD")))
	// Here, a throwaway development certificate instead.
	certPEM, keyPEM, err := sign.NewDevCert("Example Dev Signing", time.Now().Add(24*time.Hour))
	if err != nil {
		log.Fatal(err)
	}
	os.WriteFile("dev-cert.pem", certPEM, 0o644)
	os.WriteFile("dev-key.pem", keyPEM, 0o600)
	s, err := sign.LoadPEM("dev-cert.pem", "dev-key.pem")
	if err != nil {
		log.Fatal(err)
	}
	s.Timestamper = &sign.Timestamper{URLs: []string{"http://timestamp.example.invalid/", "http://backup.example.invalid/"}}
	if err := s.SignFile(ctx, "dist/console-x64.msi"); err != nil {
		log.Fatal(err)
	}

	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(certPEM)
	r, err := sign.Verify("dist/console-x64.msi", sign.VerifyOptions{Roots: roots})
	if err != nil {
		log.Fatal(err)
	}
	if !r.OK() {
		log.Fatal(r.Err()) // e.g. errors.Is(r.Err(), sign.ErrDigestMismatch)
	}
	fmt.Println(r.Subject, r.Timestamp, r.TimestampAuthority)
}
