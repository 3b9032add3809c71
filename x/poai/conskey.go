package poai

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"strings"

	"cosmossdk.io/collections"
	abci "github.com/cometbft/cometbft/abci/types"
	cmtcrypto "github.com/cometbft/cometbft/crypto"
	"github.com/cometbft/cometbft/crypto/ed25519"
	cryptoenc "github.com/cometbft/cometbft/crypto/encoding"
	"github.com/cometbft/cometbft/crypto/mldsa65"

	"github.com/selfchain/selfchain/app/runtime"
	"github.com/selfchain/selfchain/crypto"
)

// ConsensusKeyTypes are the consensus key types this app can check
// (ValidateConsensusKey), in CometBFT's spelling. Consensus params may allow
// these and no others (CheckConsensusKeyTypes).
var ConsensusKeyTypes = []string{ed25519.KeyType, mldsa65.KeyType}

// ValidateConsensusKey is the one check of every consensus key the chain
// accepts: genesis validators (InitGenesis, genesis validation, `selfchaind
// genesis add-validator`), MsgCreateValidator, the validators CometBFT's
// genesis.json names, constellation's scaffolding. One function per key type:
//
//   - ed25519: 32 bytes, canonically encoded, a curve point, not of small order
//     and without a small-order component (crypto.CheckEd25519PubKeyStrict, the
//     check account keys also use for small order);
//   - ml_dsa_65: 1,952 bytes that parse as a FIPS 204 public key and re-encode
//     to the same bytes;
//   - any other type: ErrConsensusKeyTypeNotAllowed.
//
// Errors: ErrInvalidConsensusKey (encoding), ErrSmallOrderConsensusKey,
// ErrConsensusKeyTypeNotAllowed. It does not check the chain's consensus params
// (Keeper.checkKeyTypeAllowed), that the key is unused, or possession
// (VerifyKeyProof). Cost: about one signature verification.
func ValidateConsensusKey(ck ConsensusKey) (cmtcrypto.PubKey, error) {
	switch ck.Type {
	case ed25519.KeyType:
		return validateEd25519ConsensusKey(ck.Key)
	case mldsa65.KeyType:
		return validateMLDSA65ConsensusKey(ck.Key)
	default:
		return nil, ErrConsensusKeyTypeNotAllowed.Wrapf("type %q: validator keys are %s", ck.Type, strings.Join(ConsensusKeyTypes, " or "))
	}
}

func validateEd25519ConsensusKey(b []byte) (cmtcrypto.PubKey, error) {
	if len(b) != ed25519.PubKeySize {
		return nil, ErrInvalidConsensusKey.Wrapf("ed25519 key of %d bytes, want %d", len(b), ed25519.PubKeySize)
	}
	if err := crypto.CheckEd25519PubKeyStrict(b); err != nil {
		if errors.Is(err, crypto.ErrSmallOrderKey) {
			return nil, ErrSmallOrderConsensusKey.Wrapf("ed25519 key %X: %v", b, err)
		}
		return nil, ErrInvalidConsensusKey.Wrapf("ed25519 key %X: %v", b, err)
	}
	return ed25519.PubKey(bytes.Clone(b)), nil
}

func validateMLDSA65ConsensusKey(b []byte) (cmtcrypto.PubKey, error) {
	if len(b) != mldsa65.PubKeySize {
		return nil, ErrInvalidConsensusKey.Wrapf("ml_dsa_65 key of %d bytes, want %d", len(b), mldsa65.PubKeySize)
	}
	pk, err := mldsa65.NewPubKeyFromBytes(b)
	if err != nil {
		return nil, ErrInvalidConsensusKey.Wrapf("ml_dsa_65 key: %v", err)
	}
	// Every 1,952-byte string unpacks today (t1 is ten bits a coefficient); the
	// round trip keeps a key's address tied to exactly one encoding whatever
	// the library decides later.
	if !bytes.Equal(pk.Bytes(), b) {
		return nil, ErrInvalidConsensusKey.Wrap("ml_dsa_65 key is not in its canonical encoding")
	}
	return pk, nil
}

