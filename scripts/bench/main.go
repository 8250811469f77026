// Command bench prints msiforge's speed table (make bench, issue 19) from
// one run:
//
//   - the full example release (consoles, EXEs, VSC packages; signed with a
//     throwaway certificate) at -j 1, against the sum of the raw tool time
//     of the same run, and at -j 2 against -j 1;
//   - the no-op rebuild: the median of three builds into the directory of
//     a full build, each reusing every artifact, against that build
//     ("n/a (cache)" with a binary whose build has no --force);
//   - a console with a SIZE_MB payload (x64 MSI and EXE, signed): msiforge
//     against its raw wixl + makensis + signing time, with each step in its
//     own row;
//   - signing that MSI: msiforge against osslsigncode and a SHA-256 pass;
//   - inspect against msiinfo on that MSI.
//
// Raw tool time: every external program msiforge runs goes through
// internal/execx, so a timing Runner records each invocation (the argv
// that -x prints) and its wall time; with -j 1 they run one by one, on
// exactly the inputs msiforge gives them. Signing happens in process, so
// its raw counterpart is osslsigncode on the same unsigned files: the
// bench's signer hard-links each file before msiforge signs it (the signer
// writes a new file and renames it over the path, so the link keeps the
// unsigned bytes) and osslsigncode signs those afterwards, one by one.
//
// Usage: go run ./scripts/bench [-msiforge bin/msiforge] [-size 200] [-work DIR]
// Needs: wixl, msitools, nsis, osslsigncode, go, and the example payload
// (make payload).
package main

import (
	"context"
	"crypto/sha256"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/msiforge/msiforge/internal/config"
	"github.com/msiforge/msiforge/internal/execx"
	"github.com/msiforge/msiforge/internal/payload"
	"github.com/msiforge/msiforge/internal/release"
	"github.com/msiforge/msiforge/internal/sign"
	"github.com/msiforge/msiforge/packaging"
)

