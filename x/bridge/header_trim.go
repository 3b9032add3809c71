package bridge

import (
	"fmt"
	"math/big"

	cmtproto "github.com/cometbft/cometbft/proto/tendermint/types"
	cmttypes "github.com/cometbft/cometbft/types"
)

// TrimSignatures shrinks an update a relayer is about to send: it marks absent every
// commit signature beyond what the light client needs, which is (light.Verify, as
// UpdateClient runs it) more than 2/3 of the power of the header's own set and, when
// the update skips heights, more than trustLevel of the trusted set's power, both
// counted over the signatures in commit order. The commit is not hashed into the
// header (only the previous block's is), so the header, its hash and the consensus
// state the client stores stay the same; an ML-DSA-65 signature is 3,309 bytes.
// It is for relayers, never called by the state machine, and it cannot make a bad
// update verify: the chain checks what is left. It returns how many signatures it
// dropped; a header it cannot decode is returned unchanged, with the error.
func TrimSignatures(h *Header, trustLevel Fraction) (int, error) {
	var sp cmtproto.SignedHeader
	if err := sp.Unmarshal(h.SignedHeader); err != nil {
		return 0, fmt.Errorf("signed header: %w", err)
	}
	if sp.Header == nil || sp.Commit == nil {
		return 0, fmt.Errorf("signed header without header or commit")
	}
	vals, err := decodeValidatorSet("validator_set", h.ValidatorSet, MaxValidatorsCap)
	if err != nil {
		return 0, err
	}
	if len(sp.Commit.Signatures) != vals.Size() {
		return 0, fmt.Errorf("commit has %d signatures for %d validators", len(sp.Commit.Signatures), vals.Size())
	}
	// The new set must reach > 2/3; a skipping update also needs > trustLevel of the
	// trusted set (adjacent: light.Verify does not look at it, and it is the same set).
	newNeed := vals.TotalVotingPower() * 2 / 3
	var trusted *cmttypes.ValidatorSet
	var trustNeed int64
	adjacent := h.TrustedHeight == 0 || uint64(sp.Header.Height) == h.TrustedHeight+1
	if !adjacent {
		if trusted, err = decodeValidatorSet("trusted_validators", h.TrustedValidators, MaxValidatorsCap); err != nil {
			return 0, err
		}
		if trustLevel.Denominator == 0 {
			return 0, fmt.Errorf("trust level %d/0", trustLevel.Numerator)
		}
		// As VerifyCommitLightTrusting: total × numerator / denominator, truncated.
		n := new(big.Int).Mul(big.NewInt(trusted.TotalVotingPower()), new(big.Int).SetUint64(trustLevel.Numerator))
		trustNeed = n.Quo(n, new(big.Int).SetUint64(trustLevel.Denominator)).Int64()
	}
	var newGot, trustGot int64
	seen := map[int32]bool{} // trusted validators counted (the verifier refuses a double vote)
	dropped := 0
	for i := range sp.Commit.Signatures {
		s := &sp.Commit.Signatures[i]
		enough := newGot > newNeed && (adjacent || trustGot > trustNeed)
		if s.BlockIdFlag == cmtproto.BlockIDFlagCommit && !enough {
			newGot += vals.Validators[i].VotingPower
			if trusted != nil {
				if idx, v := trusted.GetByAddress(s.ValidatorAddress); v != nil && !seen[idx] {
					seen[idx] = true
					trustGot += v.VotingPower
				}
			}
			continue
		}
		if s.BlockIdFlag == cmtproto.BlockIDFlagAbsent {
			continue
		}
		// Not needed (or a nil vote, which counts for nothing): absent, as the
		// verifier skips it; CommitSig.ValidateBasic wants no address, time or signature.
		*s = cmtproto.CommitSig{BlockIdFlag: cmtproto.BlockIDFlagAbsent}
		dropped++
	}
	if dropped == 0 {
		return 0, nil
	}
	bz, err := sp.Marshal()
	if err != nil {
		return 0, err
	}
	h.SignedHeader = bz
	return dropped, nil
}
