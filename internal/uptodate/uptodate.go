// Package uptodate decides whether a build target has to be built again.
//
// Each artifact gets a build key: a SHA-256 over a canonical encoding of
// everything that goes into it (the rendered WiX/NSIS sources, the bytes
// of every payload file, SOURCE_DATE_EPOCH, msiforge's version, the
// versions of the tools that build it, and the signing certificate).
// manifest.json records the key of each artifact (build_key). The next
// build computes the keys again; for each one that matches, the previous
// release's file is reused instead of rebuilt, after checking that it is
// still exactly the file the manifest lists (size and SHA-256) and that
// its signature still verifies. The release package does the checks'
// wiring and publishes reused files through the one publish step, like
// fresh ones.
package uptodate

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"path/filepath"
	"runtime/debug"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/msiforge/msiforge/internal/manifest"
	"github.com/msiforge/msiforge/internal/safefile"
)

// keyFormat starts every key's encoding: a change to what a key covers
// changes this, so keys of an older msiforge never match.
const keyFormat = "msiforge build key 1"

// Key accumulates the inputs of one artifact. Each input is a name and a
// value, both length-prefixed, so no two different input lists encode to
// the same bytes.
type Key struct {
	h hash.Hash
}

// NewKey starts the key of an artifact of kind (packaging.Kind*).
func NewKey(kind string) *Key {
	k := &Key{h: sha256.New()}
	k.String("format", keyFormat)
	k.String("kind", kind)
	return k
}

// Bytes adds the input name with value v.
func (k *Key) Bytes(name string, v []byte) {
	var n [binary.MaxVarintLen64]byte
	k.h.Write(n[:binary.PutUvarint(n[:], uint64(len(name)))])
	k.h.Write([]byte(name))
	k.h.Write(n[:binary.PutUvarint(n[:], uint64(len(v)))])
	k.h.Write(v)
}

// String adds the input name with value v.
func (k *Key) String(name, v string) { k.Bytes(name, []byte(v)) }

// JSON adds the input name with v's JSON encoding (struct fields in
// declaration order, map keys sorted: canonical for plain data).
func (k *Key) JSON(name string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("build key: encode %s: %w", name, err)
	}
	k.Bytes(name, b)
	return nil
}

// Sum returns the key, in hex.
func (k *Key) Sum() string { return hex.EncodeToString(k.h.Sum(nil)) }

// HashFile returns the SHA-256 (hex) and size of the regular file at path.
func HashFile(path string) (string, int64, error) {
	f, err := safefile.Open(path)
	if err != nil {
		return "", 0, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return "", 0, err
	}
	return hex.EncodeToString(h.Sum(nil)), n, nil
}

// Env is what every key of one build shares.
type Env struct {
	// Msiforge identifies the msiforge that builds: its version and
	// Self, so a rebuilt msiforge with the same version string (a
	// development build) does not reuse.
	Msiforge string
	// Tools are the versions of the external tools, by name (the
	// manifest's build.tools); a key covers the tools its artifact needs.
	Tools map[string]string
	Epoch time.Time
	// Cert is the SHA-256 (hex) of the signing certificate's DER, or
	// "none" for an unsigned build.
	Cert string
	// SignPayload: the payload's PE files are signed before packaging.
	SignPayload bool
	// Extra are further inputs every key covers (the lint rules the
	// config ignores: they decide whether a build passes).
	Extra []string
}

// Add adds e's inputs to k, with the versions of tools only.
func (e Env) Add(k *Key, tools []string) {
	k.String("msiforge", e.Msiforge)
	ts := append([]string(nil), tools...)
	sort.Strings(ts)
	for _, t := range ts {
		k.String("tool "+t, e.Tools[t])
	}
	k.String("epoch", strconv.FormatInt(e.Epoch.Unix(), 10))
	k.String("certificate", e.Cert)
	k.String("sign payload", strconv.FormatBool(e.SignPayload))
	for i, x := range e.Extra {
		k.String("extra "+strconv.Itoa(i), x)
	}
}

var self struct {
	once sync.Once
	id   string
}

// Self identifies the running msiforge beyond its version string. A
// binary built from a clean checkout is identified by what the Go build
// info records (module, revision, Go version, build settings such as
// -ldflags, dependencies with their checksums), which determines it; any
// other (a modified checkout, a test binary, no build info) by its
// executable file: path, size and modification time (a rebuilt binary is
// a new file) and its build info, or "unknown" when it cannot be found.
func Self() string {
	self.once.Do(func() {
		if id, ok := cleanBuild(); ok {
			self.id = id
			return
		}
		self.id = "unknown"
		p, err := os.Executable()
		if err != nil {
			return
		}
		// Not the bytes (a 20 MB read on every build) but the file's
		// identity: a rebuilt binary is a new file, of a new time.
		if fi, err := os.Stat(p); err == nil {
			self.id = fmt.Sprintf("executable %s %d %d %s", p, fi.Size(), fi.ModTime().UnixNano(), buildInfo())
		}
	})
	return self.id
}

