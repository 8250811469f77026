package sign

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/sassoftware/relic/v8/lib/certloader"

	"github.com/msiforge/msiforge/internal/execx"
	"github.com/msiforge/msiforge/internal/safefile"
)

// KeySource says where a signing key and its certificates come from, as
// the config's signing section and the sign command's flags give it.
// Secrets never come from here directly: only the name of an environment
// variable or a file holding the password of the PKCS#12 file or of an
// encrypted PEM key.
type KeySource struct {
	Cert         string   // PEM certificate chain, signing certificate first
	Key          string   // PEM private key, possibly encrypted
	PKCS12       string   // PKCS#12 (.p12/.pfx) file, instead of Cert and Key
	PasswordEnv  string   // environment variable holding the PKCS#12 or key password
	PasswordFile string   // file holding the PKCS#12 or key password
	Timestamps   []string // RFC 3161 timestamp authority URLs, tried in order
	PageHashes   bool     // add page hashes to PE signatures
	// AllowWeak signs even with a certificate that breaks the identity
	// rules ([CheckCertificate]); for tests only.
	AllowWeak bool
	// Names spell the fields in messages (flag or YAML key), e.g.
	// Names["password_env"] = "--password-env"; nil uses the bare names.
	Names map[string]string

	// The other kinds of key source; at most one of them, and then none
	// of Key and PKCS12 (Cert may go with PKCS11, as the chain, and with
	// Command, as the certificate the command signs with).
	PKCS11  PKCS11Config // a key on a PKCS#11 token
	Remote  RemoteConfig // a key on a relic signing server
	Command []string     // an external signer, argv with ${artifact}
}

// The kinds of key source, as [Backend.Kind] names them.
const (
	KindFile    = "file"
	KindPKCS11  = "pkcs11"
	KindRemote  = "remote"
	KindCommand = "command"
)

func (k KeySource) kinds() []string {
	var out []string
	if k.Key != "" || k.PKCS12 != "" {
		out = append(out, KindFile)
	}
	p := k.PKCS11
	if p.Module != "" || p.Token != "" || p.KeyLabel != "" || p.KeyID != "" || p.PinEnv != "" || p.PinFile != "" {
		out = append(out, KindPKCS11)
	}
	r := k.Remote
	if r.URL != "" || r.Key != "" || r.CA != "" || r.ClientCert != "" || r.ClientKey != "" {
		out = append(out, KindRemote)
	}
	if len(k.Command) > 0 {
		out = append(out, KindCommand)
	}
	return out
}

// Kind names the key source k describes: "file", "pkcs11", "remote" or
// "command"; "" when signing is off.
func (k KeySource) Kind() string {
	ks := k.kinds()
	switch {
	case len(ks) > 0:
		return ks[0]
	case k.Cert != "":
		return KindFile // with its key missing, which Check reports
	}
	return ""
}

// IsZero reports an empty source: signing is off.
func (k KeySource) IsZero() bool { return k.Kind() == "" }

// Open turns k into the [Backend] every build and sign goes through: it
// loads the key (logs in to the token, connects to the server) and checks
// the certificate now, before anything is built. getenv supplies relic's
// RELIC_* variables for a remote source; run runs a signing command.
func (k KeySource) Open(ctx context.Context, run execx.Runner, getenv func(string) string) (Backend, error) {
	if p := k.Check(k.Names); len(p) > 0 {
		return nil, errors.New(p[0])
	}
	switch k.Kind() {
	case KindPKCS11:
		c := k.PKCS11
		c.Cert, c.AllowWeak = k.Cert, k.AllowWeak
		l, err := OpenPKCS11(c)
		if err != nil {
			return nil, err
		}
		l.S.PageHashes = k.PageHashes
		if len(k.Timestamps) > 0 {
			l.S.Timestamper = &Timestamper{URLs: k.Timestamps}
		}
		return l, nil
	case KindRemote:
		c := k.Remote.WithEnv(getenv)
		c.PageHashes, c.AllowWeak = k.PageHashes, k.AllowWeak
		return OpenRemote(ctx, c)
	case KindCommand:
		var cert *x509.Certificate
		if k.Cert != "" {
			b, err := safefile.ReadFile(k.Cert, safefile.KeyLimit)
			if err == nil {
				var chain []*x509.Certificate
				if chain, err = certloader.ParseX509Certificates(b); err == nil && len(chain) > 0 {
					cert = chain[0]
				}
			}
			if err != nil {
				return nil, fmt.Errorf("%s %s: %w", nameFunc(k.Names)("cert"), k.Cert, err)
			}
		}
		c, err := NewCommand(k.Command, run, cert)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", nameFunc(k.Names)("command"), err)
		}
		c.AllowWeak = k.AllowWeak
		return c, nil
	}
	s, err := k.Load()
	if err != nil {
		return nil, err
	}
	return NewLocal(s), nil
}

