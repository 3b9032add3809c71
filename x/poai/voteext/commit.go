package voteext

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	abci "github.com/cometbft/cometbft/abci/types"
	"github.com/cometbft/cometbft/libs/protoio"
	cmtproto "github.com/cometbft/cometbft/proto/tendermint/types"
)

// InjectedTxMarker starts the consensus-only tx carrying the extended commit. Its
// first byte 0x00 is not a valid protobuf tag, so the tx can never decode as a
// user tx; CheckTx refuses it by this prefix with a clear error.
var InjectedTxMarker = []byte("\x00selfchain/poai/extended-commit/v1\x00")

// MaxCommitVotes bounds the votes of an injected commit (CometBFT's own validator
// set limit is far lower in practice).
const MaxCommitVotes = 10_000

var (
	ErrInjectedTx     = errors.New("invalid injected extended commit")
	ErrMissingCommit  = errors.New("proposal lacks the injected extended commit")
	ErrCommitMismatch = errors.New("injected extended commit does not match the block's last commit")
	ErrBadSignature   = errors.New("vote extension signature does not verify")
	ErrNoQuorum       = errors.New("vote extensions signed by 2/3 or less of the voting power")
)

// IsInjectedTx says whether bz carries the marker (cheap; no decoding).
func IsInjectedTx(bz []byte) bool { return bytes.HasPrefix(bz, InjectedTxMarker) }

// EncodeInjectedTx wraps an extended commit into the consensus-only tx.
func EncodeInjectedTx(c *abci.ExtendedCommitInfo) ([]byte, error) {
	bz, err := c.Marshal()
	if err != nil {
		return nil, err
	}
	return append(append([]byte{}, InjectedTxMarker...), bz...), nil
}

// DecodeInjectedTx parses the consensus-only tx: the marker, a canonically encoded
// ExtendedCommitInfo, at most MaxCommitVotes votes.
func DecodeInjectedTx(bz []byte) (*abci.ExtendedCommitInfo, error) {
	if !IsInjectedTx(bz) {
		return nil, fmt.Errorf("%w: missing marker", ErrInjectedTx)
	}
	body := bz[len(InjectedTxMarker):]
	var c abci.ExtendedCommitInfo
	if err := c.Unmarshal(body); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInjectedTx, err)
	}
	if len(c.Votes) > MaxCommitVotes {
		return nil, fmt.Errorf("%w: %d votes, at most %d", ErrInjectedTx, len(c.Votes), MaxCommitVotes)
	}
	if canon, err := c.Marshal(); err != nil || !bytes.Equal(canon, body) {
		return nil, fmt.Errorf("%w: not canonically encoded", ErrInjectedTx)
	}
	return &c, nil
}

// ExtensionSignBytes is what a validator's consensus key signed for its extension
// at (height, round): CometBFT v0.40's types.VoteExtensionSignBytes, i.e. the
// length-delimited CanonicalVoteExtension.
func ExtensionSignBytes(chainID string, height int64, round int32, ext []byte) []byte {
	cve := cmtproto.CanonicalVoteExtension{Extension: ext, Height: height, Round: int64(round), ChainId: chainID}
	bz, err := protoio.MarshalDelimited(&cve)
	if err != nil { // a fixed struct of bytes and ints: cannot fail
		panic(err)
	}
	return bz
}

// verifyVote checks one commit vote's extension signature (and the extension's
// shape) for a commit at height.
func verifyVote(ctx context.Context, st PubKeys, chainID string, height int64, round int32, v *abci.ExtendedVoteInfo) error {
	if len(v.ExtensionSignature) == 0 {
		return fmt.Errorf("%w: validator %X sent none", ErrBadSignature, v.Validator.Address)
	}
	if len(v.VoteExtension) > 0 {
		if err := VerifyExtension(v.VoteExtension, height); err != nil {
			return fmt.Errorf("validator %X: %w", v.Validator.Address, err)
		}
	}
	pk, err := st.ConsensusPubKey(ctx, v.Validator.Address)
	if err != nil || pk == nil {
		return fmt.Errorf("%w: no consensus key for validator %X: %v", ErrBadSignature, v.Validator.Address, err)
	}
	if !bytes.Equal(pk.Address(), v.Validator.Address) {
		return fmt.Errorf("%w: the key known for validator %X has another address", ErrBadSignature, v.Validator.Address)
	}
	if !pk.VerifySignature(ExtensionSignBytes(chainID, height, round, v.VoteExtension), v.ExtensionSignature) {
		return fmt.Errorf("%w: validator %X", ErrBadSignature, v.Validator.Address)
	}
	return nil
}

