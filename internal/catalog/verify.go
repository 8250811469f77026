package catalog

import (
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/sassoftware/relic/v8/lib/pkcs7"
	"github.com/sassoftware/relic/v8/lib/pkcs9"

	"github.com/msiforge/msiforge/internal/safefile"
	"github.com/msiforge/msiforge/internal/sign"
)

// MemberCheck is the result of looking up one driver file in a catalog.
type MemberCheck struct {
	Path   string `json:"path"`
	Kind   Kind   `json:"kind"`
	Digest string `json:"digest"` // upper-case hex, in the catalog's hash
	Listed bool   `json:"listed"`
	Err    string `json:"error,omitempty"`
}

// Report is what Verify found about a catalog.
type Report struct {
	Version int               `json:"version,omitempty"`
	Hash    string            `json:"hash,omitempty"`
	Members int               `json:"members,omitempty"` // files (entries with SPC_INDIRECT_DATA)
	Entries int               `json:"entries,omitempty"` // trust list entries, bare SHA-1 ones included
	Attrs   map[string]string `json:"attributes,omitempty"`
	Signed  bool              `json:"signed"`
	SigOK   bool              `json:"signature_ok"`
	ChainOK bool              `json:"chain_ok"`
	// CodeSigningEKU, Timestamp and TimestampAuthority as for PE files.
	CodeSigningEKU     bool          `json:"code_signing_eku"`
	Timestamp          *time.Time    `json:"timestamp,omitempty"`
	TimestampAuthority string        `json:"timestamp_authority,omitempty"`
	Subject            string        `json:"subject,omitempty"`
	Issuer             string        `json:"issuer,omitempty"`
	Files              []MemberCheck `json:"files,omitempty"`
	Warnings           []string      `json:"warnings,omitempty"`
	Problems           []string      `json:"-"` // verify --json reports them at the top level
}

// VerifyOptions says which driver files to check and what to trust.
type VerifyOptions struct {
	// INF and Files are checked against the catalog. With neither set,
	// FindDriverFiles looks next to the catalog.
	INF   string
	Files []string
	// Roots are the trust anchors for the signer; nil means the system
	// roots.
	Roots *x509.CertPool
	Now   time.Time
}

// Microsoft's driver-signing chain: WHQL and attestation signatures come from
// the Windows Hardware Compatibility Publisher certificate issued by the
// Microsoft Windows Third Party Component CA. 64-bit Windows 10 1607 and
// later load new kernel drivers only with such a signature (outside test
// mode): https://learn.microsoft.com/en-us/windows-hardware/drivers/install/kernel-mode-code-signing-policy--windows-vista-and-later-
const (
	msPublisher = "Microsoft Windows Hardware Compatibility Publisher"
	msIssuer    = "Microsoft Windows Third Party Component CA"
)

// Size limits: Windows' largest system catalogs are a few MB; INFs are text.
const (
	maxCatalog = 256 << 20
	MaxINF     = 16 << 20
)

// ErrNotSigned marks an unsigned catalog.
var ErrNotSigned = errors.New("catalog is not signed")

// FindDriverFiles returns the INF in catPath's folder whose CatalogFile
// names the catalog, and the [SourceDisksFiles] it lists that exist in that
// folder. It returns "" when no INF names the catalog.
func FindDriverFiles(catPath string) (inf string, files []string, err error) {
	dir := filepath.Dir(catPath)
	matches, err := filepath.Glob(filepath.Join(dir, "*.[iI][nN][fF]"))
	if err != nil {
		return "", nil, err
	}
	for _, m := range matches {
		data, err := safefile.ReadFile(m, MaxINF)
		if err != nil {
			continue // not a regular file or too large: not the driver's INF
		}
		p, err := ParseINF(data)
		if err != nil {
			continue // not a driver INF
		}
		for _, c := range p.CatalogFiles {
			if strings.EqualFold(c, filepath.Base(catPath)) {
				for _, f := range p.SourceFiles {
					if fp := filepath.Join(dir, f); fileExists(fp) {
						files = append(files, fp)
					}
				}
				return m, files, nil
			}
		}
	}
	return "", nil, nil
}

func fileExists(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.Mode().IsRegular()
}

