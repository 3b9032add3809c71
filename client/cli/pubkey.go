package cli

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/selfchain/selfchain/crypto"
	"github.com/selfchain/selfchain/types"
)

// ParsePubKey reads a public key given as <type>:<hex> (e.g. ed25519:ab12…) or as
// the name of a keyring key.
func ParsePubKey(cmd *cobra.Command, spec string) (types.PubKey, error) {
	if typ, hx, ok := strings.Cut(spec, ":"); ok {
		key, err := hex.DecodeString(hx)
		if err != nil {
			return types.PubKey{}, fmt.Errorf("pubkey %q: %w", spec, err)
		}
		if _, err := crypto.PubKeyFromTyped(typ, key); err != nil {
			return types.PubKey{}, fmt.Errorf("pubkey %q: %w", spec, err)
		}
		return types.PubKey{Type: typ, Key: key}, nil
	}
	kr, err := OpenKeyring(cmd)
	if err != nil {
		return types.PubKey{}, err
	}
	rec, err := kr.Get(spec)
	if err != nil {
		return types.PubKey{}, fmt.Errorf("pubkey %q: not <type>:<hex> and not a key in the keyring: %w", spec, err)
	}
	return types.PubKey{Type: rec.PubKey.Type(), Key: rec.PubKey.Bytes()}, nil
}

// Fingerprint is a public key in a few characters: its type and the first 8
// bytes of its SHA-256, e.g. "hybrid sha256:3fa1c07be2d95a10". A hybrid key is
// ~2.6 KB of base64; the fingerprint tells keys apart on a terminal, and the
// full key is one flag away (keys show --pubkey, keys add/list/show --full).
func Fingerprint(typ string, key []byte) string {
	sum := sha256.Sum256(key)
	return typ + " sha256:" + hex.EncodeToString(sum[:8])
}
