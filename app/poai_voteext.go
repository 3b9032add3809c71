package app

import (
	"crypto/sha256"
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

// poaiWiring is the PoAI vote-extension pipeline's node-side state. With a nil
// state (until x/poai's keeper is wired in) vote extensions are empty and no
// extended commit is injected.
type poaiWiring struct {
	state    voteext.State
	pipeline *voteext.Pipeline // nil when the analyzer is off
	pending  *analyzer.Block   // built by FinalizeBlock, handed to the analyzer at Commit
}

// EnablePoAI turns the vote-extension pipeline on with st (x/poai's keeper, through
// an adapter): ExtendVote then signs analyzer scores, proposals carry the previous
// height's extended commit as their first tx, and FinalizeBlock aggregates it into
// st. Call it once, right after New, before any block; the chain's genesis must
// enable vote extensions from its initial height (selfchaind init does).
func (a *App) EnablePoAI(st voteext.State) error {
	if st == nil {
		return nil
	}
	if a.poai.state != nil {
		return fmt.Errorf("PoAI vote extensions are already enabled")
	}
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

// closePoAI stops the analyzer goroutine.
func (a *App) closePoAI() {
	if a.poai.pipeline != nil {
		a.poai.pipeline.Close()
	}
}

// poaiOn says whether this app takes the injected-commit path.
func (a *App) poaiOn() bool { return a.poai.state != nil }

// recordPoAI runs FinalizeBlock's PoAI step for block height: aggregate the
// injected extended commit (of height-1, scoring height-2) into the keeper and store
// this block's tx list. It runs on its own branch: a keeper error is logged and
// changes nothing (deterministically: every node sees the same error).
func (a *App) recordPoAI(ctx *runtime.Context, parent *store.Branch, height int64, commit *abci.ExtendedCommitInfo, txs []*tx.Tx, raw [][]byte, injected bool) {
	br := parent.Branch()
	pctx := ctx.WithStores(br)
	err := func() (err error) {
		defer func() {
			if r := recover(); r != nil {
				err = fmt.Errorf("panic: %v\n%s", r, debug.Stack())
			}
		}()
		if commit != nil {
			scored := height - 2
			res := voteext.Aggregate(voteext.VotesFromCommit(commit, scored))
			if err := a.poai.state.RecordTxRisks(pctx, scored, res.Risks); err != nil {
				return fmt.Errorf("record tx risks: %w", err)
			}
			if err := a.poai.state.RecordAgreement(pctx, scored, res.Signals); err != nil {
				return fmt.Errorf("record agreement: %w", err)
			}
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
