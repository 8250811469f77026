package config

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"
)

// ArchAliases are the other names of the architectures, as Go (GOARCH),
// Linux (uname -m) and Debian spell them. msiforge reads each as the
// architecture's own name, in the config and in --arch.
var ArchAliases = map[string]string{
	"amd64":   "x64",
	"x86_64":  "x64",
	"386":     "x86",
	"i386":    "x86",
	"i686":    "x86",
	"aarch64": "arm64",
}

// ArchNames are every name an architecture may be given by, sorted: the
// architectures, then their aliases.
func ArchNames() []string {
	out := append([]string(nil), Architectures...)
	aliases := make([]string, 0, len(ArchAliases))
	for a := range ArchAliases {
		aliases = append(aliases, a)
	}
	sort.Strings(aliases)
	return append(out, aliases...)
}

// NormalizeArch returns the architecture s names (x86, x64 or arm64),
// reading the aliases (amd64, 386, aarch64, ...) and any letter case, or
// an error that lists the architectures and suggests the closest one.
func NormalizeArch(s string) (string, error) {
	l := strings.ToLower(strings.TrimSpace(s))
	if isArch(l) {
		return l, nil
	}
	if a, ok := ArchAliases[l]; ok {
		return a, nil
	}
	return "", fmt.Errorf("%q is not an architecture (%s; msiforge also reads %s)%s", s, strings.Join(Architectures, ", "), aliasList(), didYouMean(l))
}

// aliasList is "386, i386, i686 as x86; amd64, x86_64 as x64; ..." in build order.
func aliasList() string {
	var parts []string
	for _, a := range Architectures {
		var names []string
		for _, n := range ArchNames()[len(Architectures):] {
			if ArchAliases[n] == a {
				names = append(names, n)
			}
		}
		if len(names) > 0 {
			parts = append(parts, strings.Join(names, ", ")+" as "+a)
		}
	}
	return strings.Join(parts, "; ")
}

// didYouMean suggests the architectures s is one slip away from (one
// letter added, dropped, changed, or two swapped), as "; did you mean
// x64?", or "".
func didYouMean(s string) string {
	var near []string
	for _, n := range ArchNames() {
		if editDistance(s, n) != 1 {
			continue
		}
		if a, ok := ArchAliases[n]; ok {
			n = a
		}
		if !slices.Contains(near, n) {
			near = append(near, n)
		}
	}
	if len(near) == 0 {
		return ""
	}
	return "; did you mean " + strings.Join(near, " or ") + "?"
}

// editDistance is the optimal string alignment distance of a and b:
// insertions, deletions, substitutions and swaps of adjacent letters.
func editDistance(a, b string) int {
	d := make([][]int, len(a)+1)
	for i := range d {
		d[i] = make([]int, len(b)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(a); i++ {
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(a)][len(b)]
}

// normalizeArchs rewrites the aliases (and any letter case, as --arch
// reads them) in the places a config names
// architectures (architectures, vsc.architectures, the keys of
// console.payload, console.files and vsc.*.files) to the architectures' names, in the
// node tree before it is decoded, so every later message and line refers
// to the same node. A key given under two names (x64 and amd64) is
// reported and the alias dropped; unknown names are left to validation,
// which lists the known ones.
func normalizeArchs(root *yaml.Node) []problem {
	var errs []problem
	list := func(n *yaml.Node) {
		if n == nil || n.Kind != yaml.SequenceNode {
			return
		}
		for _, item := range n.Content {
			if item.Kind != yaml.ScalarNode {
				continue
			}
			if a, err := NormalizeArch(item.Value); err == nil && a != item.Value {
				item.Value, item.Tag, item.Style = a, "!!str", 0 // 386 was a number
			}
		}
	}
	keys := func(path string, n *yaml.Node) {
		if n == nil || n.Kind != yaml.MappingNode {
			return
		}
		lines := map[string]int{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			if k := n.Content[i]; isArch(k.Value) {
				lines[k.Value] = k.Line
			}
		}
		kept := n.Content[:0:0]
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			if a, err := NormalizeArch(k.Value); err == nil && a != k.Value {
				if line, dup := lines[a]; dup {
					errs = append(errs, problem{line: k.Line, msg: fmt.Sprintf("%s.%s: is another name of %s, which line %d gives already; give it once", path, k.Value, a, line)})
					continue
				}
				k.Value, k.Tag, k.Style = a, "!!str", 0
				lines[a] = k.Line
			}
			kept = append(kept, k, n.Content[i+1])
		}
		n.Content = kept
	}
	list(child(root, "architectures"))
	keys("console.payload", childPath(root, "console", "payload"))
	keys("console.files", childPath(root, "console", "files"))
	if vsc := child(root, "vsc"); vsc != nil {
		list(child(vsc, "architectures"))
		for _, role := range []string{RoleRepresentative, RoleCustomer} {
			keys("vsc."+role+".files", childPath(vsc, role, "files"))
		}
	}
	return errs
}

func childPath(n *yaml.Node, keys ...string) *yaml.Node {
	for _, k := range keys {
		if n == nil {
			return nil
		}
		n = child(n, k)
	}
	return n
}
