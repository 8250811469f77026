// Package catalog reads, checks and writes Windows security catalogs
// (.cat): a PKCS#7 SignedData whose content is a certificate trust list
// (szOID_CTL, 1.3.6.1.4.1.311.10.1) naming, per member file, its hash and
// attributes. A driver package's catalog must list the INF's flat-file hash
// and each PE file's Authenticode image hash; Windows checks the files
// against it at install and load time. The layout follows what makecat and
// inf2cat write (as read by osslsigncode and relic); Windows' own acceptance
// of the catalogs this package writes is not tested here (no Windows host).
package catalog

import (
	"bytes"
	"crypto"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"time"
	"unicode/utf16"

	"github.com/sassoftware/relic/v8/lib/pkcs7"
)

// Object identifiers of the catalog format (wincrypt.h / mssip.h).
var (
	oidCTL             = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 311, 10, 1}
	oidCatalogList     = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 311, 12, 1, 1}
	oidMemberV1        = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 311, 12, 1, 2} // SHA-1 catalogs
	oidMemberV2        = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 311, 12, 1, 3} // SHA-256 catalogs
	oidNameValue       = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 311, 12, 2, 1}
	oidMemberInfo      = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 311, 12, 2, 2}
	oidMemberInfoV2    = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 311, 12, 2, 3}
	oidIndirectData    = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 311, 2, 1, 4}
	oidPEImageData     = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 311, 2, 1, 15}
	oidCabData         = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 311, 2, 1, 25} // flat files in catalogs
	oidSHA1            = asn1.ObjectIdentifier{1, 3, 14, 3, 2, 26}
	oidSHA256          = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 1}
	oidSignedData      = pkcs7.OidSignedData
	catalogAttrFlags   = 0x10010001 // CRYPTCAT_ATTR_AUTHENTICATED|NAMEASCII|DATAASCII, as inf2cat writes
	obsolete           = "<<<Obsolete>>>"
	errNotCatalogShort = errors.New("not a catalog")
)

// SIP GUIDs: which subject interface package hashes a member.
const (
	SIPPE   = "{C689AAB8-8E78-11D0-8C47-00C04FC295EE}" // PE images: Authenticode image hash
	SIPFlat = "{DE351A42-8E59-11D0-8C47-00C04FC295EE}" // any other file: hash of all its bytes
	SIPCAB  = "{C689AABA-8E78-11D0-8C47-00C04FC295EE}" // cabinet files
)

// ErrNotCatalog: the file is not a PKCS#7 SignedData holding a certificate
// trust list.
var ErrNotCatalog = errNotCatalogShort

// Kind says how a member's hash was computed.
type Kind string

const (
	KindPE   Kind = "pe"   // Authenticode PE image hash
	KindFlat Kind = "flat" // hash of the whole file
)

// Member is one file listed in a catalog.
type Member struct {
	Tag    []byte // the CTL subject identifier
	Kind   Kind
	SIP    string            // SIP GUID from the member info, if present
	Hash   crypto.Hash       // digest algorithm of the indirect data
	Digest []byte            // the file's hash
	Attrs  map[string]string // name/value attributes, e.g. File, OSAttr

	indirect bool // the hash came from SPC_INDIRECT_DATA, not the bare tag
}

// File returns the member's File attribute (its file name), or "".
func (m Member) File() string { return m.Attrs["File"] }

// Catalog is a parsed catalog.
type Catalog struct {
	Version    int         // 1 (szOID_CATALOG_LIST_MEMBER) or 2 (..._MEMBER2)
	Hash       crypto.Hash // the members' digest algorithm
	ListID     []byte
	Updated    time.Time
	Members    []Member
	Attrs      map[string]string // catalog attributes, e.g. OS, HWID1
	SignedData *pkcs7.ContentInfoSignedData
	Signed     bool // has at least one SignerInfo
}

// ASN.1 shapes. certTrustList is CTL_INFO (wincrypt.h): version and
// sequence number are optional integers, nextUpdate an optional time.
type certTrustList struct {
	Version          int `asn1:"optional,default:0"`
	SubjectUsage     []asn1.ObjectIdentifier
	ListIdentifier   []byte   `asn1:"optional"`
	SequenceNumber   *big.Int `asn1:"optional"`
	ThisUpdate       time.Time
	NextUpdate       time.Time `asn1:"optional"`
	SubjectAlgorithm pkix.AlgorithmIdentifier
	Entries          []trustEntry     `asn1:"optional"`
	Extensions       []pkix.Extension `asn1:"optional,explicit,tag:0"`
}

type trustEntry struct {
	Tag   []byte
	Attrs []attribute `asn1:"set"`
}

type attribute struct {
	Type   asn1.ObjectIdentifier
	Values asn1.RawValue // SET OF ANY
}

