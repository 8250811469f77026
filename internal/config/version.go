package config

import (
	"fmt"
	"strings"
)

// VersionOverride is a product version given from outside the config file:
// build --version, MSIFORGE_VERSION, or GoReleaser's metadata. Source names
// where it came from, for messages and the manifest ("--version",
// "MSIFORGE_VERSION", "goreleaser", or "config" when there was none).
type VersionOverride struct {
	Value  string
	Source string
}

// NormalizeVersion turns a version as CI systems spell it into a
// ProductVersion: a leading "v" (a git tag, GoReleaser's Tag) is dropped.
// A pre-release or build suffix is refused with the reason and the
// workaround, because Windows Installer compares only the three numeric
// fields: 2.3.0-rc.1 and 2.3.0 would be the same version, so the release
// could not upgrade the release candidate
// (https://learn.microsoft.com/en-us/windows/win32/msi/productversion).
// The result still goes through the config's ProductVersion rules.
func NormalizeVersion(source, s string) (string, error) {
	v := strings.TrimSpace(s)
	if len(v) > 1 && (v[0] == 'v' || v[0] == 'V') && v[1] >= '0' && v[1] <= '9' {
		v = v[1:]
	}
	if i := strings.IndexAny(v, "-+"); i >= 0 {
		return "", fmt.Errorf("%s: %q has a pre-release or build suffix %q, which Windows Installer cannot order: it compares only major.minor.build, so %s and %s would count as the same version and the final release would not upgrade the candidate; give the candidate its own build number instead (for example %s)",
			source, s, v[i:], v, v[:i], candidate(v[:i]))
	}
	return v, nil
}

// candidate suggests a build number for a release candidate of base: the
// build field times 100 plus one would collide with real builds, so the
// advice is only the shape, for example 2.3.0 → 2.3.1.
func candidate(base string) string {
	parts := strings.Split(base, ".")
	if len(parts) != 3 {
		return "major.minor.build with its own build number"
	}
	n := 0
	if _, err := fmt.Sscan(parts[2], &n); err != nil {
		return "major.minor.build with its own build number"
	}
	return fmt.Sprintf("%s.%s.%d", parts[0], parts[1], n+1)
}

// Apply normalises o's version (see [NormalizeVersion]), checks it against
// the ProductVersion rules and returns it; the error names o.Source.
func (o VersionOverride) Apply() (string, error) {
	v, err := NormalizeVersion(o.Source, o.Value)
	if err != nil {
		return "", err
	}
	if msg := versionProblem(v); msg != "" {
		return "", fmt.Errorf("%s: %s", o.Source, msg)
	}
	return v, nil
}

// ResolveVersion picks the version override of a build: the flag (source
// "--version") wins over the environment variable MSIFORGE_VERSION; ok is
// false when neither is set, and the config's product.version stands.
func ResolveVersion(flag, env string) (o VersionOverride, ok bool) {
	switch {
	case strings.TrimSpace(flag) != "":
		return VersionOverride{Value: flag, Source: "--version"}, true
	case strings.TrimSpace(env) != "":
		return VersionOverride{Value: env, Source: "MSIFORGE_VERSION"}, true
	}
	return VersionOverride{}, false
}

// LoadVersion is [LoadWith] with product.version replaced by o: the
// config may then leave product.version out. The manifest records
// o.Source ([Config.VersionSource]).
func LoadVersion(path string, o VersionOverride, opts Options) (*Config, error) {
	v, err := o.Apply()
	if err != nil {
		return nil, err
	}
	opts.Version = &VersionOverride{Value: v, Source: o.Source}
	return LoadWith(path, opts)
}
