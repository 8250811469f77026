package wix

import (
	"path"
	"sort"
	"strconv"
	"strings"

	"github.com/msiforge/msiforge/internal/payload"
)

// MaxFeatureComponents is the most components one feature may hold:
// ICE47 reports "features with 1600 or more components" (an error in
// msiforge's lint), so 1,599.
// https://learn.microsoft.com/en-us/windows/win32/msi/ice47
// https://learn.microsoft.com/en-us/windows/win32/msi/featurecomponents-table
const MaxFeatureComponents = 1599

// Dir is a folder of the payload tree under INSTALLDIR.
type Dir struct {
	ID   string // Directory Id
	Name string
	Path string // '/'-separated path under INSTALLDIR
	// Indent is the template's indentation of the <Directory> element.
	Indent string
	Dirs   []*Dir
	// RemoveFolder is the Id of the RemoveFolder element that removes
	// this folder at uninstall, once empty. It sits in the component of
	// the folder's first file, or in Folder when the folder has no file.
	RemoveFolder string
	// Files are the files installed directly into this folder.
	Files []File
	// Win64 repeats the package's (the template renders a Dir alone).
	Win64 bool
	// Folder is the component of a folder without files of its own (a
	// kept empty folder, or one holding only folders): it creates the
	// folder (CreateFolder, which also makes the folder its key path,
	// ICE18) and removes it at uninstall.
	Folder *FolderComponent
}

// FolderComponent is the component of a folder without files.
type FolderComponent struct {
	ID   string
	GUID string
}

// Feature is one feature of the console: the first ("Console") also holds
// the settings, Run and shortcut components.
type Feature struct {
	ID         string
	Title      string
	Components []string
}

// buildTree turns the expanded payload into Files and the folder tree
// under INSTALLDIR. Identifiers and GUIDs derive from the destination
// path (lower case) and the architecture, so they stay the same across
// releases while a file keeps its place; a file at the top of INSTALLDIR
// keeps the identifiers and GUID of a console.payload file of that name.
func (m *Console) buildTree(ns string, items []payload.Item) {
	m.Files, m.Dirs = newTree(items, "", m.Win64, func(kind, key string) string {
		return StableGUID(ns, "console", m.Arch, kind, key)
	})
}

// newTree builds the files and folders of items under INSTALLDIR. prefix
// starts every identifier after its kind ("F_", "C_", "D_", ...), so two
// trees of one package cannot share one; guid derives a component GUID
// from a kind ("file" or "folder") and the lower-case destination path.
func newTree(items []payload.Item, prefix string, win64 bool, guid func(kind, key string) string) ([]File, []*Dir) {
	Identifier := uniqueIdentifiers()
	dirs := map[string]*Dir{"": {ID: "INSTALLDIR"}}
	var ensure func(p string) *Dir
	ensure = func(p string) *Dir {
		if d, ok := dirs[strings.ToLower(p)]; ok {
			return d
		}
		parent := ensure(path.Dir("/" + p)[1:])
		d := &Dir{
			ID:           Identifier("D_"+prefix, p),
			Name:         path.Base(p),
			Path:         p,
			Indent:       parent.Indent + "  ",
			RemoveFolder: Identifier("RD_"+prefix, p),
			Win64:        win64,
		}
		parent.Dirs = append(parent.Dirs, d)
		dirs[strings.ToLower(p)] = d
		return d
	}
	var files []File
	hasFile := map[*Dir]bool{}
	byID := map[string]*Dir{}
	for _, it := range items {
		d := ensure(it.Dir())
		if it.Folder {
			continue
		}
		hasFile[d] = true
		byID[d.ID] = d
		source := "payload/" + it.Dst
		if prefix != "" { // its own staging folder: payload/X/...
			source = "payload/" + strings.TrimSuffix(prefix, "_") + "/" + it.Dst
		}
		files = append(files, File{
			ID:          Identifier("F_"+prefix, it.Dst),
			Name:        it.Name(),
			Source:      source,
			Path:        it.Src,
			Dir:         d.ID,
			ComponentID: Identifier("C_"+prefix, it.Dst),
			GUID:        guid("file", strings.ToLower(it.Dst)),
		})
	}
	// Table order follows the identifiers, not the config's order, so
	// reordering the config does not change the MSI.
	sort.Slice(files, func(i, j int) bool { return files[i].ID < files[j].ID })
	removes := map[string]bool{}
	for i, f := range files {
		if f.Dir == "INSTALLDIR" {
			continue
		}
		d := byID[f.Dir]
		if !removes[f.Dir] {
			files[i].RemoveFolder = d.RemoveFolder
			removes[f.Dir] = true
		}
		d.Files = append(d.Files, files[i])
	}
	var walk func(d *Dir)
	walk = func(d *Dir) {
		sort.Slice(d.Dirs, func(i, j int) bool { return d.Dirs[i].ID < d.Dirs[j].ID })
		for _, c := range d.Dirs {
			if !hasFile[c] {
				c.Folder = &FolderComponent{
					ID:   Identifier("CD_"+prefix, c.Path),
					GUID: guid("folder", strings.ToLower(c.Path)),
				}
			}
			walk(c)
		}
	}
	root := dirs[""]
	walk(root)
	return files, root.Dirs
}

