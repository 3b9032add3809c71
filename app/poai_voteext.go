package app

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"runtime/debug"

	abci "github.com/cometbft/cometbft/abci/types"

	"github.com/selfchain/selfchain/app/runtime"
	"github.com/selfchain/selfchain/app/store"
	"github.com/selfchain/selfchain/app/tx"
	"github.com/selfchain/selfchain/types"
	"github.com/selfchain/selfchain/x/bank"
	"github.com/selfchain/selfchain/x/poai/analyzer"
	"github.com/selfchain/selfchain/x/poai/voteext"
)

// poaiWiring is the PoAI vote-extension pipeline's node-side state. PoAI is always
// on: state is x/poai's keeper (wired by New); the analyzer mode from app.toml only
// decides what this validator scores (pipeline is nil when it is "off": its
// extensions are empty). Whether a block carries the injected extended commit
// depends only on the chain's vote-extension enable height (injectsCommit).
type poaiWiring struct {
	state    voteext.State
	pipeline *voteext.Pipeline // nil when the analyzer is off
	pending  *analyzer.Block   // built by FinalizeBlock, handed to the analyzer at Commit
	// veEnableHeight is consensus_params.abci.vote_extensions_enable_height as
	// InitChain saw it (0 = never), kept in the db next to the chain id so that the
	// proposal hooks read the same value after a restart.
	veEnableHeight int64
}

// enablePoAI starts the pipeline on st (x/poai's keeper) with the analyzer app.toml names.
func (a *App) enablePoAI(st voteext.State) error {
	an, err := analyzer.New(a.cfg.PoAI.Analyzer, a.cfg.PoAI.LLM, analyzer.DefaultBuiltinConfig())
	if err != nil {
		return fmt.Errorf("app.toml poai: %w", err)
	}
	a.poai.state = st
	if an != nil {
		a.poai.pipeline = voteext.NewPipeline(an, a.logger.With("module", "poai-analyzer"))
	}
	return nil
}

// veEnableHeightKey keeps the vote-extension enable height (learnt at InitChain)
// outside the merkle state, like the chain id: the app has no consensus-params
// update path, so the genesis value stays the chain's value.
var veEnableHeightKey = []byte("selfchain/vote-extensions-enable-height")

func (a *App) loadVEEnableHeight() error {
	bz, err := a.db.Get(veEnableHeightKey)
	if err != nil {
		return err
	}
	switch len(bz) {
	case 0: // a chain initialised by an older selfchaind: treated as "never"
		a.poai.veEnableHeight = 0
	case 8:
		a.poai.veEnableHeight = int64(binary.BigEndian.Uint64(bz))
	default:
		return fmt.Errorf("db: bad vote-extension enable height record (%d bytes)", len(bz))
	}
	return nil
}

func (a *App) saveVEEnableHeight(h int64) error {
	if h < 0 {
		h = 0
	}
	if err := a.db.SetSync(veEnableHeightKey, binary.BigEndian.AppendUint64(nil, uint64(h))); err != nil {
		return err
	}
	a.poai.veEnableHeight = h
	return nil
}

// VoteExtensionsEnableHeight is the enable height recorded at InitChain (0 = never).
func (a *App) VoteExtensionsEnableHeight() int64 { return a.poai.veEnableHeight }

// injectsCommit is the one predicate PrepareProposal, ProcessProposal and
// FinalizeBlock share: a block at height carries the previous height's extended
// commit as its first tx exactly when vote extensions were enabled at height-1
// (CometBFT enables them at every height >= enable height, and 0 means never).
// It is a pure function of the height and the genesis, so every node agrees,
// also after a restart and on a chain whose genesis turned extensions off.
func (a *App) injectsCommit(height int64) bool {
	e := a.poai.veEnableHeight
	return e > 0 && height-1 >= e
}

// scoresBlock says whether block height will be scored: the votes at height+1
// carry extensions. Only such blocks have their tx list stored (and are handed to
// the analyzer); a chain without extensions keeps no PoAI per-block records.
func (a *App) scoresBlock(height int64) bool {
	e := a.poai.veEnableHeight
	return e > 0 && height+1 >= e
}

// closePoAI stops the analyzer goroutine.
func (a *App) closePoAI() {
	if a.poai.pipeline != nil {
		a.poai.pipeline.Close()
	}
}

