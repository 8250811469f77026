// Package payload expands the payload tree of a package (console.files,
// the VSC packages' extra files): entries {src, dst} whose src is a file,
// a directory (copied recursively) or a glob, into the list of files (and
// kept empty folders) the package installs, each at a relative destination
// path under INSTALLDIR. The semantics are nfpm's "contents": for a file,
// dst is its destination path, name included; for a directory or a glob,
// dst is the folder that receives the matches.
//
// Expand checks what a Windows package needs: destinations stay under
// INSTALLDIR (no "..", no absolute path), every name is one Windows
// accepts (internal/winname), two sources never land on one destination
// (compared case-insensitively, as Windows compares names), symlinks are
// followed only when they stay inside the entry's source tree, and the
// result is in a deterministic order whatever the file system returns.
package payload

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"github.com/msiforge/msiforge/internal/winname"
)

// Entry is one entry of a payload tree as the config writes it.
type Entry struct {
	// Src is a file, a directory or a glob (* ? [...]), relative to the
	// config file.
	Src string `yaml:"src"`
	// Dst is a relative path under INSTALLDIR with / or \ separators: a
	// file's destination path (name included; a trailing / keeps the
	// source's name), or the folder receiving a directory's contents or a
	// glob's matches ("" or "." is INSTALLDIR itself).
	Dst string `yaml:"dst"`
	// KeepEmpty installs the empty folders of a directory source (which
	// are left out by default).
	KeepEmpty bool `yaml:"keep_empty"`
}

// Item is one installed file, or one kept empty folder.
type Item struct {
	// Src is the file on the build host ("" for a folder).
	Src string
	// Dst is the destination under INSTALLDIR, '/'-separated, without a
	// leading or trailing slash.
	Dst string
	// Folder marks a kept empty folder (keep_empty).
	Folder bool
	// Field names the config entry the item came from
	// ("console.files.x64[2]"), for messages.
	Field string
}

// Dir is the folder of Dst ("" for INSTALLDIR itself); a Folder item's
// Dir is the folder itself.
func (it Item) Dir() string {
	if it.Folder {
		return it.Dst
	}
	return path.Dir("/" + it.Dst)[1:]
}

// Name is the last element of Dst.
func (it Item) Name() string { return path.Base(it.Dst) }

// Problem is one thing wrong with an entry: Field is its path in the
// config ("console.files.x64[2].dst").
type Problem struct {
	Field string
	Msg   string
}

func (p Problem) Error() string { return p.Field + ": " + p.Msg }

// MaxItems bounds one entry's expansion, so a src that names "/" by
// mistake fails fast instead of walking the disk: a cabinet holds at
// most 65,535 files anyway (its header's file count is 16-bit,
// config.MaxCabinetFiles).
const MaxItems = 65535

// maxItems is MaxItems, lowered by a test.
var maxItems = MaxItems

// Expand expands entries (at config path field, e.g.
// "console.files.x64"), resolving sources against base. It returns the
// items sorted by destination and every problem found.
func Expand(base, field string, entries []Entry) ([]Item, []Problem) {
	var items []Item
	var probs []Problem
	for i, e := range entries {
		f := fmt.Sprintf("%s[%d]", field, i)
		got, ps := expandOne(base, f, e)
		items = append(items, got...)
		probs = append(probs, ps...)
	}
	Sort(items)
	return items, probs
}

// Sort orders items by destination, case-insensitively first so the
// order is the same whatever letter case the sources use.
func Sort(items []Item) {
	sort.SliceStable(items, func(i, j int) bool {
		a, b := strings.ToLower(items[i].Dst), strings.ToLower(items[j].Dst)
		if a != b {
			return a < b
		}
		return items[i].Dst < items[j].Dst
	})
}

// Collisions reports every pair of items that land on one destination
// (Windows compares names case-insensitively), and every file whose
// destination is also a folder of another item. items must be sorted
// (Sort).
func Collisions(items []Item) []Problem {
	var probs []Problem
	byKey := map[string]Item{}
	for _, it := range items {
		k := key(it.Dst)
		if o, ok := byKey[k]; ok {
			if it.Folder && o.Folder {
				continue // two kept empty folders: one folder
			}
			probs = append(probs, Problem{it.Field, fmt.Sprintf("%s collides with %s (from %s, %s); Windows file names are case-insensitive, so each destination must be unique", describe(it), it.Dst, o.Field, describe(o))})
			continue
		}
		byKey[k] = it
	}
	// A file at "a" and another file under "a/": "a" cannot be both.
	for _, it := range items {
		for d := it.Dir(); d != ""; d = path.Dir("/" + d)[1:] {
			if it.Folder && d == it.Dst {
				continue
			}
			if o, ok := byKey[key(d)]; ok && !o.Folder {
				probs = append(probs, Problem{it.Field, fmt.Sprintf("%s needs the folder %s, which is the destination of the file %s (from %s)", describe(it), d, o.Src, o.Field)})
				break
			}
		}
	}
	return probs
}

