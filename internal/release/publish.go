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
	"github.com/msiforge/msiforge/internal/plan"
	"github.com/msiforge/msiforge/internal/safefile"
	"github.com/msiforge/msiforge/internal/uptodate"
	"github.com/msiforge/msiforge/packaging"
)

// The files a release holds besides its artifacts.
const (
	ManifestFile = "manifest.json"
	SumsFile     = "SHA256SUMS"
	PageFile     = "index.html"
)

// journalFile, in the staging directory, lists the steps of a publish that
// has begun: its presence means "finish me" to the next build.
const journalFile = ".msiforge-publish.json"

// Result is a published release.
type Result struct {
	Dir       string               // the output directory, as given
	Artifacts []packaging.Artifact // with their paths in Dir
	Records   []string             // manifest.json, SHA256SUMS and index.html in Dir
}

// StagingDir is the build's private directory next to the output
// directory dir, where the release is built before it is published.
func StagingDir(dir string) string {
	dir = filepath.Clean(dir)
	return filepath.Join(filepath.Dir(dir), "."+filepath.Base(dir)+".msiforge-staging")
}

// Release builds c's whole release (artifacts, manifest.json, SHA256SUMS,
// index.html) in a staging directory and publishes it into the output
// directory as one set (see [Publication]). Before anything is written it
// checks that every tool the plan needs is installed (Preflight) and that
// the output directory can take the release (no file msiforge did not
// write in the way, no stale file of an earlier build unless
// opts.Clean), so a build that cannot finish fails before it starts.
func Release(ctx context.Context, run execx.Runner, c *config.Config, opts Options, msiforge string) (*Result, error) {
	// Preflight: a missing tool fails the build before the output
	// directory is locked, staged or touched.
	if err := Preflight(c, opts.Archs); err != nil {
		return nil, err
	}
	ts, err := plan.Targets(c, opts.Archs)
	if err != nil {
		return nil, err
	}
	var files []string
	for _, t := range ts {
		files = append(files, t.File)
		if t.EXE != "" {
			files = append(files, t.EXE)
		}
	}
	dir := opts.OutDir
	if dir == "" {
		dir = c.OutputDir()
	}
	p, err := Begin(dir, append(files, ManifestFile, SumsFile, PageFile), PublishOptions{Clean: opts.Clean, Progress: opts.Progress})
	if err != nil {
		return nil, err
	}
	defer p.Close()
	rec := &execx.Recorder{Runner: run}
	bopts := opts
	bopts.OutDir = p.Staging()
	// Targets whose inputs did not change are reused from the release
	// in dir (uptodate.go), and published below like fresh ones.
	bopts.keys = newKeying(ctx, run, c, opts, ts, dir, msiforge)
	if bopts.keys.prev != nil {
		bopts.keys.prev.Hash = p.hashOf
	}
	arts, err := Build(ctx, rec, c, bopts)
	if err != nil {
		return nil, err
	}
	if opts.Verify != nil {
		if err := opts.Verify(arts); err != nil {
			return nil, err
		}
	}
	tools := toolVersions(ctx, run, bopts.keys, rec.Tools())
	if _, err := writeRecords(newManifest(c, arts, tools, msiforge, opts.Epoch), pageOf(c), p.Staging()); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return p.Publish(arts)
}

// PublishOptions tune a [Publication].
type PublishOptions struct {
	// Clean removes the files an earlier msiforge build wrote into the
	// output directory that the new release does not have (build
	// --clean); without it they fail the publish.
	Clean    bool
	Progress func(msg string) // receives one line per notable step; may be nil
}

func (o PublishOptions) progress(format string, args ...any) {
	if o.Progress != nil {
		o.Progress(fmt.Sprintf(format, args...))
	}
}

