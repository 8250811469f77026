package cli

import (
	"crypto/x509"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/msiforge/msiforge/internal/catalog"
	"github.com/msiforge/msiforge/internal/sign"
)

// verifyReport is one file's line of `verify --json`.
type verifyReport struct {
	Path               string     `json:"path"`
	Format             string     `json:"format"`
	OK                 bool       `json:"ok"`
	Signed             bool       `json:"signed"`
	DigestOK           bool       `json:"digest_ok"`
	ChainOK            bool       `json:"chain_ok"`
	CodeSigningEKU     bool       `json:"code_signing_eku"`
	Digests            []string   `json:"digests,omitempty"`
	Subject            string     `json:"subject,omitempty"`
	Issuer             string     `json:"issuer,omitempty"`
	Timestamp          *time.Time `json:"timestamp,omitempty"`
	TimestampAuthority string     `json:"timestamp_authority,omitempty"`
	Problems           []string   `json:"problems,omitempty"`
	// Catalog is set for a .cat file (see catalog.go).
	Catalog *catalog.Report `json:"catalog,omitempty"`
}

func newVerifyCmd(env *Env) *cobra.Command {
	var roots string
	var asJSON bool
	var cf catalogFiles
	cmd := &cobra.Command{
		Use:   "verify FILE... [--roots PEM] [--json]",
		Short: "Check the Authenticode signatures of PE files and MSIs",
		Long: `verify reports, per file: signed or not, whether the content matches the
signature, whether the chain leads to a trusted root (--roots, or the system
roots), the code-signing extended key usage, the digest algorithm, the
signer, and the timestamp time and authority. It exits 3 when any file
fails, which includes a signature whose only digest is SHA-1 and data
appended after an MSI's compound file (which its signature does not
cover) or after a PE's certificate table, named by offset and length.

A .cat file is checked as a driver catalog: it must be a PKCS#7 SignedData
holding a certificate trust list, signed, with a valid chain, and list the
INF's flat-file hash and each driver file's Authenticode (PE image) hash in
the catalog's hash algorithm. The driver files are --inf and --sys, or else
the INF next to the catalog whose CatalogFile names it and that INF's
[SourceDisksFiles] found next to it. A signer other than Microsoft's
driver-signing chain is a warning, not a failure.`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return &usageError{fmt.Errorf("verify needs at least one FILE")}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, files []string) error {
			var pool *x509.CertPool
			if roots != "" {
				p, err := sign.LoadRoots(roots)
				if err != nil {
					return err
				}
				pool = p
			}
			var reports []verifyReport
			failed := 0
			for _, f := range files {
				if isCatalog(f) {
					rep, err := verifyCatalog(f, pool, cf)
					if err != nil {
						return err
					}
					if !rep.OK {
						failed++
					}
					reports = append(reports, rep)
					continue
				}
				r, err := sign.Verify(f, sign.VerifyOptions{Roots: pool})
				if err != nil {
					return err
				}
				rep := verifyReport{Path: f, Format: r.Format.String(), OK: r.OK(), Signed: r.Signed, DigestOK: r.DigestOK,
					ChainOK: r.ChainOK, CodeSigningEKU: r.CodeSigningEKU, Digests: r.Digests, Subject: r.Subject, Issuer: r.Issuer,
					Timestamp: r.Timestamp, TimestampAuthority: r.TimestampAuthority}
				for _, p := range r.Problems {
					rep.Problems = append(rep.Problems, p.Error())
				}
				if !rep.OK {
					failed++
				}
				reports = append(reports, rep)
			}
			if asJSON {
				if err := writeJSON(env, reports); err != nil {
					return err
				}
			} else {
				for _, r := range reports {
					printVerify(env, r)
				}
			}
			if failed > 0 {
				return fmt.Errorf("%d of %d files failed verification: %w", failed, len(files), ErrFindings)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&roots, "roots", "", "PEM file of trusted root certificates (default: the system roots)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	addCatalogVerifyFlags(cmd, &cf)
	return cmd
}

func printVerify(env *Env, r verifyReport) {
	status := "ok"
	if !r.OK {
		status = "FAILED"
	}
	fmt.Fprintf(env.Out, "%s: %s\n", r.Path, status)
	if r.Catalog != nil {
		printCatalog(env, r)
		return
	}
	if !r.Signed {
		fmt.Fprintf(env.Out, "  not signed\n")
		return
	}
	fmt.Fprintf(env.Out, "  signer: %s\n  issuer: %s\n", r.Subject, r.Issuer)
	if len(r.Digests) > 0 {
		fmt.Fprintf(env.Out, "  digest: %s\n", strings.Join(r.Digests, ", "))
	}
	if r.Timestamp != nil {
		fmt.Fprintf(env.Out, "  timestamp: %s by %s\n", r.Timestamp.UTC().Format(time.RFC3339), r.TimestampAuthority)
	} else {
		fmt.Fprintf(env.Out, "  timestamp: none\n")
	}
	for _, p := range r.Problems {
		fmt.Fprintf(env.Out, "  problem: %s\n", p)
	}
}