func main() {
	bin := flag.String("msiforge", "bin/msiforge", "the msiforge binary (for the no-op rebuild and inspect rows)")
	size := flag.Int("size", 200, "payload of the big console, MB")
	work := flag.String("work", "", "working directory (default: a new temporary one, removed at the end)")
	cfgPath := flag.String("f", "examples/console/msiforge.yaml", "the example release's config")
	flag.Parse()
	if err := run(*bin, *cfgPath, *work, *size); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

// timing is an execx.Runner that records each command and its wall time.
type timing struct {
	mu   sync.Mutex
	cmds []timed
}

type timed struct {
	cmd execx.Cmd
	d   time.Duration
}

func (t *timing) Run(ctx context.Context, c execx.Cmd) (execx.Result, error) {
	start := time.Now()
	res, err := execx.OS{}.Run(ctx, c)
	d := time.Since(start)
	t.mu.Lock()
	t.cmds = append(t.cmds, timed{c, d})
	t.mu.Unlock()
	return res, err
}

// total is the time of the commands named name ("" for all).
func (t *timing) total(name string) (time.Duration, int) {
	var sum time.Duration
	n := 0
	for _, c := range t.cmds {
		if name == "" || c.cmd.Name == name {
			sum += c.d
			n++
		}
	}
	return sum, n
}

// steps is a release.Tracker that adds up the time of each step.
type steps struct {
	mu    sync.Mutex
	cur   map[string]string
	since map[string]time.Time
	sum   map[string]time.Duration
}

func newSteps() *steps {
	return &steps{cur: map[string]string{}, since: map[string]time.Time{}, sum: map[string]time.Duration{}}
}

func (s *steps) Start(target string) { s.Step(target, "starting") }
func (s *steps) Step(target, step string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := time.Now()
	if prev, ok := s.cur[target]; ok {
		s.sum[prev] += now.Sub(s.since[target])
	}
	s.cur[target], s.since[target] = step, now
}
func (s *steps) Done(target string, _ error) {
	s.Step(target, "")
	s.mu.Lock()
	delete(s.cur, target)
	s.mu.Unlock()
}

// keeper signs with msiforge's signer after hard-linking the unsigned
// file, for osslsigncode to sign the same bytes later.
type keeper struct {
	s    packaging.Signer
	dir  string
	mu   sync.Mutex
	kept []string
}

func (k *keeper) Sign(ctx context.Context, path string) (*packaging.Signature, error) {
	k.mu.Lock()
	dst := filepath.Join(k.dir, fmt.Sprintf("%03d-%s", len(k.kept), filepath.Base(path)))
	k.kept = append(k.kept, dst)
	k.mu.Unlock()
	if err := os.Link(path, dst); err != nil {
		return nil, err
	}
	return k.s.Sign(ctx, path)
}

// ConcurrentSafe: the wrapped file signer is.
func (k *keeper) ConcurrentSafe() bool { return true }

type row struct {
	name, msiforge, ref, ratio, target, met string
}

func secs(d time.Duration) string { return fmt.Sprintf("%.2f s", d.Seconds()) }

func ratioRow(name string, got, ref time.Duration, refName string, max float64) row {
	r := got.Seconds() / ref.Seconds()
	met := "yes"
	if r > max {
		met = "NO"
	}
	return row{name, secs(got), refName + " " + secs(ref), fmt.Sprintf("%.2f×", r), fmt.Sprintf("≤ %.2f×", max), met}
}

func run(bin, cfgPath, work string, sizeMB int) error {
	for _, tool := range []string{"wixl", "msibuild", "msiinfo", "makensis", "osslsigncode", "go"} {
		if _, err := exec.LookPath(tool); err != nil {
			return fmt.Errorf("%s not found in PATH", tool)
		}
	}
	if work == "" {
		dir, err := os.MkdirTemp("", "msiforge-bench-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		work = dir
	}
	ctx := context.Background()
	certPEM, keyPEM, err := sign.NewDevCert("msiforge bench", time.Now().Add(24*time.Hour))
	if err != nil {
		return err
	}
	cert, key := filepath.Join(work, "cert.pem"), filepath.Join(work, "key.pem")
	if err := os.WriteFile(cert, certPEM, 0o644); err != nil {
		return err
	}
	if err := os.WriteFile(key, keyPEM, 0o600); err != nil {
		return err
	}
	s, err := sign.LoadPEM(cert, key)
	if err != nil {
		return err
	}
	signer := release.NewSigner(s)
	osslsign := func(files []string) (time.Duration, error) {
		var sum time.Duration
		for _, f := range files {
			start := time.Now()
			if out, err := exec.Command("osslsigncode", "sign", "-certs", cert, "-key", key, "-h", "sha256", "-in", f, "-out", f+".signed").CombinedOutput(); err != nil {
				return 0, fmt.Errorf("osslsigncode sign %s: %v\n%s", f, err, out)
			}
			sum += time.Since(start)
			os.Remove(f + ".signed")
		}
		return sum, nil
	}

	// build runs one release of c with jobs, timed.
	type result struct {
		wall  time.Duration
		run   *timing
		steps *steps
		kept  []string
		arts  []packaging.Artifact
	}
	build := func(name string, c *config.Config, jobs int) (result, error) {
		keep := filepath.Join(work, name+"-unsigned")
		if err := os.MkdirAll(keep, 0o755); err != nil {
			return result{}, err
		}
		k := &keeper{s: signer, dir: keep}
		r := result{run: &timing{}, steps: newSteps()}
		opts := release.Options{OutDir: filepath.Join(work, name), Signer: k, SignPayload: true, Jobs: jobs, Track: r.steps}
		fmt.Fprintf(os.Stderr, "bench: building %s (-j %d)\n", name, jobs)
		start := time.Now()
		res, err := release.Release(ctx, r.run, c, opts, "bench")
		r.wall = time.Since(start)
		if err != nil {
			return r, err
		}
		r.kept, r.arts = k.kept, res.Artifacts
		return r, nil
	}
	load := func() (*config.Config, error) { return config.Load(cfgPath) }

	var rows []row
	// The full example release.
	c, err := load()
	if err != nil {
		return err
	}
	j1, err := build("full-j1", c, 1)
	if err != nil {
		return err
	}
	rawTools, n := j1.run.total("")
	rawSign, err := osslsign(j1.kept)
	if err != nil {
		return err
	}
	raw := rawTools + rawSign
	r := ratioRow(fmt.Sprintf("full example release, -j 1 (%d artifacts)", len(j1.arts)), j1.wall, raw,
		fmt.Sprintf("raw: %d tool runs %s + osslsigncode ×%d %s =", n, secs(rawTools), len(j1.kept), secs(rawSign)), 1.15)
	rows = append(rows, r)
	for _, tool := range []string{"wixl", "msibuild", "makensis", "go"} {
		d, n := j1.run.total(tool)
		rows = append(rows, row{fmt.Sprintf("  raw %s ×%d", tool, n), "", secs(d), fmt.Sprintf("%.0f %% of -j 1", 100*d.Seconds()/j1.wall.Seconds()), "", ""})
	}
	// Where msiforge's own time goes (all targets' steps added up).
	for _, st := range []string{"staging payload", "helper", "lint", "matrix check", "read-back", "signing", "signing EXE"} {
		d := j1.steps.sum[st]
		rows = append(rows, row{"  step " + st, secs(d), "", fmt.Sprintf("%.0f %% of -j 1", 100*d.Seconds()/j1.wall.Seconds()), "", ""})
	}
	c, err = load()
	if err != nil {
		return err
	}
	j2, err := build("full-j2", c, 2)
	if err != nil {
		return err
	}
	speedup := j1.wall.Seconds() / j2.wall.Seconds()
	met := "yes"
	if speedup < 1.6 {
		met = "NO"
	}
	rows = append(rows, row{"full example release, -j 2", secs(j2.wall), "-j 1 " + secs(j1.wall), fmt.Sprintf("%.2f× faster", speedup), "≥ 1.60× faster", met})
	for _, a := range j1.arts {
		for _, b := range j2.arts {
			if filepath.Base(a.Path) == filepath.Base(b.Path) && a.SHA256 != b.SHA256 {
				return fmt.Errorf("%s differs between -j 1 and -j 2", filepath.Base(a.Path))
			}
		}
	}

	// The no-op rebuild, through the binary: only with an up-to-date check.
	rows = append(rows, noop(bin, cfgPath, work, cert, key))

	// The big console.
	big := filepath.Join(work, "big.bin")
	if err := randomFile(big, sizeMB); err != nil {
		return err
	}
	c, err = load()
	if err != nil {
		return err
	}
	c.Architectures, c.VSC = []string{"x64"}, nil
	c.Console.Payload["x64"] = append(c.Console.Payload["x64"], big)
	// Validation expanded the payload into Console.Tree, which the build
	// installs: add the big file there too.
	c.Console.Tree["x64"] = append(c.Console.Tree["x64"], payload.Item{Src: big, Dst: filepath.Base(big),
		Field: fmt.Sprintf("console.payload.x64[%d]", len(c.Console.Payload["x64"])-1)})
	payload.Sort(c.Console.Tree["x64"])
	bg, err := build("big", c, 1)
	if err != nil {
		return err
	}
	wixl, _ := bg.run.total("wixl")
	makensis, _ := bg.run.total("makensis")
	msibuild, nb := bg.run.total("msibuild")
	var bigMSI string
	for _, f := range bg.kept {
		if strings.HasSuffix(f, ".msi") {
			bigMSI = f
		}
	}
	// A payload the build left out would make this row meaningless.
	if fi, err := os.Stat(bigMSI); err != nil || fi.Size() < int64(sizeMB)<<20 {
		return fmt.Errorf("the big console MSI %q is not larger than its %d MB payload: the payload was not installed", bigMSI, sizeMB)
	}
	msiSign, err := osslsign([]string{bigMSI})
	if err != nil {
		return err
	}
	allSign, err := osslsign(bg.kept)
	if err != nil {
		return err
	}
	rawBig := wixl + makensis + allSign
	rows = append(rows, ratioRow(fmt.Sprintf("%d MB console (x64 MSI + EXE, signed)", sizeMB), bg.wall, rawBig,
		fmt.Sprintf("raw wixl %s + makensis %s + osslsigncode ×%d %s =", secs(wixl), secs(makensis), len(bg.kept), secs(allSign)), 1.15))
	share := func(name string, d time.Duration, note string) row {
		return row{"  " + name, secs(d), note, fmt.Sprintf("%.0f %% of the build", 100*d.Seconds()/bg.wall.Seconds()), "", ""}
	}
	order := []string{"staging payload", "wixl", "fix-ups", "lint", "matrix check", "read-back", "signing", "makensis", "signing EXE"}
	notes := map[string]string{
		"wixl":     "raw wixl " + secs(wixl),
		"fix-ups":  fmt.Sprintf("msibuild ×%d %s", nb, secs(msibuild)),
		"makensis": "raw makensis " + secs(makensis),
		"signing":  "payload PE + MSI, sign + verify",
	}
	for _, st := range order {
		rows = append(rows, share(st, bg.steps.sum[st], notes[st]))
	}
	var other time.Duration = bg.wall
	for _, st := range order {
		other -= bg.steps.sum[st]
	}
	rows = append(rows, share("the rest (plan, render, publish, manifest)", other, ""))

	// Signing the big MSI.
	msiforgeSign, err := timeSign(signer, bigMSI, work)
	if err != nil {
		return err
	}
	floor, err := sha256Time(bigMSI)
	if err != nil {
		return err
	}
	// The issue states no target for these rows: osslsigncode's time is
	// the bar, the SHA-256 pass the floor (msiforge signs and then
	// verifies: two hashing passes and a copy).
	rows = append(rows, ratioRow(fmt.Sprintf("sign + verify the %d MB MSI", sizeMB), msiforgeSign, msiSign, "osslsigncode sign", 1.0))
	fl := msiforgeSign.Seconds() / floor.Seconds()
	rows = append(rows, row{fmt.Sprintf("sign + verify the %d MB MSI", sizeMB), secs(msiforgeSign), "SHA-256 pass (floor) " + secs(floor), fmt.Sprintf("%.2f×", fl), "none (informational)", "—"})

	// inspect against msiinfo, on the signed big MSI.
	var signedMSI string
	for _, a := range bg.arts {
		if strings.HasSuffix(a.Path, ".msi") {
			signedMSI = a.Path
		}
	}
	ins, err := best(3, bin, "inspect", signedMSI, "--table", "Property")
	if err != nil {
		return err
	}
	mi, err := best(3, "msiinfo", "export", signedMSI, "Property")
	if err != nil {
		return err
	}
	rows = append(rows, ratioRow(fmt.Sprintf("inspect --table Property, %d MB MSI", sizeMB), ins, mi, "msiinfo export", 1.0))

	printTable(rows)
	return nil
}

// noop times a second build of the example into the same directory, when
// build has an up-to-date check (build --help names --force).
func noop(bin, cfgPath, work, cert, key string) row {
	name := "no-op rebuild of the example release"
	help, err := exec.Command(bin, "build", "--help").Output()
	if err != nil || !strings.Contains(string(help), "--force") {
		return row{name, "n/a (cache)", "", "", "≤ 0.05× full", "n/a"}
	}
	out := filepath.Join(work, "noop")
	args := []string{"build", "-f", cfgPath, "-o", out, "--cert", cert, "--key", key}
	start := time.Now()
	if b, err := exec.Command(bin, args...).CombinedOutput(); err != nil {
		return row{name, "failed: " + strings.TrimSpace(string(b)), "", "", "", "NO"}
	}
	full := time.Since(start)
	// The median of three no-op builds, each of which must reuse every
	// artifact (scripts/bench-noop.sh measures more runs, and CPU time).
	var runs []time.Duration
	for range 3 {
		start = time.Now()
		b, err := exec.Command(bin, args...).CombinedOutput()
		if err != nil {
			return row{name, "failed: " + strings.TrimSpace(string(b)), "", "", "", "NO"}
		}
		runs = append(runs, time.Since(start))
		if strings.Contains(string(b), "msiforge: building ") || !strings.Contains(string(b), "msiforge: up to date: ") {
			return row{name, "rebuilt: " + strings.TrimSpace(string(b)), "", "", "", "NO"}
		}
	}
	slices.Sort(runs)
	return ratioRow(name, runs[1], full, "full build", 0.05)
}

func randomFile(path string, mb int) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	// Incompressible, deterministic bytes: SHA-256 in counter mode.
	var block [32]byte
	buf := make([]byte, 0, 1<<20)
	for i := 0; i < mb<<15; i++ {
		block = sha256.Sum256(append(block[:], byte(i), byte(i>>8), byte(i>>16)))
		buf = append(buf, block[:]...)
		if len(buf) == cap(buf) {
			if _, err := f.Write(buf); err != nil {
				return err
			}
			buf = buf[:0]
		}
	}
	_, err = f.Write(buf)
	return err
}

func timeSign(s packaging.Signer, unsigned, work string) (time.Duration, error) {
	p := filepath.Join(work, "sign-"+filepath.Base(unsigned))
	if err := packaging.CopyFile(unsigned, p); err != nil {
		return 0, err
	}
	defer os.Remove(p)
	start := time.Now()
	_, err := s.Sign(context.Background(), p)
	return time.Since(start), err
}

func sha256Time(path string) (time.Duration, error) {
	start := time.Now()
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return 0, err
	}
	return time.Since(start), nil
}

