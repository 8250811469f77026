package catalog

import (
	"bytes"
	"context"
	"crypto"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/sassoftware/relic/v8/lib/authenticode"
	"github.com/sassoftware/relic/v8/lib/pkcs7"
	"github.com/sassoftware/relic/v8/lib/pkcs9"

	"github.com/msiforge/msiforge/internal/safefile"
)

// FileHash hashes path as a catalog member: the Authenticode image hash for
// a PE file (one starting with "MZ" and a valid PE header), else the hash
// of all its bytes (the flat-file SIP). A file that starts with "MZ" but is
// not a valid PE image is an error, not silently hashed flat.
func FileHash(path string, h crypto.Hash) (Kind, []byte, error) {
	f, err := safefile.Open(path)
	if err != nil {
		return "", nil, err
	}
	defer f.Close()
	magic := make([]byte, 2)
	n, _ := io.ReadFull(f, magic)
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return "", nil, err
	}
	if n == 2 && string(magic) == "MZ" {
		d, err := authenticode.DigestPE(f, h, false)
		if err != nil {
			return "", nil, fmt.Errorf("%s starts with MZ but is not a PE image Authenticode can hash: %w", path, err)
		}
		return KindPE, d.Imprint, nil
	}
	w := h.New()
	if _, err := io.Copy(w, f); err != nil {
		return "", nil, err
	}
	return KindFlat, w.Sum(nil), nil
}

// Options controls Build.
type Options struct {
	// Hash is crypto.SHA256 (a v2 catalog, Windows 10 and later; the
	// default) or crypto.SHA1 (a v1 catalog for older Windows).
	Hash crypto.Hash
	// OSAttr is each member's OSAttr value; inf2cat writes "2:10.0" for
	// Windows 10 (/os:10_*). Empty means "2:10.0".
	OSAttr string
	// OS is the catalog's OS attribute (inf2cat: "_v100_X64" etc.); empty
	// leaves it out.
	OS string
	// Time is the trust list's effective date; zero means now. Pass a fixed
	// time for reproducible output.
	Time time.Time
	// Signer and Chain sign the catalog; nil Signer writes it unsigned.
	Signer crypto.Signer
	Chain  []*x509.Certificate
	// Timestamper, when set with Signer, adds an RFC 3161 timestamp.
	Timestamper pkcs9.Timestamper
}

// Input names one member file and the name recorded for it.
type Input struct {
	Path string
	Name string // File attribute; default: base name of Path
}

