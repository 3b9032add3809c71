package instance

import (
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"

	scrypto "github.com/selfchain/selfchain/crypto"
	"github.com/selfchain/selfchain/crypto/keyring"
)

// OpenKeyring opens the keyring holding the owner's key and the instance's TLS key.
func OpenKeyring(c Config, pass keyring.PassphraseFunc) (keyring.Keyring, error) {
	return keyring.New(c.KeyringBackend, c.KeyringDir, pass)
}

// keyringSigner signs TLS handshakes with an Ed25519 key that stays in the keyring.
type keyringSigner struct {
	kr   keyring.Keyring
	name string
	pub  ed25519.PublicKey
}

func (s keyringSigner) Public() crypto.PublicKey { return s.pub }

func (s keyringSigner) Sign(_ io.Reader, msg []byte, opts crypto.SignerOpts) ([]byte, error) {
	if opts.HashFunc() != 0 {
		return nil, errors.New("the instance TLS key signs pure Ed25519 only")
	}
	sig, _, err := s.kr.Sign(s.name, msg)
	return sig, err
}

// tlsSigner returns the instance's TLS key from the keyring, creating it when absent.
func tlsSigner(kr keyring.Keyring, name string, create bool) (keyringSigner, error) {
	rec, err := kr.Get(name)
	if errors.Is(err, keyring.ErrKeyNotFound) && create {
		rec, _, err = kr.NewMnemonic(name, scrypto.KeyTypeEd25519)
	}
	if err != nil {
		return keyringSigner{}, fmt.Errorf("instance TLS key %q: %w", name, err)
	}
	if rec.Type != scrypto.KeyTypeEd25519 {
		return keyringSigner{}, fmt.Errorf("instance TLS key %q is %s, want ed25519", name, rec.Type)
	}
	return keyringSigner{kr: kr, name: name, pub: ed25519.PublicKey(rec.PubKey.Bytes())}, nil
}

// writeCert writes a self-signed certificate for the TLS key (public: a plain file is fine).
func writeCert(home string, s keyringSigner, hosts []string) error {
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 120))
	if err != nil {
		return err
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial, Subject: pkix.Name{CommonName: "selfinstance"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(10 * 365 * 24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	for _, h := range hosts {
		if ip := net.ParseIP(h); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, h)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, s.pub, s)
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(home, certFile), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644)
}

// TLSConfig is the server's TLS: 1.3 only, hybrid post-quantum key exchange first.
func TLSConfig(home, keyName string, kr keyring.Keyring) (*tls.Config, error) {
	s, err := tlsSigner(kr, keyName, false)
	if err != nil {
		return nil, err
	}
	bz, err := os.ReadFile(filepath.Join(home, certFile))
	if err != nil {
		return nil, err
	}
	blk, _ := pem.Decode(bz)
	if blk == nil {
		return nil, fmt.Errorf("%s holds no PEM certificate", certFile)
	}
	cert, err := x509.ParseCertificate(blk.Bytes)
	if err != nil {
		return nil, err
	}
	if pub, ok := cert.PublicKey.(ed25519.PublicKey); !ok || !pub.Equal(s.pub) {
		return nil, fmt.Errorf("%s is not for the keyring's %s key: run selfinstance init again", certFile, keyName)
	}
	return &tls.Config{
		MinVersion:       tls.VersionTLS13,
		CurvePreferences: []tls.CurveID{tls.X25519MLKEM768, tls.X25519},
		Certificates:     []tls.Certificate{{Certificate: [][]byte{blk.Bytes}, PrivateKey: s, Leaf: cert}},
	}, nil
}
