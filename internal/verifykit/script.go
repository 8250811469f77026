package verifykit

import (
	"fmt"
	"github.com/msiforge/msiforge/wix"
	"sort"
	"strings"

	"github.com/msiforge/msiforge/internal/matrix"
)

// The results file, one record a line (see Parse):
//
//	kit 1
//	host windows|wine
//	scenario ID
//	setup N EXIT
//	before|after value HIVE NAME=DATA
//	before|after run HIVE yes|no
//	before|after file HIVE yes|no
//	before|after product CODE per-user|per-machine
//	before|after arp CODE HIVE
//	step EXIT
//	end ID
//	skipped ID REASON
//
// HIVE is HKCU, HKLM (64-bit view) or HKLM32 (WOW6432Node).

// hives are where the settings and Run values of a product may be, with
// the key prefix reg.exe reads them under.
var hives = []struct{ name, prefix string }{
	{"HKCU", `HKCU\Software\`},
	{"HKLM", `HKLM\Software\`},
	{"HKLM32", `HKLM\Software\WOW6432Node\`},
}

// Script renders the kit's cmd script. It uses only cmd built-ins,
// msiexec and reg.exe (no PowerShell, no WMI: Win32_Product reconfigures
// every installed product it enumerates), so that it runs under Wine too.
func Script(exp *Expected) string {
	var b strings.Builder
	w := func(format string, a ...any) { fmt.Fprintf(&b, format+"\r\n", a...) }
	w("@echo off")
	w("rem msiforge verification kit: plays the lifecycle scenarios of")
	w("rem `msiforge matrix --scenarios` with msiexec and records what each ends with.")
	w("rem Run it elevated on a Windows test machine; it installs and uninstalls.")
	w("setlocal EnableExtensions EnableDelayedExpansion")
	w(`set "KIT=%%~dp0"`)
	w(`set "OUT=%%KIT%%%s"`, ResultsName)
	w(`set "WINE=0"`)
	w(`reg query HKLM\Software\Wine >nul 2>&1 && set "WINE=1"`)
	w(`>"%%OUT%%" echo kit %d`, Format)
	w(`if "%%WINE%%"=="1" (>>"%%OUT%%" echo host wine) else (>>"%%OUT%%" echo host windows)`)
	var codes []string
	seen := map[string]bool{}
	for _, sub := range exp.Subjects {
		names := make([]string, 0, len(sub.Packages))
		for n := range sub.Packages {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			if c := sub.Packages[n].ProductCode; !seen[c] {
				seen[c] = true
				codes = append(codes, c)
			}
		}
	}
	for i, sc := range exp.Scenarios {
		if sc.Skip != "" {
			w(`>>"%%OUT%%" echo skipped %s %s`, sc.ID, esc(sc.Skip))
			continue
		}
		sub := subjectOf(exp, sc.Subject)
		w("")
		w("rem %s: %s", sc.ID, pct(sc.Rule))
		w(`echo msiforge verify-kit: %s`, sc.ID)
		w("call :clean_%s", sub.Name)
		w(`>>"%%OUT%%" echo scenario %s`, sc.ID)
		perMachine := false
		for j, st := range sc.Setup {
			runStep(w, sub, st, perMachine, false, fmt.Sprintf("%d_%d", i, j))
			w(`>>"%%OUT%%" echo setup %d !RC!`, j+1)
			perMachine = strings.Contains(strings.Join(st.Props, " "), matrix.PropAllUsers+"=1")
		}
		w("call :state_%s before", sub.Name)
		runStep(w, sub, sc.Step, perMachine, sc.ViaEXE, fmt.Sprintf("%d", i))
		w(`>>"%%OUT%%" echo step !RC!`)
		w("call :state_%s after", sub.Name)
		w(`>>"%%OUT%%" echo end %s`, sc.ID)
	}
	w("")
	for _, sub := range exp.Subjects {
		w("call :clean_%s", sub.Name)
	}
	w(`echo msiforge verify-kit: results in %%OUT%%`)
	w("exit /b 0")
	// Wine 8's cmd runs the right side of && and || whatever the exit
	// code when it carries a redirection, ignores a redirection after a
	// parenthesised block, and does not substitute FOR variables in a
	// multi-line block (measured): the script keeps to one command per
	// line, exit codes through a variable, and redirections in front.
	w("")
	w(":val")
	w("rem %%1 before/after, %%2 hive, %%3 name, %%4 type, %%5 data (one line of reg query)")
	// (Wine's cmd has no !VAR:~0,4! substrings.)
	for _, t := range []string{"REG_SZ", "REG_EXPAND_SZ", "REG_DWORD", "REG_QWORD", "REG_MULTI_SZ", "REG_BINARY"} {
		w(`if "%%~4"=="%s" goto val_ok`, t)
	}
	w("goto :eof")
	w(":val_ok")
	w(`set "V=%%~5"`)
	w(`>>"%%OUT%%" echo %%1 value %%2 %%~3=!V!`)
	w(`if /i "%%~3"=="InstallDir" set "DIR_%%2=!V!"`)
	w("goto :eof")
	w("")
	w(":ifkey")
	w("rem %%1 key; %%2... the line to record when it exists")
	w(`reg query %%1 >nul 2>&1`)
	w(`set "E=!errorlevel!"`)
	w(`if "!E!"=="0" >>"%%OUT%%" echo %%2 %%3 %%4 %%5`)
	w("goto :eof")
	w("")
	w(":ifprod")
	w("rem %%1 key; %%2... the msiexec arguments that uninstall the product when the key exists")
	w(`reg query %%1 >nul 2>&1`)
	w(`set "E=!errorlevel!"`)
	w(`if "!E!"=="0" start "" /wait msiexec %%2 %%3 %%4 %%5`)
	w("goto :eof")
	for _, sub := range exp.Subjects {
		w("")
		w(":clean_%s", sub.Name)
		w("rem Back to a clean machine: uninstall every product the kit knows, in each context, then remove what may be left.")
		for _, c := range codes {
			sq := wix.PackedGUID(c)
			w(`call :ifprod "HKCU\Software\Microsoft\Installer\Products\%s" /x %s /qn`, sq, c)
			w(`call :ifprod "HKLM\Software\Classes\Installer\Products\%s" /x %s /qn ALLUSERS=1`, sq, c)
		}
		for _, h := range hives {
			w(`reg delete "%s%s" /f >nul 2>&1`, h.prefix, pct(strings.TrimPrefix(sub.SettingsKey, `Software\`)))
			w(`reg delete "%sMicrosoft\Windows\CurrentVersion\Run" /v "%s" /f >nul 2>&1`, h.prefix, pct(sub.RunValue))
			w(`set "DIR_%s="`, h.name)
		}
		w("goto :eof")
		w("")
		w(":state_%s", sub.Name)
		w("rem %%1 is before or after. DIR_<hive> keeps the InstallDir seen last, so that the files of a removed product are still looked for.")
		for _, h := range hives {
			key := h.prefix + strings.TrimPrefix(sub.SettingsKey, `Software\`)
			w(`for /f "tokens=1,2,*" %%%%a in ('reg query "%s" 2^>nul') do call :val %%1 %s "%%%%a" "%%%%b" "%%%%c"`, pct(key), h.name)
			w(`reg query "%sMicrosoft\Windows\CurrentVersion\Run" /v "%s" >nul 2>&1`, h.prefix, pct(sub.RunValue))
			w(`set "E=!errorlevel!"`)
			w(`if "!E!"=="0" >>"%%OUT%%" echo %%1 run %s yes`, h.name)
			w(`if not "!E!"=="0" >>"%%OUT%%" echo %%1 run %s no`, h.name)
			w(`set "F=no"`)
			w(`if defined DIR_%s if exist "!DIR_%s!%s" set "F=yes"`, h.name, h.name, pct(sub.ExeName))
			w(`if defined DIR_%s >>"%%OUT%%" echo %%1 file %s !F!`, h.name, h.name)
		}
		// The context comes from Installer\Products (per-user products
		// under HKCU, per-machine ones under HKLM\Software\Classes): Wine
		// writes every Uninstall key under HKLM, Windows a per-user one
		// under HKCU. Each key is listed once (a reg.exe run costs more
		// than the comparisons) and its subkeys matched in :key_<subject>.
		lists := []struct{ key, kind, tail string }{
			{`HKCU\Software\Microsoft\Installer\Products`, "product", "per-user"},
			{`HKLM\Software\Classes\Installer\Products`, "product", "per-machine"},
		}
		for _, h := range hives {
			lists = append(lists, struct{ key, kind, tail string }{h.prefix + `Microsoft\Windows\CurrentVersion\Uninstall`, "arp", h.name})
		}
		for _, l := range lists {
			w(`for /f "delims=" %%%%k in ('reg query "%s" 2^>nul') do call :key_%s %%1 %s %s "%%%%k"`, l.key, sub.Name, l.kind, l.tail)
		}
		w("goto :eof")
		w("")
		w(":key_%s", sub.Name)
		w("rem %%1 before/after, %%2 product or arp, %%3 per-user/per-machine or the hive, %%4 a line of reg query: a subkey's path")
		for _, c := range codes {
			w(`if /i "%%2"=="product" if /i "%%~nx4"=="%s" >>"%%OUT%%" echo %%1 product %s %%3`, wix.PackedGUID(c), c)
			w(`if /i "%%2"=="arp" if /i "%%~nx4"=="%s" >>"%%OUT%%" echo %%1 arp %s %%3`, c, c)
		}
		w("goto :eof")
	}
	return b.String()
}

func subjectOf(exp *Expected, name string) Subject {
	for _, s := range exp.Subjects {
		if s.Name == name {
			return s
		}
	}
	return Subject{}
}

// esc keeps a value literal inside the script: % doubled; characters cmd
// treats specially outside quotes are escaped with ^ where they can occur
// in rules and values.
func esc(s string) string {
	s = strings.ReplaceAll(s, "%", "%%")
	return strings.NewReplacer("^", "^^", "&", "^&", "|", "^|", "<", "^<", ">", "^>", "(", "^(", ")", "^)").Replace(s)
}

// pct keeps a value literal inside double quotes, where only % expands.
func pct(s string) string { return strings.ReplaceAll(s, "%", "%%") }

// arg quotes one msiexec argument for cmd.
func arg(s string) string {
	s = strings.ReplaceAll(s, "%", "%%")
	if strings.ContainsAny(s, " &()^|<>") {
		return `"` + s + `"`
	}
	return s
}

// runStep writes the lines that run one step and leave its exit code in
// RC. Under Wine an empty ALLUSERS= must come last and an uninstall of a
// per-machine product needs ALLUSERS=1 (docs/wine-differences.md row 5);
// both forms mean the same to Windows, so the script uses them everywhere.
// Only the repair differs: Wine 8's msiexec /f is not implemented (row
// 10), so under Wine the script runs the reinstall /f stands for.
func runStep(w func(string, ...any), sub Subject, st matrix.Step, perMachine, viaEXE bool, label string) {
	pkg := sub.Packages[st.Package]
	var props []string
	allUsers := ""
	for _, p := range st.Props {
		if strings.HasPrefix(p, matrix.PropAllUsers+"=") {
			allUsers = p
			continue
		}
		if strings.HasPrefix(p, matrix.PropInstallDir+"=") {
			// Wine hands msiexec a backslash before a closing quote
			// doubled; the package accepts the folder without it.
			p = strings.TrimSuffix(p, `\`)
		}
		props = append(props, arg(matrix.OnSystemDrive(p)))
	}
	if allUsers == "" && perMachine && st.Action != matrix.ActInstall {
		allUsers = matrix.PropAllUsers + "=1"
	}
	if allUsers != "" {
		props = append(props, allUsers)
	}
	tail := strings.Join(props, " ")
	if tail != "" {
		tail = " " + tail
	}
	file := `"%KIT%` + pkg.File + `"`
	switch {
	case viaEXE:
		w(`start "" /wait "%%KIT%%setup.exe" /S%s`, tail)
	case st.Action == matrix.ActInstall:
		w(`start "" /wait msiexec /i %s /qn%s`, file, tail)
	case st.Action == matrix.ActUninstall:
		w(`start "" /wait msiexec /x %s /qn%s`, pkg.ProductCode, tail)
	case st.Action == matrix.ActRepair:
		w(`if "%%WINE%%"=="1" goto wine_repair_%s`, label)
		w(`start "" /wait msiexec /f %s /qn`, pkg.ProductCode)
		w(`set "RC=!errorlevel!"`)
		w(`goto done_repair_%s`, label)
		w(`:wine_repair_%s`, label)
		w(`start "" /wait msiexec /i %s /qn REINSTALL=ALL REINSTALLMODE=pecms%s`, file, tail)
		w(`set "RC=!errorlevel!"`)
		w(`:done_repair_%s`, label)
		return
	}
	w(`set "RC=!errorlevel!"`)
}