// recordPoAI runs FinalizeBlock's PoAI step for block height: aggregate the
// injected extended commit (of height-1, scoring height-2) into the keeper and store
// this block's tx list. It runs on its own branch: a keeper error is logged and
// changes nothing (deterministically: every node sees the same error).
func (a *App) recordPoAI(ctx *runtime.Context, parent *store.Branch, height int64, commit *abci.ExtendedCommitInfo, txs []*tx.Tx, raw [][]byte, injected bool) {
	br := parent.Branch()
	pctx := ctx.WithStores(br).WithEventManager(runtime.NewEventManager()) // its events are not the block's
	err := func() (err error) {
		defer func() {
			if r := recover(); r != nil {
				err = fmt.Errorf("panic: %v\n%s", r, debug.Stack())
			}
		}()
		// The commit injected at the first height with one (extensions enabled from
		// height 1) scores height 0, before the chain: nothing to aggregate, and an
		// all-"not scored" record would cost every validator reputation.
		if scored := height - 2; commit != nil && scored >= 1 {
			res := voteext.Aggregate(voteext.VotesFromCommit(commit, scored))
			if err := a.poai.state.RecordTxRisks(pctx, scored, res.Risks); err != nil {
				return fmt.Errorf("record tx risks: %w", err)
			}
			if err := a.poai.state.RecordAgreement(pctx, scored, res.Signals); err != nil {
				return fmt.Errorf("record agreement: %w", err)
			}
		}
		if !a.scoresBlock(height) {
			return nil
		}
		start := 0
		if injected {
			start = 1
		}
		list := make([]voteext.BlockTx, 0, len(raw)-start)
		for i := start; i < len(raw); i++ {
			bt := voteext.BlockTx{}
			if txs[i] != nil {
				bt.Hash, bt.Sender = txs[i].Hash[:], txs[i].Signer
			} else {
				h := sha256.Sum256(raw[i])
				bt.Hash = h[:]
			}
			list = append(list, bt)
		}
		if err := a.poai.state.SetBlockTxs(pctx, height, list); err != nil {
			return fmt.Errorf("set block txs: %w", err)
		}
		return nil
	}()
	if err != nil {
		a.logger.Error("PoAI: keeper refused the block's records; nothing recorded", "height", height, "err", err)
		return
	}
	if err := br.Write(); err != nil {
		a.logger.Error("PoAI: write", "height", height, "err", err)
	}
}

// analyzerBlock summarizes block height's txs (the injected commit excluded) for
// the node's analyzer.
func analyzerBlock(height int64, hash []byte, txs []*tx.Tx, results []*abci.ExecTxResult, injected bool) *analyzer.Block {
	start := 0
	if injected {
		start = 1
	}
	b := &analyzer.Block{Height: height, Hash: append([]byte(nil), hash...), Txs: make([]analyzer.TxSummary, 0, max(len(txs)-start, 0))}
	for i := start; i < len(txs); i++ {
		s := analyzer.TxSummary{Success: results[i].Code == 0, GasUsed: uint64(max(results[i].GasUsed, 0))}
		if t := txs[i]; t != nil {
			s.Hash = t.Hash
			s.Sender = []byte(t.AuthInfo.SignerInfos[0].Address)
			s.MsgTypes = make([]string, len(t.Body.Messages))
			for k, m := range t.Body.Messages {
				s.MsgTypes[k] = m.TypeUrl
			}
			for _, m := range t.Msgs {
				switch m := m.(type) {
				case *bank.MsgSend:
					s.Transfers = appendTransfers(s.Transfers, m.FromAddress, m.ToAddress, m.Amount)
				case *bank.MsgMultiSend:
					for _, o := range m.Outputs {
						s.Transfers = appendTransfers(s.Transfers, m.Input.Address, o.Address, o.Coins)
					}
				}
			}
		}
		b.Txs = append(b.Txs, s)
	}
	return b
}

func appendTransfers(out []analyzer.Transfer, from, to string, coins types.Coins) []analyzer.Transfer {
	for _, c := range coins {
		amt := ^uint64(0)
		if c.Amount.IsUint64() {
			amt = c.Amount.Uint64()
		}
		out = append(out, analyzer.Transfer{From: []byte(from), To: []byte(to), Denom: c.Denom, Amount: amt})
	}
	return out
}