// Build writes the DER of a catalog listing files. The members are sorted by
// file name so the output does not depend on argument order.
func Build(files []Input, hwids []string, opts Options) ([]byte, error) {
	if opts.Hash == 0 {
		opts.Hash = crypto.SHA256
	}
	if opts.Hash != crypto.SHA256 && opts.Hash != crypto.SHA1 {
		return nil, fmt.Errorf("catalog hash %v: allowed are SHA-256 and SHA-1", opts.Hash)
	}
	if opts.OSAttr == "" {
		opts.OSAttr = "2:10.0"
	}
	if opts.Time.IsZero() {
		opts.Time = time.Now()
	}
	files = append([]Input(nil), files...)
	for i := range files {
		if files[i].Name == "" {
			files[i].Name = filepath.Base(files[i].Path)
		}
	}
	sort.SliceStable(files, func(i, j int) bool { return strings.ToLower(files[i].Name) < strings.ToLower(files[j].Name) })
	version := 2
	memberOID := oidMemberV2
	if opts.Hash == crypto.SHA1 {
		version, memberOID = 1, oidMemberV1
	}
	id := sha256.New()
	var entries []trustEntry
	for i, in := range files {
		if i > 0 && strings.EqualFold(in.Name, files[i-1].Name) {
			return nil, fmt.Errorf("catalog member %q is listed twice", in.Name)
		}
		kind, digest, err := FileHash(in.Path, opts.Hash)
		if err != nil {
			return nil, fmt.Errorf("hash %s: %w", in.Path, err)
		}
		e, err := member(version, kind, opts.Hash, digest, in.Name, opts.OSAttr)
		if err != nil {
			return nil, err
		}
		id.Write(digest)
		entries = append(entries, e)
		if version == 2 {
			// makecat's v2 catalogs also list each file's SHA-1 hash, as a
			// bare entry (subject identifier = hash, member info only), so
			// SHA-1-only lookups find it; the fixture from osslsigncode's
			// tests (testdata/osslsigncode) shows the layout.
			_, d1, err := FileHash(in.Path, crypto.SHA1)
			if err != nil {
				return nil, fmt.Errorf("hash %s: %w", in.Path, err)
			}
			entries = append(entries, trustEntry{Tag: d1, Attrs: []attribute{{Type: oidMemberInfoV2, Values: set(memberInfoV2(kind))}}})
		}
	}
	// makecat sorts the entries by subject identifier.
	sort.Slice(entries, func(i, j int) bool { return bytes.Compare(entries[i].Tag, entries[j].Tag) < 0 })
	ctl := certTrustList{
		SubjectUsage:     []asn1.ObjectIdentifier{oidCatalogList},
		ThisUpdate:       opts.Time.UTC().Truncate(time.Second),
		SubjectAlgorithm: pkix.AlgorithmIdentifier{Algorithm: memberOID, Parameters: asn1.NullRawValue},
		Entries:          entries,
	}
	// The list identifier only has to be unique per catalog; derived from
	// the members it keeps the output reproducible.
	ctl.ListIdentifier = id.Sum(nil)[:16]
	var attrs [][2]string
	if opts.OS != "" {
		attrs = append(attrs, [2]string{"OS", opts.OS})
	}
	for i, h := range hwids {
		attrs = append(attrs, [2]string{fmt.Sprintf("HWID%d", i+1), h})
	}
	for _, a := range attrs {
		der, err := marshalNameValue(a[0], a[1])
		if err != nil {
			return nil, err
		}
		ctl.Extensions = append(ctl.Extensions, pkix.Extension{Id: oidNameValue, Value: der})
	}
	if opts.Signer == nil {
		ci, err := pkcs7.NewContentInfo(oidCTL, ctl)
		if err != nil {
			return nil, err
		}
		alg := pkix.AlgorithmIdentifier{Algorithm: oidSHA256, Parameters: asn1.NullRawValue}
		if opts.Hash == crypto.SHA1 {
			alg.Algorithm = oidSHA1
		}
		psd := pkcs7.ContentInfoSignedData{ContentType: oidSignedData, Content: pkcs7.SignedData{
			Version: 1, DigestAlgorithmIdentifiers: []pkix.AlgorithmIdentifier{alg}, ContentInfo: ci}}
		return asn1.Marshal(psd)
	}
	b := pkcs7.NewBuilder(opts.Signer, opts.Chain, opts.Hash)
	if err := b.SetContent(oidCTL, ctl); err != nil {
		return nil, err
	}
	psd, err := b.Sign()
	if err != nil {
		return nil, fmt.Errorf("sign catalog: %w", err)
	}
	if opts.Timestamper == nil {
		return psd.Marshal()
	}
	ts, err := pkcs9.TimestampAndMarshal(context.Background(), psd, opts.Timestamper, true)
	if err != nil {
		return nil, fmt.Errorf("timestamp catalog: %w", err)
	}
	return ts.Raw, nil
}

// WriteFile writes data to path atomically: a temporary file in the same
// folder, renamed over path, so a failure leaves no half-written catalog.
func WriteFile(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	_, err = tmp.Write(data)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp.Name(), 0o644)
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		os.Remove(tmp.Name())
	}
	return err
}

// memberInfoV2 is the v2 member info makecat writes: an empty [0] for the
// PE SIP, [2] for the flat-file SIP ([1] is the CAB SIP).
func memberInfoV2(kind Kind) []byte {
	if kind == KindPE {
		return []byte{0x80, 0}
	}
	return []byte{0x82, 0}
}

