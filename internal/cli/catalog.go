package cli

import (
	"crypto"
	"crypto/x509"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/msiforge/msiforge/internal/catalog"
	"github.com/msiforge/msiforge/internal/safefile"
	"github.com/msiforge/msiforge/internal/sign"
)

func newCatalogCmd(env *Env) *cobra.Command {
	var k sign.KeySource
	var out, hash, osAttr, osName, epoch string
	var files []string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "catalog INF [--sys FILE]... [-o OUT.cat] [--cert C --key K] [--hash sha256|sha1] [--json]",
		Short: "Generate a driver catalog (.cat) for an INF and its files, unsigned or test-signed",
		Long: `catalog writes a Windows security catalog for a driver package, as inf2cat
does: one member for the INF (flat-file hash) and one for each file (the
Authenticode image hash of a PE file such as a .sys, the flat hash of any
other file), each with its File and OSAttr attributes, and the INF's
hardware IDs as catalog attributes. Without --sys, the files are the INF's
[SourceDisksFiles] found next to it. The output defaults to the INF's
CatalogFile next to the INF.

With --cert/--key (or --pkcs12) the catalog is signed, for test-signing:
64-bit Windows 10 1607 and later load a kernel driver only with Microsoft's
signature (WHQL or attestation), so such a driver loads only in test mode.
Without a key the catalog is unsigned, for signing elsewhere.

--hash sha256 (default) writes a v2 catalog for Windows 10 and later;
sha1 writes a v1 catalog for older Windows. --os-attr sets the members'
OSAttr (default 2:10.0). SOURCE_DATE_EPOCH or --time fixes the catalog's
date for reproducible output.`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var h crypto.Hash
			switch strings.ToLower(hash) {
			case "sha256", "sha-256":
				h = crypto.SHA256
			case "sha1", "sha-1":
				h = crypto.SHA1
			default:
				return &usageError{fmt.Errorf("--hash %q: allowed are sha256 and sha1", hash)}
			}
			at, err := catalogTime(epoch)
			if err != nil {
				return &usageError{err}
			}
			infPath := args[0]
			data, err := safefile.ReadFile(infPath, catalog.MaxINF)
			if err != nil {
				return err
			}
			inf, err := catalog.ParseINF(data)
			if err != nil {
				return fmt.Errorf("%s: %w", infPath, err)
			}
			dir := filepath.Dir(infPath)
			if len(files) == 0 {
				for _, f := range inf.SourceFiles {
					p := filepath.Join(dir, f)
					if _, err := os.Stat(p); err != nil {
						return fmt.Errorf("%s lists %s in [SourceDisksFiles], but %s: %w (give the files with --sys)", infPath, f, p, err)
					}
					files = append(files, p)
				}
			}
			if out == "" {
				if len(inf.CatalogFiles) == 0 {
					return &usageError{fmt.Errorf("%s names no CatalogFile in [Version]: give -o OUT.cat", infPath)}
				}
				out = filepath.Join(dir, inf.CatalogFiles[0])
			}
			if fi, err := os.Stat(out); err == nil && fi.IsDir() {
				return &usageError{fmt.Errorf("-o %s is a directory: give the catalog's file name", out)}
			}
			opts := catalog.Options{Hash: h, OSAttr: osAttr, OS: osName, Time: at}
			if !k.IsZero() {
				if err := checkKeyFlags(k); err != nil {
					return err
				}
				s, err := loadSigner(env, k)
				if err != nil {
					return err
				}
				opts.Signer, opts.Chain = s.Key, s.Chain
				if s.Timestamper != nil {
					opts.Timestamper = s.Timestamper
				}
			}
			inputs := []catalog.Input{{Path: infPath}}
			for _, f := range files {
				inputs = append(inputs, catalog.Input{Path: f})
			}
			der, err := catalog.Build(inputs, inf.HardwareIDs, opts)
			if err != nil {
				return err
			}
			if err := catalog.WriteFile(out, der); err != nil {
				return fmt.Errorf("write %s: %w", out, err)
			}
			state, signer := "unsigned", ""
			if opts.Signer != nil {
				signer = sign.CertName(opts.Chain[0])
				state = "signed by " + signer
			}
			if asJSON {
				return writeJSON(env, struct {
					Path    string `json:"path"`
					Members int    `json:"members"`
					Hash    string `json:"hash"`
					Signer  string `json:"signer,omitempty"`
				}{out, len(inputs), h.String(), signer})
			}
			fmt.Fprintf(env.Out, "%s: %d members, %s, %s\n", out, len(inputs), h, state)
			return nil
		},
	}
	addKeyFlags(cmd, &k)
	f := cmd.Flags()
	_ = f.MarkHidden("page-hashes") // PE-only: a catalog has no page hashes of its own
	f.StringArrayVar(&files, "sys", nil, "driver file to list (repeat; default: the INF's [SourceDisksFiles] next to it)")
	f.StringVarP(&out, "output", "o", "", "catalog to write (default: the INF's CatalogFile next to it)")
	f.StringVar(&hash, "hash", "sha256", "member hash: sha256 (Windows 10+) or sha1 (older Windows)")
	f.StringVar(&osAttr, "os-attr", "2:10.0", "OSAttr value of each member, as inf2cat writes it")
	f.StringVar(&osName, "os", "", "catalog OS attribute, e.g. _v100_X64 (default: none)")
	f.StringVar(&epoch, "time", "", "catalog date (RFC 3339; default: SOURCE_DATE_EPOCH, else now)")
	f.BoolVar(&asJSON, "json", false, `print the catalog written as JSON: {"path", "members", "hash", "signer"}`)
	return cmd
}

