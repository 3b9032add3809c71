package poai

import (
	"context"
	"errors"
	"slices"
	"strings"

	"cosmossdk.io/collections"
	abci "github.com/cometbft/cometbft/abci/types"
	cmtcrypto "github.com/cometbft/cometbft/crypto"
	"github.com/cometbft/cometbft/crypto/ed25519"
	cryptoenc "github.com/cometbft/cometbft/crypto/encoding"
	"github.com/cometbft/cometbft/crypto/mldsa65"
)

// PubKeyFromConsensusKey parses a stored or submitted consensus key. Only the
// two key types SELF Chain allows for validators are accepted.
func PubKeyFromConsensusKey(ck ConsensusKey) (cmtcrypto.PubKey, error) {
	switch ck.Type {
	case ed25519.KeyType, mldsa65.KeyType:
	default:
		return nil, ErrInvalidConsensusKey.Wrapf("type %q: want %q or %q", ck.Type, ed25519.KeyType, mldsa65.KeyType)
	}
	pk, err := cryptoenc.PubKeyFromTypeAndBytes(ck.Type, ck.Key)
	if err != nil {
		return nil, ErrInvalidConsensusKey.Wrapf("%s key of %d bytes: %v", ck.Type, len(ck.Key), err)
	}
	return pk, nil
}

// ConsensusKeyFromPubKey is the stored form of a CometBFT public key.
func ConsensusKeyFromPubKey(pk cmtcrypto.PubKey) ConsensusKey {
	return ConsensusKey{Type: pk.Type(), Key: pk.Bytes()}
}

// validatorUpdate builds the ABCI update of a key (any allowed type).
func validatorUpdate(ck ConsensusKey, power int64) (abci.ValidatorUpdate, error) {
	pk, err := PubKeyFromConsensusKey(ck)
	if err != nil {
		return abci.ValidatorUpdate{}, err
	}
	pp, err := cryptoenc.PubKeyToProto(pk)
	if err != nil {
		return abci.ValidatorUpdate{}, err
	}
	return abci.ValidatorUpdate{PubKey: pp, Power: power}, nil
}

// PubKeyFromProtoKey parses the key of an ABCI validator update.
func PubKeyFromProtoKey(u abci.ValidatorUpdate) (cmtcrypto.PubKey, error) {
	pk, err := cryptoenc.PubKeyFromProto(u.PubKey)
	if err != nil {
		return nil, ErrInvalidConsensusKey.Wrap(err.Error())
	}
	return PubKeyFromConsensusKey(ConsensusKeyFromPubKey(pk))
}

// SetAllowedKeyTypes records the validator key types CometBFT's consensus params
// allow (InitChain's consensus_params.validator.pub_key_types). A validator
// update with any other type would halt CometBFT, so create-validator refuses it.
func (k Keeper) SetAllowedKeyTypes(ctx context.Context, keyTypes []string) error {
	if len(keyTypes) == 0 {
		return nil
	}
	return k.KeyTypes.Set(ctx, strings.Join(keyTypes, ","))
}

// checkKeyTypeAllowed refuses a consensus key type the chain's consensus params exclude.
func (k Keeper) checkKeyTypeAllowed(ctx context.Context, keyType string) error {
	allowed, err := k.KeyTypes.Get(ctx)
	if errors.Is(err, collections.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if !slices.Contains(strings.Split(allowed, ","), keyType) {
		return ErrInvalidConsensusKey.Wrapf("this chain's consensus params allow only %s validator keys, not %s", allowed, keyType)
	}
	return nil
}