// Verify parses the catalog at path and checks its signature, its signer and
// the driver files. The error is for a file that cannot be read; a file that
// is not a catalog is a problem in the report (it wraps ErrNotCatalog).
func Verify(path string, opts VerifyOptions) (*Report, error) {
	blob, err := safefile.ReadFile(path, maxCatalog)
	if err != nil {
		return nil, err
	}
	rep := &Report{}
	cat, err := Parse(blob)
	if err != nil {
		rep.Problems = append(rep.Problems, err.Error())
		return rep, nil
	}
	rep.Version, rep.Hash, rep.Entries = cat.Version, HashName(cat.Hash), len(cat.Members)
	for _, m := range cat.Members {
		if m.indirect {
			rep.Members++
		}
	}
	if len(cat.Attrs) > 0 {
		rep.Attrs = cat.Attrs
	}
	checkSignature(cat, rep, opts)
	inf, files := opts.INF, opts.Files
	if inf == "" && len(files) == 0 {
		if inf, files, err = FindDriverFiles(path); err != nil {
			return nil, err
		}
		if inf == "" {
			rep.Warnings = append(rep.Warnings, "no INF in the catalog's folder names it as CatalogFile and no --inf/--sys was given: member hashes not checked")
		}
	}
	if inf != "" {
		files = append([]string{inf}, files...)
	}
	for _, f := range files {
		mc := MemberCheck{Path: f}
		kind, d, err := FileHash(f, cat.Hash)
		if err != nil {
			mc.Err = err.Error()
			rep.Problems = append(rep.Problems, fmt.Sprintf("%s: %v", f, err))
			rep.Files = append(rep.Files, mc)
			continue
		}
		mc.Kind, mc.Digest = kind, hexUpper(d)
		if m := cat.Find(d); m != nil {
			mc.Listed = true
		} else {
			what := "flat-file"
			if kind == KindPE {
				what = "Authenticode PE image"
			}
			rep.Problems = append(rep.Problems, fmt.Sprintf("%s: its %s %s hash %s is not in the catalog (file changed or not a member)", f, what, HashName(cat.Hash), mc.Digest))
		}
		rep.Files = append(rep.Files, mc)
	}
	return rep, nil
}

func checkSignature(cat *Catalog, rep *Report, opts VerifyOptions) {
	if !cat.Signed {
		rep.Problems = append(rep.Problems, ErrNotSigned.Error())
		return
	}
	rep.Signed = true
	sig, err := cat.SignedData.Content.Verify(nil, false)
	if err != nil {
		rep.Problems = append(rep.Problems, "catalog signature does not verify: "+err.Error())
		return
	}
	rep.SigOK = true
	ts, err := pkcs9.VerifyOptionalTimestamp(sig)
	if err != nil {
		rep.Problems = append(rep.Problems, "catalog timestamp does not verify: "+err.Error())
		ts = pkcs9.TimestampedSignature{Signature: sig}
	}
	res := sign.CheckSigner(&ts, sign.VerifyOptions{Roots: opts.Roots, Now: opts.Now})
	rep.Subject, rep.Issuer = res.Subject, res.Issuer
	rep.ChainOK, rep.CodeSigningEKU = res.ChainOK, res.CodeSigningEKU
	rep.Timestamp, rep.TimestampAuthority = res.Timestamp, res.TimestampAuthority
	for _, p := range res.Problems {
		rep.Problems = append(rep.Problems, p.Error())
	}
	if !microsoftSigned(sig) {
		rep.Warnings = append(rep.Warnings, fmt.Sprintf("signer %q is not Microsoft's driver-signing chain (%s, issued by %s): 64-bit Windows 10 1607 and later load such a kernel driver only in test mode (bcdedit /set testsigning on) with the signer's certificate trusted", sig.Certificate.Subject.CommonName, msPublisher, msIssuer))
	}
}

// microsoftSigned: the leaf is Microsoft's Hardware Compatibility Publisher
// and an intermediate in the signature is the Third Party Component CA.
// Names alone are not proof; the chain check against the roots is what makes
// them meaningful, so this only decides whether to warn.
func microsoftSigned(sig pkcs7.Signature) bool {
	if sig.Certificate.Subject.CommonName != msPublisher {
		return false
	}
	return sig.Certificate.Issuer.CommonName == msIssuer
}
