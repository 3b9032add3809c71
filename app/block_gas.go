package app

import (
	"encoding/binary"
	"fmt"

	cmtproto "github.com/cometbft/cometbft/proto/tendermint/types"
	cmttypes "github.com/cometbft/cometbft/types"
	dbm "github.com/cosmos/cosmos-db"

	"github.com/selfchain/selfchain/app/runtime"
	"github.com/selfchain/selfchain/app/tx"
)

// DefaultBlockMaxGas is the genesis block.max_gas: ten times auth's max_tx_gas, and
// room for ~7,000 hybrid-key sends (~130,000 gas each) a block.
const DefaultBlockMaxGas = 1_000_000_000

// blockMaxGasKey keeps the genesis block.max_gas (learnt at InitChain) outside the
// merkle state, like the vote-extension enable height: the app has no consensus-params
// update path, so the genesis value stays the chain's value. blockMaxBytesKey keeps
// block.max_bytes the same way, for the mempool's admission limit on a node that
// has not proposed yet (mempool_budget.go).
var (
	blockMaxGasKey   = []byte("selfchain/block-max-gas")
	blockMaxBytesKey = []byte("selfchain/block-max-bytes")
)

// initBlockParams records block.max_gas and block.max_bytes at InitChain (or a
// state-sync restore). max_gas -1 (CometBFT's "unlimited") or absent means no
// limit; max_bytes -1 means CometBFT's largest block, absent the default.
func (a *App) initBlockParams(cp *cmtproto.ConsensusParams) error {
	g, b := int64(-1), int64(DefaultBlockMaxBytes)
	if cp != nil && cp.Block != nil {
		g = cp.Block.MaxGas
		if cp.Block.MaxBytes != 0 {
			b = cp.Block.MaxBytes
		}
	}
	if b < 0 {
		b = cmttypes.MaxBlockSizeBytes
	}
	if err := a.db.SetSync(blockMaxGasKey, binary.BigEndian.AppendUint64(nil, uint64(g))); err != nil {
		return err
	}
	if err := a.db.SetSync(blockMaxBytesKey, binary.BigEndian.AppendUint64(nil, uint64(b))); err != nil {
		return err
	}
	a.blockMaxGas = g
	a.setBlockBytes(b) // until this node proposes, the whole block counts as tx bytes
	return nil
}

func (a *App) loadBlockParams() error {
	g, err := loadInt64(a.db, blockMaxGasKey, -1) // absent: before InitChain, or a chain initialised by an older selfchaind
	if err != nil {
		return err
	}
	b, err := loadInt64(a.db, blockMaxBytesKey, DefaultBlockMaxBytes)
	if err != nil {
		return err
	}
	a.blockMaxGas = g
	a.setBlockBytes(b)
	return nil
}

// loadInt64 reads an 8-byte big-endian record of the app's db; absent, def.
func loadInt64(db dbm.DB, key []byte, def int64) (int64, error) {
	bz, err := db.Get(key)
	if err != nil {
		return 0, err
	}
	switch len(bz) {
	case 0:
		return def, nil
	case 8:
		return int64(binary.BigEndian.Uint64(bz)), nil
	default:
		return 0, fmt.Errorf("db: bad %s record (%d bytes)", key, len(bz))
	}
}

// blockGas sums the gas limits txs declare against block.max_gas; add reports whether
// one more tx still fits. CometBFT counts a block's gas the same way (gas_wanted).
type blockGas struct {
	max  int64 // < 0: unlimited
	used uint64
}

func (a *App) newBlockGas() blockGas { return blockGas{max: a.blockMaxGas} }

func (b *blockGas) add(t *tx.Tx) bool {
	if b.max < 0 {
		return true
	}
	g := t.GasLimit()
	if g > uint64(b.max)-b.used { // used <= max always holds, so no underflow
		return false
	}
	b.used += g
	return true
}

// checkBlockGas is CheckTx's rule: a tx declaring more gas than a block may hold can
// never be in a block, so it is refused at once instead of sitting in the mempool.
func (a *App) checkBlockGas(t *tx.Tx) error {
	if a.blockMaxGas >= 0 && t.GasLimit() > uint64(a.blockMaxGas) {
		return runtime.ErrBlockGasLimit.Wrapf("tx declares %d gas, more than a block may use (consensus block.max_gas %d): lower --gas", t.GasLimit(), a.blockMaxGas)
	}
	return nil
}
