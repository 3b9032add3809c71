package app

import (
	"encoding/binary"
	"fmt"

	cmtproto "github.com/cometbft/cometbft/proto/tendermint/types"

	"github.com/selfchain/selfchain/app/runtime"
	"github.com/selfchain/selfchain/app/tx"
)

// DefaultBlockMaxGas is the genesis block.max_gas: ten times auth's max_tx_gas, and
// room for ~7,000 hybrid-key sends (~130,000 gas each) a block.
const DefaultBlockMaxGas = 1_000_000_000

// blockMaxGasKey keeps the genesis block.max_gas (learnt at InitChain) outside the
// merkle state, like the vote-extension enable height: the app has no consensus-params
// update path, so the genesis value stays the chain's value.
var blockMaxGasKey = []byte("selfchain/block-max-gas")

// initBlockMaxGas records max_gas at InitChain; -1 (CometBFT's "unlimited") or absent
// means no limit.
func (a *App) initBlockMaxGas(cp *cmtproto.ConsensusParams) error {
	g := int64(-1)
	if cp != nil && cp.Block != nil {
		g = cp.Block.MaxGas
	}
	if err := a.db.SetSync(blockMaxGasKey, binary.BigEndian.AppendUint64(nil, uint64(g))); err != nil {
		return err
	}
	a.blockMaxGas = g
	return nil
}

func (a *App) loadBlockMaxGas() error {
	bz, err := a.db.Get(blockMaxGasKey)
	if err != nil {
		return err
	}
	switch len(bz) {
	case 0: // before InitChain, or a chain initialised by an older selfchaind
		a.blockMaxGas = -1
	case 8:
		a.blockMaxGas = int64(binary.BigEndian.Uint64(bz))
	default:
		return fmt.Errorf("db: bad block max gas record (%d bytes)", len(bz))
	}
	return nil
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
