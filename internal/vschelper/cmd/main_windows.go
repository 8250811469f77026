package main

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"unsafe"
)

var (
	advapi32        = syscall.NewLazyDLL("advapi32.dll")
	regCreateKeyExW = advapi32.NewProc("RegCreateKeyExW")
	regSetValueExW  = advapi32.NewProc("RegSetValueExW")
	regDeleteKeyW   = advapi32.NewProc("RegDeleteKeyW")
)

func run(args []string) int {
	if len(args) != 3 && !(len(args) == 4 && args[0] == "remove") {
		logf("usage: msiforge-vschelper add|rollback|remove INF STATEKEY [OTHER]")
		return 87 // ERROR_INVALID_PARAMETER
	}
	verb, inf, key := args[0], args[1], args[2]
	if len(args) == 4 && args[3] != "" {
		// The other VSC package is installed and uses the same driver
		// package: forget this one's record, leave the driver.
		logf("remove: the other VSC package (%s) still uses the driver; left in the store", args[3])
		deleteKey(key)
		return 0
	}
	infDir := filepath.Join(os.Getenv("SystemRoot"), "INF")
	switch verb {
	case "add":
		return add(infDir, inf, key)
	case "rollback", "remove":
		return remove(verb, infDir, inf, key)
	}
	logf("unknown verb %q", verb)
	return 87
}

// pnputil runs the system's pnputil.exe and returns its exit code and
// output; -1 when it does not start.
func pnputil(args ...string) (int, []byte) {
	exe := filepath.Join(os.Getenv("SystemRoot"), "System32", "pnputil.exe")
	out, err := exec.Command(exe, args...).CombinedOutput()
	os.Stdout.Write(out)
	var ee *exec.ExitError
	switch {
	case err == nil:
		return 0, out
	case errors.As(err, &ee):
		return ee.ExitCode(), out
	}
	logf("run %s: %v", exe, err)
	return -1, out
}

func add(infDir, inf, key string) int {
	pre := identical(infDir, inf) != ""
	code, out := pnputil("/add-driver", inf, "/install")
	name := publishedName(out)
	if name == "" {
		name = identical(infDir, inf) // pnputil in another language, or it failed after staging
	}
	ok, reboot := success(code)
	// Recorded also on failure: the rollback then deletes what was staged.
	st := map[string]string{"InfPath": inf, "PublishedName": name, "PreExisting": "0"}
	if pre {
		st["PreExisting"] = "1"
	}
	if err := writeState(key, st, reboot); err != nil {
		logf("record the driver state under HKLM\\%s: %v", key, err)
		if ok {
			return 1
		}
	}
	if !ok {
		logf("pnputil /add-driver %s /install exited with code %d", inf, code)
		if code <= 0 {
			return 1
		}
		return code
	}
	if reboot {
		logf("pnputil exited with 3010: a reboot is needed to finish the driver install (recorded as RebootRequired)")
	}
	logf("driver package %s added (pnputil code %d)", name, code)
	return 0
}

// remove deletes the driver package add recorded. On rollback it leaves a
// package that was in the store before add (an upgrade, or the other VSC
// package's). Its exit codes are informational: the actions ignore them.
func remove(verb, infDir, inf, key string) int {
	name, pre := readState(key, "PublishedName"), readState(key, "PreExisting") == "1"
	if name == "" && verb == "remove" {
		name = identical(infDir, inf)
	}
	rc := 0
	switch {
	case name == "":
		logf("%s: no driver package recorded under HKLM\\%s", verb, key)
	case verb == "rollback" && pre:
		// A failed upgrade (the old product keeps using it, and its
		// record) or the other VSC package's driver.
		logf("rollback: %s was in the driver store before the install; left there", name)
		return 0
	default:
		code, _ := pnputil("/delete-driver", name, "/uninstall")
		if ok, _ := success(code); !ok {
			logf("pnputil /delete-driver %s /uninstall exited with code %d", name, code)
			rc = 1
		}
	}
	deleteKey(key)
	return rc
}

func utf16(s string) *uint16 {
	p, _ := syscall.UTF16PtrFromString(s)
	return p
}

func writeState(key string, values map[string]string, reboot bool) error {
	var h syscall.Handle
	if r, _, _ := regCreateKeyExW.Call(uintptr(syscall.HKEY_LOCAL_MACHINE), uintptr(unsafe.Pointer(utf16(key))), 0, 0, 0,
		uintptr(syscall.KEY_ALL_ACCESS), 0, uintptr(unsafe.Pointer(&h)), 0); r != 0 {
		return syscall.Errno(r)
	}
	defer syscall.RegCloseKey(h)
	for name, v := range values {
		s, _ := syscall.UTF16FromString(v)
		if r, _, _ := regSetValueExW.Call(uintptr(h), uintptr(unsafe.Pointer(utf16(name))), 0, syscall.REG_SZ,
			uintptr(unsafe.Pointer(&s[0])), uintptr(len(s)*2)); r != 0 {
			return syscall.Errno(r)
		}
	}
	if reboot {
		one := uint32(1)
		if r, _, _ := regSetValueExW.Call(uintptr(h), uintptr(unsafe.Pointer(utf16("RebootRequired"))), 0, syscall.REG_DWORD,
			uintptr(unsafe.Pointer(&one)), 4); r != 0 {
			return syscall.Errno(r)
		}
	}
	return nil
}

func readState(key, name string) string {
	var h syscall.Handle
	if syscall.RegOpenKeyEx(syscall.HKEY_LOCAL_MACHINE, utf16(key), 0, syscall.KEY_READ, &h) != nil {
		return ""
	}
	defer syscall.RegCloseKey(h)
	buf := make([]uint16, 1024)
	n := uint32(len(buf) * 2)
	var typ uint32
	if syscall.RegQueryValueEx(h, utf16(name), nil, &typ, (*byte)(unsafe.Pointer(&buf[0])), &n) != nil || typ != syscall.REG_SZ {
		return ""
	}
	return syscall.UTF16ToString(buf[:n/2])
}

// deleteKey deletes the state key and then its parent, which RegDeleteKey
// refuses while the other role's state is in it.
func deleteKey(key string) {
	regDeleteKeyW.Call(uintptr(syscall.HKEY_LOCAL_MACHINE), uintptr(unsafe.Pointer(utf16(key))))
	if parent := filepath.Dir(key); parent != "." && parent != key {
		regDeleteKeyW.Call(uintptr(syscall.HKEY_LOCAL_MACHINE), uintptr(unsafe.Pointer(utf16(parent))))
	}
}