// Publication is the one way a release gets into an output directory;
// build uses it, and so must anything else that writes a release (merged
// shards, reused artifacts). [Begin] resolves and locks the output
// directory, finishes or removes what an interrupted build left, and
// creates the staging directory next to it. The caller puts the
// artifacts and the records (manifest.json, SHA256SUMS, index.html: see
// [Record]) into [Publication.Staging]; [Publication.Publish] checks them
// and moves them in; [Publication.Close] releases the lock and removes
// an unpublished staging directory.
//
// The rules of the output directory:
//   - Files that msiforge did not write are never touched, and a release
//     that would overwrite one is refused, naming it. What msiforge wrote
//     is what the manifest.json (or a shard's shard.json) in the
//     directory lists: its artifacts, each still of the size and SHA-256
//     listed, and its records. Everything else is the user's.
//   - Files of the previous release that the new one does not have are
//     refused, named (a CI job uploading dist/* would publish them beside
//     the new release), unless Clean removes them.
//   - Each file is renamed into place; the previous manifest.json and
//     SHA256SUMS go first and the new SHA256SUMS and manifest.json come
//     last, so whenever they are there they describe exactly the
//     artifacts beside them.
//   - The steps are written down (a journal in the staging directory)
//     before the first one: a build killed in the middle of them leaves
//     the staging directory, and the next build finishes the publish
//     before it starts its own. A build killed before Publish leaves the
//     output directory as it was; the next build removes its staging
//     directory.
type Publication struct {
	dir, real string
	staging   string
	lock      *dirlock.Lock
	opts      PublishOptions
	published bool
	hashes    map[string]string // SHA-256 of the output directory's files, by name, size and time
}

// Begin prepares dir for a release. files, when not nil, are the names
// of the files the release will have (artifacts and records): checking
// them now fails a build that could not be published before it runs
// (Publish checks again).
func Begin(dir string, files []string, opts PublishOptions) (*Publication, error) {
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
	p := &Publication{dir: dir, real: real, staging: StagingDir(real), lock: lock, opts: opts}
	if err := p.recover(); err != nil {
		lock.Release()
		return nil, err
	}
	if files != nil {
		if _, err := p.plan(files); err != nil {
			lock.Release()
			return nil, err
		}
	}
	if err := os.Mkdir(p.staging, 0o755); err != nil {
		lock.Release()
		return nil, fmt.Errorf("create staging directory: %w", err)
	}
	return p, nil
}

// Staging is the directory the release is to be put together in.
func (p *Publication) Staging() string { return p.staging }

// Close removes the staging directory unless the release was published,
// and unlocks the output directory.
func (p *Publication) Close() {
	if !p.published {
		os.RemoveAll(p.staging)
	}
	p.lock.Release()
}

// Publish checks the staged release (exactly arts and the three records,
// each artifact as built, all of it on disk) and moves it into the output
// directory under the rules of [Publication].
func (p *Publication) Publish(arts []packaging.Artifact) (*Result, error) {
	return p.PublishWith(arts, ManifestFile, SumsFile, PageFile)
}

// PublishWith is Publish for an output whose records are not a release's
// three (a shard's shard.json): records are the names of the files
// besides arts in the staging directory, the one that describes the
// others first; they are moved in after the artifacts, in reverse order,
// so the first comes last.
func (p *Publication) PublishWith(arts []packaging.Artifact, records ...string) (*Result, error) {
	if err := verifyStaged(p.staging, arts, records, p.knownHash); err != nil {
		return nil, fmt.Errorf("check the staged release: %w", err)
	}
	names := make([]string, 0, len(arts)+len(records))
	for _, a := range arts {
		names = append(names, filepath.Base(a.Path))
	}
	for i := len(records) - 1; i >= 0; i-- {
		names = append(names, records[i])
	}
	// Again, just before the move: the output directory may have changed
	// while the release was built.
	j, err := p.plan(names)
	if err != nil {
		return nil, err
	}
	b, _ := json.Marshal(j)
	if err := packaging.WriteFile(filepath.Join(p.staging, journalFile), b); err != nil {
		return nil, err
	}
	if err := syncDir(p.staging); err != nil {
		return nil, err
	}
	if err := j.apply(p.staging, p.real); err != nil {
		return nil, fmt.Errorf("publish the release into %s: %w (the next build finishes it)", p.dir, err)
	}
	p.published = true
	if err := os.RemoveAll(p.staging); err != nil {
		p.opts.progress("could not remove the staging directory %s: %v", p.staging, err)
	}
	for _, n := range j.Clean {
		p.opts.progress("removed %s of an earlier build (--clean)", filepath.Join(p.dir, n))
	}
	res := &Result{Dir: p.dir}
	for _, a := range arts {
		a.Path = filepath.Join(p.dir, filepath.Base(a.Path))
		res.Artifacts = append(res.Artifacts, a)
	}
	for _, n := range records {
		res.Records = append(res.Records, filepath.Join(p.dir, n))
	}
	return res, nil
}

