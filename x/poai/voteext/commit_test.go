package voteext_test

import (
	"context"
	"path/filepath"
	"testing"

	abci "github.com/cometbft/cometbft/abci/types"
	"github.com/cometbft/cometbft/crypto/mldsa65"
	"github.com/cometbft/cometbft/privval"
	cmtproto "github.com/cometbft/cometbft/proto/tendermint/types"
	"github.com/stretchr/testify/require"

	"github.com/selfchain/selfchain/x/poai/voteext"
	"github.com/selfchain/selfchain/x/poai/voteext/voteexttest"
)

const chainID = "selfchain-test-1"

// A four-validator set, two ed25519 and two ML-DSA-65 keys, and the extended
// commit of height 10 in which all vote with an extension scoring height 9.
func fixture(t *testing.T) (*voteexttest.Set, abci.ExtendedCommitInfo) {
	set := voteexttest.NewSet(1, []int64{40, 30, 20, 10}, false, true)
	c := set.Commit(chainID, 10, 0, func(i int) []byte { return voteexttest.Extension(9, hash32, uint32(100+i)) }, nil)
	return set, c
}

func validate(set *voteexttest.Set, c abci.ExtendedCommitInfo, last abci.CommitInfo) error {
	return voteext.ValidateExtendedCommit(context.Background(), set.State, chainID, 10, &c, last)
}

func clone(c abci.ExtendedCommitInfo) abci.ExtendedCommitInfo {
	bz, _ := c.Marshal()
	var out abci.ExtendedCommitInfo
	_ = out.Unmarshal(bz)
	return out
}

func TestValidateExtendedCommitAcceptsCometBFTsCommit(t *testing.T) {
	set, c := fixture(t)
	require.NoError(t, validate(set, c, voteexttest.LastCommit(c)))

	// One absent validator (10 of 100 power) still leaves > 2/3.
	c2 := set.Commit(chainID, 10, 2, nil, func(i int) bool { return i == 3 })
	require.NoError(t, validate(set, c2, voteexttest.LastCommit(c2)))
}

