package bridge

import (
	"bytes"

	cmtproto "github.com/cometbft/cometbft/proto/tendermint/types"
	cmttypes "github.com/cometbft/cometbft/types"
)

// MaxValidatorsCap bounds a counterparty's validator set whatever max_validators says.
// An adjacent update of n ML-DSA-65 validators is ~7.4 KB × n (3,309-byte signatures,
// 1,952-byte keys; 737 KB for 100, measured in BenchmarkUpdateClient): 128 is the most
// whose update still fits the 1 MiB tx bound.
const MaxValidatorsCap = 128

// decodedHeader is a Header decoded and checked for shape; its signatures are
// verified by the light client (client.go), never here.
type decodedHeader struct {
	signed      *cmttypes.SignedHeader
	vals        *cmttypes.ValidatorSet
	trustedVals *cmttypes.ValidatorSet // nil on creation
}

func (h *decodedHeader) height() uint64 { return uint64(h.signed.Height) }

// decodeHeader decodes the header's CometBFT protobufs and checks their shape:
// header and commit agree, the set hashes to the header's validators_hash, no set has
// more than maxVals validators. withTrusted: trusted_validators must be present.
func decodeHeader(h *Header, maxVals int, withTrusted bool) (*decodedHeader, error) {
	var sp cmtproto.SignedHeader
	if err := sp.Unmarshal(h.SignedHeader); err != nil {
		return nil, ErrInvalidHeader.Wrapf("signed_header is not a CometBFT SignedHeader: %v", err)
	}
	signed, err := cmttypes.SignedHeaderFromProto(&sp)
	if err != nil {
		return nil, ErrInvalidHeader.Wrapf("signed_header: %v", err)
	}
	if signed.Header == nil || signed.Commit == nil {
		return nil, ErrInvalidHeader.Wrap("signed_header needs both a header and a commit")
	}
	if err := signed.ValidateBasic(signed.ChainID); err != nil {
		return nil, ErrInvalidHeader.Wrapf("signed_header: %v", err)
	}
	vals, err := decodeValidatorSet("validator_set", h.ValidatorSet, maxVals)
	if err != nil {
		return nil, err
	}
	if got := vals.Hash(); string(got) != string(signed.ValidatorsHash) {
		return nil, ErrInvalidHeader.Wrapf("validator_set hashes to %X, the header at height %d says %X", got, signed.Height, signed.ValidatorsHash)
	}
	d := &decodedHeader{signed: signed, vals: vals}
	if !withTrusted {
		return d, nil
	}
	if h.TrustedHeight == 0 {
		return nil, ErrInvalidHeader.Wrap("trusted_height must name a height the client already verified")
	}
	if bytes.Equal(h.TrustedValidators, h.ValidatorSet) {
		// The set did not change since the trusted height (the usual case): decode it
		// once. ML-DSA-65 keys cost ~40 µs each to unpack.
		d.trustedVals = vals
		return d, nil
	}
	if d.trustedVals, err = decodeValidatorSet("trusted_validators", h.TrustedValidators, maxVals); err != nil {
		return nil, err
	}
	return d, nil
}

func decodeValidatorSet(field string, bz []byte, maxVals int) (*cmttypes.ValidatorSet, error) {
	var vp cmtproto.ValidatorSet
	if err := vp.Unmarshal(bz); err != nil {
		return nil, ErrInvalidHeader.Wrapf("%s is not a CometBFT ValidatorSet: %v", field, err)
	}
	if len(vp.Validators) == 0 {
		return nil, ErrInvalidHeader.Wrapf("%s is empty", field)
	}
	if len(vp.Validators) > maxVals {
		return nil, ErrTooManyValidators.Wrapf("%s has %d validators, this chain accepts at most %d (param max_validators)", field, len(vp.Validators), maxVals)
	}
	vals, err := cmttypes.ValidatorSetFromProto(&vp)
	if err != nil {
		return nil, ErrInvalidHeader.Wrapf("%s: %v", field, err)
	}
	if err := vals.ValidateBasic(); err != nil {
		return nil, ErrInvalidHeader.Wrapf("%s: %v", field, err)
	}
	return vals, nil
}