// uniqueIdentifiers returns an Identifier that never gives two names
// one identifier: long paths that share their first ~60 characters
// differ only in Identifier's 32-bit hash, which a tree of tens of
// thousands of such paths can repeat; the later name (items come sorted)
// then gets a 64-bit hash.
func uniqueIdentifiers() func(prefix, name string) string {
	owner := map[string]string{}
	return func(prefix, name string) string {
		id := Identifier(prefix, name)
		key := strings.ToLower(name)
		if o, ok := owner[id]; ok && o != key {
			id = identifier(prefix, name, 8)
		}
		owner[id] = key
		return id
	}
}

// DirFiles returns the files installed directly into the folder with
// Directory Id id (INSTALLDIR for the top), in table order.
func (m *Console) DirFiles(id string) []File {
	var out []File
	for _, f := range m.Files {
		if f.Dir == id {
			out = append(out, f)
		}
	}
	return out
}

// AllDirs returns every folder of the tree under INSTALLDIR, parents
// before children.
func (m *Console) AllDirs() []*Dir { return allDirs(m.Dirs) }

func allDirs(top []*Dir) []*Dir {
	var out []*Dir
	var walk func(ds []*Dir)
	walk = func(ds []*Dir) {
		for _, d := range ds {
			out = append(out, d)
			walk(d.Dirs)
		}
	}
	walk(top)
	return out
}

// payloadComponents lists the components of the payload tree in table
// order: files, then folder components.
func (m *Console) payloadComponents() []string {
	var out []string
	for _, f := range m.Files {
		out = append(out, f.ComponentID)
	}
	for _, d := range m.AllDirs() {
		if d.Folder != nil {
			out = append(out, d.Folder.ID)
		}
	}
	return out
}

// splitFeatures spreads the components over features of at most
// MaxFeatureComponents each (ICE47). The first feature keeps the Id
// "Console" and also holds the fixed components (settings, Run value,
// shortcut), last; every feature installs by default (Level 1).
func (m *Console) splitFeatures(fixed []string) {
	comps := m.payloadComponents()
	first := min(len(comps), MaxFeatureComponents-len(fixed))
	m.Features = []Feature{{ID: "Console", Title: m.ProductName, Components: append(comps[:first:first], fixed...)}}
	comps = comps[first:]
	for i := 2; len(comps) > 0; i++ {
		n := min(len(comps), MaxFeatureComponents)
		m.Features = append(m.Features, Feature{
			ID:         "Console" + strconv.Itoa(i),
			Title:      m.ProductName + " (" + strconv.Itoa(i) + ")",
			Components: comps[:n],
		})
		comps = comps[n:]
	}
}
