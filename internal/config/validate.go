package config

import (
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"unicode"

	"go.yaml.in/yaml/v3"

	"github.com/msiforge/msiforge/internal/payload"
	"github.com/msiforge/msiforge/internal/winname"
)

// problem is one validation finding, located in the YAML source.
type problem struct {
	line int
	msg  string // "path: message"
}

type validator struct {
	doc   *yaml.Node
	errs  []problem
	warns []problem
	cp    Codepage // the package's code page, which every text must fit
}

// addf records a problem about the value at path (dotted, with [i] for
// list items), located at that value's line, or its nearest parent's.
func (v *validator) addf(path, format string, args ...any) {
	v.errs = append(v.errs, problem{line: lineOf(v.doc, path), msg: path + ": " + fmt.Sprintf(format, args...)})
}

// warnf records a finding that does not stop the build.
func (v *validator) warnf(path, format string, args ...any) {
	v.warns = append(v.warns, problem{line: lineOf(v.doc, path), msg: path + ": " + fmt.Sprintf(format, args...)})
}

const (
	maxProductName = 63 // Windows Installer's limit for ProductName in ARP
	maxName        = 127
	maxURL         = 2048 // what browsers and ARP handle everywhere
	maxStem        = 200  // file names hold 255 bytes; "-vsc-representative-255.255.65535-arm64.msi" is 43
)

var (
	guidRE    = regexp.MustCompile(`^[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}$`)
	versionRE = regexp.MustCompile(`^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)$`)
	stemRE    = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)
)

// forbidden are characters that may not appear in names msiforge uses as
// Windows folder names or inside formatted MSI fields ([ ] { } would be
// read as property references there).
const forbidden = `\/:*?"<>|[]{}`

func (c *Config) validate(doc *yaml.Node, warns *[]problem) []problem {
	v := &validator{doc: doc, cp: Codepages[1252]}
	defer func() { *warns = append(*warns, v.warns...) }()
	p := c.Product
	// The language first: it decides the code page the texts are checked
	// against.
	if l, ok := Languages[p.Language]; ok {
		v.cp = Codepages[l.Codepage]
	} else {
		v.addf("product.language", "%d is not a language msiforge can build (a Windows language identifier, LCID, with an ANSI code page; one of %s)", p.Language, languageList())
	}
	// Both are folder names (Program Files\<manufacturer>\<name>) and
	// appear in the EXE's NSIS script.
	v.name("product.name", p.Name, maxProductName, folderName|toNSIS)
	v.name("product.manufacturer", p.Manufacturer, maxName, folderName|toNSIS)
	if c.VersionSource == "config" && !c.goreleaserFailed { // else checked where it came from
		v.version("product.version", p.Version)
	}
	switch {
	case p.UpgradeCode == "":
		v.addf("product.upgrade_code", "is required: a GUID that stays the same for every release (generate one with 'msiforge guid')")
	case !guidRE.MatchString(p.UpgradeCode):
		v.addf("product.upgrade_code", "%q is not a GUID (want XXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX, hexadecimal; generate one with 'msiforge guid')", p.UpgradeCode)
	case p.UpgradeCode == NilGUID:
		// Windows Installer ties releases together by UpgradeCode: every
		// product built with the same one upgrades, or removes, the others
		// (https://learn.microsoft.com/en-us/windows/win32/msi/upgradecode).
		v.addf("product.upgrade_code", "is the nil GUID %s: every product built with it would upgrade or remove every other one; generate your own with 'msiforge guid', write it here once and never change it", NilGUID)
	}
	v.description("product.description", p.Description)
	if p.Icon != "" {
		// Only the file's content goes into the package, but its name is
		// written into the WiX source (SourceFile).
		if base := filepath.Base(p.Icon); strings.Contains(base, "$(") {
			v.addf("product.icon", "file name %q contains \"$(\", which wixl's preprocessor would expand as a variable; rename the file", base)
		} else if !strings.EqualFold(filepath.Ext(p.Icon), ".ico") {
			v.addf("product.icon", "%q is not an .ico file", p.Icon)
		} else {
			v.regularFile("product.icon", c.Path(p.Icon))
		}
	}
	v.url("product.help_url", p.HelpURL)
	v.url("product.about_url", p.AboutURL)

	c.validateConsole(v)
	c.validateVSC(v)
	c.checkPathBudget(v)

	v.archList("architectures", c.Architectures, func(path, a string) {
		if len(c.Console.Payload[a]) == 0 && len(c.Console.Files[a]) == 0 && len(c.Console.Payload)+len(c.Console.Files) > 0 && !c.goreleaserFailed { // else reported at console.payload
			v.addf(path, "%q has no payload (add console.payload.%s or console.files.%s)", a, a, a)
		}
	})

	c.validateSigning(v)
	c.validateLint(v)
	for _, f := range []struct{ path, s string }{
		{"output.page.title", c.Output.Page.Title}, {"output.page.console_title", c.Output.Page.ConsoleTitle}, {"output.page.vsc_title", c.Output.Page.VSCTitle},
	} {
		// HTML only (html/template escapes it): no code page rule.
		switch n := len([]rune(f.s)); {
		case hasControl(f.s):
			v.addf(f.path, "%q must not contain control characters", f.s)
		case n > maxName:
			v.addf(f.path, "is %d characters long; at most %d are allowed", n, maxName)
		}
	}
	if d := c.Templates.Dir; d != "" {
		if fi, err := os.Stat(c.Path(d)); err != nil || !fi.IsDir() {
			v.addf("templates.dir", "%s is not a directory (it holds templates named like the embedded ones, e.g. msi/console.wxs.tmpl; 'msiforge templates export DIR' writes them)", c.Path(d))
		}
	}

	switch {
	case !stemRE.MatchString(c.Output.Name) && !(c.Output.Name == "" && c.Product.Name == ""): // derived from product.name, reported already
		v.addf("output.name", "%q is not a file-name stem (letters, digits, '.', '_', '-'; starting with a letter or digit)", c.Output.Name)
	case len(c.Output.Name) > maxStem:
		v.addf("output.name", "is %d characters long; at most %d are allowed (the artifact names add up to 43 more)", len(c.Output.Name), maxStem)
	}
	return v.errs
}

