package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"unsafe"
)

var (
	advapi32        = syscall.NewLazyDLL("advapi32.dll")
	regCreateKeyExW = advapi32.NewProc("RegCreateKeyExW")
	regSetValueExW  = advapi32.NewProc("RegSetValueExW")
	regDeleteKeyW   = advapi32.NewProc("RegDeleteKeyW")

	setupapi                = syscall.NewLazyDLL("setupapi.dll")
	setupDiGetINFClassW     = setupapi.NewProc("SetupDiGetINFClassW")
	setupDiCreateDevInfoLst = setupapi.NewProc("SetupDiCreateDeviceInfoList")
	setupDiCreateDevInfoW   = setupapi.NewProc("SetupDiCreateDeviceInfoW")
	setupDiSetDevRegPropW   = setupapi.NewProc("SetupDiSetDeviceRegistryPropertyW")
	setupDiGetDevRegPropW   = setupapi.NewProc("SetupDiGetDeviceRegistryPropertyW")
	setupDiCallClassInst    = setupapi.NewProc("SetupDiCallClassInstaller")
	setupDiGetClassDevsW    = setupapi.NewProc("SetupDiGetClassDevsW")
	setupDiEnumDevInfo      = setupapi.NewProc("SetupDiEnumDeviceInfo")
	setupDiGetDevInstIdW    = setupapi.NewProc("SetupDiGetDeviceInstanceIdW")
	setupDiOpenDevInfoW     = setupapi.NewProc("SetupDiOpenDeviceInfoW")
	setupDiDestroyDevInfoL  = setupapi.NewProc("SetupDiDestroyDeviceInfoList")
	newdev                  = syscall.NewLazyDLL("newdev.dll")
	updateDriverForPnP      = newdev.NewProc("UpdateDriverForPlugAndPlayDevicesW")
)

// SetupAPI constants (setupapi.h, newdev.h).
const (
	dicdGenerateID     = 1
	spdrpHardwareID    = 1
	difRegisterDevice  = 0x19
	difRemove          = 5
	digcfAllClasses    = 4
	installFlagForce   = 1
	invalidHandleValue = ^uintptr(0)
)

type spDevinfoData struct {
	cbSize    uint32
	classGUID syscall.GUID
	devInst   uint32
	reserved  uintptr
}

func newDevinfo() spDevinfoData {
	var d spDevinfoData
	d.cbSize = uint32(unsafe.Sizeof(d))
	return d
}

// deviceWithID returns the instance ID of a device whose hardware IDs
// include hwid, or "".
func deviceWithID(hwid string) string {
	set, _, _ := setupDiGetClassDevsW.Call(0, 0, 0, digcfAllClasses)
	if set == invalidHandleValue {
		return ""
	}
	defer setupDiDestroyDevInfoL.Call(set)
	for i := 0; ; i++ {
		d := newDevinfo()
		if r, _, _ := setupDiEnumDevInfo.Call(set, uintptr(i), uintptr(unsafe.Pointer(&d))); r == 0 {
			return ""
		}
		buf := make([]uint16, 4096)
		var typ, need uint32
		if r, _, _ := setupDiGetDevRegPropW.Call(set, uintptr(unsafe.Pointer(&d)), spdrpHardwareID, uintptr(unsafe.Pointer(&typ)),
			uintptr(unsafe.Pointer(&buf[0])), uintptr(len(buf)*2), uintptr(unsafe.Pointer(&need))); r == 0 {
			continue
		}
		for _, id := range splitMultiSZ(buf) {
			if strings.EqualFold(id, hwid) {
				return instanceID(set, &d)
			}
		}
	}
}

func splitMultiSZ(buf []uint16) []string {
	var out []string
	for start, i := 0, 0; i < len(buf); i++ {
		if buf[i] == 0 {
			if i == start {
				break
			}
			out = append(out, syscall.UTF16ToString(buf[start:i]))
			start = i + 1
		}
	}
	return out
}

