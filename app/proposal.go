package app

import (
	"context"
	"crypto/sha256"
	"fmt"

	abci "github.com/cometbft/cometbft/abci/types"
	cmttypes "github.com/cometbft/cometbft/types"

	"github.com/selfchain/selfchain/app/tx"
	"github.com/selfchain/selfchain/x/poai/voteext"
)

// maxDecodedCache bounds the txs kept decoded between the proposal hooks and FinalizeBlock.
const maxDecodedCache = 50_000

// decodeCached decodes a block tx once per height: PrepareProposal, ProcessProposal
// and FinalizeBlock (all on the consensus connection) share the result. Decoding is
// a pure function of the bytes, so a hit cannot change an outcome.
//
// A block tx may be as large as the consensus bound tx.MaxTxBytes (1 MiB), never
// a node-local one: app.toml's max-tx-bytes only limits what this node's CheckTx
// admits (Config.Validate keeps it within the bound), and a block another node
// proposes must be judged the same way everywhere. CometBFT's block.max_bytes
// bounds the block's txs together before the app sees them.
func (a *App) decodeCached(bz []byte) (*tx.Tx, error) {
	h := sha256.Sum256(bz)
	if t, ok := a.decoded[h]; ok {
		return t, nil
	}
	t, err := tx.Decode(bz, a.msgs, tx.MaxTxBytes)
	if err == nil && len(a.decoded) < maxDecodedCache {
		a.decoded[h] = t
	}
	return t, err
}

// txBlockBytes is what one tx costs in a block's data, counted as CometBFT counts it
// when it validates the proposal (types.Txs.Validate): the tx bytes plus their
// protobuf field tag and length prefix. Counting raw lengths instead lets a full
// mempool of large txs overshoot MaxTxBytes, which CometBFT treats as a fatal
// consensus failure.
func txBlockBytes(bz []byte) int64 {
	return cmttypes.ComputeProtoSizeForTxs([]cmttypes.Tx{bz})
}

// PrepareProposal takes mempool txs in order while they fit the byte budget,
// dropping any that do not decode — exactly the rule ProcessProposal enforces, so a
// proposal this builds is always accepted. The budget is CometBFT's: every tx,
// the injected commit included, is counted by txBlockBytes.
func (a *App) PrepareProposal(_ context.Context, req *abci.RequestPrepareProposal) (*abci.ResponsePrepareProposal, error) {
	out := make([][]byte, 0, len(req.Txs)+1)
	var size int64
	if a.injectsCommit(req.Height) {
		inj, err := a.injectedCommit(req)
		if err != nil {
			// Never an error to CometBFT (an ABCI error from PrepareProposal crashes
			// the node): propose an empty block without the commit. ProcessProposal
			// rejects it, so this round fails and the next proposer tries; the log
			// says what to fix (normally block.max_bytes).
			a.logger.Error("PoAI: cannot build the injected extended commit; proposing an empty block that will be rejected", "height", req.Height, "err", err)
			return &abci.ResponsePrepareProposal{}, nil
		}
		// The injected commit comes first and out of the txs' byte budget.
		out = append(out, inj)
		size += txBlockBytes(inj)
	}
	for _, bz := range req.Txs {
		// Undecodable txs are skipped before the size check so that a large one
		// cannot end the block early.
		if _, err := a.decodeCached(bz); err != nil {
			continue
		}
		n := txBlockBytes(bz)
		if size+n > req.MaxTxBytes {
			break
		}
		size += n
		out = append(out, bz)
	}
	return &abci.ResponsePrepareProposal{Txs: out}, nil
}

// ProcessProposal rejects a proposal holding a tx that does not decode or pass
// stateless checks; state-dependent failures are left to FinalizeBlock, where they
// fail that tx alone.
func (a *App) ProcessProposal(_ context.Context, req *abci.RequestProcessProposal) (*abci.ResponseProcessProposal, error) {
	txs := req.Txs
	if a.injectsCommit(req.Height) {
		if err := a.checkInjectedCommit(req); err != nil {
			a.logger.Info("rejecting a proposal: bad injected extended commit", "height", req.Height, "err", err)
			return &abci.ResponseProcessProposal{Status: abci.ResponseProcessProposal_REJECT}, nil
		}
		txs = txs[1:]
	}
	for _, bz := range txs {
		if _, err := a.decodeCached(bz); err != nil {
			return &abci.ResponseProcessProposal{Status: abci.ResponseProcessProposal_REJECT}, nil
		}
	}
	return &abci.ResponseProcessProposal{Status: abci.ResponseProcessProposal_ACCEPT}, nil
}

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