// archList checks a list of architectures: each known and listed once;
// more, when set, checks each valid entry further.
func (v *validator) archList(prefix string, archs []string, more func(path, arch string)) {
	seen := map[string]bool{}
	for i, a := range archs {
		path := fmt.Sprintf("%s[%d]", prefix, i)
		switch {
		case !isArch(a):
			v.addf(path, "%s", archProblem(a))
		case seen[a]:
			v.addf(path, "%q is listed twice", a)
		case more != nil:
			more(path, a)
		}
		seen[a] = true
	}
}

func (c *Config) validateSigning(v *validator) {
	sg := c.Signing
	set := map[string]string{"cert": sg.Cert, "key": sg.Key, "pkcs12": sg.PKCS12, "password_file": sg.PasswordFile}
	var kinds []string
	if sg.Key != "" || sg.PKCS12 != "" {
		kinds = append(kinds, "signing.key/signing.pkcs12")
	}
	if sg.PKCS11 != nil {
		kinds = append(kinds, "signing.pkcs11")
		c.validatePKCS11(v)
	}
	if sg.Remote != nil {
		kinds = append(kinds, "signing.remote")
		c.validateRemote(v)
	}
	if sg.Command != nil {
		kinds = append(kinds, "signing.command")
		validateCommand(v, sg)
	}
	if len(kinds) > 1 {
		v.addf("signing", "give one key source, not %s: a key file, a PKCS#11 token, a relic server or a signing command", strings.Join(kinds, " and "))
	}
	if sg.PKCS11 != nil || sg.Remote != nil || sg.Command != nil {
		// signing.cert alone is the chain or the command's certificate.
		if sg.Cert != "" {
			v.regularFile("signing.cert", c.Path(sg.Cert))
		}
		return
	}
	switch {
	case sg.PKCS12 != "" && (sg.Cert != "" || sg.Key != ""):
		v.addf("signing.pkcs12", "cannot be combined with signing.cert and signing.key: give either a PKCS#12 file or a PEM certificate and key")
	case sg.PKCS12 == "" && (sg.Cert == "") != (sg.Key == ""):
		v.addf("signing", "signing.cert and signing.key go together: give both")
	}
	if sg.PKCS12 == "" && sg.Key == "" && (sg.PasswordEnv != "" || sg.PasswordFile != "") {
		v.addf("signing", "signing.password_env and signing.password_file are only for signing.pkcs12 or an encrypted signing.key")
	}
	if sg.PasswordEnv != "" && sg.PasswordFile != "" {
		v.addf("signing", "give one of signing.password_env and signing.password_file, not both")
	}
	for _, k := range []string{"cert", "key", "pkcs12", "password_file"} {
		if set[k] != "" {
			v.regularFile("signing."+k, c.Path(set[k]))
		}
	}
	for i, u := range sg.Timestamp {
		v.url(fmt.Sprintf("signing.timestamp[%d]", i), u)
	}
}

