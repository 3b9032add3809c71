package poai_test

import (
	cmtcrypto "github.com/cometbft/cometbft/crypto"

	"github.com/selfchain/selfchain/crypto"
	"github.com/selfchain/selfchain/testutil"
	"github.com/selfchain/selfchain/x/poai"
)

// keyProof is key's proof of possession for operator (bech32) on the test chain.
func keyProof(key cmtcrypto.PrivKey, operator string) []byte {
	op, err := crypto.AddressFromBech32(operator)
	if err != nil {
		panic(err)
	}
	proof, err := poai.SignKeyProof(key, testutil.ChainID, op)
	if err != nil {
		panic(err)
	}
	return proof
}

// genVal is a genesis validator of key operated by operator, with its proof.
func genVal(operator string, key cmtcrypto.PrivKey, stake uint64) poai.Validator {
	return poai.Validator{OperatorAddress: operator, ConsensusKey: poai.ConsensusKeyFromPubKey(key.PubKey()),
		SelfStake: stake, ConsensusKeyProof: keyProof(key, operator)}
}
