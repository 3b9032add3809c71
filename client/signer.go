package client

import (
	"github.com/selfchain/selfchain/crypto"
	"github.com/selfchain/selfchain/crypto/keyring"
)

// KeyringSigner signs with one keyring entry; it satisfies tx.Signer.
type KeyringSigner struct {
	kr  keyring.Keyring
	rec keyring.Record
}

// NewKeyringSigner resolves a key by name or bech32 address.
func NewKeyringSigner(kr keyring.Keyring, nameOrAddress string) (*KeyringSigner, error) {
	rec, err := kr.Get(nameOrAddress)
	if err != nil {
		return nil, err
	}
	return &KeyringSigner{kr: kr, rec: rec}, nil
}

func (s *KeyringSigner) Record() keyring.Record { return s.rec }
func (s *KeyringSigner) PubKey() crypto.PubKey  { return s.rec.PubKey }

func (s *KeyringSigner) Sign(msg []byte) ([]byte, error) {
	sig, _, err := s.kr.Sign(s.rec.Name, msg)
	return sig, err
}
