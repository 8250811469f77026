package sign

import (
	"bytes"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"os"
	"time"

	"github.com/sassoftware/relic/v8/lib/certloader"

	"github.com/msiforge/msiforge/internal/safefile"
)

// LoadPEM loads a signer from a PEM (or DER) certificate file, signing
// certificate first and then any intermediates, and an unencrypted PEM
// private key (PKCS#1, PKCS#8 or SEC 1). It fails with [ErrKeyMismatch] when
// the key is not the certificate's.
func LoadPEM(certPath, keyPath string) (*Signer, error) {
	return LoadPEMWithPassword(certPath, keyPath, nil)
}

// LoadPEMWithPassword is [LoadPEM] for a key that may be encrypted: an
// OpenSSL 3 encrypted PKCS#8 key ("BEGIN ENCRYPTED PRIVATE KEY", PBES2 with
// PBKDF2 and AES or 3DES) or a legacy "Proc-Type: 4,ENCRYPTED" PEM key.
// A nil password means none was given: an encrypted key then fails with a
// [*NeedsPasswordError].
func LoadPEMWithPassword(certPath, keyPath string, password []byte) (*Signer, error) {
	certBlob, err := safefile.ReadFile(certPath, safefile.KeyLimit)
	if err != nil {
		return nil, fmt.Errorf("load certificate: %w", err)
	}
	chain, err := certloader.ParseX509Certificates(certBlob)
	if err != nil {
		return nil, fmt.Errorf("load certificate %s: %w", certPath, err)
	}
	keyBlob, err := safefile.ReadFile(keyPath, safefile.KeyLimit)
	if err != nil {
		return nil, fmt.Errorf("load key: %w", err)
	}
	priv, err := parseKey(keyPath, keyBlob, password)
	if err != nil {
		return nil, fmt.Errorf("load key %s: %w", keyPath, err)
	}
	return newSigner(priv, chain)
}

// NeedsPasswordError means an encrypted key or PKCS#12 file was given
// without any password option.
type NeedsPasswordError struct {
	What string // "the PKCS#12 file x.p12", "the private key k.pem"
}

func (e *NeedsPasswordError) Error() string {
	return e.What + " is encrypted; give its password with a password option"
}

// parseKey reads a private key, decrypting it when it is encrypted and a
// password was given.
func parseKey(path string, blob, password []byte) (crypto.PrivateKey, error) {
	if blk, _ := pem.Decode(blob); blk != nil {
		switch {
		case blk.Type == "ENCRYPTED PRIVATE KEY":
			if password == nil {
				return nil, &NeedsPasswordError{What: "the private key " + path + " (encrypted PKCS#8)"}
			}
			der, err := decryptPKCS8(blk.Bytes, password)
			if err != nil {
				return nil, err
			}
			k, err := x509.ParsePKCS8PrivateKey(der)
			if err != nil {
				// Garbage that passed the padding check: the password was wrong.
				return nil, ErrBadKeyPassword
			}
			return k, nil
		case x509.IsEncryptedPEMBlock(blk): //nolint:staticcheck // legacy OpenSSL encryption, read only
			if password == nil {
				return nil, &NeedsPasswordError{What: "the private key " + path + " (legacy PEM encryption)"}
			}
			k, err := certloader.ParseAnyPrivateKey(blob, &oncePassword{pw: string(password)})
			if errors.Is(err, ErrBadPassword) {
				return nil, ErrBadKeyPassword
			}
			return k, err
		}
	}
	// A nil prompt makes any other encrypted key (PGP) an error instead of
	// a prompt on the terminal: builds are unattended.
	return certloader.ParseAnyPrivateKey(blob, nil)
}

// LoadPKCS12 loads a signer from a PKCS#12 (.p12, .pfx) file. Take password
// from [PasswordFromEnv] or [PasswordFromFile], never from the command line.
// A nil password means none was given: a file that needs one fails with a
// [*NeedsPasswordError], not as an incorrect password.
func LoadPKCS12(path string, password []byte) (*Signer, error) {
	blob, err := safefile.ReadFile(path, safefile.KeyLimit)
	if err != nil {
		return nil, fmt.Errorf("load pkcs12: %w", err)
	}
	c, err := certloader.ParsePKCS12(blob, &oncePassword{pw: string(password)})
	if password == nil && errors.Is(err, ErrBadPassword) {
		return nil, &NeedsPasswordError{What: "the PKCS#12 file " + path}
	}
	if err != nil {
		return nil, fmt.Errorf("load pkcs12 %s: %w", path, err)
	}
	return newSigner(c.PrivateKey, c.Certificates)
}

// ErrBadPassword means a PKCS#12 password was wrong.
var ErrBadPassword = errors.New("incorrect pkcs12 password")

// oncePassword answers relic's password prompt once. relic asks again after
// a wrong password, which with a fixed password would loop forever.
type oncePassword struct {
	pw    string
	asked bool
}

func (o *oncePassword) GetPasswd(string) (string, error) {
	if o.asked {
		return "", ErrBadPassword
	}
	o.asked = true
	return o.pw, nil
}

func newSigner(priv crypto.PrivateKey, chain []*x509.Certificate) (*Signer, error) {
	key, ok := priv.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("private key of type %T cannot sign", priv)
	}
	s := &Signer{Key: key, Chain: chain}
	if err := s.check(); err != nil {
		return nil, err
	}
	return s, nil
}

// PasswordFromEnv reads a secret from the environment variable name. It
// fails when the variable is unset, so a typo does not silently mean "no
// password".
func PasswordFromEnv(name string) ([]byte, error) {
	v, ok := os.LookupEnv(name)
	if !ok {
		return nil, fmt.Errorf("environment variable %s is not set", name)
	}
	return []byte(v), nil
}

// PasswordFromFile reads a secret from a file, without one trailing newline
// (editors and echo add it).
func PasswordFromFile(path string) ([]byte, error) {
	b, err := safefile.ReadFile(path, safefile.PasswordLimit)
	if err != nil {
		return nil, fmt.Errorf("read password file: %w", err)
	}
	b = bytes.TrimSuffix(b, []byte("\n"))
	b = bytes.TrimSuffix(b, []byte("\r"))
	return b, nil
}

// NewDevCert creates a throwaway self-signed code-signing certificate and
// its RSA-2048 key, both PEM, valid from an hour ago until notAfter. It is
// for demos and tests; trust it by passing the certificate as a root.
func NewDevCert(subject string, notAfter time.Time) (certPEM, keyPEM []byte, err error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, nil, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return nil, nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: subject},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              notAfter,
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageCodeSigning},
		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, nil, fmt.Errorf("create dev certificate: %w", err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, nil, err
	}
	certPEM = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	keyPEM = pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER})
	return certPEM, keyPEM, nil
}
