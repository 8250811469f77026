package release

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/msiforge/msiforge/internal/config"
	"github.com/msiforge/msiforge/internal/doctor"
	"github.com/msiforge/msiforge/internal/execx"
	"github.com/msiforge/msiforge/internal/manifest"
	"github.com/msiforge/msiforge/internal/plan"
	"github.com/msiforge/msiforge/internal/sign"
	"github.com/msiforge/msiforge/internal/uptodate"
	"github.com/msiforge/msiforge/packaging"
	"github.com/msiforge/msiforge/packaging/exe"
	"github.com/msiforge/msiforge/packaging/msi"
	"github.com/msiforge/msiforge/packaging/vsc"
	"github.com/msiforge/msiforge/wix"
)

// keying is one build's up-to-date check (internal/uptodate): it gives
// every artifact its build key and reuses the previous release's file of
// the same key.
type keying struct {
	env  uptodate.Env
	prev *uptodate.Previous // nil: nothing to reuse (first build, --force)
	// check verifies a reused artifact's signature and says what it is;
	// nil for an unsigned build.
	check func(path string) (*packaging.Signature, error)
	// reusedTools are the tools the reused artifacts were built with,
	// which the manifest lists as a fresh build's does.
	reusedTools []string
	// sums are the payload files' SHA-256 by path: the VSC packages of
	// both roles share their driver and service files. mu guards sums
	// and reusedTools.
	mu   sync.Mutex
	sums map[string]string
}

// newKeying sets up the up-to-date check of a build of ts into dir (the
// output directory, whose release is reused), with tool versions probed
// once: the manifest records the same ones.
func newKeying(ctx context.Context, run execx.Runner, c *config.Config, opts Options, ts []plan.Target, dir, msiforge string) *keying {
	epoch := opts.Epoch
	if epoch.IsZero() {
		epoch = packaging.DefaultEpoch
	}
	// Identifying this msiforge may read its executable: meanwhile, the
	// tools are asked their versions.
	self := make(chan string, 1)
	go func() { self <- uptodate.Self() }()
	tools := doctor.Versions(ctx, run, Tools(ts))
	k := &keying{env: uptodate.Env{
		Msiforge: msiforge + " " + <-self,
		Tools:    tools,
		Epoch:    epoch, Cert: "none", SignPayload: opts.SignPayload && opts.Signer != nil,
	}, sums: map[string]string{}}
	ignored := c.Lint.IgnoredRules()
	slices.Sort(ignored)
	for _, ig := range ignored {
		k.env.Extra = append(k.env.Extra, "lint ignore "+ig)
	}
	var why string
	// A tool whose version cannot be read would key as "" build after
	// build, whichever version really ran: nothing is reused then.
	for _, t := range Tools(ts) {
		if _, ok := tools[t]; !ok {
			why = fmt.Sprintf("%s's version could not be read ('msiforge doctor' shows what it says), so a reused artifact could not be told from one another version built", t)
			break
		}
	}
	// A signer that wraps another (one that serialises it, say) signs
	// with the other's certificate.
	signer := opts.Signer
	for {
		w, ok := signer.(interface{ Unwrap() packaging.Signer })
		if !ok {
			break
		}
		signer = w.Unwrap()
	}
	switch s := signer.(type) {
	case nil:
	case Signer:
		chain := s.B.Chain()
		switch {
		case len(chain) == 0:
			// A signing command without signing.cert: the certificate
			// is only known from what it signs.
			k.env.Cert, why = "unknown", cmp.Or(why, "the signing certificate is not known before signing (a signing command without signing.cert)")
		case s.B.Weak():
			sum := sha256.Sum256(chain[0].Raw)
			k.env.Cert, why = hex.EncodeToString(sum[:]), cmp.Or(why, "the signing certificate breaks the signing rules (--allow-weak)")
		default:
			sum := sha256.Sum256(chain[0].Raw)
			k.env.Cert = hex.EncodeToString(sum[:])
			k.check = s.verifyReused
		}
		for _, x := range s.Settings {
			k.env.Extra = append(k.env.Extra, "signing "+x)
		}
	default:
		k.env.Cert, why = "unknown", cmp.Or(why, "the signer cannot verify a reused artifact")
	}
	if opts.Force {
		return k
	}
	prev := loadPrevious(dir)
	if prev != nil && why != "" {
		opts.progress("rebuilding everything: %s", why)
		return k
	}
	k.prev = prev
	return k
}

// loadPrevious reads the release (manifest.json) or shard (shard.json) in
// dir; nil when there is none msiforge wrote.
func loadPrevious(dir string) *uptodate.Previous {
	real, err := outputDir(dir)
	if err != nil {
		return nil
	}
	var entries []manifest.Artifact
	if m, err := releaseFiles(filepath.Join(real, ManifestFile)); err == nil {
		for _, a := range m {
			if a != nil {
				entries = append(entries, *a)
			}
		}
	}
	if sm, err := readShard(real); err == nil {
		for _, a := range sm.Artifacts {
			entries = append(entries, manifest.Artifact{File: a.Path, Size: a.Size, SHA256: a.SHA256, PackageCode: a.PackageCode, Signed: a.Signature != nil, BuildKey: a.BuildKey})
		}
	}
	if len(entries) == 0 {
		return nil
	}
	return uptodate.NewPrevious(real, entries)
}

