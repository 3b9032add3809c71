package app

// Everything the app does for Proof of AI (x/poai) beyond the module list lives in
// this file: the vote-extension pipeline's node-side state and analyzer, the
// extended commit a proposer injects as a block's first tx (built, re-checked,
// recorded), this validator's own extension, and how many validators a block
// carries. The ABCI hooks (one file each) call the methods below and name no
// x/poai package; InitChain reaches the module through runtime.HasInitChain.

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"runtime/debug"

	abci "github.com/cometbft/cometbft/abci/types"
	cmtproto "github.com/cometbft/cometbft/proto/tendermint/types"
	cmttypes "github.com/cometbft/cometbft/types"

	"github.com/selfchain/selfchain/app/runtime"
	"github.com/selfchain/selfchain/app/store"
	"github.com/selfchain/selfchain/app/tx"
	"github.com/selfchain/selfchain/crypto"
	"github.com/selfchain/selfchain/types"
	"github.com/selfchain/selfchain/x/bank"
	"github.com/selfchain/selfchain/x/poai"
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
	// valAddr is this node's validator (consensus) address, set by the node from
	// its private validator: its extensions leave out blocks the chain already
	// has its scores for. Empty: every pending block's report is carried.
	valAddr []byte
	// veEnableHeight is consensus_params.abci.vote_extensions_enable_height as
	// InitChain saw it (0 = never), kept in the db next to the chain id so that the
	// proposal hooks read the same value after a restart.
	veEnableHeight int64
}

// enablePoAI starts the pipeline on st (x/poai's keeper) with the analyzer app.toml
// names, and loads the vote-extension enable height InitChain recorded.
func (a *App) enablePoAI(st voteext.State) error {
	an, err := analyzer.New(a.cfg.PoAI.Analyzer, a.cfg.PoAI.LLM, analyzer.DefaultBuiltinConfig())
	if err != nil {
		return fmt.Errorf("app.toml poai: %w", err)
	}
	a.poai.state = st
	if an != nil {
		a.poai.pipeline = voteext.NewPipeline(an, a.logger.With("module", "poai-analyzer"), voteext.WithObserver(observeReport))
	}
	return a.loadVEEnableHeight()
}

// observeReport records an analyzer report's LLM call in the node's metrics.
func observeReport(rep analyzer.Report) {
	if c := rep.LLM; c != nil {
		metricLLMSeconds.Observe(c.Latency.Seconds())
		if c.Err != nil {
			metricLLMFallbacks.Inc()
		}
	}
}

// SetValidatorAddress names this node's consensus address (the node's private
// validator), before the node starts.
func (a *App) SetValidatorAddress(addr []byte) { a.poai.valAddr = bytes.Clone(addr) }

