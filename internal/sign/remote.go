package sign

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/sassoftware/relic/v8/lib/certloader"
	"github.com/sassoftware/relic/v8/signers"
	"github.com/sassoftware/relic/v8/signers/msi"
	"github.com/sassoftware/relic/v8/signers/pecoff"

	"github.com/msiforge/msiforge/internal/safefile"
)

// RemoteConfig names a key on a stock relic signing server (`relic
// serve`) and the client identity msiforge presents to it over mutual TLS.
// CA, ClientCert and ClientKey are file paths or inline PEM, as in relic's
// RELIC_CACERT, RELIC_CLIENT_CERT and RELIC_CLIENT_KEY.
type RemoteConfig struct {
	URL        string // https://host:port of the server
	CA         string // server's certificate or its CA; empty: system roots
	ClientCert string // client certificate (PEM)
	ClientKey  string // its private key (PEM, unencrypted); a secret
	Key        string // the key's name in the server's config
	PageHashes bool
	AllowWeak  bool
	// Names spell the fields in messages, e.g. Names["url"] =
	// "signing.remote.url"; nil uses the bare names.
	Names map[string]string
}

// The environment variables relic's own client reads; msiforge reads the
// same, so one setup serves `relic remote sign` and msiforge.
const (
	EnvRelicURL        = "RELIC_URL"
	EnvRelicClientCert = "RELIC_CLIENT_CERT"
	EnvRelicClientKey  = "RELIC_CLIENT_KEY"
	EnvRelicCACert     = "RELIC_CACERT"
)

// WithEnv fills the fields c leaves empty from relic's environment
// variables.
func (c RemoteConfig) WithEnv(getenv func(string) string) RemoteConfig {
	fill := func(p *string, env string) {
		if *p == "" {
			*p = getenv(env)
		}
	}
	fill(&c.URL, EnvRelicURL)
	fill(&c.ClientCert, EnvRelicClientCert)
	fill(&c.ClientKey, EnvRelicClientKey)
	fill(&c.CA, EnvRelicCACert)
	return c
}

// Check reports what is missing in c, naming fields by c.Names.
func (c RemoteConfig) Check() []string {
	n := nameFunc(c.Names)
	var out []string
	if c.URL == "" {
		out = append(out, fmt.Sprintf("%s is required (or %s): the relic server, https://host:port", n("url"), EnvRelicURL))
	} else if u, err := url.Parse(c.URL); err != nil || u.Scheme != "https" || u.Host == "" {
		out = append(out, fmt.Sprintf("%s %q is not an https://host:port URL", n("url"), c.URL))
	}
	if c.Key == "" {
		out = append(out, fmt.Sprintf("%s is required: the name of the key in the server's config", n("key")))
	}
	if c.ClientCert == "" || c.ClientKey == "" {
		out = append(out, fmt.Sprintf("%s and %s are required (or %s and %s): the client identity the server knows", n("client_cert"), n("client_key"), EnvRelicClientCert, EnvRelicClientKey))
	}
	return out
}

// Remote is a [Backend] that signs through a relic server: the file goes
// up (an MSI as relic's msi-tar stream of its streams, a PE whole), the
// server signs with a key that never leaves it and returns the signature
// (a PKCS#7 blob or a binary patch), which is applied locally. The same
// public transforms `relic remote sign` uses do the work.
type Remote struct {
	cfg    RemoteConfig
	client string // the client certificate's relic fingerprint and subject
	httpc  *http.Client
	urls   []string // the configured server, then its siblings
	chain  []*x509.Certificate
	roots  *x509.CertPool
}

var _ Backend = (*Remote)(nil)

// RemoteError is an error answer of a relic server (an RFC 7807
// problem+json document when the server sent one).
type RemoteError struct {
	URL    string
	Status int
	Type   string // e.g. https://relic.sas.com/forbidden
	Title  string
	Detail string
	Hint   string
}

func (e *RemoteError) Error() string {
	msg := fmt.Sprintf("relic server %s: HTTP %d", e.URL, e.Status)
	if e.Title != "" {
		msg += " " + e.Title
	}
	if e.Detail != "" {
		msg += ": " + e.Detail
	}
	if e.Hint != "" {
		msg += " (" + e.Hint + ")"
	}
	return msg
}

// temporary reports an error another sibling may not have.
func (e *RemoteError) temporary() bool { return e.Status >= 500 }

