// Package ante is the admission pipeline every tx passes before its messages run:
// fees, gas, memo, account, public key, sequence and signature (as the Cosmos SDK
// keeps it in x/auth/ante). It lives beside x/auth, not in app/tx, so that app/tx
// (the envelope and the client-side builder) does not import any module.
package ante

import (
	"context"

	"github.com/selfchain/selfchain/app/runtime"
	"github.com/selfchain/selfchain/app/tx"
	"github.com/selfchain/selfchain/crypto"
	"github.com/selfchain/selfchain/types"
	"github.com/selfchain/selfchain/x/auth"
)

// AccountKeeper is what the ante pipeline needs of x/auth.
type AccountKeeper interface {
	GetAccount(ctx context.Context, addr crypto.Address) (auth.Account, bool, error)
	SetAccount(ctx context.Context, acc auth.Account) error
	GetParams(ctx context.Context) (auth.Params, error)
}

// FeeKeeper is what the ante pipeline needs of x/bank.
type FeeKeeper interface {
	DeductFee(ctx context.Context, payer crypto.Address, fee types.Coins) error
}

// RateLimiter is the optional PoAI hook: a signer whose recent tx the AI risk
// analysis flagged is refused for a window of blocks (x/poai).
type RateLimiter interface {
	IsRateLimited(ctx context.Context, addr []byte) (bool, error)
	// RateLimitError is the registered error the refusal returns (says until when).
	RateLimitError(ctx context.Context, addr []byte) error
}

// Event emitted by the ante for every admitted tx.
const (
	EventTypeTx  = "tx"
	AttrFeePayer = "fee_payer"
	AttrFee      = "fee"
)

// Ante admits a decoded tx: timeout, declared gas, memo, gas for its bytes, minimum fee (CheckTx
// only: the minimum is node-local), signer account, public key, sequence (replay
// protection), signature, fee payment and sequence increment. Its writes are kept
// even when the messages later fail, so a failing tx still pays and cannot be replayed.
type Ante struct {
	Accounts     AccountKeeper
	Fees         FeeKeeper
	Sigs         *tx.SigCache
	MinGasPrices tx.GasPrices
	RateLimits   RateLimiter // nil: no rate limiting
}

// Run executes the pipeline in ctx, whose gas meter is the tx's.
func (a *Ante) Run(ctx *runtime.Context, t *tx.Tx) error {
	if h := t.Body.TimeoutHeight; h > 0 && uint64(ctx.BlockHeight()) > h {
		return runtime.ErrTxTimeoutHeight.Wrapf("tx timed out at height %d; the block is %d", h, ctx.BlockHeight())
	}
	params, err := a.Accounts.GetParams(ctx)
	if err != nil {
		return err
	}
	// A simulation's gas limit is a placeholder (the client sets the real one from its result).
	if t.GasLimit() > params.MaxTxGas && ctx.Mode() != runtime.ModeSimulate {
		return runtime.ErrGasLimitTooHigh.Wrapf("tx declares %d gas, more than the chain's max_tx_gas of %d: lower --gas (or use --gas auto)", t.GasLimit(), params.MaxTxGas)
	}
	if uint64(len(t.Body.Memo)) > params.MaxMemoCharacters {
		return runtime.ErrMemoTooLarge.Wrapf("memo is %d bytes, at most %d", len(t.Body.Memo), params.MaxMemoCharacters)
	}
	ctx.GasMeter().ConsumeGas(params.TxSizeCostPerByte*uint64(t.Size), "tx size")

	if ctx.IsCheckTx() {
		if ok, need := a.MinGasPrices.Covers(t.Fee(), t.GasLimit()); !ok {
			return runtime.ErrInsufficientFee.Wrapf("fee %q is below this node's minimum for %d gas: need %s",
				t.Fee().String(), t.GasLimit(), need)
		}
	}

	if a.RateLimits != nil {
		limited, err := a.RateLimits.IsRateLimited(ctx, t.Signer)
		if err != nil {
			return err
		}
		if limited {
			return a.RateLimits.RateLimitError(ctx, t.Signer)
		}
	}

	acc, found, err := a.Accounts.GetAccount(ctx, t.Signer)
	if err != nil {
		return err
	}
	if !found {
		return runtime.ErrUnknownAddress.Wrapf("account %s does not exist: it must receive funds before it can send a tx", t.Signer)
	}

	pub, err := signerPubKey(t, acc)
	if err != nil {
		return err
	}
	if t.Sequence() != acc.Sequence {
		return runtime.ErrInvalidSequence.Wrapf("account sequence mismatch: expected %d, got %d", acc.Sequence, t.Sequence())
	}
	// Verification is priced per scheme (ML-DSA and SLH-DSA cost more CPU than Ed25519).
	scheme, _ := crypto.Scheme(pub.Type()) // pub was built from a registered scheme
	ctx.GasMeter().ConsumeGas(scheme.VerifyGas(params.SigVerifyCost), "signature verification")
	if !tx.VerifyTxSignature(a.Sigs, ctx.ChainID(), acc.AccountNumber, pub, t) {
		return runtime.ErrUnauthorized.Wrapf("signature verification failed: was it signed for chain-id %q, account number %d and sequence %d?",
			ctx.ChainID(), acc.AccountNumber, acc.Sequence)
	}

	if !t.Fee().IsZero() {
		if err := a.Fees.DeductFee(ctx, t.Signer, t.Fee()); err != nil {
			return err
		}
	}
	// Lets clients find a tx by payer and see what it paid (`query txs --events`).
	ctx.EventManager().Emit(EventTypeTx, AttrFeePayer, t.AuthInfo.SignerInfos[0].Address, AttrFee, t.Fee().String())
	acc.Sequence++
	if acc.PublicKey == nil {
		acc.PublicKey = &types.PubKey{Type: pub.Type(), Key: pub.Bytes()}
	}
	return a.Accounts.SetAccount(ctx, acc)
}

// signerPubKey returns the key to verify with: the tx's (which must match the
// address, and the stored key if any) or, when the tx omits it, the stored one.
func signerPubKey(t *tx.Tx, acc auth.Account) (crypto.PubKey, error) {
	if pk := t.PubKey(); pk != nil {
		pub, err := tx.ParsePubKey(pk)
		if err != nil {
			return nil, runtime.ErrInvalidPubKey.Wrap(err.Error())
		}
		if !pub.Address().Equals(t.Signer) {
			return nil, runtime.ErrInvalidPubKey.Wrapf("public key belongs to %s, not to the signer %s", pub.Address(), t.Signer)
		}
		return pub, nil
	}
	if acc.PublicKey == nil {
		return nil, runtime.ErrInvalidPubKey.Wrapf("account %s has no public key on chain yet: its first tx must include it", t.Signer)
	}
	pub, err := tx.ParsePubKey(acc.PublicKey)
	if err != nil {
		return nil, runtime.ErrInvalidPubKey.Wrapf("stored public key: %v", err)
	}
	return pub, nil
}

// PreVerify checks t's signature against the given account state, filling the cache;
// the block executor calls it in parallel before executing txs in order. known is a
// public key for the signer seen earlier in the same block (nil if none), for
// accounts whose key is not on chain yet. The result is only a cache entry:
// execution re-derives the inputs and checks again.
func PreVerify(c *tx.SigCache, chainID string, t *tx.Tx, acc auth.Account, known *types.PubKey) {
	if acc.PublicKey == nil {
		acc.PublicKey = known
	}
	pub, err := signerPubKey(t, acc)
	if err != nil {
		return
	}
	tx.VerifyTxSignature(c, chainID, acc.AccountNumber, pub, t)
}
