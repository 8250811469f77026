// Package execx is the only place in msiforge that runs external programs.
//
// Everything else receives a [Runner], so tests can record argv or fake
// tools without touching the real ones, and a missing tool is always reported
// the same way: a [*ToolMissingError] naming the Debian package to install.
package execx

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"time"
)

// Cmd is one external program invocation.
type Cmd struct {
	Name  string   // program name, looked up in PATH
	Args  []string // arguments, without the program name
	Dir   string   // working directory; "" means the current one
	Env   []string // extra KEY=VALUE entries appended to the environment
	Stdin []byte   // optional standard input
}

// String renders the command as a shell-like line for -x output and errors.
func (c Cmd) String() string {
	parts := make([]string, 0, len(c.Args)+1)
	parts = append(parts, c.Name)
	for _, a := range c.Args {
		if a == "" || strings.ContainsAny(a, " \t\"'\\$`") {
			a = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		}
		parts = append(parts, a)
	}
	return strings.Join(parts, " ")
}

// Result holds what a finished program wrote.
type Result struct {
	Stdout []byte
	Stderr []byte
}

// Runner runs external programs. [OS] is the real one.
type Runner interface {
	Run(ctx context.Context, c Cmd) (Result, error)
}

// Packages maps the tools msiforge uses to the Debian package that ships
// them, for the "install it with" hint of [ToolMissingError] and doctor.
var Packages = map[string]string{
	"wixl":         "wixl",
	"msibuild":     "msitools",
	"msiinfo":      "msitools",
	"msiextract":   "msitools",
	"makensis":     "nsis",
	"wine":         "wine",
	"wineserver":   "wine",
	"osslsigncode": "osslsigncode",
}

// Elsewhere says where to get the tools that no suitable Debian package
// ships. Debian 12's golang-go is Go 1.19, older than the Go 1.21 the VSC
// helper's module asks for (it builds with GOTOOLCHAIN=local), so naming
// that package would send the user to a tool that then fails.
var Elsewhere = map[string]string{
	"go": "Go 1.21 or later from https://go.dev/dl; Debian 12's golang-go is too old",
}

// ToolMissingError reports a program that is not in PATH.
type ToolMissingError struct {
	Tool string
}

func (e *ToolMissingError) Error() string {
	if pkg, ok := Packages[e.Tool]; ok {
		return fmt.Sprintf("%s not found in PATH (install it with: apt-get install %s)", e.Tool, pkg)
	}
	if where, ok := Elsewhere[e.Tool]; ok {
		return fmt.Sprintf("%s not found in PATH (install %s)", e.Tool, where)
	}
	return fmt.Sprintf("%s not found in PATH", e.Tool)
}

// ExitError reports a program that ran and failed. It keeps the tail of the
// program's output so the user sees why without rerunning it.
type ExitError struct {
	Cmd    Cmd
	Code   int
	Output string // last lines of stderr (or stdout when stderr is empty)
}

func (e *ExitError) Error() string {
	msg := fmt.Sprintf("%s exited with status %d", e.Cmd.Name, e.Code)
	if e.Output != "" {
		msg += ":\n" + e.Output
	}
	return msg
}

// waitDelay bounds the wait for output pipes after a program has exited.
const waitDelay = 500 * time.Millisecond

// OS runs programs on the host.
type OS struct{}

var _ Runner = OS{}

// Run looks the program up, runs it and returns its output. A non-zero exit
// status is an [*ExitError]; a program not in PATH is a [*ToolMissingError].
// Cancelling ctx (SIGINT or SIGTERM) kills the program and everything it
// started at once, and Run returns an error wrapping ctx.Err().
func (OS) Run(ctx context.Context, c Cmd) (Result, error) {
	path, err := exec.LookPath(c.Name)
	if err != nil {
		return Result{}, &ToolMissingError{Tool: c.Name}
	}
	cmd := exec.CommandContext(ctx, path, c.Args...)
	cmd.Dir = c.Dir
	killGroupOnCancel(cmd)
	if len(c.Env) > 0 {
		cmd.Env = append(os.Environ(), c.Env...)
	}
	if c.Stdin != nil {
		cmd.Stdin = bytes.NewReader(c.Stdin)
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	// Some programs leave daemons behind that inherit the output pipes
	// (wine starts wineserver and services): once the program itself has
	// exited, stop waiting for its pipes after a moment.
	cmd.WaitDelay = waitDelay
	err = cmd.Run()
	if errors.Is(err, exec.ErrWaitDelay) {
		err = nil // the program exited 0; only a descendant kept the pipes open
	}
	res := Result{Stdout: stdout.Bytes(), Stderr: stderr.Bytes()}
	if err != nil {
		if ctx.Err() != nil {
			return res, fmt.Errorf("%s: %w", c.Name, ctx.Err())
		}
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			out := res.Stderr
			if len(bytes.TrimSpace(out)) == 0 {
				out = res.Stdout
			}
			return res, &ExitError{Cmd: c, Code: ee.ExitCode(), Output: Tail(string(out), 20)}
		}
		return res, fmt.Errorf("run %s: %w", c.Name, err)
	}
	return res, nil
}