func instanceID(set uintptr, d *spDevinfoData) string {
	buf := make([]uint16, 512)
	var need uint32
	if r, _, _ := setupDiGetDevInstIdW.Call(set, uintptr(unsafe.Pointer(d)), uintptr(unsafe.Pointer(&buf[0])), uintptr(len(buf)), uintptr(unsafe.Pointer(&need))); r == 0 {
		return ""
	}
	return syscall.UTF16ToString(buf)
}

// createDevice creates the root-enumerated device node for hwid in the
// INF's class and installs the driver on it: SetupDiCreateDeviceInfo,
// DIF_REGISTERDEVICE, UpdateDriverForPlugAndPlayDevices. It returns the
// new device's instance ID and whether a reboot is needed.
// https://learn.microsoft.com/windows-hardware/drivers/install/installing-a-root-enumerated-device
func createDevice(inf, hwid string) (string, bool, error) {
	var guid syscall.GUID
	class := make([]uint16, 64)
	if r, _, err := setupDiGetINFClassW.Call(uintptr(unsafe.Pointer(utf16(inf))), uintptr(unsafe.Pointer(&guid)),
		uintptr(unsafe.Pointer(&class[0])), uintptr(len(class)), 0); r == 0 {
		return "", false, fmt.Errorf("SetupDiGetINFClass: %v", err)
	}
	set, _, err := setupDiCreateDevInfoLst.Call(uintptr(unsafe.Pointer(&guid)), 0)
	if set == invalidHandleValue {
		return "", false, fmt.Errorf("SetupDiCreateDeviceInfoList: %v", err)
	}
	defer setupDiDestroyDevInfoL.Call(set)
	d := newDevinfo()
	if r, _, err := setupDiCreateDevInfoW.Call(set, uintptr(unsafe.Pointer(&class[0])), uintptr(unsafe.Pointer(&guid)), 0, 0,
		dicdGenerateID, uintptr(unsafe.Pointer(&d))); r == 0 {
		return "", false, fmt.Errorf("SetupDiCreateDeviceInfo: %v", err)
	}
	ids, _ := syscall.UTF16FromString(hwid)
	ids = append(ids, 0) // REG_MULTI_SZ
	if r, _, err := setupDiSetDevRegPropW.Call(set, uintptr(unsafe.Pointer(&d)), spdrpHardwareID,
		uintptr(unsafe.Pointer(&ids[0])), uintptr(len(ids)*2)); r == 0 {
		return "", false, fmt.Errorf("SetupDiSetDeviceRegistryProperty: %v", err)
	}
	if r, _, err := setupDiCallClassInst.Call(difRegisterDevice, set, uintptr(unsafe.Pointer(&d))); r == 0 {
		return "", false, fmt.Errorf("DIF_REGISTERDEVICE: %v", err)
	}
	id := instanceID(set, &d)
	var reboot int32
	if r, _, err := updateDriverForPnP.Call(0, uintptr(unsafe.Pointer(utf16(hwid))), uintptr(unsafe.Pointer(utf16(inf))),
		installFlagForce, uintptr(unsafe.Pointer(&reboot))); r == 0 {
		setupDiCallClassInst.Call(difRemove, set, uintptr(unsafe.Pointer(&d)))
		return "", false, fmt.Errorf("UpdateDriverForPlugAndPlayDevices: %v", err)
	}
	return id, reboot != 0, nil
}

// removeDevice removes the device node with instance ID id (DIF_REMOVE).
func removeDevice(id string) error {
	set, _, err := setupDiCreateDevInfoLst.Call(0, 0)
	if set == invalidHandleValue {
		return fmt.Errorf("SetupDiCreateDeviceInfoList: %v", err)
	}
	defer setupDiDestroyDevInfoL.Call(set)
	d := newDevinfo()
	if r, _, err := setupDiOpenDevInfoW.Call(set, uintptr(unsafe.Pointer(utf16(id))), 0, 0, uintptr(unsafe.Pointer(&d))); r == 0 {
		return fmt.Errorf("SetupDiOpenDeviceInfo %s: %v", id, err)
	}
	if r, _, err := setupDiCallClassInst.Call(difRemove, set, uintptr(unsafe.Pointer(&d))); r == 0 {
		return fmt.Errorf("DIF_REMOVE %s: %v", id, err)
	}
	return nil
}

