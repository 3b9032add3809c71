package poai_test

import (
	abci "github.com/cometbft/cometbft/abci/types"
	cmted25519 "github.com/cometbft/cometbft/crypto/ed25519"
	cryptoenc "github.com/cometbft/cometbft/crypto/encoding"
)

func poaiUpdate(k cmted25519.PrivKey) (abci.ValidatorUpdate, error) {
	pp, err := cryptoenc.PubKeyToProto(k.PubKey())
	return abci.ValidatorUpdate{PubKey: pp, Power: 7}, err
}