type nameValue struct {
	Name  asn1.RawValue // BMPString
	Flags int
	Value []byte // UTF-16LE, NUL-terminated
}

type memberInfoV1 struct {
	SIP     asn1.RawValue // BMPString GUID
	Version int
}

type indirectData struct {
	Data   typeValue
	Digest digestInfo
}

type typeValue struct {
	Type  asn1.ObjectIdentifier
	Value asn1.RawValue `asn1:"optional"`
}

type digestInfo struct {
	Algorithm pkix.AlgorithmIdentifier
	Digest    []byte
}

// Parse reads a catalog. A file that is not a PKCS#7 SignedData with CTL
// content yields an error wrapping ErrNotCatalog.
func Parse(blob []byte) (*Catalog, error) {
	if len(blob) == 0 || blob[0] != 0x30 {
		head := blob[:min(len(blob), 16)]
		return nil, fmt.Errorf("%w: the file does not start with a DER SEQUENCE (PKCS#7) but with %q", ErrNotCatalog, head)
	}
	var psd pkcs7.ContentInfoSignedData
	rest, err := asn1.Unmarshal(blob, &psd)
	if err != nil {
		return nil, fmt.Errorf("%w: not DER PKCS#7 (%v)", ErrNotCatalog, err)
	}
	if len(bytes.TrimRight(rest, "\x00")) != 0 {
		return nil, fmt.Errorf("%w: %d bytes after the PKCS#7 structure", ErrNotCatalog, len(rest))
	}
	if !psd.ContentType.Equal(oidSignedData) {
		return nil, fmt.Errorf("%w: PKCS#7 content type %v, want SignedData %v", ErrNotCatalog, psd.ContentType, oidSignedData)
	}
	if !psd.Content.ContentInfo.ContentType.Equal(oidCTL) {
		return nil, fmt.Errorf("%w: SignedData holds %v, want a certificate trust list (szOID_CTL %v)", ErrNotCatalog, psd.Content.ContentInfo.ContentType, oidCTL)
	}
	var ctl certTrustList
	if err := psd.Content.ContentInfo.Unmarshal(&ctl); err != nil {
		return nil, fmt.Errorf("%w: certificate trust list: %v", ErrNotCatalog, err)
	}
	if len(ctl.SubjectUsage) == 0 || !ctl.SubjectUsage[0].Equal(oidCatalogList) {
		return nil, fmt.Errorf("%w: trust list usage %v, want szOID_CATALOG_LIST %v", ErrNotCatalog, ctl.SubjectUsage, oidCatalogList)
	}
	cat := &Catalog{ListID: ctl.ListIdentifier, Updated: ctl.ThisUpdate, Attrs: map[string]string{},
		SignedData: &psd, Signed: len(psd.Content.SignerInfos) > 0}
	switch alg := ctl.SubjectAlgorithm.Algorithm; {
	case alg.Equal(oidMemberV1):
		cat.Version = 1
	case alg.Equal(oidMemberV2):
		cat.Version = 2
	default:
		return nil, fmt.Errorf("%w: member algorithm %v, want %v or %v", ErrNotCatalog, alg, oidMemberV1, oidMemberV2)
	}
	for _, ext := range ctl.Extensions {
		if !ext.Id.Equal(oidNameValue) {
			continue
		}
		var nv nameValue
		if _, err := asn1.Unmarshal(ext.Value, &nv); err != nil {
			return nil, fmt.Errorf("catalog attribute: %w", err)
		}
		cat.Attrs[bmpString(nv.Name.Bytes)] = utf16le(nv.Value)
	}
	for i, e := range ctl.Entries {
		m, err := parseMember(e)
		if err != nil {
			return nil, fmt.Errorf("catalog member %d: %w", i+1, err)
		}
		if cat.Hash == 0 && m.indirect {
			cat.Hash = m.Hash
		}
		cat.Members = append(cat.Members, m)
	}
	if cat.Hash == 0 {
		cat.Hash = crypto.SHA1
		if cat.Version == 2 {
			cat.Hash = crypto.SHA256
		}
	}
	return cat, nil
}