// payloadFiles are the files on the build host that go into s's package.
func payloadFiles(s Source) []wix.File {
	if s.VSC != nil {
		// The driver helper is built from msiforge's own source with Go:
		// msiforge's and go's versions cover it.
		return s.VSC.Files()
	}
	fs := append([]wix.File(nil), s.Model.Files...)
	if s.Model.Icon != nil {
		fs = append(fs, *s.Model.Icon)
	}
	return fs
}

// msiKey is the build key of s's MSI.
func (k *keying) msiKey(s Source) (string, error) {
	kind, tools := packaging.KindConsoleMSI, msi.Tools
	var model any = s.Model
	if s.VSC != nil {
		kind, tools, model = vsc.Kind(s.VSC.Role), vsc.Tools, s.VSC
	}
	key := uptodate.NewKey(kind)
	key.String("file", s.Target.File)
	key.Bytes("wxs", s.Text)
	// The model also drives the fix-ups and checks after wixl.
	if err := key.JSON("model", model); err != nil {
		return "", err
	}
	for _, f := range payloadFiles(s) {
		sum, err := k.sum(f.Path)
		if err != nil {
			return "", fmt.Errorf("build key of %s: payload %s: %w", s.Target.File, f.Path, err)
		}
		key.String("payload "+f.Source, sum)
	}
	k.env.Add(key, tools)
	return key.Sum(), nil
}

// sum returns the SHA-256 of the payload file at path, once per build.
func (k *keying) sum(path string) (string, error) {
	k.mu.Lock()
	sum, ok := k.sums[path]
	k.mu.Unlock()
	if ok {
		return sum, nil
	}
	sum, _, err := uptodate.HashFile(path)
	if err != nil {
		return "", err
	}
	k.mu.Lock()
	k.sums[path] = sum
	k.mu.Unlock()
	return sum, nil
}

// exeKey is the build key of s's EXE, which wraps the MSI of msiKey.
func (k *keying) exeKey(s Source, msiKey string) string {
	key := uptodate.NewKey(packaging.KindConsoleEXE)
	key.String("file", s.Target.EXE)
	key.String("msi", msiKey)
	key.Bytes("nsi", s.NSIS)
	k.env.Add(key, exe.Tools)
	return key.Sum()
}

// reuse puts the previous release's name into dir when its key is key
// and it checks out, and returns it as the artifact a (the fields a build
// derives from the model) with the file's facts. ok is false when it must
// be built; a progress line says why when a matching file did not check
// out.
func (k *keying) reuse(opts Options, name, key, dir string, a packaging.Artifact, tools []string) (packaging.Artifact, bool) {
	if k == nil || k.prev == nil {
		return a, false
	}
	var sig *packaging.Signature
	e, ok, err := k.prev.Reuse(name, key, filepath.Join(dir, name), func(path string, e manifest.Artifact) error {
		if k.check == nil {
			if e.Signed {
				return errors.New("the manifest lists it as signed, and this build signs nothing")
			}
			return nil
		}
		var err error
		sig, err = k.check(path)
		return err
	})
	if err != nil {
		opts.progress("not up to date: %v", err)
		return a, false
	}
	if !ok {
		return a, false
	}
	a.Path, a.Size, a.SHA256, a.Signature, a.BuildKey = filepath.Join(dir, name), e.Size, e.SHA256, sig, key
	if a.Kind != packaging.KindConsoleEXE {
		a.PackageCode = e.PackageCode // derived from the package's content
	}
	k.mu.Lock() // targets may be checked side by side
	for _, t := range tools {
		if !slices.Contains(k.reusedTools, t) {
			k.reusedTools = append(k.reusedTools, t)
		}
	}
	k.mu.Unlock()
	opts.progress("up to date: %s", name)
	return a, true
}

// toolVersions are the versions of the tools used, from the versions the
// up-to-date check probed where it has them.
func toolVersions(ctx context.Context, run execx.Runner, k *keying, used []string) map[string]string {
	if k == nil {
		return doctor.Versions(ctx, run, used)
	}
	out := map[string]string{}
	var probe []string
	for _, t := range append(append([]string(nil), used...), k.reusedTools...) {
		v, ok := k.env.Tools[t]
		switch {
		case ok:
			out[t] = v
		case !slices.Contains(probe, t):
			probe = append(probe, t)
		}
	}
	for t, v := range doctor.Versions(ctx, run, probe) {
		out[t] = v
	}
	return out
}

// verifyReused checks the signature of an artifact a build reuses, as a
// build checks what it signs: it verifies against the build's roots, now,
// and was made with the signing certificate this build would sign with.
func (s Signer) verifyReused(path string) (*packaging.Signature, error) {
	chain := s.B.Chain()
	r, err := sign.Verify(path, sign.VerifyOptions{Roots: (&sign.Signer{Chain: chain}).BuildRoots(), Now: time.Now()})
	if err != nil {
		return nil, err
	}
	if !r.Signed {
		return nil, errors.New("it is not signed")
	}
	if !r.OK() {
		var msgs []string
		for _, p := range r.Problems {
			msgs = append(msgs, p.Error())
		}
		return nil, fmt.Errorf("its signature does not verify: %s", strings.Join(msgs, "; "))
	}
	if !r.Certificate.Equal(chain[0]) {
		return nil, fmt.Errorf("it is signed by %q, not with this build's signing certificate", r.Subject)
	}
	return &packaging.Signature{Subject: r.Subject, Timestamp: r.Timestamp, TimestampAuthority: r.TimestampAuthority,
		Untrusted: Untrusted(chain, nil)}, nil
}