func describe(it Item) string {
	if it.Folder {
		return "the empty folder " + it.Dst
	}
	return it.Src
}

func key(dst string) string { return strings.ToUpper(strings.ToLower(dst)) }

// CleanDst checks a destination and returns it '/'-separated and without
// leading "./" or trailing "/"; "" is INSTALLDIR itself. The error says
// what is allowed.
func CleanDst(dst string) (string, error) {
	d := strings.ReplaceAll(dst, `\`, "/")
	switch {
	case strings.HasPrefix(d, "/"):
		return "", fmt.Errorf("%q is an absolute path; dst is a path relative to INSTALLDIR (like bin/ or docs/licenses/LICENSE.txt)", dst)
	case len(d) >= 2 && d[1] == ':':
		return "", fmt.Errorf("%q is an absolute path (a drive); dst is a path relative to INSTALLDIR (like bin/ or docs/licenses/LICENSE.txt)", dst)
	}
	var parts []string
	for _, p := range strings.Split(d, "/") {
		switch p {
		case "", ".":
			continue
		case "..":
			return "", fmt.Errorf("%q steps out of its folder with \"..\"; dst stays under INSTALLDIR (a relative path without ..)", dst)
		}
		if err := winname.CheckName(p); err != nil {
			return "", fmt.Errorf("%q: %v", dst, err)
		}
		parts = append(parts, p)
	}
	return strings.Join(parts, "/"), nil
}

func hasMeta(s string) bool { return strings.ContainsAny(s, `*?[`) }

func expandOne(base, field string, e Entry) ([]Item, []Problem) {
	bad := func(sub, format string, args ...any) []Problem {
		return []Problem{{field + sub, fmt.Sprintf(format, args...)}}
	}
	if e.Src == "" {
		return nil, bad(".src", "is required: a file, a directory or a glob, relative to the config file")
	}
	dst, err := CleanDst(e.Dst)
	if err != nil {
		return nil, bad(".dst", "%v", err)
	}
	src := e.Src
	if !filepath.IsAbs(src) {
		src = filepath.Join(base, src)
	}
	x := &expander{field: field, keepEmpty: e.KeepEmpty}
	// Only the entry's own text is a pattern: the config's folder may be
	// named "proj [old]" without every entry becoming a glob.
	if hasMeta(e.Src) {
		pattern := e.Src
		if !filepath.IsAbs(pattern) {
			pattern = filepath.Join(escapeMeta(base), pattern)
		}
		matches, err := filepath.Glob(pattern)
		if err != nil {
			return nil, bad(".src", "%q is not a valid glob: %v", e.Src, err)
		}
		if len(matches) == 0 {
			return nil, bad(".src", "%q matches no file", e.Src)
		}
		sort.Strings(matches)
		// The source tree of a glob is the folder above its first
		// pattern element: symlinks may point anywhere inside it.
		x.root = globRoot(base, e.Src)
		for _, m := range matches {
			x.add(m, join(dst, filepath.Base(m)), true)
		}
		return x.items, x.probs
	}
	// Stat, not Lstat: the entry's own src is followed when it is a
	// symlink (build/current -> build/v1.2), as the user named it; the
	// links inside its tree must stay inside it.
	fi, err := os.Stat(src)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, bad(".src", "%q does not exist (relative paths start at the config file's folder)", e.Src)
		}
		return nil, bad(".src", "%v", err)
	}
	if fi.IsDir() {
		x.root = src
		if n := x.walkDir(src, dst, nil); n == 0 && !e.KeepEmpty && len(x.probs) == 0 {
			x.probs = append(x.probs, Problem{field + ".src", fmt.Sprintf("the directory %q holds no file (set keep_empty: true to install its empty folders)", e.Src)})
		}
		return x.items, x.probs
	}
	// A single file: its own folder is the source tree.
	x.root = filepath.Dir(src)
	if e.Dst == "" || strings.HasSuffix(e.Dst, "/") || strings.HasSuffix(e.Dst, `\`) || dst == "" {
		dst = join(dst, filepath.Base(src))
	}
	if err := winname.CheckName(path.Base(dst)); err != nil {
		return nil, bad(".src", "%v", err)
	}
	x.add(src, dst, false)
	return x.items, x.probs
}

// globRoot is the folder of the glob src (relative to base) above its
// first element with a pattern character.
func globRoot(base, src string) string {
	d := src
	for hasMeta(d) {
		d = filepath.Dir(d)
	}
	if filepath.IsAbs(d) {
		return d
	}
	return filepath.Join(base, d)
}

// escapeMeta makes s match itself in a glob: each pattern character
// becomes a one-character class ([*]), which works with either path
// separator.
func escapeMeta(s string) string {
	var b strings.Builder
	for _, r := range s {
		if strings.ContainsRune(`*?[`, r) {
			b.WriteString("[" + string(r) + "]")
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

func join(dir, name string) string {
	if dir == "" {
		return name
	}
	return dir + "/" + name
}

type expander struct {
	field     string
	root      string // the source tree symlinks must stay in
	keepEmpty bool
	items     []Item
	probs     []Problem
	full      bool // MaxItems reached: the walk stops
}

func (x *expander) fail(format string, args ...any) {
	x.probs = append(x.probs, Problem{x.field + ".src", fmt.Sprintf(format, args...)})
}

// add adds the file or the directory at src as dst; walkable: a directory
// is expanded (a glob's directory matches).
func (x *expander) add(src, dst string, walkable bool) int {
	if err := checkPath(dst); err != nil {
		x.fail("%s: %v", src, err)
		return 0
	}
	fi, err := os.Lstat(src)
	if err != nil {
		x.fail("%v", err)
		return 0
	}
	if fi.Mode()&fs.ModeSymlink != 0 {
		real, ok := x.resolve(src)
		if !ok {
			return 0
		}
		if fi, err = os.Stat(real); err != nil {
			x.fail("%v", err)
			return 0
		}
	}
	switch {
	case fi.IsDir() && walkable:
		return x.walkDir(src, dst, nil)
	case fi.IsDir():
		x.fail("%s is a directory", src)
	case !fi.Mode().IsRegular():
		x.fail("%s is not a regular file (%s); only files and directories can be installed", src, fi.Mode().Type())
	default:
		if len(x.items) >= maxItems {
			if !x.full {
				x.fail("expands to more than %d files, more than a cabinet holds; name a smaller folder or glob", maxItems)
			}
			x.full = true
			return 0
		}
		x.items = append(x.items, Item{Src: src, Dst: dst, Field: x.field})
		return 1
	}
	return 0
}

// checkPath checks every element of a destination derived from source
// names (a source file may be named "aux.txt" or "a:b" on Linux).
func checkPath(dst string) error {
	for _, p := range strings.Split(dst, "/") {
		if err := winname.CheckName(p); err != nil {
			return fmt.Errorf("cannot be installed as %s: %v", dst, err)
		}
	}
	return nil
}

// resolve follows the symlink at link and returns its target when that
// stays inside the source tree.
func (x *expander) resolve(link string) (string, bool) {
	real, err := filepath.EvalSymlinks(link)
	if err != nil {
		x.fail("the symlink %s is broken: %v", link, err)
		return "", false
	}
	root, err := filepath.EvalSymlinks(x.root)
	if err != nil {
		root = x.root
	}
	if rel, err := filepath.Rel(root, real); err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) || filepath.IsAbs(rel) {
		x.fail("the symlink %s points to %s, outside the source tree %s; symlinks are followed only inside it (copy the file in, or add its own entry)", link, real, x.root)
		return "", false
	}
	return real, true
}

// walkDir adds the tree at dir (already resolved) as dst and returns the
// number of files added. stack holds the real paths of the directories
// being walked, to refuse a symlink loop.
func (x *expander) walkDir(dir, dst string, stack []string) int {
	real, err := filepath.EvalSymlinks(dir)
	if err != nil {
		real = dir
	}
	for _, s := range stack {
		if s == real {
			x.fail("the directory %s links back to %s, a folder it is inside of (a symlink loop)", dir, s)
			return 0
		}
	}
	stack = append(stack, real)
	before := len(x.items)
	ents, err := os.ReadDir(dir)
	if err != nil {
		x.fail("%v", err)
		return 0
	}
	// os.ReadDir sorts by name: the order does not depend on the file
	// system.
	n := 0
	for _, de := range ents {
		if x.full {
			return n
		}
		src := filepath.Join(dir, de.Name())
		d := join(dst, de.Name())
		if err := winname.CheckName(de.Name()); err != nil {
			x.fail("%s cannot be installed: %v", src, err)
			continue
		}
		isDir := de.IsDir()
		if de.Type()&fs.ModeSymlink != 0 {
			target, ok := x.resolve(src)
			if !ok {
				continue
			}
			fi, err := os.Stat(target)
			if err != nil {
				x.fail("%v", err)
				continue
			}
			isDir = fi.IsDir()
		}
		if isDir {
			n += x.walkDir(src, d, stack)
			continue
		}
		n += x.add(src, d, false)
	}
	if len(x.items) == before && x.keepEmpty && dst != "" {
		x.items = append(x.items, Item{Dst: dst, Folder: true, Field: x.field})
	}
	return n
}
