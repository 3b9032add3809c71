// Package voteexttest gives tests a validator set with real CometBFT consensus keys
// (ed25519 and ML-DSA-65) that signs vote extensions the way CometBFT's privval
// does, and an in-memory voteext.PubKeys holding their keys for voteext's own
// unit tests (the app uses x/poai's keeper).
package voteexttest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"slices"
	"sync"

	abci "github.com/cometbft/cometbft/abci/types"
	cmtcrypto "github.com/cometbft/cometbft/crypto"
	"github.com/cometbft/cometbft/crypto/ed25519"
	"github.com/cometbft/cometbft/crypto/mldsa65"
	cmtproto "github.com/cometbft/cometbft/proto/tendermint/types"
	cmttypes "github.com/cometbft/cometbft/types"

	"github.com/selfchain/selfchain/x/poai/voteext"
)

// Validator is one consensus key with its voting power.
type Validator struct {
	Priv  cmtcrypto.PrivKey
	Addr  []byte
	Power int64
}

// Set is a validator set in CometBFT's order (power descending, then address).
type Set struct {
	Vals  []*Validator
	State *State
}

// NewSet derives deterministic keys from seed: validator i gets powers[i] and an
// ML-DSA-65 key when mldsa[i % len(mldsa)] is true (ed25519 otherwise).
func NewSet(seed int, powers []int64, mldsa ...bool) *Set {
	s := &Set{State: NewState()}
	for i, p := range powers {
		secret := sha256.Sum256(binary.BigEndian.AppendUint64([]byte(fmt.Sprintf("voteexttest/%d/", seed)), uint64(i)))
		var priv cmtcrypto.PrivKey = ed25519.GenPrivKeyFromSecret(secret[:])
		if len(mldsa) > 0 && mldsa[i%len(mldsa)] {
			k, err := mldsa65.GenPrivKeyFromSeed(secret[:])
			if err != nil {
				panic(err)
			}
			priv = k
		}
		v := &Validator{Priv: priv, Addr: priv.PubKey().Address(), Power: p}
		s.Vals = append(s.Vals, v)
		s.State.Keys[string(v.Addr)] = priv.PubKey()
	}
	slices.SortFunc(s.Vals, func(a, b *Validator) int {
		if a.Power != b.Power {
			if a.Power > b.Power {
				return -1
			}
			return 1
		}
		return bytes.Compare(a.Addr, b.Addr)
	})
	return s
}

// SignExtension signs ext for a precommit at (height, round) with CometBFT's own
// sign-bytes function, as privval.FilePV does.
func (v *Validator) SignExtension(chainID string, height int64, round int32, ext []byte) []byte {
	sb := cmttypes.VoteExtensionSignBytes(chainID, &cmtproto.Vote{Type: cmtproto.PrecommitType, Height: height, Round: round, Extension: ext})
	sig, err := v.Priv.Sign(sb)
	if err != nil {
		panic(err)
	}
	return sig
}

// Commit builds the extended commit of height as CometBFT hands it to the next
// proposer: every validator votes for the block (flag Commit) with ext(i) signed,
// except those for which absent(i) is true.
func (s *Set) Commit(chainID string, height int64, round int32, ext func(i int) []byte, absent func(i int) bool) abci.ExtendedCommitInfo {
	c := abci.ExtendedCommitInfo{Round: round}
	for i, v := range s.Vals {
		vote := abci.ExtendedVoteInfo{Validator: abci.Validator{Address: v.Addr, Power: v.Power}}
		if absent != nil && absent(i) {
			vote.BlockIdFlag = cmtproto.BlockIDFlagAbsent
		} else {
			vote.BlockIdFlag = cmtproto.BlockIDFlagCommit
			if ext != nil {
				vote.VoteExtension = ext(i)
			}
			vote.ExtensionSignature = v.SignExtension(chainID, height, round, vote.VoteExtension)
		}
		c.Votes = append(c.Votes, vote)
	}
	return c
}

// LastCommit is the CommitInfo CometBFT derives from an extended commit
// (ProposedLastCommit / DecidedLastCommit).
func LastCommit(c abci.ExtendedCommitInfo) abci.CommitInfo {
	out := abci.CommitInfo{Round: c.Round}
	for _, v := range c.Votes {
		out.Votes = append(out.Votes, abci.VoteInfo{Validator: v.Validator, BlockIdFlag: v.BlockIdFlag})
	}
	return out
}

// Extension encodes an extension scoring block scoredHeight (hash) with risks
// for tx indices 0..len(risks)-1.
func Extension(scoredHeight int64, hash []byte, risks ...uint32) []byte {
	b := &voteext.BlockScores{Height: scoredHeight, BlockHash: hash, ModelId: "test-model"}
	for i, r := range risks {
		b.TxIndices = append(b.TxIndices, uint32(i))
		b.Risks = append(b.Risks, r)
	}
	return ExtensionOf(b)
}

// ExtensionOf encodes an extension of the given blocks' scores, as given.
func ExtensionOf(blocks ...*voteext.BlockScores) []byte {
	ve := voteext.VoteExtension{Version: voteext.Version, Blocks: blocks}
	bz, err := ve.Marshal()
	if err != nil {
		panic(err)
	}
	return bz
}

// State is an in-memory voteext.PubKeys: the consensus keys of a Set.
type State struct {
	mu   sync.Mutex
	Keys map[string]cmtcrypto.PubKey
}

var _ voteext.PubKeys = (*State)(nil)

func NewState() *State { return &State{Keys: map[string]cmtcrypto.PubKey{}} }

func (s *State) ConsensusPubKey(_ context.Context, addr []byte) (cmtcrypto.PubKey, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if k, ok := s.Keys[string(addr)]; ok {
		return k, nil
	}
	return nil, fmt.Errorf("no validator with consensus address %X", addr)
}
