package registry

import (
	"crypto/sha256"
	"encoding/hex"

	"github.com/selfchain/selfchain/app/runtime"
	"github.com/selfchain/selfchain/crypto"
	"github.com/selfchain/selfchain/crypto/seal"
	"github.com/selfchain/selfchain/types"
)

// EncryptionKeyType names X-Wing encryption keys where a key type is asked for
// (the by-key query); no signing scheme has this name.
const EncryptionKeyType = "xwing"

// NodeIDLen is the length of a node id in bytes (shown as 40 hex digits).
const NodeIDLen = 20

// Domain tags: a node id or key hash can never equal an address or another hash.
const (
	nodeIDTag  = "selfchain/registry/node-id"
	keyHashTag = "selfchain/registry/key"
)

func taggedHash(tag, keyType string, key []byte) [32]byte {
	h := sha256.New()
	h.Write([]byte(tag))
	h.Write([]byte{0})
	h.Write([]byte(keyType))
	h.Write([]byte{0})
	h.Write(key)
	var out [32]byte
	h.Sum(out[:0])
	return out
}

// NodeID derives a node's id from the signing key it registers with:
// hex(sha256("selfchain/registry/node-id" || 0 || key type || 0 || key)[:20]).
// The id stays when keys rotate, so peers keep one name for a node.
func NodeID(pk types.PubKey) string {
	h := taggedHash(nodeIDTag, pk.Type, pk.Key)
	return hex.EncodeToString(h[:NodeIDLen])
}

// keyHash is the index key of a public key: signing keys by their type, encryption keys as "xwing".
func keyHash(keyType string, key []byte) []byte {
	h := taggedHash(keyHashTag, keyType, key)
	return h[:]
}

// SigningKeyID is the short id of a signing key: hex of the first 8 bytes of its key hash.
func SigningKeyID(pk types.PubKey) string {
	return hex.EncodeToString(keyHash(pk.Type, pk.Key)[:8])
}

// ValidNodeID reports whether s is 40 lower-case hex digits.
func ValidNodeID(s string) bool {
	if len(s) != 2*NodeIDLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// parseSigningKey checks that pk is a well-formed key of a registered scheme.
func parseSigningKey(field string, pk types.PubKey) error {
	if len(pk.Key) > MaxKeyBytes {
		return ErrFieldTooLarge.Wrapf("%s: %d bytes, at most %d", field, len(pk.Key), MaxKeyBytes)
	}
	if _, err := crypto.PubKeyFromTyped(pk.Type, pk.Key); err != nil {
		return ErrInvalidKey.Wrapf("%s: %v", field, err)
	}
	return nil
}

// parseEncryptionKey checks an X-Wing key and returns its key id (crypto/seal's PublicKey.ID).
func parseEncryptionKey(field string, key []byte) (string, error) {
	if len(key) > MaxKeyBytes {
		return "", ErrFieldTooLarge.Wrapf("%s: %d bytes, at most %d", field, len(key), MaxKeyBytes)
	}
	pk, err := seal.ParsePublicKey(key)
	if err != nil {
		return "", ErrInvalidKey.Wrapf("%s: %v", field, err)
	}
	return pk.ID(), nil
}

// possessionTag separates possession proofs from every other signed message (txs sign
// SignBytes, which never start with this tag).
const possessionTag = "selfchain/registry/possession"

// MaxKeyProofBytes bounds a possession proof (the largest signatures, SLH-DSA hybrids, are ~8 KB).
const MaxKeyProofBytes = 16 * 1024

// possessionVerifyCost is the base gas of verifying a possession proof, weighted per
// scheme like the ante's signature check (crypto.KeyScheme.VerifyGas).
const possessionVerifyCost = 1000

// PossessionSignBytes is what a node's signing key signs to prove that the owner holds it:
// tag, chain id, owner (canonical bech32), key type and key, NUL-separated (none of the
// text fields can contain NUL). Binding the chain and the owner stops replay elsewhere.
func PossessionSignBytes(chainID string, owner crypto.Address, pk types.PubKey) []byte {
	out := make([]byte, 0, len(possessionTag)+len(chainID)+64+len(pk.Type)+len(pk.Key))
	for _, part := range []string{possessionTag, chainID, owner.String(), pk.Type} {
		out = append(out, part...)
		out = append(out, 0)
	}
	return append(out, pk.Key...)
}

// verifyPossession checks proof and charges its gas to ctx's meter.
func verifyPossession(ctx *runtime.Context, owner crypto.Address, pk types.PubKey, proof []byte) error {
	if len(proof) == 0 {
		return ErrInvalidKeyProof.Wrap("signing_key_proof: missing; sign registry.PossessionSignBytes with the node key")
	}
	pub, err := crypto.PubKeyFromTyped(pk.Type, pk.Key)
	if err != nil {
		return ErrInvalidKeyProof.Wrapf("signing_key: %v", err)
	}
	scheme, _ := crypto.Scheme(pk.Type) // parsed above: the scheme exists
	ctx.GasMeter().ConsumeGas(scheme.VerifyGas(possessionVerifyCost), "registry key possession proof")
	if !pub.VerifySignature(PossessionSignBytes(ctx.ChainID(), owner, pk), proof) {
		return ErrInvalidKeyProof.Wrapf("signing_key_proof: not a signature of the %s key over chain %q and owner %s", pk.Type, ctx.ChainID(), owner)
	}
	return nil
}

func checkProofSize(proof []byte) error {
	if len(proof) > MaxKeyProofBytes {
		return ErrFieldTooLarge.Wrapf("signing_key_proof: %d bytes, at most %d", len(proof), MaxKeyProofBytes)
	}
	return nil
}