func run(args []string) int {
	if len(args) != 3 && !(len(args) == 4 && (args[0] == "remove" || args[0] == "add")) {
		logf("usage: msiforge-vschelper add INF STATEKEY [HWID] | rollback INF STATEKEY | remove INF STATEKEY [OTHER]")
		return 87 // ERROR_INVALID_PARAMETER
	}
	verb, inf, key := args[0], args[1], args[2]
	if len(args) == 4 && verb == "remove" && args[3] != "" {
		// The other VSC package is installed and uses the same driver
		// package: forget this one's record, leave the driver.
		logf("remove: the other VSC package (%s) still uses the driver; left in the store", args[3])
		deleteKey(key)
		return 0
	}
	infDir := filepath.Join(os.Getenv("SystemRoot"), "INF")
	switch verb {
	case "add":
		hwid := ""
		if len(args) == 4 {
			hwid = args[3]
		}
		return add(infDir, inf, key, hwid)
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

func add(infDir, inf, key, hwid string) int {
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
	// pnputil installs the driver on existing devices; a root-enumerated
	// reader has none on a clean machine: create its device node, unless
	// one with the hardware ID is there (an upgrade, the other role).
	var devErr error
	st["DeviceCreated"] = "0"
	if hwid != "" {
		st["HardwareID"] = hwid
	}
	if ok && hwid != "" {
		if id := deviceWithID(hwid); id != "" {
			logf("device %s with hardware ID %s exists; pnputil updated it", id, hwid)
		} else {
			id, r, err := createDevice(inf, hwid)
			if err == nil {
				st["DeviceInstanceId"], st["DeviceCreated"] = id, "1"
				reboot = reboot || r
				logf("created device %s (%s) and installed the driver on it", id, hwid)
			}
			devErr = err
		}
	}
	if err := writeState(key, st, reboot); err != nil {
		logf("record the driver state under HKLM\\%s: %v", key, err)
		if ok {
			return 1
		}
	}
	if devErr != nil {
		logf("create the device node for %s: %v", hwid, devErr)
		return 1
	}
	if !ok {
		logf("pnputil /add-driver %s /install exited with code %d", inf, code)
		if code <= 0 {
			return 1
		}
		return code
	}
	if reboot {
		logf("a reboot is needed to finish the driver install (pnputil code %d; recorded as RebootRequired)", code)
	}
	logf("driver package %s added (pnputil code %d)", name, code)
	return 0
}

// remove deletes the driver package add recorded. On rollback it leaves a
// package that was in the store before add (an upgrade, or the other VSC
// package's). Its exit codes are informational: the actions ignore them.
func remove(verb, infDir, inf, key string) int {
	name, pre := readState(key, "PublishedName"), readState(key, "PreExisting") == "1"
	// The device node goes first, then the driver package. The rollback
	// removes only a node its add created; the uninstall, the last user
	// of the driver, the recorded node or else any with the hardware ID
	// (the other role's package created it).
	dev := readState(key, "DeviceInstanceId")
	switch {
	case verb == "rollback" && readState(key, "DeviceCreated") != "1":
		dev = ""
	case verb == "remove" && dev == "" && readState(key, "HardwareID") != "":
		dev = deviceWithID(readState(key, "HardwareID"))
	}
	if dev != "" {
		if err := removeDevice(dev); err != nil {
			logf("%s: %v", verb, err)
		} else {
			logf("%s: removed device %s", verb, dev)
		}
	}
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
