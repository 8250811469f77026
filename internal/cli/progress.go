package cli

import (
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"
	"golang.org/x/term"
)

// liveProgress is build's display on a terminal: one line per running
// target, with the target's MSI name, its step and how long it has been
// building (mpb, which redraws the lines in place). Whatever the build
// logs meanwhile (built ..., warnings, -x traces) prints above them; a
// target's line goes when it is done. It implements release.Tracker.
type liveProgress struct {
	p     *mpb.Progress
	mu    sync.Mutex
	bars  map[string]*mpb.Bar
	steps map[string]*atomic.Pointer[string]
	once  sync.Once
}

// newLiveProgress returns the live display for env's stderr when that is
// a terminal that wants one, or nil: plain lines (a pipe or a file, CI
// logs, --json, NO_COLOR, TERM=dumb).
func newLiveProgress(env *Env, asJSON bool) *liveProgress {
	f, ok := env.Err.(*os.File)
	if asJSON || !ok || !term.IsTerminal(int(f.Fd())) || env.Getenv("NO_COLOR") != "" || env.Getenv("TERM") == "dumb" || env.Getenv("TERM") == "" {
		return nil
	}
	return &liveProgress{
		p:     mpb.New(mpb.WithOutput(f), mpb.WithAutoRefresh(), mpb.WithRefreshRate(100*time.Millisecond)),
		bars:  map[string]*mpb.Bar{},
		steps: map[string]*atomic.Pointer[string]{},
	}
}

// Write prints lines above the live ones (env.Log's output while the
// display runs).
func (l *liveProgress) Write(b []byte) (int, error) { return l.p.Write(b) }

// Start implements release.Tracker.
func (l *liveProgress) Start(target string) {
	var step atomic.Pointer[string]
	starting := "starting"
	step.Store(&starting)
	start := time.Now()
	bar := l.p.New(1, mpb.NopStyle(), mpb.BarRemoveOnComplete(),
		mpb.PrependDecorators(
			decor.Name(target, decor.WCSyncSpaceR),
			decor.Any(func(decor.Statistics) string { return *step.Load() }, decor.WCSyncSpaceR)),
		mpb.AppendDecorators(decor.Any(func(decor.Statistics) string {
			return fmt.Sprintf("%.1fs", time.Since(start).Seconds())
		})))
	l.mu.Lock()
	l.bars[target] = bar
	l.steps[target] = &step
	l.mu.Unlock()
}

// Step implements release.Tracker.
func (l *liveProgress) Step(target, step string) {
	l.mu.Lock()
	p := l.steps[target]
	l.mu.Unlock()
	if p != nil {
		p.Store(&step)
	}
}

// Done implements release.Tracker: the target's line goes.
func (l *liveProgress) Done(target string, _ error) {
	l.mu.Lock()
	bar := l.bars[target]
	delete(l.bars, target)
	delete(l.steps, target)
	l.mu.Unlock()
	if bar != nil {
		bar.Abort(true)
	}
}

// stop ends the display and sends env.Log's output back to env.Err;
// what the build logs after it (wrote ..., the error) prints plainly.
// Calling it again does nothing.
func (l *liveProgress) stop(env *Env) {
	l.once.Do(func() {
		l.mu.Lock()
		for _, bar := range l.bars { // an interrupted build
			bar.Abort(true)
		}
		l.mu.Unlock()
		l.p.Wait()
		env.Log.SetOutput(env.Err)
	})
}