// Check reports what is inconsistent in k, naming fields by the given
// names (flag or YAML key), e.g. names["cert"] = "--cert".
func (k KeySource) Check(names map[string]string) []string {
	n := nameFunc(names)
	var out []string
	if ks := k.kinds(); len(ks) > 1 {
		spell := map[string]string{KindFile: n("key") + "/" + n("pkcs12"), KindPKCS11: n("pkcs11"), KindRemote: n("remote"), KindCommand: n("command")}
		parts := make([]string, len(ks))
		for i, x := range ks {
			parts[i] = spell[x]
		}
		return append(out, fmt.Sprintf("give one key source, not %s: a key file, a PKCS#11 token, a relic server or a signing command", strings.Join(parts, " and ")))
	}
	switch k.Kind() {
	case KindPKCS11:
		return k.PKCS11.Check()
	case KindRemote:
		if k.Cert != "" {
			out = append(out, fmt.Sprintf("%s does not go with %s: the server sends the key's certificate", n("cert"), n("remote")))
		}
		if len(k.Timestamps) > 0 {
			out = append(out, fmt.Sprintf("%s does not go with %s: the server timestamps (timestamp: true on the key in relic's config)", n("timestamp"), n("remote")))
		}
		return out // the rest is checked once relic's environment is read
	case KindCommand:
		if err := CheckArgv(k.Command); err != nil {
			out = append(out, fmt.Sprintf("%s %v", n("command"), err))
		}
		if len(k.Timestamps) > 0 || k.PageHashes {
			out = append(out, fmt.Sprintf("%s and %s do not go with %s: the command decides", n("timestamp"), n("page_hashes"), n("command")))
		}
		return out
	}
	switch {
	case k.PKCS12 != "" && (k.Cert != "" || k.Key != ""):
		out = append(out, fmt.Sprintf("%s cannot be combined with %s and %s: give either a PKCS#12 file or a PEM certificate and key", n("pkcs12"), n("cert"), n("key")))
	case k.PKCS12 == "" && (k.Cert == "") != (k.Key == ""):
		out = append(out, fmt.Sprintf("%s and %s go together: give both", n("cert"), n("key")))
	}
	if k.PKCS12 == "" && k.Key == "" && (k.PasswordEnv != "" || k.PasswordFile != "") {
		out = append(out, fmt.Sprintf("%s and %s are only for %s or an encrypted %s", n("password_env"), n("password_file"), n("pkcs12"), n("key")))
	}
	if k.PasswordEnv != "" && k.PasswordFile != "" {
		out = append(out, fmt.Sprintf("give one of %s and %s, not both", n("password_env"), n("password_file")))
	}
	return out
}

func nameFunc(names map[string]string) func(string) string {
	return func(s string) string {
		if v, ok := names[s]; ok {
			return v
		}
		return s
	}
}

