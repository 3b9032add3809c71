package testutil

import (
	"testing"

	abci "github.com/cometbft/cometbft/abci/types"
	"github.com/cometbft/cometbft/crypto/ed25519"
	"github.com/cometbft/cometbft/crypto/mldsa65"
	"github.com/cometbft/cometbft/crypto/secp256k1"
	cmttypes "github.com/cometbft/cometbft/types"
	"github.com/stretchr/testify/require"
)

// The rules refuse what CometBFT refuses: each case is a response a real node
// stops on (or, for the proposal, refuses to propose).
func TestCometBFTRulesRefuseWhatCometBFTRefuses(t *testing.T) {
	key := func(i byte) ed25519.PrivKey { return ed25519.GenPrivKeyFromSecret([]byte{i}) }
	up := func(i byte, power int64) abci.ValidatorUpdate {
		return cmttypes.TM2PB.NewValidatorUpdate(key(i).PubKey(), power)
	}
	started := func() *CometBFTRules {
		r := NewCometBFTRules()
		require.NoError(t, r.InitChain(&abci.ResponseInitChain{Validators: []abci.ValidatorUpdate{up(1, 10), up(2, 10)}}))
		return r
	}
	fin := func(ups ...abci.ValidatorUpdate) (*abci.RequestFinalizeBlock, *abci.ResponseFinalizeBlock) {
		return &abci.RequestFinalizeBlock{Height: 2}, &abci.ResponseFinalizeBlock{AppHash: []byte{1}, ValidatorUpdates: ups}
	}
	ok := func(ups ...abci.ValidatorUpdate) {
		t.Helper()
		require.NoError(t, started().FinalizeBlock(fin(ups...)))
	}
	bad := func(want string, ups ...abci.ValidatorUpdate) {
		t.Helper()
		err := started().FinalizeBlock(fin(ups...))
		require.ErrorContains(t, err, want)
	}
	ok(up(3, 5), up(1, 0))
	pq, err := mldsa65.GenPrivKey()
	require.NoError(t, err)
	ok(cmttypes.TM2PB.NewValidatorUpdate(pq.PubKey(), 5))

	bad("negative", up(3, -1))
	bad("unsupported for consensus", cmttypes.TM2PB.NewValidatorUpdate(secp256k1.GenPrivKey().PubKey(), 5))
	bad("duplicate", up(3, 5), up(3, 6))
	bad("failed to find validator", up(9, 0))
	bad("empty set", up(1, 0), up(2, 0))
	bad("total voting power", up(3, cmttypes.MaxTotalVotingPower))

	req, res := fin()
	res.TxResults = []*abci.ExecTxResult{{}}
	require.ErrorContains(t, started().FinalizeBlock(req, res), "1 tx results for 0 txs")
	req, res = &abci.RequestFinalizeBlock{Txs: [][]byte{{1}}}, &abci.ResponseFinalizeBlock{AppHash: []byte{1}, TxResults: []*abci.ExecTxResult{{GasWanted: -1}}}
	require.ErrorContains(t, started().FinalizeBlock(req, res), "negative gas")

	// A set whose commit no longer fits the block (MaxDataBytes panics in CometBFT).
	small := started()
	small.Params.Block.MaxBytes = 16 << 10
	small.Params.Evidence.MaxBytes = 1 << 10
	var many []abci.ValidatorUpdate
	for i := byte(10); i < 14; i++ {
		many = append(many, up(i, 1))
	}
	require.ErrorContains(t, small.FinalizeBlock(fin(many...)), "Negative MaxDataBytes")

	// A proposal over the data budget by CometBFT's count (not the raw bytes).
	txs := [][]byte{make([]byte, 100), make([]byte, 100)}
	require.NoError(t, started().PrepareProposal(&abci.RequestPrepareProposal{MaxTxBytes: 204}, &abci.ResponsePrepareProposal{Txs: txs}))
	require.Error(t, started().PrepareProposal(&abci.RequestPrepareProposal{MaxTxBytes: 203}, &abci.ResponsePrepareProposal{Txs: txs}))

	require.Error(t, started().ExtendVote(&abci.ResponseExtendVote{VoteExtension: make([]byte, cmttypes.MaxVoteExtensionSize+1)}))
	require.Error(t, started().ProcessProposal(&abci.ResponseProcessProposal{}))
	require.Error(t, started().VerifyVoteExtension(&abci.ResponseVerifyVoteExtension{}))
}