func (c *Config) validatePKCS11(v *validator) {
	p := c.Signing.PKCS11
	if p.Module == "" {
		v.addf("signing.pkcs11.module", "is required: the token's PKCS#11 library, e.g. /usr/lib/softhsm/libsofthsm2.so")
	}
	if p.Token == "" {
		v.addf("signing.pkcs11.token", "is required: the token's label")
	}
	switch {
	case p.KeyLabel == "" && p.KeyID == "":
		v.addf("signing.pkcs11", "give key_label or key_id: which private key on the token signs")
	case p.KeyLabel != "" && p.KeyID != "":
		v.addf("signing.pkcs11", "give one of key_label and key_id, not both")
	case p.KeyID != "":
		if _, err := hex.DecodeString(strings.TrimPrefix(p.KeyID, "0x")); err != nil {
			v.addf("signing.pkcs11.key_id", "%q is not hex (the CKA_ID as pkcs11-tool --list-objects shows it)", p.KeyID)
		}
	}
	switch {
	case p.PinEnv == "" && p.PinFile == "":
		v.addf("signing.pkcs11", "give pin_env or pin_file: where the token's user PIN is (never the PIN itself)")
	case p.PinEnv != "" && p.PinFile != "":
		v.addf("signing.pkcs11", "give one of pin_env and pin_file, not both")
	case p.PinFile != "":
		v.regularFile("signing.pkcs11.pin_file", c.Path(p.PinFile))
	}
}

func (c *Config) validateRemote(v *validator) {
	r := c.Signing.Remote
	if r.Key == "" {
		v.addf("signing.remote.key", "is required: the name of the key in the relic server's config")
	}
	if r.URL != "" {
		if u, err := url.Parse(r.URL); err != nil || u.Scheme != "https" || u.Host == "" {
			v.addf("signing.remote.url", "%q is not an https://host:port URL", r.URL)
		}
	}
	if len(c.Signing.Timestamp) > 0 {
		v.addf("signing.timestamp", "does not go with signing.remote: the server timestamps (timestamp: true on the key in relic's config)")
	}
	for _, kf := range [][2]string{{"ca", r.CA}, {"client_cert", r.ClientCert}, {"client_key", r.ClientKey}} {
		if kf[1] != "" && !strings.Contains(kf[1], "-----BEGIN ") {
			v.regularFile("signing.remote."+kf[0], c.Path(kf[1]))
		}
	}
}

func validateCommand(v *validator, sg Signing) {
	has := false
	for _, a := range sg.Command {
		has = has || strings.Contains(a, "${artifact}")
	}
	switch {
	case len(sg.Command) == 0 || strings.TrimSpace(sg.Command[0]) == "":
		v.addf("signing.command", "is empty: give the program and its arguments, e.g. [signtool, sign, /f, cert.pfx, \"${artifact}\"]")
	case !has:
		v.addf("signing.command", "does not name the file to sign: put ${artifact} where the command takes it")
	}
	if len(sg.Timestamp) > 0 || sg.PageHashes {
		v.addf("signing.command", "signing.timestamp and signing.page_hashes do not go with a signing command: the command decides")
	}
}