// OpenRemote connects to the server, learns its siblings and fetches the
// key's certificate chain, which must pass the identity rules unless
// AllowWeak.
func OpenRemote(ctx context.Context, c RemoteConfig) (*Remote, error) {
	if p := c.Check(); len(p) > 0 {
		return nil, errors.New(strings.Join(p, "; "))
	}
	n := nameFunc(c.Names)
	tlsConf, err := c.tlsConfig()
	if err != nil {
		return nil, err
	}
	tr := &http.Transport{
		TLSClientConfig:     tlsConf,
		ForceAttemptHTTP2:   true,
		DialContext:         (&net.Dialer{Timeout: 10 * time.Second}).DialContext,
		TLSHandshakeTimeout: 10 * time.Second,
		MaxIdleConnsPerHost: 16,
	}
	r := &Remote{cfg: c, httpc: &http.Client{Transport: tr}, urls: []string{strings.TrimRight(c.URL, "/")}}
	if leaf := tlsConf.Certificates; len(leaf) > 0 && leaf[0].Leaf != nil {
		// relic names clients by the SHA-256 of the public key (SPKI).
		sum := sha256.Sum256(leaf[0].Leaf.RawSubjectPublicKeyInfo)
		r.client = fmt.Sprintf("fingerprint %x, subject %q", sum, leaf[0].Leaf.Subject.String())
	}
	r.discoverSiblings(ctx)
	var body struct{ X509Certificate string }
	if err := r.getJSON(ctx, "/keys/"+url.PathEscape(c.Key), &body); err != nil {
		var re *RemoteError
		if errors.As(err, &re) && (re.Status == http.StatusForbidden || re.Status == http.StatusNotFound) {
			re.Hint = fmt.Sprintf("%s %q is not a key this client may use", n("key"), c.Key)
			var keys []string
			if r.getJSON(ctx, "/list_keys", &keys) == nil {
				re.Hint += "; it may use: " + strings.Join(keys, ", ")
				if len(keys) == 0 {
					re.Hint += "(none)"
				}
			}
		}
		return nil, fmt.Errorf("remote signing key %q: %w", c.Key, r.decorate(err))
	}
	chain, err := certloader.ParseX509Certificates([]byte(body.X509Certificate))
	if err != nil || len(chain) == 0 {
		return nil, fmt.Errorf("remote signing key %q: the server sent no usable certificate: %v", c.Key, err)
	}
	r.chain = chain
	if !c.AllowWeak {
		if v := CheckCertificate(chain, time.Now()); len(v) > 0 {
			return nil, fmt.Errorf("remote signing key %q: %w", c.Key, &IdentityError{Cert: chain[0], Violations: v})
		}
	}
	r.roots = (&Signer{Chain: chain}).BuildRoots()
	return r, nil
}

// pemOrFile returns inline PEM as is and reads anything else as a file.
func pemOrFile(v string) ([]byte, error) {
	if strings.Contains(v, "-----BEGIN ") {
		return []byte(v), nil
	}
	return safefile.ReadFile(v, safefile.KeyLimit)
}

// describe names a value in messages without showing it: inline PEM may be
// a private key.
func describe(v string) string {
	if strings.Contains(v, "-----BEGIN ") {
		return "(inline PEM)"
	}
	return v
}

func (c RemoteConfig) tlsConfig() (*tls.Config, error) {
	n := nameFunc(c.Names)
	conf := &tls.Config{MinVersion: tls.VersionTLS12}
	if c.CA != "" {
		b, err := pemOrFile(c.CA)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", n("ca"), err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(b) {
			return nil, fmt.Errorf("%s %s: no PEM certificate in it", n("ca"), describe(c.CA))
		}
		conf.RootCAs = pool
	}
	certPEM, err := pemOrFile(c.ClientCert)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", n("client_cert"), err)
	}
	keyPEM, err := pemOrFile(c.ClientKey)
	if err != nil {
		// The error names the path only, never the contents.
		return nil, fmt.Errorf("%s: %w", n("client_key"), err)
	}
	pair, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		if blk, _ := pem.Decode(keyPEM); blk != nil && (blk.Type == "ENCRYPTED PRIVATE KEY" || blk.Headers["Proc-Type"] != "") {
			return nil, fmt.Errorf("%s %s is encrypted: a client key must be unencrypted (protect it with file permissions)", n("client_key"), describe(c.ClientKey))
		}
		// tls's messages describe the PEM blocks, never key material.
		return nil, fmt.Errorf("%s %s and %s %s: %w", n("client_cert"), describe(c.ClientCert), n("client_key"), describe(c.ClientKey), err)
	}
	// relic's server asks for a certificate without naming acceptable CAs,
	// so Go's default selection would send none: always present ours.
	conf.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return &pair, nil }
	conf.Certificates = []tls.Certificate{pair} // for the fingerprint in messages
	return conf, nil
}

