package sign

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/msiforge/msiforge/internal/execx"
	"github.com/msiforge/msiforge/internal/safefile"
)

// ArtifactVar is the placeholder of a signing command's argv that becomes
// the path of the file to sign, as in GoReleaser's signs.
const ArtifactVar = "${artifact}"

// Command is a [Backend] that runs an external signer (signtool on a
// Windows runner, a cloud signing service's CLI, a script) on each file:
// Argv with ${artifact} replaced by the file's path. The command signs the
// file in place. It works on a copy next to the original, which replaces
// the original only when the copy came back signed, verified, and with the
// same Authenticode content digest: the bytes change (signtool rewrites
// the whole compound file of an MSI), the signed content must not.
type Command struct {
	Argv []string
	Run  execx.Runner
	// Cert, when set, is the certificate the command signs with: results
	// must be signed by it, and a self-signed one is trusted for the check.
	// Without it, signatures must chain to the system roots.
	Cert      *x509.Certificate
	Roots     *x509.CertPool
	AllowWeak bool
}

var _ Backend = (*Command)(nil)

// CheckArgv reports an unusable argv template.
func CheckArgv(argv []string) error {
	if len(argv) == 0 || strings.TrimSpace(argv[0]) == "" {
		return errors.New("is empty: give the program and its arguments, e.g. [signtool, sign, /f, cert.pfx, \"${artifact}\"]")
	}
	for _, a := range argv {
		if strings.Contains(a, ArtifactVar) {
			return nil
		}
	}
	return fmt.Errorf("%q does not name the file to sign: put %s where the command takes it", argv, ArtifactVar)
}

// NewCommand checks argv and returns the command key source.
func NewCommand(argv []string, run execx.Runner, cert *x509.Certificate) (*Command, error) {
	if err := CheckArgv(argv); err != nil {
		return nil, err
	}
	c := &Command{Argv: argv, Run: run, Cert: cert}
	if cert != nil {
		c.Roots = (&Signer{Chain: []*x509.Certificate{cert}}).BuildRoots()
	}
	return c, nil
}

// Kind implements [Backend].
func (c *Command) Kind() string { return "command" }

// Weak implements [Backend].
func (c *Command) Weak() bool {
	return c.AllowWeak && c.Cert != nil && len(CheckCertificate([]*x509.Certificate{c.Cert}, time.Now())) > 0
}

// Close implements [Backend].
func (c *Command) Close() error { return nil }

// Chain implements [Backend].
func (c *Command) Chain() []*x509.Certificate {
	if c.Cert == nil {
		return nil
	}
	return []*x509.Certificate{c.Cert}
}

// SignAndVerify implements [Backend].
func (c *Command) SignAndVerify(ctx context.Context, path string) (Result, error) {
	before, err := ContentDigest(path)
	if err != nil {
		return Result{}, fmt.Errorf("sign %s: %w", path, err)
	}
	// The copy keeps the name's extension: signers pick the format by it.
	dir, base := filepath.Split(path)
	tmpDir, err := os.MkdirTemp(dirOrDot(dir), "."+base+".command-")
	if err != nil {
		return Result{}, err
	}
	defer os.RemoveAll(tmpDir)
	tmp := filepath.Join(tmpDir, base)
	if err := copyFile(path, tmp); err != nil {
		return Result{}, fmt.Errorf("sign %s: %w", path, err)
	}
	argv := make([]string, len(c.Argv))
	for i, a := range c.Argv {
		argv[i] = strings.ReplaceAll(a, ArtifactVar, tmp)
	}
	if _, err := c.Run.Run(ctx, execx.Cmd{Name: argv[0], Args: argv[1:]}); err != nil {
		return Result{}, fmt.Errorf("sign %s: signing command: %w", path, err)
	}
	res, err := verifyForeign(tmp, before, c.Roots, c.AllowWeak)
	res.Path = path
	if err != nil {
		return res, fmt.Errorf("sign %s: signing command %s: %w", path, c.Argv[0], err)
	}
	if c.Cert != nil && res.Subject != c.Cert.Subject.String() {
		return res, fmt.Errorf("sign %s: signing command %s signed it as %q, not with signing.cert %q", path, c.Argv[0], res.Subject, c.Cert.Subject.String())
	}
	if err := keepMode(path, tmp); err != nil {
		return res, err
	}
	// tmp is in a directory next to path: same file system, atomic rename.
	return res, os.Rename(tmp, path)
}

func dirOrDot(d string) string {
	if d == "" {
		return "."
	}
	return d
}

func copyFile(from, to string) error {
	src, err := safefile.Open(from)
	if err != nil {
		return err
	}
	defer src.Close()
	dst, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(dst, src); err != nil {
		dst.Close()
		return err
	}
	return dst.Close()
}