// spcLink is SpcLink's file choice [2] holding a BMP string [0].
func spcLink(s string) ([]byte, error) {
	inner, err := asn1.Marshal(asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 0, Bytes: toBMP(s)})
	if err != nil {
		return nil, err
	}
	return asn1.Marshal(asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 2, IsCompound: true, Bytes: inner})
}

// member builds one CTL entry the way makecat does: SPC_INDIRECT_DATA with
// the hash (SpcPeImageData with an "<<<Obsolete>>>" link for a PE file, as
// signtool writes; SPC_CAB_DATA with an empty link for a flat file, as
// makecat writes), the member info naming the SIP (v1: its GUID; v2: the
// tagged form above), and the File and OSAttr name/value attributes.
func member(version int, kind Kind, h crypto.Hash, digest []byte, name, osAttr string) (trustEntry, error) {
	link, err := spcLink("")
	if err != nil {
		return trustEntry{}, err
	}
	data := typeValue{Type: oidCabData, Value: asn1.RawValue{FullBytes: link}}
	sip := SIPFlat
	if kind == KindPE {
		sip = SIPPE
		if link, err = spcLink(obsolete); err != nil {
			return trustEntry{}, err
		}
		// SpcPeImageData: flags (empty BIT STRING), file [0] SpcLink.
		pe, err := asn1.Marshal(struct {
			Flags asn1.BitString
			File  asn1.RawValue
		}{asn1.BitString{}, asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 0, IsCompound: true, Bytes: link}})
		if err != nil {
			return trustEntry{}, err
		}
		data = typeValue{Type: oidPEImageData, Value: asn1.RawValue{FullBytes: pe}}
	}
	algOID := oidSHA256
	if h == crypto.SHA1 {
		algOID = oidSHA1
	}
	ind, err := asn1.Marshal(indirectData{Data: data, Digest: digestInfo{
		Algorithm: pkix.AlgorithmIdentifier{Algorithm: algOID, Parameters: asn1.NullRawValue}, Digest: digest}})
	if err != nil {
		return trustEntry{}, err
	}
	e := trustEntry{Tag: digest}
	if version == 1 {
		// v1 subject identifiers are the hash as upper-case hex, UTF-16LE
		// (MsCatConstructHashTag).
		e.Tag = toUTF16LEZ(hexUpper(digest))
		e.Tag = e.Tag[:len(e.Tag)-2]
		mi, err := asn1.Marshal(memberInfoV1{SIP: asn1.RawValue{Tag: asn1.TagBMPString, Bytes: toBMP(sip)}, Version: 512})
		if err != nil {
			return trustEntry{}, err
		}
		e.Attrs = append(e.Attrs, attribute{Type: oidMemberInfo, Values: set(mi)})
	} else {
		e.Attrs = append(e.Attrs, attribute{Type: oidMemberInfoV2, Values: set(memberInfoV2(kind))})
	}
	e.Attrs = append(e.Attrs, attribute{Type: oidIndirectData, Values: set(ind)})
	for _, nv := range [][2]string{{"File", name}, {"OSAttr", osAttr}} {
		der, err := marshalNameValue(nv[0], nv[1])
		if err != nil {
			return trustEntry{}, err
		}
		e.Attrs = append(e.Attrs, attribute{Type: oidNameValue, Values: set(der)})
	}
	return e, nil
}

func marshalNameValue(name, value string) ([]byte, error) {
	return asn1.Marshal(nameValue{Name: asn1.RawValue{Tag: asn1.TagBMPString, Bytes: toBMP(name)},
		Flags: catalogAttrFlags, Value: toUTF16LEZ(value)})
}

func set(b ...[]byte) asn1.RawValue {
	return asn1.RawValue{Class: asn1.ClassUniversal, Tag: asn1.TagSet, IsCompound: true, Bytes: bytes.Join(b, nil)}
}
