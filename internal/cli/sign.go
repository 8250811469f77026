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

// addKeySourceFlags adds the flags of the key sources other than key
// files (sign, build). Secrets (the PIN, the client key's contents) never
// go on the command line, only where to find them.
func addKeySourceFlags(cmd *cobra.Command, k *sign.KeySource) {
	f := cmd.Flags()
	f.StringVar(&k.PKCS11.Module, "pkcs11-module", "", "PKCS#11 library of the token holding the key (cgo builds)")
	f.StringVar(&k.PKCS11.Token, "pkcs11-token", "", "label of the PKCS#11 token")
	f.StringVar(&k.PKCS11.KeyLabel, "pkcs11-key-label", "", "CKA_LABEL of the private key on the token")
	f.StringVar(&k.PKCS11.KeyID, "pkcs11-key-id", "", "CKA_ID (hex) of the private key on the token, instead of --pkcs11-key-label")
	f.StringVar(&k.PKCS11.PinEnv, "pin-env", "", "environment variable holding the token's user PIN")
	f.StringVar(&k.PKCS11.PinFile, "pin-file", "", "file holding the token's user PIN")
	f.StringVar(&k.Remote.URL, "remote-url", "", "relic signing server, https://host:port (default $RELIC_URL)")
	f.StringVar(&k.Remote.CA, "remote-ca", "", "the relic server's certificate or CA, PEM (default $RELIC_CACERT)")
	f.StringVar(&k.Remote.ClientCert, "remote-client-cert", "", "client certificate for the relic server, PEM (default $RELIC_CLIENT_CERT)")
	f.StringVar(&k.Remote.ClientKey, "remote-client-key", "", "file holding the client certificate's key (default $RELIC_CLIENT_KEY)")
	f.StringVar(&k.Remote.Key, "remote-key", "", "name of the signing key on the relic server")
	f.Var(&argvValue{&k.Command}, "sign-command", "external signer run on each file, split at spaces; ${artifact} is the file (e.g. 'sign.sh ${artifact}')")
	_ = cmd.MarkFlagFilename("pkcs11-module", "so", "dll", "dylib")
}

var keyFlagNames = map[string]string{
	"cert": "--cert", "key": "--key", "pkcs12": "--pkcs12",
	"password_env": "--password-env", "password_file": "--password-file",
	"pkcs11": "--pkcs11-*", "remote": "--remote-*", "command": "--sign-command",
	"timestamp": "--timestamp", "page_hashes": "--page-hashes",
	// PKCS#11 and remote fields
	"module": "--pkcs11-module", "token": "--pkcs11-token", "key_label": "--pkcs11-key-label", "key_id": "--pkcs11-key-id",
	"pin_env": "--pin-env", "pin_file": "--pin-file",
	"url": "--remote-url", "ca": "--remote-ca", "client_cert": "--remote-client-cert", "client_key": "--remote-client-key",
}

// flagNames makes k's messages name flags, not config keys.
func flagNames(k *sign.KeySource) {
	k.Names = keyFlagNames
	k.PKCS11.Names = keyFlagNames
	remote := map[string]string{"key": "--remote-key"}
	for f, n := range keyFlagNames {
		if _, ok := remote[f]; !ok {
			remote[f] = n
		}
	}
	k.Remote.Names = remote
}

// argvValue is a flag holding an argv template, split at spaces.
type argvValue struct{ p *[]string }

func (a *argvValue) String() string {
	if a.p == nil {
		return ""
	}
	return strings.Join(*a.p, " ")
}

func (a *argvValue) Set(s string) error {
	*a.p = strings.Fields(s)
	if len(*a.p) == 0 {
		return fmt.Errorf("empty command")
	}
	return nil
}

func (a *argvValue) Type() string { return "command" }

// openKeys opens any key source as the backend build and sign sign
// through, warning when --allow-weak lets a certificate that breaks the
// identity rules sign. Close the result.
func openKeys(cmd *cobra.Command, env *Env, k sign.KeySource) (sign.Backend, error) {
	if k.Kind() == sign.KindFile {
		s, err := loadSigner(env, k)
		if err != nil {
			return nil, err
		}
		return sign.NewLocal(s), nil
	}
	b, err := k.Open(cmd.Context(), env.Run, env.Getenv)
	if err != nil {
		return nil, err
	}
	if b.Weak() {
		env.Log.Printf("warning: --allow-weak: the %s key source signs with a certificate that breaks the signing identity rules (for tests only; the manifest marks the release weak_signing)", b.Kind())
	}
	return b, nil
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
	flagNames(&k)
	if p := k.Check(keyFlagNames); len(p) > 0 {
		return &usageError{fmt.Errorf("%s", strings.Join(p, "; "))}
	}
	return nil
}

func newSignCmd(env *Env) *cobra.Command {
	var k sign.KeySource
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "sign FILE... (--cert C --key K | --pkcs12 F | --pkcs11-module M ... | --remote-key K ... | --sign-command CMD) [--password-env NAME|--password-file F] [--timestamp URL]... [--json]",
		Short: "Authenticode-sign PE files (EXE, DLL, SYS) and MSIs in place",
		Long: `sign adds an Authenticode signature (SHA-256) to each file, in place and
atomically: the signed file is written next to the original and renamed over
it, so a failure leaves the original untouched. MSIs get
MsiDigitalSignatureEx. Passwords (of a PKCS#12 file or an encrypted PEM
key) come from an environment variable or a file, never from the command
line.

The key may also live on a PKCS#11 token (--pkcs11-module, --pkcs11-token,
--pkcs11-key-label or --pkcs11-key-id, --pin-env or --pin-file; the
certificate from --cert or from the token), on a relic signing server
(--remote-key, plus --remote-url, --remote-ca, --remote-client-cert and
--remote-client-key or relic's RELIC_URL, RELIC_CACERT, RELIC_CLIENT_CERT
and RELIC_CLIENT_KEY), or behind any external signer (--sign-command, run
on a copy of each file with ${artifact} replaced by its path; the result
must come back signed, with the same Authenticode content digest). What a
token, a server or a command signed is verified before it replaces the
original.

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
				return &usageError{fmt.Errorf("no signing key: give --cert and --key, --pkcs12, --pkcs11-module..., --remote-key... or --sign-command")}
			}
			if err := checkKeyFlags(k); err != nil {
				return err
			}
			flagNames(&k)
			b, err := openKeys(cmd, env, k)
			if err != nil {
				return err
			}
			defer b.Close()
			var signed []pathJSON
			for _, f := range files {
				var err error
				if l, ok := b.(*sign.Local); ok && l.Kind() == sign.KindFile {
					// As before: a key file's signature is not checked
					// against roots here (the chain may end in a private
					// root only the caller has); verify does that.
					err = l.S.SignFile(cmd.Context(), f)
				} else {
					// Another signer's result must be checked before it
					// replaces the file.
					_, err = b.SignAndVerify(cmd.Context(), f)
				}
				if err != nil {
					return fmt.Errorf("sign %s: %w", f, err)
				}
				env.Log.Printf("signed %s", f)
				if asJSON {
					signed = append(signed, pathJSON{Path: f})
				} else {
					fmt.Fprintln(env.Out, f)
				}
			}
			if asJSON {
				return writeJSON(env, signed)
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, `print the signed files as JSON: [{"path": ...}]`)
	addKeyFlags(cmd, &k)
	addKeySourceFlags(cmd, &k)
	return cmd
}
