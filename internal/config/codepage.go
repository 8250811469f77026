package config

import (
	"fmt"
	"sort"
	"strings"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/japanese"
	"golang.org/x/text/encoding/korean"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/traditionalchinese"
)

// DefaultLanguage is product.language when the config gives none: U.S.
// English, whose ANSI code page is 1252.
const DefaultLanguage = 1033

// Codepage is a Windows ANSI code page a package's strings are stored in.
// Windows Installer keeps every string of the database in one string pool
// encoded in the database code page, and the summary information in its
// own code page; a character the code page cannot hold cannot be stored
// ("Code Page Handling (Windows Installer)":
// https://learn.microsoft.com/en-us/windows/win32/msi/code-page-handling-windows-installer-).
type Codepage struct {
	ID   int    // 1252, 932, ...
	Name string // "Western European"
	enc  encoding.Encoding
}

// String is "1252 (Western European)".
func (c Codepage) String() string { return fmt.Sprintf("%d (%s)", c.ID, c.Name) }

// Holds reports whether the code page can store r: it encodes, and decodes
// back to the same character (a best-fit mapping such as ¥ to '\' in
// code page 932 would change the text).
func (c Codepage) Holds(r rune) bool {
	if r < 0x80 {
		return true
	}
	b, err := c.enc.NewEncoder().Bytes([]byte(string(r)))
	if err != nil {
		return false
	}
	back, err := c.enc.NewDecoder().Bytes(b)
	return err == nil && string(back) == string(r)
}

// Codepages are the ANSI code pages msiforge builds packages in, by
// identifier ("Code Page Identifiers":
// https://learn.microsoft.com/en-us/windows/win32/intl/code-page-identifiers).
// The encoders are golang.org/x/text's; for the double-byte code pages they
// follow the WHATWG Encoding Standard's tables, which are Microsoft's
// (Shift_JIS is code page 932, GBK 936, EUC-KR with the Unified Hangul
// Code extension 949, Big5 950).
var Codepages = map[int]Codepage{
	874:  {874, "Thai", charmap.Windows874},
	932:  {932, "Japanese", japanese.ShiftJIS},
	936:  {936, "Simplified Chinese", simplifiedchinese.GBK},
	949:  {949, "Korean", korean.EUCKR},
	950:  {950, "Traditional Chinese", traditionalchinese.Big5},
	1250: {1250, "Central European", charmap.Windows1250},
	1251: {1251, "Cyrillic", charmap.Windows1251},
	1252: {1252, "Western European", charmap.Windows1252},
	1253: {1253, "Greek", charmap.Windows1253},
	1254: {1254, "Turkish", charmap.Windows1254},
	1255: {1255, "Hebrew", charmap.Windows1255},
	1256: {1256, "Arabic", charmap.Windows1256},
	1257: {1257, "Baltic", charmap.Windows1257},
	1258: {1258, "Vietnamese", charmap.Windows1258},
}

// Language is one product.language value msiforge knows: a Windows
// language identifier (LCID) and the ANSI code page of that language.
type Language struct {
	LCID     int
	Tag      string // BCP 47 tag, for messages
	Codepage int
}

// Languages maps the LCIDs msiforge accepts to their ANSI code page, as
// Windows Installer's localisation table lists them ("Localizing the Error
// and ActionText Tables", columns Language / LANGID / ANSI code page:
// https://learn.microsoft.com/en-us/windows/win32/msi/localizing-the-error-and-actiontext-tables;
// the identifiers are [MS-LCID]'s:
// https://learn.microsoft.com/en-us/openspecs/windows_protocols/ms-lcid/).
var Languages = map[int]Language{}

func init() {
	for cp, list := range map[int]string{
		874:  "1054 th-TH",
		932:  "1041 ja-JP",
		936:  "2052 zh-CN, 4100 zh-SG",
		949:  "1042 ko-KR",
		950:  "1028 zh-TW, 3076 zh-HK, 5124 zh-MO",
		1250: "1029 cs-CZ, 1038 hu-HU, 1045 pl-PL, 1048 ro-RO, 1050 hr-HR, 1051 sk-SK, 1052 sq-AL, 1060 sl-SI, 2074 sr-Latn-CS, 5146 bs-Latn-BA",
		1251: "1026 bg-BG, 1049 ru-RU, 1058 uk-UA, 1059 be-BY, 1071 mk-MK, 1087 kk-KZ, 3098 sr-Cyrl-CS",
		1252: "1027 ca-ES, 1030 da-DK, 1031 de-DE, 1033 en-US, 1034 es-ES_tradnl, 1035 fi-FI, 1036 fr-FR, 1039 is-IS, 1040 it-IT, 1043 nl-NL, 1044 nb-NO, 1046 pt-BR, 1053 sv-SE, 1057 id-ID, 1069 eu-ES, 1078 af-ZA, 1086 ms-MY, 1110 gl-ES, 2055 de-CH, 2057 en-GB, 2058 es-MX, 2060 fr-BE, 2064 it-CH, 2067 nl-BE, 2068 nn-NO, 2070 pt-PT, 3079 de-AT, 3081 en-AU, 3082 es-ES, 3084 fr-CA, 4105 en-CA, 4108 fr-CH, 5129 en-NZ, 6153 en-IE",
		1253: "1032 el-GR",
		1254: "1055 tr-TR, 1068 az-Latn-AZ",
		1255: "1037 he-IL",
		1256: "1025 ar-SA, 1056 ur-PK, 1065 fa-IR, 3073 ar-EG",
		1257: "1061 et-EE, 1062 lv-LV, 1063 lt-LT",
		1258: "1066 vi-VN",
	} {
		for _, e := range strings.Split(list, ", ") {
			var l Language
			if _, err := fmt.Sscanf(e, "%d %s", &l.LCID, &l.Tag); err != nil {
				panic("config: bad language entry " + e)
			}
			l.Codepage = cp
			Languages[l.LCID] = l
		}
	}
}

// Codepage is the code page of the package: the ANSI code page of
// product.language.
func (c *Config) Codepage() Codepage {
	return Codepages[Languages[c.Product.Language].Codepage]
}

// codepagesHolding lists the code pages that can store r, for a message:
// the single-byte ones first (a character's own alphabet), then the
// double-byte ones, which hold many alphabets besides their own.
func codepagesHolding(r rune) []Codepage {
	var out []Codepage
	for _, cp := range Codepages {
		if cp.Holds(r) {
			out = append(out, cp)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		di, dj := doubleByte(out[i].ID), doubleByte(out[j].ID)
		if di != dj {
			return dj
		}
		return out[i].ID < out[j].ID
	})
	return out
}

func doubleByte(cp int) bool { return cp >= 932 && cp <= 950 }

// typicalLanguage is the language a hint suggests for a code page.
var typicalLanguage = map[int]int{
	874: 1054, 932: 1041, 936: 2052, 949: 1042, 950: 1028, 1250: 1045, 1251: 1049,
	1252: 1033, 1253: 1032, 1254: 1055, 1255: 1037, 1256: 1025, 1257: 1063, 1258: 1066,
}

// languageList is the accepted LCIDs, for the product.language message.
func languageList() string {
	ids := make([]int, 0, len(Languages))
	for id := range Languages {
		ids = append(ids, id)
	}
	sort.Ints(ids)
	parts := make([]string, len(ids))
	for i, id := range ids {
		parts[i] = fmt.Sprintf("%d %s", id, Languages[id].Tag)
	}
	return strings.Join(parts, ", ")
}