func (c *Config) validateConsole(v *validator) {
	con := c.Console
	exe := con.Executable
	exeOK := false
	if *con.Shortcut.Enabled && c.Product.Name != "" { // the name defaults to product.name, reported already
		v.name("console.shortcut.name", con.Shortcut.Name, maxName, folderName)
	}
	v.bit("console.defaults.run_at_startup", *con.Defaults.RunAtStartup)
	v.bit("console.defaults.should_auto_update", *con.Defaults.ShouldAutoUpdate)
	if c.goreleaserFailed {
		return // the payload was to come from GoReleaser: reported there
	}
	switch {
	case exe == "":
		v.addf("console.executable", "is required: the file name of the console program, one of the payload files")
	case strings.ContainsAny(exe, `/\`) || filepath.Base(exe) != exe:
		v.addf("console.executable", "%q must be a file name, not a path", exe)
	case !strings.EqualFold(filepath.Ext(exe), ".exe"):
		v.addf("console.executable", "%q must end in .exe", exe)
	default:
		exeOK = true
	}
	if len(con.Payload) == 0 && len(con.Files) == 0 {
		v.addf("console.payload", "is required (or console.files): the files to install, per architecture (x86, x64, arm64)")
	}
	c.Console.Tree = map[string][]payload.Item{}
	for _, arch := range c.consoleArchs() {
		files := con.Payload[arch]
		path := "console.payload." + arch
		if !isArch(arch) {
			if _, ok := con.Payload[arch]; ok {
				v.addf(path, "%s", archProblem(arch))
			}
			if _, ok := con.Files[arch]; ok {
				v.addf("console.files."+arch, "%s", archProblem(arch))
			}
			continue
		}
		_, inPayload := con.Payload[arch]
		tree := con.Files[arch]
		if len(files) == 0 && len(tree) == 0 {
			// Named where the empty list is (an arch listed only in
			// architectures is reported there).
			if !inPayload {
				path = "console.files." + arch
			}
			v.addf(path, "lists no files; list the files %s installs, or remove the key (console.payload.%s and console.files.%s may each be left out, not both)", arch, arch, arch)
			continue
		}
		var items []payload.Item
		bad := false
		names := map[string]int{}
		for i, f := range files {
			fp := fmt.Sprintf("%s[%d]", path, i)
			base := filepath.Base(f)
			if !v.fileName(fp, base) {
				bad = true
				continue
			}
			if j, dup := names[strings.ToLower(base)]; dup {
				v.addf(fp, "file name %q is already used by %s[%d] (Windows file names are case-insensitive)", base, path, j)
				bad = true
				continue
			}
			names[strings.ToLower(base)] = i
			v.payloadFile(fp, c.Path(f))
			items = append(items, payload.Item{Src: c.Path(f), Dst: base, Field: fp})
		}
		expanded, probs := payload.Expand(c.Dir, "console.files."+arch, tree)
		for _, p := range probs {
			v.addf(p.Field, "%s", p.Msg)
			bad = true
		}
		items = append(items, expanded...)
		payload.Sort(items)
		for _, p := range payload.Collisions(items) {
			v.addf(p.Field, "%s", p.Msg)
			bad = true
		}
		hasExe := false
		var total int64
		n := 0
		for _, it := range items {
			if it.Folder {
				continue
			}
			n++
			if strings.EqualFold(it.Dst, exe) {
				hasExe = true
			}
			if strings.HasPrefix(it.Field, "console.files.") {
				total += v.payloadFile(it.Field+".src", it.Src)
			} else if fi, err := os.Stat(it.Src); err == nil {
				total += fi.Size()
			}
		}
		if exeOK && !hasExe && !bad {
			v.addf(path, "does not contain the console executable %q (at the top of INSTALLDIR)", exe)
		}
		v.cabinet(path, n, total)
		c.Console.Tree[arch] = items
	}
}

// What a name or text is used for, which decides the rules it follows.
const (
	folderName = 1 << iota // a Windows file or folder name: winname's rules
	toNSIS                 // also written into the EXE's NSIS script
)

func (v *validator) name(path, s string, max, use int) {
	switch {
	case strings.TrimSpace(s) == "":
		v.addf(path, "is required and must not be blank")
	case hasControl(s):
		v.addf(path, "%q must not contain control characters", s)
	case strings.ContainsAny(s, forbidden):
		v.addf(path, "%q must not contain any of %s (it is used as a Windows folder name and in formatted MSI fields)", s, forbidden)
	case len([]rune(s)) > max:
		v.addf(path, "%q is %d characters long; at most %d are allowed", s, len([]rune(s)), max)
	case s != strings.TrimSpace(s) || strings.HasSuffix(s, "."):
		v.addf(path, "%q must not start or end with a space or end with a dot (Windows trims them from folder names)", s)
	case use&folderName != 0 && winname.Reserved(s):
		v.addf(path, "%q is a reserved Windows device name (CON, PRN, AUX, NUL, COM1-9, LPT1-9, with or without an extension) and cannot be a folder name", s)
	default:
		v.text(path, s, use)
	}
}

// fileName checks an installed file's name: Windows' name rules, then
// the text rules.
func (v *validator) fileName(path, base string) bool {
	if err := winname.CheckName(base); err != nil {
		v.addf(path, "file name %v", err)
		return false
	}
	if strings.ContainsAny(base, "[]{}") {
		v.addf(path, "file name %q must not contain [ ] { } (formatted MSI fields would read them as references)", base)
		return false
	}
	return v.text(path, base, 0)
}

// description checks an optional free text.
func (v *validator) description(path, s string) {
	switch {
	case s == "":
	case hasControl(s):
		v.addf(path, "must not contain control characters")
	case len([]rune(s)) > maxDescription:
		v.addf(path, "is %d characters long; at most %d are allowed", len([]rune(s)), maxDescription)
	default:
		v.text(path, s, 0)
	}
}

// text checks a string that msiforge writes into a generated source and
// the package: nothing a compiler would expand, and only characters the
// package's code page holds. use says where else it goes.
func (v *validator) text(path, s string, use int) bool {
	// wixl 0.101 expands $(env.X), $(var.X) and $(sys.X) in every
	// attribute after XML decoding, and no escape survives it (see
	// render.EscapeXML).
	if strings.Contains(s, "$(") {
		v.addf(path, "%q contains \"$(\", which wixl's preprocessor would expand as a variable ($(env.NAME), $(var.NAME), $(sys.NAME)); no escaping prevents it, so write it another way (e.g. \"$ (\")", s)
		return false
	}
	if use&toNSIS != 0 {
		for _, seq := range []string{"${", "$%", `$\`} {
			if strings.Contains(s, seq) {
				v.addf(path, "%q contains %q, which makensis would expand in the EXE's script whatever the escaping; write it another way", s, seq)
				return false
			}
		}
	}
	for _, r := range s {
		if !v.cp.Holds(r) {
			v.addf(path, "%q contains %s, which the package's code page %s cannot hold: Windows Installer would store a broken string (and wixl may crash); %s", s, describeRune(r), v.cp, codepageHint(r))
			return false
		}
	}
	return true
}

// version checks a ProductVersion.
func (v *validator) version(path, s string) {
	if msg := versionProblem(s); msg != "" {
		v.addf(path, "%s", msg)
	}
}

// versionProblem says why s is not a ProductVersion, or "": Windows
// Installer compares only the first three fields, major ≤ 255, minor ≤
// 255, build ≤ 65535
// (https://learn.microsoft.com/en-us/windows/win32/msi/productversion).
func versionProblem(s string) string {
	const rule = "want major.minor.build with major and minor at most 255 and build at most 65535"
	if s == "" {
		return fmt.Sprintf("is required (%s)", rule)
	}
	m := versionRE.FindStringSubmatch(s)
	if m == nil {
		hint := ""
		switch n := strings.Count(s, "."); {
		case strings.ContainsAny(s, "-+"):
			hint = "; pre-release and build suffixes are not allowed"
		case n == 3:
			hint = "; Windows Installer ignores a 4th field, so upgrades would not be detected"
		case n < 2:
			hint = "; all three fields are needed"
		}
		return fmt.Sprintf("%q is not a valid ProductVersion (%s%s)", s, rule, hint)
	}
	limits := []int{255, 255, 65535}
	fields := []string{"major", "minor", "build"}
	for i, lim := range limits {
		n, err := strconv.Atoi(m[i+1])
		if err != nil || n > lim {
			return fmt.Sprintf("%q: %s %s is larger than %d (%s)", s, fields[i], m[i+1], lim, rule)
		}
	}
	return ""
}

func (v *validator) bit(path string, n int) {
	if n != 0 && n != 1 {
		v.addf(path, "%d is not allowed (want 0 or 1)", n)
	}
}

func (v *validator) url(path, s string) {
	if s == "" {
		return
	}
	if n := len([]rune(s)); n > maxURL {
		v.addf(path, "is %d characters long; at most %d are allowed", n, maxURL)
		return
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || hasControl(s) {
		v.addf(path, "%q is not an absolute http or https URL", s)
		return
	}
	v.text(path, s, 0)
}

// regularFile checks that file exists and is a regular file, and returns
// its size (0 when it is not).
func (v *validator) regularFile(path, file string) int64 {
	fi, err := os.Stat(file)
	switch {
	case os.IsNotExist(err):
		v.addf(path, "file %s does not exist", file)
	case err != nil:
		v.addf(path, "%v", err)
	case !fi.Mode().IsRegular():
		v.addf(path, "%s is not a regular file", file)
	default:
		return fi.Size()
	}
	return 0
}

// Cabinet limits: wixl puts every file of a package into one cabinet.
// A cabinet's folder and file offsets are 32-bit and Microsoft's cabinet
// tools cap a folder at 0x7FFF8000 bytes; the header's file count is
// 16-bit ("Microsoft Cabinet Format", CFHEADER cFiles:
// https://learn.microsoft.com/en-us/previous-versions/bb267310(v=vs.85)).
const (
	MaxCabinetBytes = 0x7FFF8000 // per file and per cabinet
	MaxCabinetFiles = payload.MaxItems
)

// payloadFile checks a payload file and returns its size.
func (v *validator) payloadFile(path, file string) int64 {
	n := v.regularFile(path, file)
	if n > MaxCabinetBytes {
		v.addf(path, "%s is %d bytes; a cabinet holds files of at most %d bytes (0x7FFF8000, about 2 GiB)", file, n, int64(MaxCabinetBytes))
	}
	return n
}

// cabinet checks that one package's files fit one cabinet.
func (v *validator) cabinet(path string, files int, total int64) {
	if files > MaxCabinetFiles {
		v.addf(path, "lists %d files; a cabinet holds at most %d (its file count is 16-bit)", files, MaxCabinetFiles)
	}
	if total > MaxCabinetBytes {
		v.addf(path, "holds %d bytes in all; a cabinet holds at most %d bytes (0x7FFF8000, about 2 GiB)", total, int64(MaxCabinetBytes))
	}
}

// archProblem says why a is not an architecture: the known ones, the
// aliases, and the closest name.
func archProblem(a string) string {
	return fmt.Sprintf("%q is not one of %s (msiforge also reads %s)%s", a, strings.Join(Architectures, ", "), aliasList(), didYouMean(strings.ToLower(a)))
}

func isArch(a string) bool {
	for _, x := range Architectures {
		if a == x {
			return true
		}
	}
	return false
}

func hasControl(s string) bool {
	return strings.IndexFunc(s, unicode.IsControl) >= 0
}

// lineOf finds the line of the value at a dotted path ("product.version",
// "console.payload.x64[1]") in the document, falling back to the deepest
// existing parent so every problem gets a line.
func lineOf(doc *yaml.Node, path string) int {
	n := doc
	if n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		n = n.Content[0]
	}
	line := n.Line
	for _, seg := range splitPath(path) {
		next := child(n, seg)
		if next == nil {
			return line
		}
		n = next
		line = n.Line
	}
	return line
}

// splitPath splits "a.b[2]" into "a", "b", "[2]".
func splitPath(path string) []string {
	var out []string
	for _, part := range strings.Split(path, ".") {
		for {
			i := strings.IndexByte(part, '[')
			if i < 0 {
				break
			}
			if i > 0 {
				out = append(out, part[:i])
			}
			j := strings.IndexByte(part, ']')
			if j < i {
				break
			}
			out = append(out, part[i:j+1])
			part = part[j+1:]
		}
		if part != "" {
			out = append(out, part)
		}
	}
	return out
}

func child(n *yaml.Node, seg string) *yaml.Node {
	if strings.HasPrefix(seg, "[") {
		i, err := strconv.Atoi(strings.Trim(seg, "[]"))
		if n.Kind != yaml.SequenceNode || err != nil || i < 0 || i >= len(n.Content) {
			return nil
		}
		return n.Content[i]
	}
	if n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == seg {
			return n.Content[i+1]
		}
	}
	return nil
}
