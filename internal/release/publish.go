package release

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/msiforge/msiforge/internal/config"
	"github.com/msiforge/msiforge/internal/dirlock"
	"github.com/msiforge/msiforge/internal/execx"
	"github.com/msiforge/msiforge/internal/manifest"
	"github.com/msiforge/msiforge/internal/safefile"
	"github.com/msiforge/msiforge/packaging"
)

// The files a release holds besides its artifacts.
const (
	ManifestFile = "manifest.json"
	SumsFile     = "SHA256SUMS"
	PageFile     = "index.html"
)

// Result is a published release.
type Result struct {
	Dir       string               // the output directory, as given
	Artifacts []packaging.Artifact // with their paths in Dir
	Records   []string             // manifest.json, SHA256SUMS and index.html in Dir
}

// StagingDir and previousDir are the build's private directories next to
// the output directory dir: the release being built, and (only where the
// directories cannot be exchanged in one step) the release being replaced.
func StagingDir(dir string) string  { return sibling(dir, "staging") }
func previousDir(dir string) string { return sibling(dir, "previous") }

func sibling(dir, what string) string {
	dir = filepath.Clean(dir)
	return filepath.Join(filepath.Dir(dir), "."+filepath.Base(dir)+".msiforge-"+what)
}

// Release builds c's whole release (artifacts, manifest.json, SHA256SUMS,
// index.html) and publishes it into the output directory all at once: the
// release is built in a staging directory next to the output directory,
// checked, and then swapped with it in one rename. Until that rename the
// output directory holds the previous release untouched; after it, exactly
// the new one (files of the previous release the new one lacks are gone).
// The output directory is locked for the whole build (see
// internal/dirlock). An output directory that is not empty and is not an
// msiforge release is refused, never replaced.
//
// A build killed before the rename leaves only the staging directory,
// which the next build removes and reports.
func Release(ctx context.Context, run execx.Runner, c *config.Config, opts Options, msiforge string) (*Result, error) {
	dir := opts.OutDir
	if dir == "" {
		dir = c.OutputDir()
	}
	real, err := outputDir(dir)
	if err != nil {
		return nil, err
	}
	lock, err := dirlock.Acquire(real)
	if err != nil {
		var held *dirlock.HeldError
		if errors.As(err, &held) {
			held.Dir = dir // as the user named it
		}
		return nil, err
	}
	defer lock.Release()
	if err := recoverInterrupted(real, opts); err != nil {
		return nil, err
	}
	if err := checkReplaceable(dir, real); err != nil {
		return nil, err
	}
	staging := StagingDir(real)
	if err := os.Mkdir(staging, 0o755); err != nil {
		return nil, fmt.Errorf("create staging directory: %w", err)
	}
	published := false
	defer func() {
		if !published {
			os.RemoveAll(staging)
		}
	}()
	bopts := opts
	bopts.OutDir = staging
	arts, err := Build(ctx, run, c, bopts)
	if err != nil {
		return nil, err
	}
	if opts.Verify != nil {
		if err := opts.Verify(arts); err != nil {
			return nil, err
		}
	}
	records, err := Record(ctx, run, c, arts, staging, msiforge, opts.Epoch)
	if err != nil {
		return nil, err
	}
	if err := verifyStaged(staging, arts); err != nil {
		return nil, fmt.Errorf("check the staged release: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	// Again, just before the swap: a file someone put into the output
	// directory during the build would otherwise go with the old release.
	if err := checkReplaceable(dir, real); err != nil {
		return nil, err
	}
	if err := publish(staging, real); err != nil {
		return nil, err
	}
	published = true
	// staging now holds the previous release (or nothing).
	if err := os.RemoveAll(staging); err != nil {
		opts.progress("could not remove the previous release in %s: %v", staging, err)
	}
	res := &Result{Dir: dir}
	for _, a := range arts {
		a.Path = filepath.Join(dir, filepath.Base(a.Path))
		res.Artifacts = append(res.Artifacts, a)
	}
	for _, p := range records {
		res.Records = append(res.Records, filepath.Join(dir, filepath.Base(p)))
	}
	return res, nil
}

// outputDir returns the directory the release really goes to: dir, or
// where it points when it is a symbolic link (the link itself stays).
func outputDir(dir string) (string, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	if filepath.Dir(abs) == abs {
		return "", fmt.Errorf("output directory %s: a file-system root cannot be replaced by a release; choose a directory inside it", dir)
	}
	// One directory, one lock: the parent is resolved too, so two
	// spellings of the same place (through a symbolic link) share the lock.
	if parent, err := filepath.EvalSymlinks(filepath.Dir(abs)); err == nil {
		abs = filepath.Join(parent, filepath.Base(abs))
	}
	fi, err := os.Lstat(abs)
	switch {
	case os.IsNotExist(err):
		return abs, nil
	case err != nil:
		return "", err
	case fi.Mode()&os.ModeSymlink != 0:
		if abs, err = filepath.EvalSymlinks(abs); err != nil {
			return "", fmt.Errorf("output directory %s: %w", dir, err)
		}
		if fi, err = os.Stat(abs); err != nil {
			return "", err
		}
	}
	if !fi.IsDir() {
		return "", fmt.Errorf("output directory %s is not a directory", dir)
	}
	if !sameDevice(abs, filepath.Dir(abs)) {
		return "", fmt.Errorf("output directory %s is a mount point: msiforge publishes a release by renaming a directory built next to it into its place, which cannot cross file systems; give -o a directory inside the mount", dir)
	}
	return abs, nil
}

// recoverInterrupted cleans up after a build that was killed: its staging
// directory goes, and a previous release that the fallback publish had
// moved aside comes back if the new one never took its place.
func recoverInterrupted(real string, opts Options) error {
	staging := StagingDir(real)
	if _, err := os.Lstat(staging); err == nil {
		if err := os.RemoveAll(staging); err != nil {
			return fmt.Errorf("remove the staging directory of an interrupted build: %w", err)
		}
		opts.progress("removed the staging directory of an interrupted build: %s", staging)
	}
	prev := previousDir(real)
	if _, err := os.Lstat(prev); err != nil {
		return nil
	}
	if _, err := os.Lstat(real); os.IsNotExist(err) {
		if err := os.Rename(prev, real); err != nil {
			return fmt.Errorf("restore the previous release from %s: %w", prev, err)
		}
		opts.progress("restored the previous release that an interrupted build had moved to %s", prev)
		return nil
	}
	if err := os.RemoveAll(prev); err != nil {
		return err
	}
	opts.progress("removed the previous release an interrupted build left in %s", prev)
	return nil
}

// checkReplaceable refuses an output directory whose files msiforge did
// not write: publishing replaces the whole directory, so it must be
// absent, empty, or a release whose manifest lists every file in it.
func checkReplaceable(dir, real string) error {
	entries, err := os.ReadDir(real)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		return err
	}
	if len(entries) == 0 {
		return nil
	}
	names := make([]string, len(entries))
	for i, e := range entries {
		names[i] = e.Name()
		if e.IsDir() {
			names[i] += "/"
		}
	}
	listed, err := releaseFiles(filepath.Join(real, ManifestFile))
	if err != nil {
		return fmt.Errorf("output directory %s is not empty and is not an msiforge release (%v), so msiforge will not replace it: it holds %s; choose another -o or empty it", dir, err, list(names))
	}
	var foreign []string
	for _, n := range names {
		if !listed[n] {
			foreign = append(foreign, n)
		}
	}
	if len(foreign) > 0 {
		return fmt.Errorf("output directory %s holds files its msiforge release does not list: %s; publishing replaces the whole directory, so move them elsewhere or choose another -o", dir, list(foreign))
	}
	return nil
}

// releaseFiles reads an msiforge manifest and returns the names of the
// files its release consists of.
func releaseFiles(path string) (map[string]bool, error) {
	// safefile: a FIFO planted as manifest.json must not block the build.
	f, err := safefile.Open(path)
	var notRegular *safefile.NotRegularError
	switch {
	case os.IsNotExist(err):
		return nil, errors.New("no " + ManifestFile)
	case errors.As(err, &notRegular):
		return nil, errors.New(ManifestFile + " is not a regular file")
	case err != nil:
		return nil, err
	}
	defer f.Close()
	var m manifest.Manifest
	if err := json.NewDecoder(io.LimitReader(f, 16<<20)).Decode(&m); err != nil || m.SchemaVersion < 1 || m.Build.Msiforge == "" {
		return nil, errors.New(ManifestFile + " was not written by msiforge")
	}
	files := map[string]bool{ManifestFile: true, SumsFile: true, PageFile: true}
	for _, a := range m.Artifacts {
		files[a.File] = true
	}
	return files, nil
}

func list(names []string) string {
	sort.Strings(names)
	if len(names) > 10 {
		return strings.Join(names[:10], ", ") + fmt.Sprintf(" and %d more", len(names)-10)
	}
	return strings.Join(names, ", ")
}

// verifyStaged checks the staged release before it is published: it holds
// exactly the artifacts and the three records, each artifact still has the
// size and SHA-256 the manifest records, and everything is on disk
// (fsync), so a crash after the publish cannot expose empty files.
func verifyStaged(staging string, arts []packaging.Artifact) error {
	want := map[string]*packaging.Artifact{ManifestFile: nil, SumsFile: nil, PageFile: nil}
	for i := range arts {
		want[filepath.Base(arts[i].Path)] = &arts[i]
	}
	entries, err := os.ReadDir(staging)
	if err != nil {
		return err
	}
	seen := map[string]bool{}
	for _, e := range entries {
		a, ok := want[e.Name()]
		if !ok {
			return fmt.Errorf("unexpected file %s", e.Name())
		}
		seen[e.Name()] = true
		sum, size, err := syncAndHash(filepath.Join(staging, e.Name()))
		if err != nil {
			return err
		}
		if a != nil && (sum != a.SHA256 || size != a.Size) {
			return fmt.Errorf("%s changed after it was built (sha256 %s, %d bytes; built %s, %d bytes)", e.Name(), sum, size, a.SHA256, a.Size)
		}
	}
	for n := range want {
		if !seen[n] {
			return fmt.Errorf("%s is missing", n)
		}
	}
	return syncDir(staging)
}

func syncAndHash(path string) (string, int64, error) {
	// Read-write: Windows flushes only a file opened for writing.
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return "", 0, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return "", 0, err
	}
	if err := f.Sync(); err != nil {
		return "", 0, fmt.Errorf("sync %s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), n, nil
}

// publish puts staging in real's place in one step where the system can
// (Linux: renameat2 RENAME_EXCHANGE swaps the two directories atomically,
// so real always names a complete release, the old or the new one).
// Elsewhere, or on a file system without the exchange, the fallback takes
// two renames: real to the previous-release directory, staging to real.
// A crash between them leaves no real, and the next build restores the
// previous release (see recoverInterrupted).
func publish(staging, real string) error {
	_, err := os.Lstat(real)
	exists := err == nil
	if exists {
		err = exchangeDirs(staging, real)
	} else {
		err = renameNoReplace(staging, real)
	}
	if errors.Is(err, errUnsupported) {
		err = nil
		if exists {
			prev := previousDir(real)
			if err = os.Rename(real, prev); err == nil {
				if err = os.Rename(staging, real); err != nil {
					os.Rename(prev, real)
				} else if os.Rename(prev, staging) != nil {
					// Published; the old release normally goes where the
					// caller removes it (staging), else it goes here.
					os.RemoveAll(prev)
				}
			}
		} else {
			err = os.Rename(staging, real)
		}
	}
	if err != nil {
		return fmt.Errorf("publish the release into %s: %w", real, err)
	}
	syncDir(filepath.Dir(real))
	return nil
}

var errUnsupported = errors.New("not supported")

// exchangeDirs is exchange; the tests replace it to take the fallback.
var exchangeDirs = exchange
