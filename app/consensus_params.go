package app

import cmttypes "github.com/cometbft/cometbft/types"

// DefaultBlockMaxBytes is the genesis block size limit: room for a commit
// signed by hundreds of ML-DSA-65 validators (3.3 KB each) plus transactions.
// It holds ~1,168 default hybrid-key sends (~3.6 KB each). 21 MiB (the Cosmos
// SDK's init default) was measured in stop 31 (docs/PERFORMANCE.md, "Hybrid keys
// at saturation"): one validator on two loaded cores gained nothing outside the
// noise (hybrid txs cost ~1.2-1.6 ms of node CPU each, mostly per byte), and four
// validators stopped committing under overload as proposals grew round after
// failed round. init sizes the p2p rates from it (server.DefaultP2PRate).
const DefaultBlockMaxBytes = 4 << 20

// DefaultConsensusParams are CometBFT's defaults with a 4 MiB block, a block gas
// limit (CometBFT's default is unlimited), both
// ed25519 and ML-DSA-65 validator keys allowed, and vote extensions (PoAI's
// scores) enabled from height 1: turning them on later needs a coordinated
// consensus-param change, and an app without PoAI state just sends empty ones.
func DefaultConsensusParams() *cmttypes.ConsensusParams {
	p := cmttypes.DefaultConsensusParams()
	p.Block.MaxBytes = DefaultBlockMaxBytes
	p.Block.MaxGas = DefaultBlockMaxGas
	p.Validator.PubKeyTypes = []string{cmttypes.ABCIPubKeyTypeEd25519, cmttypes.ABCIPubKeyTypeMlDsa65}
	p.ABCI.VoteExtensionsEnableHeight = 1
	return p
}
