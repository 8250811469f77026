package sign

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/des"
	"crypto/hmac"
	"crypto/pbkdf2"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"fmt"
	"hash"
)

// Encrypted PKCS#8 keys (RFC 5958 EncryptedPrivateKeyInfo, "-----BEGIN
// ENCRYPTED PRIVATE KEY-----") are what OpenSSL 3 writes for
// `openssl genpkey -aes256` and `openssl pkcs8 -topk8`: PBES2 (RFC 8018)
// with PBKDF2 and AES-CBC. Go's standard library does not read them and
// relic only reads the legacy "Proc-Type: 4,ENCRYPTED" PEM encryption, so
// this file decrypts PBES2 with the standard library's pbkdf2 and AES.

var (
	oidPBES2    = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 5, 13}
	oidPBKDF2   = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 5, 12}
	oidScrypt   = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 11591, 4, 11}
	oidHMACSHA1 = asn1.ObjectIdentifier{1, 2, 840, 113549, 2, 7}
	prfs        = map[string]func() hash.Hash{
		"1.2.840.113549.2.7":  sha1.New,
		"1.2.840.113549.2.8":  sha256.New224,
		"1.2.840.113549.2.9":  sha256.New,
		"1.2.840.113549.2.10": sha512.New384,
		"1.2.840.113549.2.11": sha512.New,
	}
	// Encryption schemes: key length in bytes and the block cipher.
	pbes2Ciphers = map[string]struct {
		keyLen int
		block  func([]byte) (cipher.Block, error)
	}{
		"2.16.840.1.101.3.4.1.2":  {16, aes.NewCipher},
		"2.16.840.1.101.3.4.1.22": {24, aes.NewCipher},
		"2.16.840.1.101.3.4.1.42": {32, aes.NewCipher},
		"1.2.840.113549.3.7":      {24, des.NewTripleDESCipher},
	}
)

// ErrEncryptedKeyUnsupported means an encrypted PKCS#8 key uses a scheme
// this package does not decrypt.
var ErrEncryptedKeyUnsupported = errors.New("this encrypted PKCS#8 key is not supported; decrypt it with `openssl pkey -in KEY -out PLAIN` or use a PKCS#12 file")

// ErrBadKeyPassword means the password does not decrypt the key.
var ErrBadKeyPassword = errors.New("incorrect password for the encrypted private key")

type encryptedPrivateKeyInfo struct {
	Algo pkix.AlgorithmIdentifier
	Data []byte
}

type pbes2Params struct {
	KDF pkix.AlgorithmIdentifier
	Enc pkix.AlgorithmIdentifier
}

type pbkdf2Params struct {
	Salt       []byte
	Iterations int
	KeyLen     int                      `asn1:"optional"`
	PRF        pkix.AlgorithmIdentifier `asn1:"optional"`
}

// maxPBKDF2Iterations bounds the work a hostile key file can ask for
// (OpenSSL 3 writes 2048; ten million is seconds of CPU).
const maxPBKDF2Iterations = 10_000_000

// decryptPKCS8 decrypts the DER of an EncryptedPrivateKeyInfo and returns
// the PrivateKeyInfo DER inside.
func decryptPKCS8(der, password []byte) ([]byte, error) {
	var info encryptedPrivateKeyInfo
	if rest, err := asn1.Unmarshal(der, &info); err != nil || len(rest) > 0 {
		return nil, errors.New("malformed encrypted PKCS#8 key")
	}
	if !info.Algo.Algorithm.Equal(oidPBES2) {
		return nil, fmt.Errorf("%w (encryption %s is not PBES2)", ErrEncryptedKeyUnsupported, info.Algo.Algorithm)
	}
	var params pbes2Params
	if _, err := asn1.Unmarshal(info.Algo.Parameters.FullBytes, &params); err != nil {
		return nil, errors.New("malformed PBES2 parameters in the encrypted PKCS#8 key")
	}
	if params.KDF.Algorithm.Equal(oidScrypt) {
		return nil, fmt.Errorf("%w (key derivation scrypt)", ErrEncryptedKeyUnsupported)
	}
	if !params.KDF.Algorithm.Equal(oidPBKDF2) {
		return nil, fmt.Errorf("%w (key derivation %s)", ErrEncryptedKeyUnsupported, params.KDF.Algorithm)
	}
	var kdf pbkdf2Params
	if _, err := asn1.Unmarshal(params.KDF.Parameters.FullBytes, &kdf); err != nil {
		return nil, errors.New("malformed PBKDF2 parameters in the encrypted PKCS#8 key")
	}
	if kdf.Iterations < 1 || kdf.Iterations > maxPBKDF2Iterations {
		return nil, fmt.Errorf("encrypted PKCS#8 key asks for %d PBKDF2 iterations; allowed: 1 to %d", kdf.Iterations, maxPBKDF2Iterations)
	}
	prfOID := kdf.PRF.Algorithm
	if len(prfOID) == 0 {
		prfOID = oidHMACSHA1 // the ASN.1 default
	}
	prf, ok := prfs[prfOID.String()]
	if !ok {
		return nil, fmt.Errorf("%w (PBKDF2 hash %s)", ErrEncryptedKeyUnsupported, prfOID)
	}
	ciph, ok := pbes2Ciphers[params.Enc.Algorithm.String()]
	if !ok {
		return nil, fmt.Errorf("%w (cipher %s)", ErrEncryptedKeyUnsupported, params.Enc.Algorithm)
	}
	if kdf.KeyLen != 0 && kdf.KeyLen != ciph.keyLen {
		return nil, errors.New("malformed PBKDF2 parameters in the encrypted PKCS#8 key (key length)")
	}
	var iv []byte
	if _, err := asn1.Unmarshal(params.Enc.Parameters.FullBytes, &iv); err != nil {
		return nil, errors.New("malformed cipher parameters in the encrypted PKCS#8 key")
	}
	key, err := pbkdf2.Key(prf, string(password), kdf.Salt, kdf.Iterations, ciph.keyLen)
	if err != nil {
		return nil, err
	}
	block, err := ciph.block(key)
	if err != nil {
		return nil, err
	}
	bs := block.BlockSize()
	if len(iv) != bs || len(info.Data) == 0 || len(info.Data)%bs != 0 {
		return nil, errors.New("malformed encrypted data in the encrypted PKCS#8 key")
	}
	plain := make([]byte, len(info.Data))
	cipher.NewCBCDecrypter(block, iv).CryptBlocks(plain, info.Data)
	// PKCS#7 padding; a wrong password leaves garbage here (or, rarely,
	// valid-looking padding, which the PrivateKeyInfo parse then rejects).
	pad := int(plain[len(plain)-1])
	if pad < 1 || pad > bs || !hmac.Equal(plain[len(plain)-pad:], repeat(byte(pad), pad)) {
		return nil, ErrBadKeyPassword
	}
	return plain[:len(plain)-pad], nil
}

func repeat(b byte, n int) []byte {
	out := make([]byte, n)
	for i := range out {
		out[i] = b
	}
	return out
}
