package app

import (
	"testing"

	abci "github.com/cometbft/cometbft/abci/types"
	cmtproto "github.com/cometbft/cometbft/proto/tendermint/types"
	cmttypes "github.com/cometbft/cometbft/types"
	"github.com/stretchr/testify/require"

	"github.com/selfchain/selfchain/x/poai/voteext"
)

// MaxActiveValidators is exact: with n validators of the worst case (the largest
// commit signature, the largest extension and extension signature, encoded for
// real) a block keeps MinBlockTxRoom for txs, with n+1 it does not.
func TestMaxActiveValidatorsIsExact(t *testing.T) {
	room := func(cp *cmtproto.ConsensusParams, n int, extensions bool) int64 {
		data := cp.Block.MaxBytes - cmttypes.MaxOverheadForBlock - cmttypes.MaxHeaderBytes - cmttypes.MaxCommitBytes(n) - cp.Evidence.MaxBytes
		if extensions {
			c := abci.ExtendedCommitInfo{Round: 1 << 30}
			for i := 0; i < n; i++ {
				c.Votes = append(c.Votes, worstVote)
			}
			bz, err := voteext.EncodeInjectedTx(&c)
			require.NoError(t, err)
			data -= txBlockBytes(bz)
		}
		return data
	}
	for _, c := range []struct {
		maxBytes, evidence int64
		extensions         bool
	}{
		{64 << 10, 8 << 10, true},
		{256 << 10, 32 << 10, true},
		{256 << 10, 32 << 10, false},
		{1 << 20, 1 << 18, true},
	} {
		cp := &cmtproto.ConsensusParams{Block: &cmtproto.BlockParams{MaxBytes: c.maxBytes}, Evidence: &cmtproto.EvidenceParams{MaxBytes: c.evidence}}
		if c.extensions {
			cp.Abci = &cmtproto.ABCIParams{VoteExtensionsEnableHeight: 1}
		}
		n := int(MaxActiveValidators(cp))
		require.Positive(t, n, "%+v", c)
		require.GreaterOrEqual(t, room(cp, n, c.extensions), int64(MinBlockTxRoom), "%+v: n=%d", c, n)
		require.Less(t, room(cp, n+1, c.extensions), int64(MinBlockTxRoom), "%+v: n+1=%d", c, n+1)
	}

	// The defaults `selfchaind init` writes carry a few hundred validators, far
	// above x/poai's default max_validators of 100.
	def := DefaultConsensusParams().ToProto()
	n := MaxActiveValidators(&def)
	require.Greater(t, n, uint32(250))
	require.Less(t, n, uint32(300))
}
