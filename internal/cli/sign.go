package cli

import (
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/msiforge/msiforge/internal/sign"
)

// keyFlags are the flags that name a signing key (sign, build).
func addKeyFlags(cmd *cobra.Command, k *sign.KeySource) {
	f := cmd.Flags()
	f.StringVar(&k.Cert, "cert", "", "PEM certificate chain, signing certificate first")
	f.StringVar(&k.Key, "key", "", "PEM private key of --cert")
	f.StringVar(&k.PKCS12, "pkcs12", "", "PKCS#12 (.p12/.pfx) key and chain, instead of --cert and --key")
	f.StringVar(&k.PasswordEnv, "password-env", "", "environment variable holding the PKCS#12 or encrypted key password")
	f.StringVar(&k.PasswordFile, "password-file", "", "file holding the PKCS#12 or encrypted key password")
	f.StringSliceVar(&k.Timestamps, "timestamp", nil, "RFC 3161 timestamp authority URL (repeat for fallbacks)")
	f.BoolVar(&k.PageHashes, "page-hashes", false, "add page hashes to PE signatures")
	// Hidden: it exists so tests can make weak signatures, not for releases.
	f.BoolVar(&k.AllowWeak, "allow-weak", false, "for tests only: sign even with a certificate that breaks the signing identity rules")
	_ = f.MarkHidden("allow-weak")
	_ = cmd.MarkFlagFilename("cert", "pem", "crt")
	_ = cmd.MarkFlagFilename("key", "pem", "key")
	_ = cmd.MarkFlagFilename("pkcs12", "p12", "pfx")
}

var keyFlagNames = map[string]string{
	"cert": "--cert", "key": "--key", "pkcs12": "--pkcs12",
	"password_env": "--password-env", "password_file": "--password-file",
}

// loadSigner loads the signer of k and warns when --allow-weak lets a
// certificate that breaks the identity rules sign.
func loadSigner(env *Env, k sign.KeySource) (*sign.Signer, error) {
	s, err := k.Load()
	if err != nil {
		return nil, err
	}
	if v := s.Weaknesses(time.Now()); len(v) > 0 {
		parts := make([]string, len(v))
		for i, x := range v {
			parts[i] = x.String()
		}
		env.Log.Printf("warning: --allow-weak: signing with certificate %s, which breaks the signing identity rules (for tests only; the manifest marks the release weak_signing): %s",
			sign.CertName(s.Chain[0]), strings.Join(parts, "; "))
	}
	return s, nil
}

// checkKeyFlags turns inconsistent key flags into a usage error.
func checkKeyFlags(k sign.KeySource) error {
	if p := k.Check(keyFlagNames); len(p) > 0 {
		return &usageError{fmt.Errorf("%s", strings.Join(p, "; "))}
	}
	return nil
}

func newSignCmd(env *Env) *cobra.Command {
	var k sign.KeySource
	cmd := &cobra.Command{
		Use:   "sign FILE... (--cert C --key K | --pkcs12 F) [--password-env NAME|--password-file F] [--timestamp URL]...",
		Short: "Authenticode-sign PE files (EXE, DLL, SYS) and MSIs in place",
		Long: `sign adds an Authenticode signature (SHA-256) to each file, in place and
atomically: the signed file is written next to the original and renamed over
it, so a failure leaves the original untouched. MSIs get
MsiDigitalSignatureEx. Passwords (of a PKCS#12 file or an encrypted PEM
key) come from an environment variable or a file, never from the command
line.

The signing certificate must be valid now, list the codeSigning extended
key usage, allow digitalSignature (when it has a key usage), not be a CA,
have an RSA key of at least 2048 bits or an ECDSA key on P-256 or larger,
and be signed with SHA-256 or stronger; otherwise sign refuses and names
the rule. --allow-weak (for tests only) signs anyway, with a warning.`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return &usageError{fmt.Errorf("sign needs at least one FILE")}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, files []string) error {
			if k.IsZero() {
				return &usageError{fmt.Errorf("no signing key: give --cert and --key, or --pkcs12")}
			}
			if err := checkKeyFlags(k); err != nil {
				return err
			}
			k.Names = keyFlagNames
			s, err := loadSigner(env, k)
			if err != nil {
				return err
			}
			for _, f := range files {
				if err := s.SignFile(cmd.Context(), f); err != nil {
					return fmt.Errorf("sign %s: %w", f, err)
				}
				env.Log.Printf("signed %s", f)
				fmt.Fprintln(env.Out, f)
			}
			return nil
		},
	}
	addKeyFlags(cmd, &k)
	return cmd
}
