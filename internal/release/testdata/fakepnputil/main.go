// Command fakepnputil stands in for Windows' pnputil.exe in the Wine tests
// (Wine has none). It logs its arguments, one call a line, to
// C:\fakepnputil.log and mimics the driver store just enough for the VSC
// package's actions: /add-driver copies the INF to %SystemRoot%\INF\oemN.inf
// as pnputil does (reusing the name of an identical one), /delete-driver
// removes that copy. When C:\fakepnputil-exit exists, /add-driver exits
// with the code it holds, so a test can try each of pnputil's documented
// codes: 0, 259 (staged, no matching device) and 3010 (reboot needed) stage
// the INF, like other codes a driver that stages but does not install
// would; 5 (access denied) and 87 (invalid parameter) stage nothing.
// https://learn.microsoft.com/windows-hardware/drivers/devtest/pnputil-return-values
package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

func main() {
	log, err := os.OpenFile(`C:\fakepnputil.log`, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(3)
	}
	fmt.Fprintln(log, strings.Join(os.Args[1:], "|"))
	log.Close()
	infDir := filepath.Join(os.Getenv("SystemRoot"), "INF")
	if len(os.Args) != 4 {
		os.Exit(2)
	}
	switch os.Args[1] {
	case "/add-driver":
		code := 0
		if b, err := os.ReadFile(`C:\fakepnputil-exit`); err == nil {
			if code, err = strconv.Atoi(strings.TrimSpace(string(b))); err != nil {
				os.Exit(2)
			}
		}
		if code == 5 || code == 87 {
			fmt.Println("Failed to add driver package.")
			os.Exit(code)
		}
		data, err := os.ReadFile(os.Args[2])
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		// Like SetupCopyOEMInf: an identical INF already in the store
		// keeps its published name.
		n := 1
		for ; ; n++ {
			old, err := os.ReadFile(filepath.Join(infDir, fmt.Sprintf("oem%d.inf", n)))
			if err != nil || bytes.Equal(old, data) {
				break
			}
		}
		if err := os.WriteFile(filepath.Join(infDir, fmt.Sprintf("oem%d.inf", n)), data, 0o644); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		fmt.Printf("Published Name: oem%d.inf\n", n)
		os.Exit(code)
	case "/delete-driver":
		if err := os.Remove(filepath.Join(infDir, os.Args[2])); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	default:
		os.Exit(2)
	}
}