func parseMember(e trustEntry) (Member, error) {
	m := Member{Tag: e.Tag, Attrs: map[string]string{}}
	for _, a := range e.Attrs {
		vals, err := setMembers(a.Values)
		if err != nil {
			return m, fmt.Errorf("attribute %v: %w", a.Type, err)
		}
		for _, v := range vals {
			switch {
			case a.Type.Equal(oidIndirectData):
				var ind indirectData
				if _, err := asn1.Unmarshal(v, &ind); err != nil {
					return m, fmt.Errorf("SPC_INDIRECT_DATA: %w", err)
				}
				switch alg := ind.Digest.Algorithm.Algorithm; {
				case alg.Equal(oidSHA1):
					m.Hash = crypto.SHA1
				case alg.Equal(oidSHA256):
					m.Hash = crypto.SHA256
				default:
					return m, fmt.Errorf("SPC_INDIRECT_DATA digest algorithm %v: want SHA-1 or SHA-256", alg)
				}
				if len(ind.Digest.Digest) != m.Hash.Size() {
					return m, fmt.Errorf("SPC_INDIRECT_DATA digest is %d bytes, %v needs %d", len(ind.Digest.Digest), m.Hash, m.Hash.Size())
				}
				m.Digest, m.indirect = ind.Digest.Digest, true
				if ind.Data.Type.Equal(oidPEImageData) {
					m.Kind = KindPE
				} else {
					m.Kind = KindFlat
				}
			case a.Type.Equal(oidMemberInfoV2):
				var raw asn1.RawValue
				if _, err := asn1.Unmarshal(v, &raw); err == nil && raw.Class == asn1.ClassContextSpecific && m.SIP == "" {
					m.SIP = map[int]string{0: SIPPE, 1: SIPCAB, 2: SIPFlat}[raw.Tag]
				}
			case a.Type.Equal(oidMemberInfo):
				var mi memberInfoV1
				if _, err := asn1.Unmarshal(v, &mi); err != nil {
					return m, fmt.Errorf("member info: %w", err)
				}
				m.SIP = bmpString(mi.SIP.Bytes)
			case a.Type.Equal(oidNameValue):
				var nv nameValue
				if _, err := asn1.Unmarshal(v, &nv); err != nil {
					return m, fmt.Errorf("name/value attribute: %w", err)
				}
				m.Attrs[bmpString(nv.Name.Bytes)] = utf16le(nv.Value)
			}
		}
	}
	if m.Digest == nil {
		// SHA-1 entries of a v2 catalog may carry no indirect data; the
		// subject identifier is then the hash itself.
		if len(m.Tag) == crypto.SHA1.Size() || len(m.Tag) == crypto.SHA256.Size() {
			m.Digest = m.Tag
			m.Hash = crypto.SHA1
			if len(m.Tag) == crypto.SHA256.Size() {
				m.Hash = crypto.SHA256
			}
		} else {
			return m, errors.New("no SPC_INDIRECT_DATA hash")
		}
	}
	if m.Kind == "" {
		m.Kind = KindFlat
		if strings.EqualFold(m.SIP, SIPPE) {
			m.Kind = KindPE
		}
	}
	return m, nil
}

// setMembers splits a DER SET OF into its elements.
func setMembers(v asn1.RawValue) ([][]byte, error) {
	if v.Tag != asn1.TagSet || v.Class != asn1.ClassUniversal {
		return nil, fmt.Errorf("value is not a SET (tag %d)", v.Tag)
	}
	var out [][]byte
	rest := v.Bytes
	for len(rest) > 0 {
		var e asn1.RawValue
		r, err := asn1.Unmarshal(rest, &e)
		if err != nil {
			return nil, err
		}
		out = append(out, e.FullBytes)
		rest = r
	}
	return out, nil
}

func bmpString(b []byte) string {
	u := make([]uint16, len(b)/2)
	for i := range u {
		u[i] = binary.BigEndian.Uint16(b[2*i:])
	}
	return string(utf16.Decode(u))
}

func utf16le(b []byte) string {
	u := make([]uint16, len(b)/2)
	for i := range u {
		u[i] = binary.LittleEndian.Uint16(b[2*i:])
	}
	for len(u) > 0 && u[len(u)-1] == 0 {
		u = u[:len(u)-1]
	}
	return string(utf16.Decode(u))
}

func toBMP(s string) []byte {
	u := utf16.Encode([]rune(s))
	b := make([]byte, 2*len(u))
	for i, c := range u {
		binary.BigEndian.PutUint16(b[2*i:], c)
	}
	return b
}

func toUTF16LEZ(s string) []byte {
	u := append(utf16.Encode([]rune(s)), 0)
	b := make([]byte, 2*len(u))
	for i, c := range u {
		binary.LittleEndian.PutUint16(b[2*i:], c)
	}
	return b
}

// Find returns the member whose digest is d, or nil.
func (c *Catalog) Find(d []byte) *Member {
	for i := range c.Members {
		if bytes.Equal(c.Members[i].Digest, d) {
			return &c.Members[i]
		}
	}
	return nil
}

// HashName is "SHA-1" or "SHA-256".
func HashName(h crypto.Hash) string { return h.String() }

func hexUpper(b []byte) string { return strings.ToUpper(hex.EncodeToString(b)) }