// CheckConsensusKeyTypes refuses a list of consensus-params validator key types
// (consensus_params.validator.pub_key_types) naming a type this app cannot
// check: a validator of that type would reach CometBFT unchecked.
func CheckConsensusKeyTypes(keyTypes []string) error {
	for _, kt := range keyTypes {
		if !slices.Contains(ConsensusKeyTypes, kt) {
			return ErrConsensusKeyTypeNotAllowed.Wrapf("consensus_params.validator.pub_key_types names %q: this app checks only %s validator keys",
				kt, strings.Join(ConsensusKeyTypes, " and "))
		}
	}
	return nil
}

// KeyProofDomain starts every proof of possession of a consensus key, so it can
// never be mistaken for anything else the key signs (CometBFT's votes,
// proposals and vote extensions are protobuf encodings; constellation's genesis
// signatures start with their own domain).
const KeyProofDomain = "selfchain/consensus-key-possession/v1"

// KeyProofSignBytes is what a consensus key signs to prove that its holder
// wants it registered for operator on chain chainID:
//
//	"selfchain/consensus-key-possession/v1" ‖ 0x00 ‖
//	uvarint(len(chain_id)) ‖ chain_id ‖ uvarint(len(operator)) ‖ operator
//
// where operator is the raw operator address (20 bytes; not its bech32 form, so
// a change of bech32 prefix does not matter) and uvarint is Go's
// binary.AppendUvarint (one byte for lengths below 128).
func KeyProofSignBytes(chainID string, operator crypto.Address) []byte {
	b := make([]byte, 0, len(KeyProofDomain)+3+len(chainID)+len(operator))
	b = append(b, KeyProofDomain...)
	b = append(b, 0)
	b = binary.AppendUvarint(b, uint64(len(chainID)))
	b = append(b, chainID...)
	b = binary.AppendUvarint(b, uint64(len(operator)))
	return append(b, operator...)
}

// SignKeyProof makes the proof of possession of priv's public key for operator
// on chainID (what MsgCreateValidator.consensus_key_proof and a genesis
// validator's consensus_key_proof carry).
func SignKeyProof(priv cmtcrypto.PrivKey, chainID string, operator crypto.Address) ([]byte, error) {
	sig, err := priv.Sign(KeyProofSignBytes(chainID, operator))
	if err != nil {
		return nil, fmt.Errorf("signing the consensus key proof: %w", err)
	}
	return sig, nil
}

// keyProofSize is the signature size of a key type (0 for an unknown type).
func keyProofSize(keyType string) int {
	switch keyType {
	case ed25519.KeyType:
		return ed25519.SignatureSize
	case mldsa65.KeyType:
		return mldsa65.SignatureSize
	}
	return 0
}

// checkKeyProofShape is the stateless part of VerifyKeyProof: a proof is
// present and has the signature size of the key type.
func checkKeyProofShape(keyType string, proof []byte) error {
	if len(proof) == 0 {
		return ErrMissingKeyProof.Wrapf("consensus_key_proof is empty: sign %q ‖ chain id ‖ operator with the validator's consensus key "+
			"(`selfchaind tx poai create-validator` and `selfchaind genesis add-validator` do it with priv_validator_key.json; "+
			"`selfchaind comet key-proof` prints one)", KeyProofDomain)
	}
	if want := keyProofSize(keyType); len(proof) != want {
		return ErrInvalidKeyProof.Wrapf("consensus_key_proof is %d bytes; a %s signature is %d", len(proof), keyType, want)
	}
	return nil
}

// VerifyKeyProof checks that proof is pk's signature of
// KeyProofSignBytes(chainID, operator): the holder of the consensus key asked
// for it to be registered for this operator on this chain. It verifies with
// pk.VerifySignature, the rules CometBFT verifies the key's votes with.
// Errors: ErrMissingKeyProof, ErrInvalidKeyProof.
func VerifyKeyProof(pk cmtcrypto.PubKey, chainID string, operator crypto.Address, proof []byte) error {
	if err := checkKeyProofShape(pk.Type(), proof); err != nil {
		return err
	}
	if !pk.VerifySignature(KeyProofSignBytes(chainID, operator), proof) {
		return ErrInvalidKeyProof.Wrapf("consensus_key_proof is not a signature by consensus key %X for operator %s on chain %q: "+
			"only the key's holder can register it, and the proof names one operator and one chain id", pk.Address(), operator, chainID)
	}
	return nil
}