// LookPath reports where a tool is, or a [*ToolMissingError].
func LookPath(tool string) (string, error) {
	p, err := exec.LookPath(tool)
	if err != nil {
		return "", &ToolMissingError{Tool: tool}
	}
	return p, nil
}

// Tail returns the last n non-empty lines of s.
func Tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(strings.ReplaceAll(s, "\r\n", "\n"), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.TrimSpace(strings.Join(lines, "\n"))
}

// Echo wraps a Runner and writes each command line to log before running it
// (msiforge -x), like the go command's -x.
type Echo struct {
	Runner Runner
	Log    func(string)
}

// Run logs c and runs it.
func (e Echo) Run(ctx context.Context, c Cmd) (Result, error) {
	e.Log(c.String())
	return e.Runner.Run(ctx, c)
}

// MissingToolsError reports every tool a job needs that is not in PATH, so
// a user installs them all in one go instead of meeting them one build at
// a time. It unwraps to a [*ToolMissingError] per tool: errors.As finds
// one, and the CLI's exit status 4 follows.
type MissingToolsError struct {
	For   string   // what needs them, e.g. "build"
	Tools []string // in the order the job would run them
}

func (e *MissingToolsError) Error() string {
	var names, pkgs []string
	seen := map[string]bool{}
	for _, t := range e.Tools {
		pkg := Packages[t]
		if pkg == "" {
			if where, ok := Elsewhere[t]; ok {
				t += " (" + where + ")"
			}
			names = append(names, t)
			continue
		}
		names = append(names, t+" (Debian package "+pkg+")")
		if !seen[pkg] {
			seen[pkg] = true
			pkgs = append(pkgs, pkg)
		}
	}
	tool, them := "tool that is", "it"
	if len(e.Tools) > 1 {
		tool, them = "tools that are", "them"
	}
	msg := fmt.Sprintf("%s needs %d %s not in PATH: %s", e.For, len(e.Tools), tool, strings.Join(names, ", "))
	if len(pkgs) > 0 {
		msg += fmt.Sprintf("; install %s with: apt-get install %s", them, strings.Join(pkgs, " "))
	}
	return msg
}

// Unwrap returns a [*ToolMissingError] for each missing tool.
func (e *MissingToolsError) Unwrap() []error {
	errs := make([]error, len(e.Tools))
	for i, t := range e.Tools {
		errs[i] = &ToolMissingError{Tool: t}
	}
	return errs
}

// Need checks that every tool is in PATH before a job starts, so a job
// that would fail halfway for a missing tool fails before it writes
// anything. It returns nil or a [*MissingToolsError] naming all of them.
func Need(what string, tools ...string) error {
	var missing []string
	seen := map[string]bool{}
	for _, t := range tools {
		if seen[t] {
			continue
		}
		seen[t] = true
		if _, err := exec.LookPath(t); err != nil {
			missing = append(missing, t)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	return &MissingToolsError{For: what, Tools: missing}
}

// Recorder wraps a Runner and notes the name of each program it runs, so
// a job can say which tools it used (the manifest's build.tools) rather
// than which happen to be installed. It is safe for concurrent use.
type Recorder struct {
	Runner Runner
	mu     sync.Mutex
	used   []string
}

// Run notes c.Name and runs c.
func (r *Recorder) Run(ctx context.Context, c Cmd) (Result, error) {
	r.mu.Lock()
	if !slices.Contains(r.used, c.Name) {
		r.used = append(r.used, c.Name)
	}
	r.mu.Unlock()
	return r.Runner.Run(ctx, c)
}

// Tools returns the programs run so far, each once, in the order first run.
func (r *Recorder) Tools() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.used...)
}