// Load reads the key and certificates and returns a ready Signer. Unless
// AllowWeak is set, a certificate that breaks the identity rules now is
// refused here, before anything is built.
func (k KeySource) Load() (*Signer, error) {
	if problems := k.Check(k.Names); len(problems) > 0 {
		return nil, errors.New(problems[0])
	}
	var pw []byte // nil: no password option given
	var err error
	switch {
	case k.PasswordEnv != "":
		pw, err = PasswordFromEnv(k.PasswordEnv)
	case k.PasswordFile != "":
		pw, err = PasswordFromFile(k.PasswordFile)
	}
	if err != nil {
		return nil, fmt.Errorf("load signing key: %w", err)
	}
	var s *Signer
	switch {
	case k.PKCS12 != "":
		s, err = LoadPKCS12(k.PKCS12, pw)
	case k.Cert != "":
		s, err = LoadPEMWithPassword(k.Cert, k.Key, pw)
	default:
		return nil, errors.New("no signing key: give a PEM certificate and key, or a PKCS#12 file")
	}
	var needs *NeedsPasswordError
	if errors.As(err, &needs) {
		n := nameFunc(k.Names)
		return nil, fmt.Errorf("load signing key: %s is encrypted; give %s or %s", needs.What, n("password_env"), n("password_file"))
	}
	if err != nil {
		return nil, fmt.Errorf("load signing key: %w", err)
	}
	s.AllowWeak = k.AllowWeak
	if !k.AllowWeak {
		if err := s.CheckIdentity(time.Now()); err != nil {
			n := nameFunc(k.Names)
			if k.PKCS12 != "" {
				return nil, fmt.Errorf("%s %s: %w", n("pkcs12"), k.PKCS12, err)
			}
			return nil, fmt.Errorf("%s %s: %w", n("cert"), k.Cert, err)
		}
	}
	s.PageHashes = k.PageHashes
	if len(k.Timestamps) > 0 {
		s.Timestamper = &Timestamper{URLs: k.Timestamps}
	}
	return s, nil
}

// LoadRoots reads PEM certificates into a pool, for VerifyOptions.Roots.
func LoadRoots(path string) (*x509.CertPool, error) {
	b, err := safefile.ReadFile(path, safefile.RootsLimit)
	if err != nil {
		return nil, fmt.Errorf("read roots: %w", err)
	}
	pool := x509.NewCertPool()
	n := 0
	for {
		var blk *pem.Block
		blk, b = pem.Decode(b)
		if blk == nil {
			break
		}
		if blk.Type != "CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(blk.Bytes)
		if err != nil {
			return nil, fmt.Errorf("read roots %s: %w", path, err)
		}
		pool.AddCert(c)
		n++
	}
	if n == 0 {
		return nil, fmt.Errorf("read roots %s: no PEM certificate in it", path)
	}
	return pool, nil
}

// BuildRoots are the roots a build checks its own signatures against: the
// system roots, plus the top of the signer's chain when it is self-signed
// (a development certificate), so a build proves its signatures verify.
func (s *Signer) BuildRoots() *x509.CertPool {
	pool, err := x509.SystemCertPool()
	if err != nil || pool == nil {
		pool = x509.NewCertPool()
	}
	if n := len(s.Chain); n > 0 {
		if top := s.Chain[n-1]; selfSigned(top) {
			pool.AddCert(top)
		}
	}
	return pool
}

// SignAndVerify signs path in place and verifies the result against roots.
func (s *Signer) SignAndVerify(ctx context.Context, path string, roots *x509.CertPool) (Result, error) {
	if err := s.SignFile(ctx, path); err != nil {
		return Result{}, err
	}
	r, err := Verify(path, VerifyOptions{Roots: roots, Now: time.Now()})
	if err != nil {
		return r, err
	}
	if !r.OK() && !s.weakOnly(r) {
		return r, fmt.Errorf("signed but does not verify: %w", r.Err())
	}
	return r, nil
}

// weakOnly reports a result whose only problems are the ones a certificate
// that breaks the identity rules causes (expired, no code-signing usage, a
// chain Go refuses, e.g. SHA-1-signed), when AllowWeak let that certificate
// sign. The signature must still be there and match the content.
func (s *Signer) weakOnly(r Result) bool {
	if !s.AllowWeak || len(s.Weaknesses(time.Now())) == 0 || !r.Signed || !r.DigestOK {
		return false
	}
	return onlyWeakProblems(r)
}

// onlyWeakProblems reports a result whose problems are all ones a
// certificate breaking the identity rules causes.
func onlyWeakProblems(r Result) bool {
	for _, p := range r.Problems {
		if !errors.Is(p, ErrCertExpired) && !errors.Is(p, ErrNoCodeSigningEKU) && !errors.Is(p, ErrUntrusted) {
			return false
		}
	}
	return true
}