// KeyProofGas is the gas MsgCreateValidator pays to check its consensus key
// and verify its proof: auth's default signature cost (1,000 for Ed25519)
// scaled as the ante scales account schemes (ML-DSA-65 ×2.3).
func KeyProofGas(keyType string) runtime.Gas {
	if keyType == mldsa65.KeyType {
		return 2 * 2300
	}
	return 2 * 1000
}

// PubKeyFromConsensusKey parses a stored consensus key (state written after
// ValidateConsensusKey accepted it). It checks type and length only, so it is
// cheap enough for the vote-extension path; new keys go through
// ValidateConsensusKey.
func PubKeyFromConsensusKey(ck ConsensusKey) (cmtcrypto.PubKey, error) {
	switch ck.Type {
	case ed25519.KeyType, mldsa65.KeyType:
	default:
		return nil, ErrConsensusKeyTypeNotAllowed.Wrapf("type %q: want %q or %q", ck.Type, ed25519.KeyType, mldsa65.KeyType)
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

// PubKeyFromProtoKey parses and checks (ValidateConsensusKey) the key of an ABCI
// validator update: the validators CometBFT's genesis.json names.
func PubKeyFromProtoKey(u abci.ValidatorUpdate) (cmtcrypto.PubKey, error) {
	pk, err := cryptoenc.PubKeyFromProto(u.PubKey)
	if err != nil {
		return nil, ErrInvalidConsensusKey.Wrap(err.Error())
	}
	return ValidateConsensusKey(ConsensusKeyFromPubKey(pk))
}

// SetAllowedKeyTypes records the validator key types CometBFT's consensus params
// allow (InitChain's consensus_params.validator.pub_key_types). A validator
// update with any other type would halt CometBFT, so create-validator refuses it.
// A type this app cannot check (CheckConsensusKeyTypes) is an error: InitChain fails.
func (k Keeper) SetAllowedKeyTypes(ctx context.Context, keyTypes []string) error {
	if len(keyTypes) == 0 {
		return nil
	}
	if err := CheckConsensusKeyTypes(keyTypes); err != nil {
		return err
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
		return ErrConsensusKeyTypeNotAllowed.Wrapf("this chain's consensus params allow only %s validator keys, not %s", allowed, keyType)
	}
	return nil
}

// checkConsensusAddressUnused refuses a consensus address that any validator,
// past or present, has had: a registered PoAI validator (records are never
// deleted, tombstoned and fully unbonded ones included), a member of CometBFT's
// current set, or any address the chain ever accepted (UsedConsAddrs: also the
// validators genesis.json named that PoAI never registered, after they left).
func (k Keeper) checkConsensusAddressUnused(ctx context.Context, consAddr []byte) error {
	if op, err := k.ByConsAddr.Get(ctx, consAddr); err == nil {
		return ErrConsensusKeyInUse.Wrapf("consensus address %X belongs to validator %s (its record stays, even tombstoned or unbonded): "+
			"each validator needs a consensus key of its own; make a new priv_validator_key.json", consAddr, crypto.Address(op))
	} else if !errors.Is(err, collections.ErrNotFound) {
		return err
	}
	for _, used := range []interface {
		Has(context.Context, []byte) (bool, error)
	}{k.LastPowers, k.UsedConsAddrs} {
		if has, err := used.Has(ctx, consAddr); err != nil {
			return err
		} else if has {
			return ErrConsensusKeyInUse.Wrapf("consensus address %X is or was in CometBFT's validator set: "+
				"each validator needs a consensus key of its own; make a new priv_validator_key.json", consAddr)
		}
	}
	return nil
}
