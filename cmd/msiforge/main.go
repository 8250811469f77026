// Command msiforge builds, signs and checks the Windows installers of the
// support console. See README.md.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/msiforge/msiforge/internal/cli"
)

func main() {
	// The first SIGINT or SIGTERM cancels the context with the signal as
	// its cause: the running tools are killed, temporary files removed, and
	// cli.Main returns 130 or 143. A second one kills msiforge at once
	// (signal.Stop restores the default action).
	ctx, cancel := context.WithCancelCause(context.Background())
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go func() {
		s := <-sigs
		signal.Stop(sigs)
		cancel(&cli.Interrupted{Signal: s})
	}()
	code := cli.Main(ctx, os.Args[1:], os.Stdout, os.Stderr, os.Getenv)
	os.Exit(code)
}