// journal is a publish written down before its first step.
type journal struct {
	// Retract are the previous output's records (manifest.json,
	// SHA256SUMS, index.html, shard.json), removed first so that they
	// never describe artifacts the new release replaced.
	Retract []string `json:"retract"`
	Clean   []string `json:"clean"` // stale files --clean removes
	Move    []string `json:"move"`  // staged files, in order: artifacts, page, SHA256SUMS, manifest.json
}

// afterMove, when set (tests), runs after each file is moved in; an
// error stops the publish there, as a crash would.
var afterMove func(name string) error

// apply runs j. It is idempotent, so the next build can run it again
// after a crash: a file already moved is not in staging any more, and a
// record to retract whose replacement is already in place stays.
func (j *journal) apply(staging, real string) error {
	if err := os.Mkdir(real, 0o755); err != nil && !os.IsExist(err) {
		return err
	}
	staged := func(n string) bool { _, err := os.Lstat(filepath.Join(staging, n)); return err == nil }
	for _, n := range j.Retract {
		if !staged(n) {
			continue // the new one is in place already
		}
		if err := os.Remove(filepath.Join(real, n)); err != nil && !os.IsNotExist(err) {
			return err
		}
	}
	for _, n := range j.Clean {
		if err := os.Remove(filepath.Join(real, n)); err != nil && !os.IsNotExist(err) {
			return err
		}
	}
	for _, n := range j.Move {
		if !staged(n) {
			continue // moved before an interruption
		}
		if err := os.Rename(filepath.Join(staging, n), filepath.Join(real, n)); err != nil {
			return err
		}
		if afterMove != nil {
			if err := afterMove(n); err != nil {
				return err
			}
		}
	}
	return syncDir(real)
}

// plan compares the output directory with the names the new release
// will have and writes the publish down, or refuses it.
func (p *Publication) plan(names []string) (*journal, error) {
	entries, err := os.ReadDir(p.real)
	if err != nil && !os.IsNotExist(err) {
		return nil, err
	}
	ours := map[string]*manifest.Artifact{}
	if len(entries) > 0 {
		// What msiforge wrote: a release (manifest.json) or a shard's
		// output (shard.json), or both.
		rel, _ := releaseFiles(filepath.Join(p.real, ManifestFile))
		sh, _ := shardFiles(p.real)
		for _, m := range []map[string]*manifest.Artifact{rel, sh} {
			for n, a := range m {
				ours[n] = a
			}
		}
	}
	want := map[string]bool{}
	for _, n := range names {
		want[n] = true
	}
	j := &journal{Move: names}
	var foreign, stale []string
	for _, e := range entries {
		n := e.Name()
		mine := p.wrote(ours, e)
		switch {
		case want[n] && !mine:
			if e.IsDir() {
				n += "/"
			}
			foreign = append(foreign, n)
		case !want[n] && mine:
			stale = append(stale, n)
		case mine && (n == ManifestFile || n == SumsFile || n == PageFile || n == ShardFile):
			j.Retract = append(j.Retract, n)
		}
	}
	if len(foreign) > 0 {
		return nil, fmt.Errorf("output directory %s holds %s, which msiforge did not write (no msiforge manifest.json there lists it as it is) and this release would overwrite; msiforge never touches such files: move them elsewhere, or choose another -o", p.dir, list(foreign))
	}
	if len(stale) > 0 && !p.opts.Clean {
		return nil, fmt.Errorf("output directory %s holds files an earlier msiforge build wrote that this release does not have: %s; beside the new release they would be published as current although its SHA256SUMS and manifest.json do not list them: rerun with --clean to remove them first, or choose another -o", p.dir, list(stale))
	}
	sort.Strings(stale)
	j.Clean = stale
	return j, nil
}