func TestValidateExtendedCommitRejects(t *testing.T) {
	set, good := fixture(t)
	last := voteexttest.LastCommit(good)
	other := voteexttest.NewSet(2, []int64{40}, true)

	for _, tc := range []struct {
		name   string
		mutate func(c *abci.ExtendedCommitInfo, last *abci.CommitInfo)
		want   error
	}{
		{"tampered extension", func(c *abci.ExtendedCommitInfo, _ *abci.CommitInfo) {
			c.Votes[1].VoteExtension = voteexttest.Extension(9, hash32, 999)
		}, voteext.ErrBadSignature},
		{"forged signature (another key)", func(c *abci.ExtendedCommitInfo, _ *abci.CommitInfo) {
			c.Votes[0].ExtensionSignature = other.Vals[0].SignExtension(chainID, 10, 0, c.Votes[0].VoteExtension)
		}, voteext.ErrBadSignature},
		{"signature for another height", func(c *abci.ExtendedCommitInfo, _ *abci.CommitInfo) {
			c.Votes[2].ExtensionSignature = set.Vals[2].SignExtension(chainID, 11, 0, c.Votes[2].VoteExtension)
		}, voteext.ErrBadSignature},
		{"signature for another chain", func(c *abci.ExtendedCommitInfo, _ *abci.CommitInfo) {
			c.Votes[2].ExtensionSignature = set.Vals[2].SignExtension("other-chain-1", 10, 0, c.Votes[2].VoteExtension)
		}, voteext.ErrBadSignature},
		{"inflated power", func(c *abci.ExtendedCommitInfo, _ *abci.CommitInfo) { c.Votes[3].Validator.Power = 1000 }, voteext.ErrCommitMismatch},
		{"inflated power in both (order broken)", func(c *abci.ExtendedCommitInfo, l *abci.CommitInfo) {
			c.Votes[3].Validator.Power, l.Votes[3].Validator.Power = 1000, 1000
		}, voteext.ErrCommitMismatch},
		{"duplicated validator", func(c *abci.ExtendedCommitInfo, l *abci.CommitInfo) {
			c.Votes[1] = c.Votes[0]
			l.Votes[1] = l.Votes[0]
		}, voteext.ErrCommitMismatch},
		{"dropped vote", func(c *abci.ExtendedCommitInfo, _ *abci.CommitInfo) { c.Votes = c.Votes[:3] }, voteext.ErrCommitMismatch},
		{"reordered votes", func(c *abci.ExtendedCommitInfo, l *abci.CommitInfo) {
			c.Votes[0], c.Votes[1] = c.Votes[1], c.Votes[0]
			l.Votes[0], l.Votes[1] = l.Votes[1], l.Votes[0]
		}, voteext.ErrCommitMismatch},
		{"wrong round", func(c *abci.ExtendedCommitInfo, _ *abci.CommitInfo) { c.Round = 1 }, voteext.ErrCommitMismatch},
		{"flag changed", func(c *abci.ExtendedCommitInfo, _ *abci.CommitInfo) {
			c.Votes[3].BlockIdFlag = cmtproto.BlockIDFlagAbsent
		}, voteext.ErrCommitMismatch},
		{"absent vote with an extension", func(c *abci.ExtendedCommitInfo, l *abci.CommitInfo) {
			c.Votes[3].BlockIdFlag, l.Votes[3].BlockIdFlag = cmtproto.BlockIDFlagAbsent, cmtproto.BlockIDFlagAbsent
		}, voteext.ErrInjectedTx},
		{"extension without signature", func(c *abci.ExtendedCommitInfo, _ *abci.CommitInfo) { c.Votes[0].ExtensionSignature = nil }, voteext.ErrBadSignature},
		{"under 2/3 signed (two pruned)", func(c *abci.ExtendedCommitInfo, _ *abci.CommitInfo) {
			for _, i := range []int{0, 3} { // 40 + 10 of 100 pruned: 50 signed
				c.Votes[i].VoteExtension, c.Votes[i].ExtensionSignature = nil, nil
			}
		}, voteext.ErrNoQuorum},
		{"one pruned, 70 of 100 still signed: accepted", func(c *abci.ExtendedCommitInfo, _ *abci.CommitInfo) {
			c.Votes[1].VoteExtension, c.Votes[1].ExtensionSignature = nil, nil
		}, nil},
		{"unknown validator", func(c *abci.ExtendedCommitInfo, l *abci.CommitInfo) {
			c.Votes[0].Validator.Address = other.Vals[0].Addr
			l.Votes[0].Validator.Address = other.Vals[0].Addr
		}, voteext.ErrBadSignature},
		{"malformed extension, validly signed", func(c *abci.ExtendedCommitInfo, _ *abci.CommitInfo) {
			c.Votes[2].VoteExtension = []byte{0xff, 0x01}
			c.Votes[2].ExtensionSignature = set.Vals[2].SignExtension(chainID, 10, 0, c.Votes[2].VoteExtension)
		}, voteext.ErrMalformed},
		{"extension scoring the wrong height, validly signed", func(c *abci.ExtendedCommitInfo, _ *abci.CommitInfo) {
			c.Votes[2].VoteExtension = voteexttest.Extension(10, hash32, 1) // not before the vote
			c.Votes[2].ExtensionSignature = set.Vals[2].SignExtension(chainID, 10, 0, c.Votes[2].VoteExtension)
		}, voteext.ErrWrongHeight},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, l := clone(good), last
			l.Votes = append([]abci.VoteInfo(nil), last.Votes...)
			tc.mutate(&c, &l)
			err := validate(set, c, l)
			if tc.want == nil {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, tc.want)
		})
	}

	// Exactly 2/3: 3 validators of equal power, one pruned.
	eq := voteexttest.NewSet(3, []int64{10, 10, 10}, true, false)
	c := eq.Commit(chainID, 10, 0, nil, nil)
	c.Votes[0].ExtensionSignature = nil
	require.ErrorIs(t, validate(eq, c, voteexttest.LastCommit(c)), voteext.ErrNoQuorum)
}

