package app

import (
	abci "github.com/cometbft/cometbft/abci/types"
	cmtproto "github.com/cometbft/cometbft/proto/tendermint/types"
	cmttypes "github.com/cometbft/cometbft/types"

	"github.com/selfchain/selfchain/x/poai"
	"github.com/selfchain/selfchain/x/poai/voteext"
)

// MinBlockTxRoom is what a block must keep for txs after its header, the last
// commit, the largest evidence allowed and PoAI's extended commit: a few
// hybrid-key txs or one SLH-DSA hybrid one.
const MinBlockTxRoom = 16 << 10

// MaxActiveValidators is the largest validator set whose blocks still hold
// MinBlockTxRoom of txs under consensus params cp, counting for each validator
// CometBFT's worst-case commit signature (types.MaxCommitBytes) and, when vote
// extensions are on, its worst-case vote in the injected extended commit (an
// extension of voteext.MaxExtensionBytes signed with the largest signature).
// x/poai keeps the active set within it (poai.Keeper.SetBlockRoom).
func MaxActiveValidators(cp *cmtproto.ConsensusParams) uint32 {
	maxBytes, evidence, extensions := int64(cmttypes.MaxBlockSizeBytes), int64(0), false
	if cp != nil {
		if cp.Block != nil && cp.Block.MaxBytes > 0 {
			maxBytes = cp.Block.MaxBytes
		}
		if cp.Evidence != nil {
			evidence = cp.Evidence.MaxBytes
		}
		extensions = cp.Abci != nil && cp.Abci.VoteExtensionsEnableHeight > 0
	}
	fits := func(n int) bool {
		data := maxBytes - cmttypes.MaxOverheadForBlock - cmttypes.MaxHeaderBytes - cmttypes.MaxCommitBytes(n) - evidence
		if extensions {
			data -= injectedCommitBytes(n)
		}
		return data >= MinBlockTxRoom
	}
	lo, hi := 0, int(poai.MaxActiveValidators) // fits(lo) or lo == 0; the answer is in [lo, hi]
	for lo < hi {
		mid := (lo + hi + 1) / 2
		if fits(mid) {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	return uint32(lo)
}

// worstVote is the largest vote an injected extended commit carries.
var worstVote = abci.ExtendedVoteInfo{
	Validator:          abci.Validator{Address: make([]byte, 20), Power: poai.MaxPowerPerValidator},
	VoteExtension:      make([]byte, voteext.MaxExtensionBytes),
	ExtensionSignature: make([]byte, cmttypes.MaxSignatureSize),
	BlockIdFlag:        cmtproto.BlockIDFlagCommit,
}

// injectedCommitBytes is the block bytes (txBlockBytes) of an injected commit of
// n worst-case votes, without encoding it: the marker, the round, and per vote
// its field tag, length prefix and body.
func injectedCommitBytes(n int) int64 {
	vote := int64(worstVote.Size())
	perVote := 1 + int64(uvarintLen(uint64(vote))) + vote
	const round = 1 + 5 // tag and the longest varint of an int32 round
	body := int64(len(voteext.InjectedTxMarker)) + round + int64(n)*perVote
	return 1 + int64(uvarintLen(uint64(body))) + body
}

func uvarintLen(x uint64) int {
	n := 1
	for x >= 0x80 {
		x >>= 7
		n++
	}
	return n
}