// discoverSiblings reads the server's directory: the hosts of its cluster
// (relic's `siblings`), tried in turn when one fails. A server that does
// not answer is left for the first real request to report.
func (r *Remote) discoverSiblings(ctx context.Context) {
	var dir struct{ Hosts []string }
	if r.getJSONFrom(ctx, r.urls[0], "/directory", &dir) != nil {
		return
	}
	for _, h := range dir.Hosts {
		h = strings.TrimRight(h, "/")
		if h != "" && h != r.urls[0] {
			r.urls = append(r.urls, h)
		}
	}
}

func (r *Remote) getJSON(ctx context.Context, path string, v any) error {
	var err error
	for _, u := range r.urls {
		if err = r.getJSONFrom(ctx, u, path, v); err == nil || !retryable(err) || ctx.Err() != nil {
			return err
		}
	}
	return err
}

func (r *Remote) getJSONFrom(ctx context.Context, base, path string, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+path, nil)
	if err != nil {
		return err
	}
	// Without it /directory answers in relic's legacy text format.
	req.Header.Set("Accept", "application/json")
	resp, err := r.httpc.Do(req)
	if err != nil {
		return connError(base, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return problem(base, resp)
	}
	return json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(v)
}

// connError is a request that did not get an answer: the next sibling may.
type connErr struct {
	url string
	err error
}

func (e *connErr) Error() string {
	var cv *tls.CertificateVerificationError
	if errors.As(e.err, &cv) {
		return fmt.Sprintf("relic server %s: its TLS certificate does not verify against the configured CA (ca, or RELIC_CACERT): %v", e.url, cv.Err)
	}
	return fmt.Sprintf("relic server %s: cannot reach it (is relic serve running there?): %v", e.url, e.err)
}
func (e *connErr) Unwrap() error { return e.err }

func connError(base string, err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	return &connErr{url: base, err: err}
}

func retryable(err error) bool {
	var ce *connErr
	var re *RemoteError
	return errors.As(err, &ce) || (errors.As(err, &re) && re.temporary())
}

// problem turns a non-200 answer into a [*RemoteError], with relic's
// problem+json fields and a hint for the answers a setup mistake causes.
func problem(base string, resp *http.Response) error {
	e := &RemoteError{URL: base, Status: resp.StatusCode, Title: http.StatusText(resp.StatusCode)}
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type")); mt == "application/problem+json" {
		var p struct{ Type, Title, Detail string }
		if json.Unmarshal(body, &p) == nil {
			e.Type, e.Detail = p.Type, p.Detail
			if p.Title != "" {
				e.Title = p.Title
			}
		}
	} else if s := strings.TrimSpace(string(body)); s != "" && len(s) < 300 {
		e.Detail = s
	}
	switch strings.TrimPrefix(e.Type, "https://relic.sas.com/") {
	case "certificate-required":
		e.Hint = "the server got no client certificate"
	case "certificate-not-recognized":
		e.Hint = "the server does not know this client certificate: add its fingerprint or its CA to the server's clients"
	case "":
		if e.Status >= 500 {
			e.Hint = "the server's log has the cause"
		}
	}
	return e
}

// decorate names the client certificate when the server did not
// recognise it, so its administrator can add it.
func (r *Remote) decorate(err error) error {
	var re *RemoteError
	if errors.As(err, &re) && strings.HasSuffix(re.Type, "/certificate-not-recognized") && r.client != "" {
		re.Hint = "the server does not know this client certificate (" + r.client + "): add its fingerprint or its CA to the server's clients"
	}
	return err
}

// Kind implements [Backend].
func (r *Remote) Kind() string { return "remote" }

// Chain implements [Backend]: the key's certificates, from the server.
func (r *Remote) Chain() []*x509.Certificate { return r.chain }

// Weak implements [Backend].
func (r *Remote) Weak() bool {
	return r.cfg.AllowWeak && len(CheckCertificate(r.chain, time.Now())) > 0
}

// Close implements [Backend].
func (r *Remote) Close() error {
	r.httpc.CloseIdleConnections()
	return nil
}

// SignAndVerify implements [Backend]: the signed file is written next to
// path, verified (signed by the key's certificate, content unchanged) and
// only then renamed over path.
func (r *Remote) SignAndVerify(ctx context.Context, path string) (Result, error) {
	format, err := detectFile(path)
	if err != nil {
		return Result{}, fmt.Errorf("sign %s: %w", path, err)
	}
	// An MSI's signature comes back as a PKCS#7 blob that this side
	// inserts as two streams, so its content cannot change. A PE's comes
	// back as a binary patch, which could change anything: compare the
	// content digests around it (one SHA-256 pass each).
	var before []byte
	if format == FormatPE {
		if before, err = ContentDigest(path); err != nil {
			return Result{}, fmt.Errorf("sign %s: %w", path, err)
		}
	}
	tmp, err := r.signTo(ctx, path)
	if err != nil {
		return Result{}, fmt.Errorf("sign %s: %w", path, err)
	}
	defer os.Remove(tmp)
	res, err := verifyForeign(tmp, before, r.roots, r.cfg.AllowWeak)
	res.Path = path
	if err != nil {
		return res, fmt.Errorf("sign %s through %s: %w", path, r.urls[0], err)
	}
	if res.Subject != r.chain[0].Subject.String() {
		return res, fmt.Errorf("sign %s: signed by %q, not by the key's certificate %q", path, res.Subject, r.chain[0].Subject.String())
	}
	if err := keepMode(path, tmp); err != nil {
		return res, err
	}
	return res, os.Rename(tmp, path)
}

