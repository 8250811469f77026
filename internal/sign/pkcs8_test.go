package sign

import (
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"strings"
	"testing"
	"time"
)

// pbes2Blob builds an EncryptedPrivateKeyInfo with the given PBKDF2
// iterations and cipher, around data.
func pbes2Blob(t *testing.T, iterations int, cipherOID asn1.ObjectIdentifier, iv, data []byte) []byte {
	t.Helper()
	mustMarshal := func(v any) []byte {
		b, err := asn1.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	kdf := mustMarshal(pbkdf2Params{Salt: []byte("saltsalt"), Iterations: iterations,
		PRF: pkix.AlgorithmIdentifier{Algorithm: asn1.ObjectIdentifier{1, 2, 840, 113549, 2, 9}, Parameters: asn1.NullRawValue}})
	params := mustMarshal(pbes2Params{
		KDF: pkix.AlgorithmIdentifier{Algorithm: oidPBKDF2, Parameters: asn1.RawValue{FullBytes: kdf}},
		Enc: pkix.AlgorithmIdentifier{Algorithm: cipherOID, Parameters: asn1.RawValue{FullBytes: mustMarshal(iv)}},
	})
	return mustMarshal(encryptedPrivateKeyInfo{
		Algo: pkix.AlgorithmIdentifier{Algorithm: oidPBES2, Parameters: asn1.RawValue{FullBytes: params}},
		Data: data,
	})
}

// TestDecryptPKCS8Hostile: hostile parameters fail fast with an error, no
// panic and no hour of PBKDF2.
func TestDecryptPKCS8Hostile(t *testing.T) {
	aes256 := asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 1, 42}
	iv := make([]byte, 16)
	good := pbes2Blob(t, 1000, aes256, iv, make([]byte, 32))
	for _, tc := range []struct {
		name string
		der  []byte
		want string
	}{
		{"a billion iterations", pbes2Blob(t, 1_000_000_000, aes256, iv, make([]byte, 32)), "PBKDF2 iterations; allowed: 1 to 10000000"},
		{"zero iterations", pbes2Blob(t, 0, aes256, iv, make([]byte, 32)), "PBKDF2 iterations"},
		{"unknown cipher", pbes2Blob(t, 1000, asn1.ObjectIdentifier{1, 2, 3}, iv, make([]byte, 32)), "not supported"},
		{"short IV", pbes2Blob(t, 1000, aes256, iv[:3], make([]byte, 32)), "malformed"},
		{"no data", pbes2Blob(t, 1000, aes256, iv, nil), "malformed"},
		{"ragged data", pbes2Blob(t, 1000, aes256, iv, make([]byte, 33)), "malformed"},
		{"wrong password", good, ErrBadKeyPassword.Error()},
		{"garbage", []byte{0x30, 0x03, 0x02, 0x01}, "malformed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			start := time.Now()
			_, err := decryptPKCS8(tc.der, []byte("pw"))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
			if d := time.Since(start); d > 2*time.Second {
				t.Errorf("took %v", d)
			}
		})
	}
	// Every truncation of a valid blob is an error, never a panic.
	for n := 0; n < len(good); n++ {
		if _, err := decryptPKCS8(good[:n], []byte("pw")); err == nil {
			t.Fatalf("truncated to %d bytes: no error", n)
		}
	}
	if _, err := decryptPKCS8(good, []byte("pw")); !errors.Is(err, ErrBadKeyPassword) {
		t.Fatalf("zero data decrypts to bad padding: %v", err)
	}
}