// PruneExtendedCommit is the proposer's step before injecting the extended commit
// of height: it copies c and clears the extension and signature of every vote
// whose extension does not verify (its own included) or that is not a commit
// vote. Pruned votes keep their place, address, power and flag, so the commit
// still matches the block's last commit; they only stop counting as signed.
func PruneExtendedCommit(ctx context.Context, st PubKeys, chainID string, height int64, c abci.ExtendedCommitInfo) abci.ExtendedCommitInfo {
	out := abci.ExtendedCommitInfo{Round: c.Round, Votes: make([]abci.ExtendedVoteInfo, len(c.Votes))}
	for i, v := range c.Votes {
		out.Votes[i] = v
		if v.BlockIdFlag != cmtproto.BlockIDFlagCommit || verifyVote(ctx, st, chainID, height, c.Round, &v) != nil {
			out.Votes[i].VoteExtension, out.Votes[i].ExtensionSignature = nil, nil
		}
	}
	return out
}

// ValidateExtendedCommit is ProcessProposal's check of the commit injected into a
// block: c must be the extended commit of height (the previous block) exactly as
// lastCommit (CometBFT's ProposedLastCommit) describes it — same round, same
// validators in the same order (power descending, then address), same powers and
// flags, no duplicates — every commit vote's non-empty signature must verify
// against the validator's consensus key, non-commit votes carry nothing, and the
// verified votes must hold more than 2/3 of the commit's power. It is the check of
// the Cosmos SDK's baseapp.ValidateVoteExtensions plus its comparison with the
// last commit, with pruned (empty) votes counted as unsigned.
func ValidateExtendedCommit(ctx context.Context, st PubKeys, chainID string, height int64, c *abci.ExtendedCommitInfo, lastCommit abci.CommitInfo) error {
	if c.Round != lastCommit.Round {
		return fmt.Errorf("%w: round %d, the last commit's is %d", ErrCommitMismatch, c.Round, lastCommit.Round)
	}
	if len(c.Votes) != len(lastCommit.Votes) {
		return fmt.Errorf("%w: %d votes, the last commit has %d", ErrCommitMismatch, len(c.Votes), len(lastCommit.Votes))
	}
	var total, signed int64
	seen := make(map[string]struct{}, len(c.Votes))
	for i := range c.Votes {
		v, want := &c.Votes[i], &lastCommit.Votes[i]
		if !bytes.Equal(v.Validator.Address, want.Validator.Address) || v.Validator.Power != want.Validator.Power || v.BlockIdFlag != want.BlockIdFlag {
			return fmt.Errorf("%w: vote %d is (%X, power %d, flag %d), the last commit has (%X, power %d, flag %d)", ErrCommitMismatch,
				i, v.Validator.Address, v.Validator.Power, v.BlockIdFlag, want.Validator.Address, want.Validator.Power, want.BlockIdFlag)
		}
		if v.Validator.Power <= 0 || len(v.Validator.Address) == 0 {
			return fmt.Errorf("%w: vote %d has power %d / empty address", ErrCommitMismatch, i, v.Validator.Power)
		}
		if _, dup := seen[string(v.Validator.Address)]; dup {
			return fmt.Errorf("%w: validator %X appears twice", ErrCommitMismatch, v.Validator.Address)
		}
		seen[string(v.Validator.Address)] = struct{}{}
		if i > 0 {
			prev := &c.Votes[i-1].Validator
			if prev.Power < v.Validator.Power || (prev.Power == v.Validator.Power && bytes.Compare(prev.Address, v.Validator.Address) > 0) {
				return fmt.Errorf("%w: votes are not sorted by power then address at %d", ErrCommitMismatch, i)
			}
		}
		if total > maxTotalPower-v.Validator.Power {
			return fmt.Errorf("%w: total power overflows", ErrCommitMismatch)
		}
		total += v.Validator.Power
		switch {
		case v.BlockIdFlag != cmtproto.BlockIDFlagCommit:
			if len(v.VoteExtension) > 0 || len(v.ExtensionSignature) > 0 {
				return fmt.Errorf("%w: non-commit vote %d of %X carries an extension", ErrInjectedTx, i, v.Validator.Address)
			}
		case len(v.ExtensionSignature) == 0:
			// pruned by the proposer: allowed, counts as unsigned
			if len(v.VoteExtension) > 0 {
				return fmt.Errorf("%w: validator %X: extension without a signature", ErrBadSignature, v.Validator.Address)
			}
		default:
			if err := verifyVote(ctx, st, chainID, height, c.Round, v); err != nil {
				return err
			}
			signed += v.Validator.Power
		}
	}
	if total <= 0 {
		return fmt.Errorf("%w: the commit has no voting power", ErrNoQuorum)
	}
	// signed > 2/3 total, without overflow (total <= maxTotalPower = MaxInt64/8)
	if signed*3 <= total*2 {
		return fmt.Errorf("%w: %d of %d", ErrNoQuorum, signed, total)
	}
	return nil
}

// maxTotalPower is CometBFT's MaxTotalVotingPower (MaxInt64 / 8).
const maxTotalPower = int64(1<<63-1) / 8
