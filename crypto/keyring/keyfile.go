package keyring

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/selfchain/selfchain/crypto"
)

// keyFileVersion is bumped on any incompatible change of keyFile.
const keyFileVersion = 1

// keyFile is the stored form of one key (one JSON file per key).
type keyFile struct {
	Version int    `json:"version"`
	Name    string `json:"name"`
	Type    string `json:"type"`
	PubKey  []byte `json:"pub_key"`
	// Address is for people reading the file; it is recomputed from
	// PubKey on load, so a changed bech32 prefix does not matter.
	Address   string    `json:"address"`
	CreatedAt time.Time `json:"created_at"`
	// Exactly one of PrivKey (test, memory) and Encrypted (file) is set.
	PrivKey   *typedKey  `json:"priv_key,omitempty"`
	Encrypted *sealedBox `json:"encrypted_priv_key,omitempty"`
}

// typedKey is a private key in the scheme-agnostic form {type, key bytes}.
type typedKey struct {
	Type string `json:"type"`
	Key  []byte `json:"key"`
}

func newKeyFile(name string, pub crypto.PubKey) *keyFile {
	return &keyFile{
		Version:   keyFileVersion,
		Name:      name,
		Type:      pub.Type(),
		PubKey:    pub.Bytes(),
		Address:   pub.Address().String(),
		CreatedAt: time.Now().UTC().Truncate(time.Second),
	}
}

func decodeKeyFile(data []byte) (*keyFile, error) {
	var kf keyFile
	if err := json.Unmarshal(data, &kf); err != nil {
		return nil, fmt.Errorf("malformed key file: %w", err)
	}
	if kf.Version != keyFileVersion {
		return nil, fmt.Errorf("unsupported key file version %d (this build reads version %d)", kf.Version, keyFileVersion)
	}
	if (kf.PrivKey == nil) == (kf.Encrypted == nil) {
		return nil, fmt.Errorf("malformed key file: want exactly one of priv_key and encrypted_priv_key")
	}
	return &kf, nil
}

func (kf *keyFile) record() (Record, error) {
	pub, err := crypto.PubKeyFromTyped(kf.Type, kf.PubKey)
	if err != nil {
		return Record{}, fmt.Errorf("key %q: %w", kf.Name, err)
	}
	return Record{Name: kf.Name, Type: kf.Type, PubKey: pub, Address: pub.Address(), CreatedAt: kf.CreatedAt}, nil
}

// keyAAD binds a sealed private key to the public key stored beside it, so
// swapping public fields in the file is detected on decryption. The label
// keeps keyring blobs and export armor from being confused for each other.
func keyAAD(label, keyType string, pub []byte) []byte {
	aad := make([]byte, 0, len(label)+len(keyType)+len(pub)+2)
	aad = append(aad, label...)
	aad = append(aad, 0)
	aad = append(aad, keyType...)
	aad = append(aad, 0)
	return append(aad, pub...)
}

// privFromTyped decodes a private key and checks it belongs to pub.
func privFromTyped(tk typedKey, pub crypto.PubKey) (crypto.PrivKey, error) {
	priv, err := crypto.PrivKeyFromTyped(tk.Type, tk.Key)
	if err != nil {
		return nil, err
	}
	if !priv.PubKey().Equals(pub) {
		return nil, fmt.Errorf("private key does not match public key %s", pub.Address())
	}
	return priv, nil
}
