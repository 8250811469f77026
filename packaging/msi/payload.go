package msi

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"io"
	"os"

	"github.com/msiforge/msiforge/internal/safefile"
	"github.com/msiforge/msiforge/packaging"
)

// stagedFile is a payload file copied into the build directory, with the
// SHA-256 of the bytes read from the source and of the staged copy as
// packaged (after signing and pinning its time).
type stagedFile struct {
	name, src, dst string
	srcSum, dstSum string
}

// stage copies a payload file into the build directory, hashing the
// source bytes as they are copied.
func stage(name, src, dst string) (*stagedFile, error) {
	sum, err := packaging.CopyFileSum(src, dst)
	if err != nil {
		return nil, err
	}
	return &stagedFile{name: name, src: src, dst: dst, srcSum: sum}, nil
}

// packaged records the staged copy's hash as it goes into the package,
// and adds its name and bytes to content (the PackageCode's hash).
func (s *stagedFile) packaged(content hash.Hash, name string) error {
	f, err := os.Open(s.dst)
	if err != nil {
		return err
	}
	defer f.Close()
	fmt.Fprintf(content, "\x00%s\x00", name)
	h := sha256.New()
	if _, err := io.Copy(io.MultiWriter(content, h), f); err != nil {
		return err
	}
	s.dstSum = hex.EncodeToString(h.Sum(nil))
	return nil
}

// checkPayload hashes every payload file again after packaging. A source
// that changed since it was copied may have been copied torn (half old,
// half new), and a staged copy that changed was packaged in an unknown
// state: either fails the build, naming the file.
func checkPayload(files []*stagedFile) error {
	for _, s := range files {
		sum, err := fileSum(s.src)
		if err != nil {
			return fmt.Errorf("payload file %s (%s): read it again after packaging: %w", s.name, s.src, err)
		}
		if sum != s.srcSum {
			return fmt.Errorf("payload file %s (%s) changed during the build (sha256 %s when staged, %s after packaging); build again once it no longer changes", s.name, s.src, s.srcSum, sum)
		}
		if sum, err = fileSum(s.dst); err != nil || sum != s.dstSum {
			return fmt.Errorf("payload file %s: the staged copy %s changed during the build", s.name, s.dst)
		}
	}
	return nil
}

func fileSum(path string) (string, error) {
	f, err := safefile.Open(path) // a payload replaced by a FIFO must not block
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