// best is the shortest wall time of n runs of a command.
func best(n int, name string, args ...string) (time.Duration, error) {
	var ds []time.Duration
	for i := 0; i < n; i++ {
		start := time.Now()
		if out, err := exec.Command(name, args...).CombinedOutput(); err != nil {
			return 0, fmt.Errorf("%s: %v\n%s", name, err, out)
		}
		ds = append(ds, time.Since(start))
	}
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	return ds[0], nil
}

func printTable(rows []row) {
	w := [6]int{}
	head := row{"row", "msiforge", "reference", "ratio", "target", "met"}
	all := append([]row{head}, rows...)
	for _, r := range all {
		for i, v := range []string{r.name, r.msiforge, r.ref, r.ratio, r.target, r.met} {
			w[i] = max(w[i], len([]rune(v)))
		}
	}
	line := func(r row) {
		cells := []string{r.name, r.msiforge, r.ref, r.ratio, r.target, r.met}
		for i, v := range cells {
			cells[i] = v + strings.Repeat(" ", w[i]-len([]rune(v)))
		}
		fmt.Println("| " + strings.Join(cells, " | ") + " |")
	}
	line(head)
	sep := make([]string, 6)
	for i := range sep {
		sep[i] = strings.Repeat("-", w[i])
	}
	fmt.Println("|-" + strings.Join(sep, "-|-") + "-|")
	for _, r := range rows {
		line(r)
	}
}
