package app

import cmttypes "github.com/cometbft/cometbft/types"

// DefaultBlockMaxBytes is the genesis block size limit of a new chain: 21 MiB,
// what the Cosmos SDK's init writes. Hybrid-key txs are ~3.6 KB (Ed25519 ‖
// ML-DSA-65 signature): 4 MiB held 1,168 of them and bound hybrid throughput at
// ~650 tx/s, while 0.6× the ed25519 rate needs ~2,500 a 1 s block (~9 MB) plus
// room for bursts; a block of 10,000 storage proofs (x/backup) is 19.1 MB. Larger
// blocks need faster gossip: init raises config.toml's p2p rates with it
// (server.DefaultP2PRate). Existing chains keep their genesis value.
const DefaultBlockMaxBytes = 21 << 20

// DefaultConsensusParams are CometBFT's defaults with a 21 MiB block, a block gas
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
