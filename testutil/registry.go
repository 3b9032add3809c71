package testutil

import (
	"crypto/sha256"

	"github.com/selfchain/selfchain/crypto"
	"github.com/selfchain/selfchain/crypto/seal"
	"github.com/selfchain/selfchain/types"
	"github.com/selfchain/selfchain/x/registry"
)

// RegisterNodeMsg is a valid MsgRegisterNode for owner on ChainID: an Ed25519
// signing key and a sealing key derived from seed, with its proof of possession.
func RegisterNodeMsg(owner crypto.Address, seed string) *registry.MsgRegisterNode {
	sum := sha256.Sum256([]byte(seed))
	s, _ := crypto.Scheme(crypto.KeyTypeEd25519)
	priv, err := s.PrivKeyFromSeed(sum[:])
	if err != nil {
		panic(err)
	}
	key := types.PubKey{Type: crypto.KeyTypeEd25519, Key: priv.PubKey().Bytes()}
	sig, err := priv.Sign(registry.PossessionSignBytes(ChainID, owner, key))
	if err != nil {
		panic(err)
	}
	return &registry.MsgRegisterNode{
		Owner: owner.String(), Endpoints: []string{"node.example.com:26656"}, SigningKey: key,
		EncryptionKey: seal.NewKeyFromSeed(sum).Public().Bytes(),
		Capabilities:  registry.Capabilities{Models: []string{"llama-3.1-8b"}, StorageBytes: 1 << 30},
		Tier:          registry.TIER_GROWTH, Region: "eu-west", Version: "v1.0.0", SigningKeyProof: sig,
	}
}