// buildInfo is the SHA-256 of what the Go build info records, or "".
func buildInfo() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return ""
	}
	sum := sha256.Sum256([]byte(bi.String()))
	return hex.EncodeToString(sum[:])
}

// cleanBuild describes a binary built from a clean version-control
// checkout by its build info.
func cleanBuild() (string, bool) {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "", false
	}
	var rev, modified string
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			modified = s.Value
		}
	}
	if rev == "" || modified != "false" {
		return "", false
	}
	var b strings.Builder
	fmt.Fprintf(&b, "build %s %s@%s", bi.GoVersion, bi.Main.Path, bi.Main.Version)
	for _, s := range bi.Settings {
		fmt.Fprintf(&b, " %s=%q", s.Key, s.Value)
	}
	for _, d := range bi.Deps {
		fmt.Fprintf(&b, " %s@%s/%s", d.Path, d.Version, d.Sum)
		if d.Replace != nil {
			fmt.Fprintf(&b, "=>%s@%s/%s", d.Replace.Path, d.Replace.Version, d.Replace.Sum)
		}
	}
	sum := sha256.Sum256([]byte(b.String()))
	return "build " + hex.EncodeToString(sum[:]), true
}

// Previous is the release an output directory holds: the files a build
// may reuse.
type Previous struct {
	Dir string
	// Hash returns the SHA-256 and size of a file; nil means HashFile.
	// The release package passes the hashes it computed already when it
	// checked the output directory, so a reused file is read once less.
	Hash    func(path string) (string, int64, error)
	entries map[string]manifest.Artifact
}

// NewPrevious describes the release in dir whose manifest lists arts.
func NewPrevious(dir string, arts []manifest.Artifact) *Previous {
	p := &Previous{Dir: dir, entries: map[string]manifest.Artifact{}}
	for _, a := range arts {
		if a.BuildKey != "" && a.File == filepath.Base(a.File) {
			p.entries[a.File] = a
		}
	}
	return p
}

// NotReusedError says why a previous artifact whose key matched is
// rebuilt all the same: it changed, went missing or its signature no
// longer verifies.
type NotReusedError struct {
	File   string
	Reason string
}

func (e *NotReusedError) Error() string { return e.File + " is rebuilt: " + e.Reason }

// Reuse puts the previous release's file name into dst when the manifest
// lists it with key: hard-linked (copied where links do not work), then
// checked to still be the file the manifest lists (size and SHA-256) and
// passed to check (its signature), which must accept it. It returns the
// manifest entry and true when dst holds the reused file. Without a
// previous entry of that key it returns false and a nil error: build it.
// A matching entry whose file does not check out gives a
// *NotReusedError, and dst is removed.
func (p *Previous) Reuse(name, key, dst string, check func(path string, e manifest.Artifact) error) (manifest.Artifact, bool, error) {
	if p == nil || key == "" {
		return manifest.Artifact{}, false, nil
	}
	e, ok := p.entries[name]
	if !ok || e.BuildKey != key {
		return manifest.Artifact{}, false, nil
	}
	fail := func(format string, args ...any) (manifest.Artifact, bool, error) {
		os.Remove(dst)
		return manifest.Artifact{}, false, &NotReusedError{File: name, Reason: fmt.Sprintf(format, args...)}
	}
	src := filepath.Join(p.Dir, name)
	fi, err := os.Lstat(src)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return fail("the previous build's file is missing from %s", p.Dir)
	case err != nil:
		return fail("%v", err)
	case !fi.Mode().IsRegular():
		return fail("%s is not a regular file", src)
	}
	if err := link(src, dst); err != nil {
		return fail("%v", err)
	}
	// The staged file is what gets published: check that, not src.
	hash := p.Hash
	if hash == nil {
		hash = HashFile
	}
	sum, size, err := hash(dst)
	if err != nil {
		return fail("%v", err)
	}
	if sum != e.SHA256 || size != e.Size {
		return fail("%s changed since it was built (sha256 %s, %d bytes; the manifest lists %s, %d bytes)", src, sum, size, e.SHA256, e.Size)
	}
	if check != nil {
		if err := check(dst, e); err != nil {
			return fail("%v", err)
		}
	}
	return e, true, nil
}

// link hard-links src to dst, or copies it where the file system has no
// hard links.
func link(src, dst string) error {
	if err := os.Link(src, dst); err == nil {
		return nil
	}
	in, err := safefile.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	tmp, err := os.CreateTemp(filepath.Dir(dst), ".msiforge-reuse-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := io.Copy(tmp, in); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), dst)
}
