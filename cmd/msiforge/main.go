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
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Main(ctx, os.Args[1:], os.Stdout, os.Stderr, os.Getenv)
	stop()
	os.Exit(code)
}
