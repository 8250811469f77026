package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/msiforge/msiforge/internal/sign"
	"github.com/msiforge/msiforge/packaging"
)

func newDevCertCmd(env *Env) *cobra.Command {
	var dir, subject string
	var days int
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "dev-cert [-o DIR] [--subject CN] [--days N] [--json]",
		Short: "Create a throwaway self-signed code-signing certificate for demos and tests",
		Long: `dev-cert writes DIR/cert.pem and DIR/key.pem (mode 0600): a self-signed
RSA-2048, SHA-256 certificate with the code-signing extended key usage and
the digitalSignature key usage, not a CA, so it passes the signing
certificate rules of sign and build. Windows does not trust it; it is for
demos, tests and CI dry runs. Never commit it.`,
		Args: exactArgs(0),
		RunE: func(*cobra.Command, []string) error {
			if days < 1 {
				return &usageError{fmt.Errorf("--days %d: want at least 1", days)}
			}
			notAfter := time.Now().Add(time.Duration(days) * 24 * time.Hour)
			certPEM, keyPEM, err := sign.NewDevCert(subject, notAfter)
			if err != nil {
				return err
			}
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return err
			}
			cert, key := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
			if err := packaging.WriteFile(key, keyPEM); err != nil {
				return err
			}
			if err := os.Chmod(key, 0o600); err != nil {
				return err
			}
			if err := packaging.WriteFile(cert, certPEM); err != nil {
				return err
			}
			env.Log.Printf("wrote a development certificate for %q, valid %d days; do not commit it", subject, days)
			if asJSON {
				return writeJSON(env, struct {
					Cert    string `json:"cert"`
					Key     string `json:"key"`
					Subject string `json:"subject"`
					Days    int    `json:"days"`
				}{cert, key, subject, days})
			}
			fmt.Fprintln(env.Out, cert)
			fmt.Fprintln(env.Out, key)
			return nil
		},
	}
	cmd.Flags().StringVarP(&dir, "output", "o", ".", "directory for cert.pem and key.pem")
	cmd.Flags().StringVar(&subject, "subject", "msiforge development signing", "certificate subject common name")
	cmd.Flags().IntVar(&days, "days", 30, "validity in days")
	cmd.Flags().BoolVar(&asJSON, "json", false, `print the files written as JSON: {"cert", "key", "subject", "days"}`)
	return cmd
}