// closePoAI stops the analyzer goroutine.
func (a *App) closePoAI() {
	if a.poai.pipeline != nil {
		a.poai.pipeline.Close()
	}
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

// initVoteExtensions records, at InitChain, the genesis vote-extension enable
// height the injected-commit path follows.
func (a *App) initVoteExtensions(cp *cmtproto.ConsensusParams) error {
	var h int64
	if cp != nil && cp.Abci != nil {
		h = cp.Abci.VoteExtensionsEnableHeight
	}
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

// refuseInjectedTx is CheckTx's PoAI rule: the injected commit is consensus-only.
func refuseInjectedTx(bz []byte) error {
	if voteext.IsInjectedTx(bz) {
		return runtime.ErrTxDecode.Wrap("this is the consensus-only PoAI extended-commit tx, which only a block proposer may place first in a block; it cannot be submitted")
	}
	return nil
}

// voteContext reads the last committed state: vote extensions are produced and
// checked outside block execution, never on a block's branch.
func (a *App) voteContext(height int64) (*runtime.Context, error) {
	br, err := a.cms.BranchAt(a.LastCommitID().Version)
	if err != nil {
		return nil, err
	}
	return runtime.NewContext(context.Background(), br, runtime.Header{ChainID: a.chainID, Height: height}, runtime.ModeQuery, a.logger), nil
}

// --- proposals ---

// injectedCommit is the consensus-only first tx of a proposal at req.Height: the
// extended commit of the previous height, pruned of votes whose extension does not
// verify (the proposer's own included).
func (a *App) injectedCommit(req *abci.RequestPrepareProposal) ([]byte, error) {
	ctx, err := a.voteContext(req.Height)
	if err != nil {
		return nil, err
	}
	pruned := voteext.PruneExtendedCommit(ctx, a.poai.state, a.chainID, req.Height-1, req.LocalLastCommit)
	bz, err := voteext.EncodeInjectedTx(&pruned)
	if err != nil {
		return nil, err
	}
	if n := txBlockBytes(bz); n > req.MaxTxBytes {
		return nil, fmt.Errorf("injected extended commit takes %d bytes, more than the block's %d tx bytes: raise consensus block.max_bytes", n, req.MaxTxBytes)
	}
	return bz, nil
}

// checkInjectedCommit re-checks everything the proposer injected: it is present,
// first, well formed, matches CometBFT's last commit (validators, order, powers,
// flags) and carries valid extension signatures from more than 2/3 of the power.
func (a *App) checkInjectedCommit(req *abci.RequestProcessProposal) error {
	if len(req.Txs) == 0 {
		return voteext.ErrMissingCommit
	}
	c, err := voteext.DecodeInjectedTx(req.Txs[0])
	if err != nil {
		return fmt.Errorf("%w: first tx: %v", voteext.ErrMissingCommit, err)
	}
	ctx, err := a.voteContext(req.Height)
	if err != nil {
		return err
	}
	return voteext.ValidateExtendedCommit(ctx, a.poai.state, a.chainID, req.Height-1, c, req.ProposedLastCommit)
}

// --- vote extensions ---

// poaiExtension is this validator's extension for a vote at height: the reports
// its analyzer has finished for blocks the chain still takes its scores for
// (inside the score window, not yet recorded from it), oldest first, as many as
// fit. An analyzer that keeps up (it finishes a block before the next comes) gets
// at most [poai] extend-vote-wait for block height-1's report, so a fast model
// still reports the last block at once; a lagging one (a slow LLM) is not waited
// for, so the model never slows the chain. Nothing finished (or the analyzer
// off) gives an empty extension, never an error.
func (a *App) poaiExtension(height int64) []byte {
	p := a.poai.pipeline
	if p == nil || height < 2 { // nothing was committed before the first block
		return nil
	}
	ready := false
	if p.KeepsUp() {
		_, ready = p.Wait(height-1, a.cfg.PoAI.ExtendVoteWait)
	}
	metricReportsLag.Set(float64(max(height-1-p.Latest(), 0)))
	heights := make([]int64, 0, voteext.MaxWindow)
	for h := max(height-voteext.MaxWindow, 1); h < height; h++ {
		heights = append(heights, h)
	}
	ctx, err := a.voteContext(height)
	if err != nil {
		a.logger.Error("PoAI extension: read committed state", "height", height, "err", err)
		return nil
	}
	want, err := a.poai.state.Unreported(ctx, height, a.poai.valAddr, heights)
	if err != nil {
		a.logger.Error("PoAI extension: pending blocks", "height", height, "err", err)
		return nil
	}
	ext, n, err := voteext.BuildExtension(p.Finished(want))
	if err != nil {
		a.logger.Error("PoAI extension", "height", height, "err", err)
		return nil
	}
	if !ready && n == 0 {
		a.logger.Info("PoAI analyzer has no report ready for the blocks awaiting this validator's scores; voting with an empty extension", "height", height)
	}
	return ext
}

// verifyPoAIExtension refuses only malformed, oversized, wrong-version or
// wrong-height extensions; an empty one always passes and scores are never judged.
func verifyPoAIExtension(ext []byte, height int64) error {
	return voteext.VerifyExtension(ext, height)
}

// --- FinalizeBlock and Commit ---

// takeInjectedCommit recognises the proposer's injected extended commit, the
// block's first tx when injectsCommit(height); it runs no messages and feeds the
// aggregation instead. A first tx that is not one is an ordinary tx.
func (a *App) takeInjectedCommit(height int64, txs [][]byte) (commit *abci.ExtendedCommitInfo, injected bool) {
	if a.injectsCommit(height) && len(txs) > 0 && voteext.IsInjectedTx(txs[0]) {
		if c, err := voteext.DecodeInjectedTx(txs[0]); err == nil {
			return c, true
		}
	}
	return nil, false
}

// recordPoAI runs FinalizeBlock's PoAI step for block height: record the scores
// the injected extended commit (of height-1) carried, open this block's scoring
// window with its tx list, and decide or close the blocks whose time has come
// (x/poai's scoring window). It runs on its own branch: a keeper error is logged
// and changes nothing (deterministically: every node sees the same error). Its
// events (flagged txs) are returned for the block's, unless it failed.
func (a *App) recordPoAI(ctx *runtime.Context, parent *store.Branch, height int64, hash []byte, commit *abci.ExtendedCommitInfo, txs []*tx.Tx, raw [][]byte, injected bool) []abci.Event {
	br := parent.Branch()
	pctx := ctx.WithStores(br).WithEventManager(runtime.NewEventManager())
	err := func() (err error) {
		defer func() {
			if r := recover(); r != nil {
				err = fmt.Errorf("panic: %v\n%s", r, debug.Stack())
			}
		}()
		if commit != nil {
			dropped, err := a.poai.state.RecordScores(pctx, height-1, voteext.ScoresFromCommit(commit))
			if err != nil {
				return fmt.Errorf("record scores: %w", err)
			}
			for _, why := range dropped {
				a.logger.Info("PoAI: scores not taken", "height", height, "reason", why)
			}
		}
		if a.scoresBlock(height) {
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
			if err := a.poai.state.SetBlockTxs(pctx, height, hash, list); err != nil {
				return fmt.Errorf("set block txs: %w", err)
			}
		}
		if err := a.poai.state.SettleScores(pctx); err != nil {
			return fmt.Errorf("settle scores: %w", err)
		}
		return nil
	}()
	if err != nil {
		a.logger.Error("PoAI: keeper refused the block's records; nothing recorded", "height", height, "err", err)
		return nil
	}
	if err := br.Write(); err != nil {
		a.logger.Error("PoAI: write", "height", height, "err", err)
		return nil
	}
	return pctx.EventManager().Events()
}

// queueAnalysis keeps block height's summary for this node's analyzer, which
// Commit hands it (submitAnalysis): only blocks that will be scored, only when the
// analyzer is on.
func (a *App) queueAnalysis(height int64, hash []byte, txs []*tx.Tx, results []*abci.ExecTxResult, injected bool) {
	if a.poai.pipeline != nil && a.scoresBlock(height) {
		a.poai.pending = analyzerBlock(height, hash, txs, results, injected)
	}
}

// submitAnalysis hands the committed block to the analyzer, which scores it in
// the background.
func (a *App) submitAnalysis() {
	if b := a.poai.pending; b != nil {
		a.poai.pending = nil
		a.poai.pipeline.Submit(*b)
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
			s.Sender = t.Signer
			s.MsgTypes = make([]string, len(t.Body.Messages))
			for k, m := range t.Body.Messages {
				s.MsgTypes[k] = m.TypeUrl
			}
			for _, m := range t.Msgs {
				switch m := m.(type) {
				case *bank.MsgSend:
					s.Transfers = appendTransfers(s.Transfers, t.Signer, m.ToAddress, m.Amount)
				case *bank.MsgMultiSend:
					for _, o := range m.Outputs {
						s.Transfers = appendTransfers(s.Transfers, t.Signer, o.Address, o.Coins)
					}
				}
			}
		}
		b.Txs = append(b.Txs, s)
	}
	return b
}

// appendTransfers adds from's transfers of coins to the recipient to (bech32,
// decoded by the analyzer off the consensus path). from is the tx's signer: every
// message of a tx names it (MsgSend's from, MsgMultiSend's input).
func appendTransfers(out []analyzer.Transfer, from crypto.Address, to string, coins types.Coins) []analyzer.Transfer {
	for _, c := range coins {
		amt := ^uint64(0)
		if c.Amount.IsUint64() {
			amt = c.Amount.Uint64()
		}
		out = append(out, analyzer.Transfer{From: from, ToBech32: to, Denom: c.Denom, Amount: amt})
	}
	return out
}

// --- how many validators a block carries ---

// MinBlockTxRoom is what a block must keep for txs after its header, the last
// commit, the largest evidence allowed and PoAI's extended commit: a few
// hybrid-key txs or one SLH-DSA hybrid one.
const MinBlockTxRoom = 16 << 10

// MaxActiveValidators is the largest validator set whose blocks still hold
// MinBlockTxRoom of txs under consensus params cp, counting for each validator
// CometBFT's worst-case commit signature (types.MaxCommitBytes) and, when vote
// extensions are on, its worst-case vote in the injected extended commit (an
// extension of voteext.MaxExtensionBytes signed with the largest signature).
// InitChain hands it to the modules (runtime.ChainGenesis.MaxValidators); x/poai
// keeps the active set within it.
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
