// Command console is a SAMPLE stand-in for the support console, used as the
// payload of the example installers. It is not the real product: it prints
// its version and where it runs from, which is enough to prove that an
// install put the right binary in the right place.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
)

// version is set by the Makefile (-ldflags "-X main.version=...").
var version = "0.0.0"

func main() {
	autostart := flag.Bool("autostart", false, "started by the Run registry value")
	flag.Parse()
	exe, _ := os.Executable()
	fmt.Printf("Example Support Console %s (%s/%s)\n", version, runtime.GOOS, runtime.GOARCH)
	fmt.Printf("installed in %s\n", filepath.Dir(exe))
	if *autostart {
		fmt.Println("started at logon")
	}
}