// recover finishes what an interrupted build left: a publish that had
// begun is completed (its staged files are complete and on disk, so
// going forward is safe), a staging directory of a build that never
// reached the publish is removed.
func (p *Publication) recover() error {
	if _, err := os.Lstat(p.staging); err != nil {
		return nil
	}
	if b, err := os.ReadFile(filepath.Join(p.staging, journalFile)); err == nil {
		var j journal
		if err := json.Unmarshal(b, &j); err != nil || !j.valid() {
			return fmt.Errorf("the staging directory %s of an interrupted build holds an unreadable publish journal (%v): look at it, then remove it", p.staging, err)
		}
		if err := j.apply(p.staging, p.real); err != nil {
			return fmt.Errorf("finish the publish of an interrupted build from %s: %w", p.staging, err)
		}
		if err := os.RemoveAll(p.staging); err != nil {
			return err
		}
		p.opts.progress("finished publishing the release an interrupted build had begun to move into %s", p.dir)
		return nil
	}
	if err := os.RemoveAll(p.staging); err != nil {
		return fmt.Errorf("remove the staging directory of an interrupted build: %w", err)
	}
	p.opts.progress("removed the staging directory of an interrupted build: %s", p.staging)
	return nil
}

// valid reports whether every name in j is a plain file name, so a
// damaged journal cannot reach outside the two directories.
func (j *journal) valid() bool {
	for _, l := range [][]string{j.Retract, j.Clean, j.Move} {
		for _, n := range l {
			if !plainName(n) {
				return false
			}
		}
	}
	return len(j.Move) > 0
}

