package msi

import (
	"context"
	"fmt"

	"github.com/msiforge/msiforge/internal/execx"
	"github.com/msiforge/msiforge/internal/msi"
)

// wixl 0.101 and msibuild (libmsi) store the database strings in the code
// page of the build host's locale, not the one the WiX source asks for:
// Product/@Codepage only sets the summary information's code page, and the
// string pool header says 0 (the target's ANSI code page). libmsi asks
// libgsf for "the" Windows code page (gsf_msole_iconv_win_codepage), which
// reads the WINDOWS_LANGUAGE environment variable before the locale. So
// msiforge runs wixl with WINDOWS_LANGUAGE naming a language of the
// package's code page (the strings come out encoded in it whatever the
// host's locale), then imports _ForceCodepage to record the code page in
// the string pool header, as Windows Installer needs to read the strings
// back ("Code Page Handling (Windows Installer)":
// https://learn.microsoft.com/en-us/windows/win32/msi/code-page-handling-windows-installer-).
// Measured with every code page below: the names read back intact.
var windowsLanguage = map[int]string{
	874: "th_TH", 932: "ja_JP", 936: "zh_CN", 949: "ko_KR", 950: "zh_TW",
	1250: "pl_PL", 1251: "ru_RU", 1252: "en_US", 1253: "el_GR", 1254: "tr_TR",
	1255: "he_IL", 1256: "ar_SA", 1257: "lt_LT", 1258: "vi_VN",
}

// DefaultCodepage is the code page of a job that names none.
const DefaultCodepage = 1252

// libmsiEnv is the environment that makes libmsi encode strings in
// codepage.
func libmsiEnv(codepage int) ([]string, error) {
	lang, ok := windowsLanguage[codepage]
	if !ok {
		return nil, fmt.Errorf("code page %d is not one msiforge can build with wixl", codepage)
	}
	return []string{"WINDOWS_LANGUAGE=" + lang}, nil
}

// FixCodepage records codepage in the string pool header. It must be the
// first fix: every msibuild run before it would re-encode the strings in
// the host locale's code page. Batched with the other fixes (ApplyFixes),
// its import is the first option of the one msibuild run, which runs with
// its WINDOWS_LANGUAGE, so the statements after it store their strings in
// codepage too.
func FixCodepage(codepage int) Fix {
	return Fix{
		Name: fmt.Sprintf("database code page %d", codepage),
		Edit: func(string) (Edit, error) {
			env, err := libmsiEnv(codepage)
			if err != nil {
				return Edit{}, err
			}
			return Edit{
				Steps: []Step{{Import: "_ForceCodepage", Text: fmt.Appendf(nil, "\r\n\r\n%d\t_ForceCodepage\r\n", codepage)}},
				Env:   env,
			}, nil
		},
		Check: func(_ context.Context, _ execx.Runner, path string) error {
			f, err := msi.Open(path)
			if err != nil {
				return err
			}
			defer f.Close()
			got, err := f.Codepage()
			if err != nil {
				return err
			}
			if got != codepage {
				return fmt.Errorf("the string pool's code page is %d, want %d", got, codepage)
			}
			return nil
		},
	}
}
