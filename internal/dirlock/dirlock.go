// Package dirlock locks an output directory for the length of a build, so
// two builds into one directory cannot mix their releases. The lock is a
// file next to the directory (not inside it: the directory holds only
// the release and the user's files, and may not exist yet), held with flock(2) on Unix
// and LockFileEx on Windows. The kernel releases the lock when its holder
// exits, kill -9 included, so a crashed build never leaves a stale lock;
// the file records the holder's PID, host and start time only to name it
// in the message a second build gets.
package dirlock

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/msiforge/msiforge/internal/safefile"
)

// Holder is what the lock file records about the build holding it.
type Holder struct {
	PID   int       `json:"pid"`
	Host  string    `json:"host"`
	Since time.Time `json:"since"`
}

// HeldError reports a lock another build holds. Holder is the zero value
// when the file did not say who (the holder had not written it yet).
type HeldError struct {
	Dir    string // the locked directory
	File   string // the lock file
	Holder Holder
}

func (e *HeldError) Error() string {
	who := "another msiforge build"
	if e.Holder.PID != 0 {
		who = fmt.Sprintf("another msiforge build (PID %d on host %s, since %s)", e.Holder.PID, e.Holder.Host, e.Holder.Since.UTC().Format(time.RFC3339))
	}
	return fmt.Sprintf("output directory %s is locked by %s; wait for it to finish (lock file %s)", e.Dir, who, e.File)
}

// Lock is a held directory lock.
type Lock struct {
	f    *os.File
	path string
}

// Path returns the lock file of dir: ".<name>.msiforge-lock" in dir's
// parent, never among the files of the release.
func Path(dir string) string {
	dir = filepath.Clean(dir)
	return filepath.Join(filepath.Dir(dir), "."+filepath.Base(dir)+".msiforge-lock")
}

// Acquire locks dir, failing at once with a *HeldError when another
// process (or another open file in this one) holds it.
func Acquire(dir string) (*Lock, error) {
	p := Path(dir)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return nil, fmt.Errorf("lock %s: %w", dir, err)
	}
	// The holder removes the file when it is done. A build that opened the
	// old file just before may then win the lock on an unlinked file, so
	// after locking it checks that the path still names the file it holds
	// and starts again otherwise.
	for attempt := 0; attempt < 10; attempt++ {
		f, err := os.OpenFile(p, os.O_RDWR|os.O_CREATE, 0o644)
		if err != nil {
			return nil, fmt.Errorf("lock %s: %w", dir, err)
		}
		if fi, err := f.Stat(); err != nil || !fi.Mode().IsRegular() {
			f.Close()
			return nil, fmt.Errorf("lock %s: %s is not a regular file; remove it", dir, p)
		}
		if err := lockFile(f); err != nil {
			f.Close()
			if errors.Is(err, errHeld) {
				return nil, &HeldError{Dir: dir, File: p, Holder: readHolder(p)}
			}
			return nil, fmt.Errorf("lock %s: %w", p, err)
		}
		if !samePath(f, p) {
			f.Close()
			continue
		}
		host, _ := os.Hostname()
		h := Holder{PID: os.Getpid(), Host: host, Since: time.Now().UTC().Truncate(time.Second)}
		b, _ := json.Marshal(h)
		if err := writeHolder(f, append(b, '\n')); err != nil {
			unlockFile(f)
			f.Close()
			return nil, fmt.Errorf("lock %s: write %s: %w", dir, p, err)
		}
		return &Lock{f: f, path: p}, nil
	}
	return nil, fmt.Errorf("lock %s: %s kept changing under msiforge", dir, p)
}

func samePath(f *os.File, p string) bool {
	a, err := f.Stat()
	if err != nil {
		return false
	}
	b, err := os.Stat(p)
	return err == nil && os.SameFile(a, b)
}

func writeHolder(f *os.File, b []byte) error {
	if err := f.Truncate(0); err != nil {
		return err
	}
	_, err := f.WriteAt(b, 0)
	return err
}

// readHolder reads who holds the lock. The holder writes the file right
// after locking it, so an empty file is read again for a short while.
func readHolder(p string) Holder {
	for i := 0; i < 20; i++ {
		var b []byte
		f, err := safefile.Open(p)
		if err == nil {
			b, err = io.ReadAll(io.LimitReader(f, 4096))
			f.Close()
		}
		var h Holder
		if err == nil && len(strings.TrimSpace(string(b))) > 0 && json.Unmarshal(b, &h) == nil {
			return h
		}
		time.Sleep(10 * time.Millisecond)
	}
	return Holder{}
}

// Release unlocks and removes the lock file (where the system allows
// removing an open file; elsewhere the empty file stays).
func (l *Lock) Release() error {
	if l == nil || l.f == nil {
		return nil
	}
	// Removed while still locked: a build waiting on this file then sees
	// that the path no longer names it (see Acquire).
	rmErr := removeLocked(l.f, l.path)
	unlockFile(l.f)
	err := l.f.Close()
	l.f = nil
	if rmErr != nil {
		return rmErr
	}
	return err
}

var errHeld = errors.New("lock is held")