func plainName(n string) bool {
	return n != "" && n != "." && n != ".." && filepath.Base(n) == n && !strings.ContainsAny(n, `/\`)
}

// outputDir returns the directory the release really goes to: dir, or
// where it points when it is a symbolic link (the link itself stays).
func outputDir(dir string) (string, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	if filepath.Dir(abs) == abs {
		return "", fmt.Errorf("output directory %s: a file-system root cannot hold a release; choose a directory inside it", dir)
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
		return "", fmt.Errorf("output directory %s is a mount point: msiforge publishes a release by renaming the files it built next to it into it, which cannot cross file systems; give -o a directory inside the mount", dir)
	}
	return abs, nil
}

// wrote reports whether msiforge wrote e as the previous output's
// manifest (ours) says: a regular file it lists, and for an artifact,
// still of the size and SHA-256 it records; an artifact someone replaced
// or changed is theirs now. Hashes are kept between Begin's check and
// Publish's while the file's size and time stay.
func (p *Publication) wrote(ours map[string]*manifest.Artifact, e os.DirEntry) bool {
	a, listed := ours[e.Name()]
	if !listed || !e.Type().IsRegular() {
		return false
	}
	if a == nil {
		return true // a record: manifest.json, SHA256SUMS, index.html, shard.json
	}
	fi, err := e.Info()
	if err != nil || fi.Size() != a.Size {
		return false
	}
	key := fmt.Sprintf("%s\x00%d\x00%d", e.Name(), fi.Size(), fi.ModTime().UnixNano())
	sum, ok := p.hashes[key]
	if !ok {
		f, err := safefile.Open(filepath.Join(p.real, e.Name()))
		if err != nil {
			return false
		}
		h := sha256.New()
		_, err = io.Copy(h, f)
		f.Close()
		if err != nil {
			return false
		}
		sum = hex.EncodeToString(h.Sum(nil))
		if p.hashes == nil {
			p.hashes = map[string]string{}
		}
		p.hashes[key] = sum
	}
	return sum == a.SHA256
}

// knownHash returns the SHA-256 Begin computed of the output directory's
// file name when it had fi's size and time.
func (p *Publication) knownHash(name string, fi os.FileInfo) (string, bool) {
	sum, ok := p.hashes[fmt.Sprintf("%s\x00%d\x00%d", name, fi.Size(), fi.ModTime().UnixNano())]
	return sum, ok
}

// hashOf returns the SHA-256 and size of the file at path: the hash
// Begin computed of the output directory's file of that name when path
// (a hard link to it, see uptodate.go) still has its size and time.
func (p *Publication) hashOf(path string) (string, int64, error) {
	fi, err := os.Lstat(path)
	if err != nil {
		return "", 0, err
	}
	if fi.Mode().IsRegular() {
		if sum, ok := p.knownHash(filepath.Base(path), fi); ok {
			return sum, fi.Size(), nil
		}
	}
	return uptodate.HashFile(path)
}

// shardFiles reads dir's shard.json (build --shard) and returns the files
// of that shard's output, as releaseFiles does for a release.
func shardFiles(dir string) (map[string]*manifest.Artifact, error) {
	sm, err := readShard(dir)
	if err != nil {
		return nil, err
	}
	files := map[string]*manifest.Artifact{ShardFile: nil}
	for _, a := range sm.Artifacts {
		if plainName(a.Path) && a.Path != ShardFile {
			files[a.Path] = &manifest.Artifact{File: a.Path, Size: a.Size, SHA256: a.SHA256}
		}
	}
	return files, nil
}

// releaseFiles reads an msiforge manifest and returns the files its
// release consists of, what msiforge wrote into the directory: each
// artifact with its manifest entry, the three records with nil.
func releaseFiles(path string) (map[string]*manifest.Artifact, error) {
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
	files := map[string]*manifest.Artifact{ManifestFile: nil, SumsFile: nil, PageFile: nil}
	for i, a := range m.Artifacts {
		// A name with a path in it is none of msiforge's: --clean must
		// not reach outside the directory on a manifest's word.
		if plainName(a.File) && a.File != ManifestFile && a.File != SumsFile && a.File != PageFile {
			files[a.File] = &m.Artifacts[i]
		}
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
// exactly the artifacts and the records, each artifact still has the size
// and SHA-256 the manifest records, and everything is on disk (fsync), so
// a crash after the publish cannot expose empty files.
//
// known, when not nil, gives the SHA-256 already computed of a file of
// that name, size and time (a reused artifact, hard-linked from the
// output directory, which Begin hashed): it is synced, not read again.
func verifyStaged(staging string, arts []packaging.Artifact, records []string, known func(name string, fi os.FileInfo) (string, bool)) error {
	want := map[string]*packaging.Artifact{}
	for _, r := range records {
		want[r] = nil
	}
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
		sum, size, err := syncAndHash(filepath.Join(staging, e.Name()), known)
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

func syncAndHash(path string, known func(name string, fi os.FileInfo) (string, bool)) (string, int64, error) {
	// Read-write: Windows flushes only a file opened for writing.
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return "", 0, err
	}
	defer f.Close()
	if known != nil {
		if fi, err := f.Stat(); err == nil && fi.Mode().IsRegular() {
			if sum, ok := known(filepath.Base(path), fi); ok {
				if err := f.Sync(); err != nil {
					return "", 0, fmt.Errorf("sync %s: %w", path, err)
				}
				return sum, fi.Size(), nil
			}
		}
	}
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