func catalogTime(flag string) (time.Time, error) {
	if flag != "" {
		t, err := time.Parse(time.RFC3339, flag)
		if err != nil {
			return time.Time{}, fmt.Errorf("--time %q: want an RFC 3339 time such as 2026-01-02T15:04:05Z", flag)
		}
		return t, nil
	}
	if s := os.Getenv("SOURCE_DATE_EPOCH"); s != "" {
		var n int64
		if _, err := fmt.Sscanf(s, "%d", &n); err != nil || n < 0 {
			return time.Time{}, fmt.Errorf("SOURCE_DATE_EPOCH %q: want seconds since 1970", s)
		}
		return time.Unix(n, 0).UTC(), nil
	}
	return time.Time{}, nil
}

// catalogFiles are verify's --inf/--sys flags for .cat files.
type catalogFiles struct {
	inf   string
	files []string
}

func addCatalogVerifyFlags(cmd *cobra.Command, cf *catalogFiles) {
	cmd.Flags().StringVar(&cf.inf, "inf", "", "for a .cat: the driver INF it must list (default: the INF next to it naming it as CatalogFile)")
	cmd.Flags().StringArrayVar(&cf.files, "sys", nil, "for a .cat: a driver file it must list (repeat; default: the INF's [SourceDisksFiles] next to it)")
}

// isCatalog: verify treats a file as a catalog by its .cat extension, so a
// placeholder or corrupt .cat is reported as "not a catalog" rather than as
// an unknown format.
func isCatalog(path string) bool { return strings.EqualFold(filepath.Ext(path), ".cat") }

func verifyCatalog(path string, roots *x509.CertPool, cf catalogFiles) (verifyReport, error) {
	r, err := catalog.Verify(path, catalog.VerifyOptions{INF: cf.inf, Files: cf.files, Roots: roots})
	if err != nil {
		return verifyReport{}, fmt.Errorf("verify %s: %w", path, err)
	}
	rep := verifyReport{Path: path, Format: "CAT", Signed: r.Signed, DigestOK: r.SigOK, ChainOK: r.ChainOK,
		CodeSigningEKU: r.CodeSigningEKU, Subject: r.Subject, Issuer: r.Issuer, Timestamp: r.Timestamp,
		TimestampAuthority: r.TimestampAuthority, Problems: r.Problems, Catalog: r, OK: len(r.Problems) == 0}
	if r.Hash != "" {
		rep.Digests = []string{r.Hash}
	}
	return rep, nil
}

func printCatalog(env *Env, r verifyReport) {
	c := r.Catalog
	if c.Version != 0 {
		fmt.Fprintf(env.Out, "  catalog: v%d, %s, %d members (%d entries)\n", c.Version, c.Hash, c.Members, c.Entries)
		if r.Signed {
			fmt.Fprintf(env.Out, "  signer: %s\n  issuer: %s\n", r.Subject, r.Issuer)
			if r.Timestamp != nil {
				fmt.Fprintf(env.Out, "  timestamp: %s by %s\n", r.Timestamp.UTC().Format(time.RFC3339), r.TimestampAuthority)
			}
		} else {
			fmt.Fprintf(env.Out, "  signer: unsigned\n")
		}
	}
	for _, f := range c.Files {
		switch {
		case f.Err != "":
		case f.Listed:
			fmt.Fprintf(env.Out, "  member: %s (%s %s) listed\n", f.Path, f.Kind, f.Digest)
		default:
			fmt.Fprintf(env.Out, "  member: %s (%s %s) NOT LISTED\n", f.Path, f.Kind, f.Digest)
		}
	}
	for _, w := range c.Warnings {
		fmt.Fprintf(env.Out, "  warning: %s\n", w)
	}
	for _, p := range r.Problems {
		fmt.Fprintf(env.Out, "  problem: %s\n", p)
	}
}