// Pruning clears exactly the votes whose extension does not verify, keeps the
// commit's shape, and the pruned commit validates while it keeps > 2/3.
func TestPruneExtendedCommit(t *testing.T) {
	set, c := fixture(t)
	c.Votes[3].VoteExtension = voteexttest.Extension(9, hash32, 7) // signature no longer matches
	delete(set.State.Keys, string(set.Vals[2].Addr))               // key unknown to the module
	p := voteext.PruneExtendedCommit(context.Background(), set.State, chainID, 10, c)
	require.Len(t, p.Votes, 4)
	for i, v := range p.Votes {
		require.Equal(t, c.Votes[i].Validator, v.Validator)
		require.Equal(t, c.Votes[i].BlockIdFlag, v.BlockIdFlag)
		if i >= 2 {
			require.Empty(t, v.VoteExtension)
			require.Empty(t, v.ExtensionSignature)
		} else {
			require.Equal(t, c.Votes[i], v)
		}
	}
	require.NoError(t, validate(set, p, voteexttest.LastCommit(c)))
	require.NotEmpty(t, c.Votes[3].VoteExtension, "the input is not modified")
}

// The sign bytes checked here are the ones CometBFT's file privval signs: a
// precommit signed by a real FilePV (ML-DSA-65 key) verifies.
func TestFilePVSignedExtensionVerifies(t *testing.T) {
	key, err := mldsa65.GenPrivKey()
	require.NoError(t, err)
	dir := t.TempDir()
	pv := privval.NewFilePV(key, filepath.Join(dir, "key.json"), filepath.Join(dir, "state.json"))
	extBz := voteexttest.Extension(9, hash32, 5, 6)
	vote := &cmtproto.Vote{Type: cmtproto.PrecommitType, Height: 10, Round: 3, Extension: extBz,
		BlockID: cmtproto.BlockID{Hash: hash32, PartSetHeader: cmtproto.PartSetHeader{Total: 1, Hash: hash32}}}
	require.NoError(t, pv.SignVote(chainID, vote))
	require.NotEmpty(t, vote.ExtensionSignature)

	st := voteexttest.NewState()
	st.Keys[string(key.PubKey().Address())] = key.PubKey()
	c := abci.ExtendedCommitInfo{Round: 3, Votes: []abci.ExtendedVoteInfo{{
		Validator: abci.Validator{Address: key.PubKey().Address(), Power: 1}, BlockIdFlag: cmtproto.BlockIDFlagCommit,
		VoteExtension: extBz, ExtensionSignature: vote.ExtensionSignature,
	}}}
	require.NoError(t, voteext.ValidateExtendedCommit(context.Background(), st, chainID, 10, &c, voteexttest.LastCommit(c)))
}

func TestInjectedTxRoundTrip(t *testing.T) {
	_, c := fixture(t)
	bz, err := voteext.EncodeInjectedTx(&c)
	require.NoError(t, err)
	require.True(t, voteext.IsInjectedTx(bz))
	got, err := voteext.DecodeInjectedTx(bz)
	require.NoError(t, err)
	require.Equal(t, c, *got)

	for _, bad := range [][]byte{nil, []byte("hello"), voteext.InjectedTxMarker[:5], append(append([]byte{}, bz...), 0x08, 0x01), append(append([]byte{}, voteext.InjectedTxMarker...), 0xff)} {
		_, err := voteext.DecodeInjectedTx(bad)
		require.ErrorIs(t, err, voteext.ErrInjectedTx)
	}
}
