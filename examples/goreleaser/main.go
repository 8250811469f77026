// Command hello is the small Go program of the GoReleaser example:
// GoReleaser cross-compiles it, msiforge packages its Windows binaries.
package main

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
)

// version is set by GoReleaser (-X main.version={{.Version}}).
var version = "dev"

func main() {
	exe, _ := os.Executable()
	fmt.Printf("hello %s (%s/%s) from %s\n", version, runtime.GOOS, runtime.GOARCH, filepath.Dir(exe))
}