func detectFile(path string) (Format, error) {
	f, err := safefile.Open(path)
	if err != nil {
		return FormatUnknown, err
	}
	defer f.Close()
	return DetectFormat(f)
}

func keepMode(from, to string) error {
	fi, err := os.Stat(from)
	if err != nil {
		return err
	}
	return os.Chmod(to, fi.Mode().Perm())
}

// signTo sends path to the server and writes the signed copy next to it,
// returning the copy's name.
func (r *Remote) signTo(ctx context.Context, path string) (string, error) {
	f, err := safefile.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	format, err := DetectFormat(f)
	if err != nil {
		return "", err
	}
	var mod *signers.Signer
	switch format {
	case FormatMSI:
		mod = msi.MsiSigner
	case FormatPE:
		mod = pecoff.PeSigner
	default:
		return "", ErrUnknownFormat
	}
	flags := &signers.FlagValues{Defs: mod.Flags(), Values: map[string]string{}}
	if format == FormatPE && r.cfg.PageHashes {
		flags.Values["page-hashes"] = "true"
	}
	opts := signers.SignOpts{Path: path, Hash: crypto.SHA256, Time: time.Now(), Flags: flags}
	transform, err := mod.GetTransform(f, opts.WithContext(ctx))
	if err != nil {
		return "", fmt.Errorf("prepare %s for upload: %w", format, err)
	}
	q := url.Values{}
	q.Set("key", r.cfg.Key)
	q.Set("filename", filepath.Base(path))
	q.Set("sigtype", mod.Name)
	q.Set("digest", "SHA-256")
	if err := flags.ToQuery(q); err != nil {
		return "", err
	}
	tmp := filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".remote-"+randSuffix())
	var lastErr error
	// Each server in turn, then all of them once more after a pause: a
	// restarting server or a dropped connection is not a failed release.
	// Every attempt uploads afresh (GetReader again).
	attempts := append(append([]string{}, r.urls...), r.urls...)
	for i, base := range attempts {
		if i == len(r.urls) {
			select {
			case <-ctx.Done():
				return "", ctx.Err()
			case <-time.After(retryPause):
			}
		}
		err := r.post(ctx, base, q, transform, tmp)
		if err == nil {
			if mod.Fixup != nil {
				out, err := os.OpenFile(tmp, os.O_RDWR, 0)
				if err != nil {
					return "", err
				}
				err = mod.Fixup(out)
				if cerr := out.Close(); err == nil {
					err = cerr
				}
				if err != nil {
					os.Remove(tmp)
					return "", fmt.Errorf("fix up signed %s: %w", format, err)
				}
			}
			return tmp, nil
		}
		os.Remove(tmp)
		lastErr = err
		if !retryable(err) || ctx.Err() != nil {
			break
		}
	}
	var re *RemoteError
	if errors.As(lastErr, &re) && re.Status == http.StatusForbidden {
		re.Hint = fmt.Sprintf("key %q exists but this client's roles do not allow it", r.cfg.Key)
	}
	return "", r.decorate(lastErr)
}

func (r *Remote) post(ctx context.Context, base string, q url.Values, t signers.Transformer, dest string) error {
	body, err := t.GetReader()
	if err != nil {
		return err
	}
	// Hide the file's Close: net/http closes a request body, and the PE
	// transform reads the same file again to apply the patch.
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/sign?"+q.Encode(), struct{ io.Reader }{body})
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/octet-stream")
	resp, err := r.httpc.Do(req)
	if err != nil {
		return connError(base, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return problem(base, resp)
	}
	blob, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return connError(base, err)
	}
	if err := t.Apply(dest, resp.Header.Get("Content-Type"), bytes.NewReader(blob)); err != nil {
		return fmt.Errorf("apply the server's signature: %w", err)
	}
	return nil
}

// retryPause is the wait before a second round over the servers.
var retryPause = time.Second

// randSuffix names a temporary file uniquely enough for one directory.
func randSuffix() string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
