package testutil

import (
	"fmt"

	abci "github.com/cometbft/cometbft/abci/types"
	cryptoenc "github.com/cometbft/cometbft/crypto/encoding"
	cmtproto "github.com/cometbft/cometbft/proto/tendermint/types"
	cmttypes "github.com/cometbft/cometbft/types"

	"github.com/selfchain/selfchain/app"
)

// CometBFTRules applies to an app's ABCI responses the checks CometBFT itself
// applies to them (state/execution.go, types/), with CometBFT's own functions, so
// a test fails where a real node would stop: a proposal over the data budget, a
// validator update CometBFT refuses or cannot apply, a consensus param update it
// rejects, a validator set whose commit no longer fits a block. Each check is
// listed with what covers it in docs/RELIABILITY.md ("What CometBFT checks").
type CometBFTRules struct {
	Params cmttypes.ConsensusParams
	// Vals is the validator set CometBFT would hold (nil until the first set).
	Vals *cmttypes.ValidatorSet
}

// NewCometBFTRules starts from the consensus params `selfchaind init` writes.
func NewCometBFTRules() *CometBFTRules {
	return &CometBFTRules{Params: *app.DefaultConsensusParams()}
}

// InitChain checks the response's validators as CometBFT's handshake does and
// makes them the set.
func (r *CometBFTRules) InitChain(res *abci.ResponseInitChain) error {
	if res.ConsensusParams != nil {
		if err := r.updateParams(res.ConsensusParams, 1); err != nil {
			return err
		}
	}
	if len(res.Validators) == 0 {
		return nil
	}
	return r.applyValidatorUpdates(res.Validators)
}

// PrepareProposal checks the returned txs as CreateProposalBlock does.
func (r *CometBFTRules) PrepareProposal(req *abci.RequestPrepareProposal, res *abci.ResponsePrepareProposal) error {
	return cmttypes.ToTxs(res.Txs).Validate(req.MaxTxBytes)
}

// ExtendVote checks the extension as ExtendedCommitSig.ValidateBasic does.
func (r *CometBFTRules) ExtendVote(res *abci.ResponseExtendVote) error {
	if len(res.VoteExtension) > cmttypes.MaxVoteExtensionSize {
		return fmt.Errorf("vote extension is %d bytes, CometBFT's maximum is %d", len(res.VoteExtension), cmttypes.MaxVoteExtensionSize)
	}
	return nil
}

// ProcessProposal and VerifyVoteExtension: an UNKNOWN status panics CometBFT.
func (r *CometBFTRules) ProcessProposal(res *abci.ResponseProcessProposal) error {
	if res.IsStatusUnknown() {
		return fmt.Errorf("ProcessProposal status %s", res.Status)
	}
	return nil
}

func (r *CometBFTRules) VerifyVoteExtension(res *abci.ResponseVerifyVoteExtension) error {
	if res.IsStatusUnknown() {
		return fmt.Errorf("VerifyVoteExtension status %s", res.Status)
	}
	return nil
}

// FinalizeBlock checks what applyBlock and updateState check, in their order,
// and applies the validator updates and param updates.
func (r *CometBFTRules) FinalizeBlock(req *abci.RequestFinalizeBlock, res *abci.ResponseFinalizeBlock) error {
	if len(res.TxResults) != len(req.Txs) {
		return fmt.Errorf("%d tx results for %d txs", len(res.TxResults), len(req.Txs))
	}
	if len(res.AppHash) == 0 {
		return fmt.Errorf("empty app hash")
	}
	for i, tr := range res.TxResults {
		if tr.GasWanted < 0 || tr.GasUsed < 0 {
			return fmt.Errorf("tx %d: negative gas (wanted %d, used %d)", i, tr.GasWanted, tr.GasUsed)
		}
	}
	if err := r.applyValidatorUpdates(res.ValidatorUpdates); err != nil {
		return err
	}
	if res.ConsensusParamUpdates != nil {
		return r.updateParams(res.ConsensusParamUpdates, req.Height)
	}
	return nil
}

// applyValidatorUpdates is validateValidatorUpdates (unexported in CometBFT's
// state package, restated with its exported parts), PB2TM and the change-set
// update updateState makes, then the block-size room the new set leaves
// (MaxDataBytesNoEvidence panics when a set's commit does not fit a block).
func (r *CometBFTRules) applyValidatorUpdates(ups []abci.ValidatorUpdate) error {
	if len(ups) == 0 {
		return nil
	}
	for _, u := range ups {
		if u.Power < 0 {
			return fmt.Errorf("voting power can't be negative %v", u)
		}
		if u.Power == 0 {
			continue
		}
		pk, err := cryptoenc.PubKeyFromProto(u.PubKey)
		if err != nil {
			return err
		}
		if !cmttypes.IsValidPubkeyType(r.Params.Validator, pk.Type()) {
			return fmt.Errorf("validator %v is using pubkey %s, which is unsupported for consensus", u, pk.Type())
		}
	}
	changes, err := cmttypes.PB2TM.ValidatorUpdates(ups)
	if err != nil {
		return err
	}
	if r.Vals == nil {
		r.Vals = cmttypes.NewValidatorSet(nil)
	}
	if err := r.Vals.UpdateWithChangeSet(changes); err != nil {
		return fmt.Errorf("validator updates: %w", err)
	}
	return r.checkRoom()
}

// updateParams: the app never changes consensus params (until an upgrade
// module does, this is the place to restate CometBFT's Update, ValidateBasic
// and ValidateUpdate).
func (r *CometBFTRules) updateParams(up *cmtproto.ConsensusParams, height int64) error {
	return fmt.Errorf("the app returned consensus param updates at height %d, which it never should: %v", height, up)
}

// checkRoom: the block must still hold a header, the set's commit and the
// largest evidence CometBFT allows (MaxDataBytes would panic otherwise).
func (r *CometBFTRules) checkRoom() (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("%d validators: %v", r.Vals.Size(), p)
		}
	}()
	cmttypes.MaxDataBytes(r.Params.Block.MaxBytes, r.Params.Evidence.MaxBytes, r.Vals.Size())
	return nil
}
