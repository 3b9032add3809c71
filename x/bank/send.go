package bank

import (
	"context"
	"fmt"

	"cosmossdk.io/collections"

	"github.com/selfchain/selfchain/app/runtime"
	"github.com/selfchain/selfchain/crypto"
	"github.com/selfchain/selfchain/types"
)

// Event types and attribute keys (the Cosmos SDK's names, so indexers need no mapping).
const (
	EventTypeTransfer = "transfer"
	EventTypeMint     = "mint"
	EventTypeBurn     = "burn"

	AttributeKeySender    = "sender"
	AttributeKeyRecipient = "recipient"
	AttributeKeyBurner    = "burner"
	AttributeKeyAmount    = "amount"
)

// inlineDenoms sizes stack buffers: almost every transfer carries 1-4 denoms.
const inlineDenoms = 4

// SendCoins moves amt from one address to another and emits a transfer event.
// It fails without writing anything when the sender lacks any coin; a denom
// without metadata is reported as ErrUnknownDenom. The recipient gets an account.
func (k Keeper) SendCoins(ctx context.Context, from, to crypto.Address, amt types.Coins) error {
	return k.send(ctx, from, to, "", "", amt)
}

// send is SendCoins with the bech32 forms of the addresses when the caller already
// has them ("" to compute), sparing the hot path two bech32 encodings.
func (k Keeper) send(ctx context.Context, from, to crypto.Address, fromStr, toStr string, amt types.Coins) error {
	if len(amt) == 0 {
		return nil
	}
	if err := k.debit(ctx, from, amt); err != nil {
		return err
	}
	if err := k.ak.EnsureAccountExists(ctx, to); err != nil {
		return err
	}
	if err := k.credit(ctx, to, amt); err != nil {
		return err
	}
	if fromStr == "" {
		fromStr = from.String()
	}
	if toStr == "" {
		toStr = to.String()
	}
	runtime.Unwrap(ctx).EventManager().Emit(EventTypeTransfer,
		AttributeKeySender, fromStr, AttributeKeyRecipient, toStr, AttributeKeyAmount, amt.String())
	return nil
}

// DeductFee moves fee from payer to the FeeCollector. It emits no event (hot
// path): reporting the fee with its tx is the ante pipeline's job. The collector
// gets no auth account (it never signs), saving a read per tx.
func (k Keeper) DeductFee(ctx context.Context, payer crypto.Address, fee types.Coins) error {
	if len(fee) == 0 {
		return nil
	}
	if err := k.debit(ctx, payer, fee); err != nil {
		return runtime.Wrapf(err, "cannot pay fee %s", fee)
	}
	return k.credit(ctx, FeeCollector, fee)
}

// MintCoins creates amt in to's balance and the supply. Every denom must be
// known; a supply that would pass 2^256-1 is refused before anything is written.
func (k Keeper) MintCoins(ctx context.Context, to crypto.Address, amt types.Coins) error {
	if err := validateAmount(amt); err != nil {
		return err
	}
	var buf [inlineDenoms]types.Int
	supplies := buf[:0]
	for _, c := range amt {
		if err := k.requireDenom(ctx, c.Denom); err != nil {
			return err
		}
		s, err := k.GetSupply(ctx, c.Denom)
		if err != nil {
			return err
		}
		sum, err := s.Add(c.Amount)
		if err != nil {
			return runtime.ErrInvalidCoins.Wrapf("minting %s would overflow the supply of %s (%s)", c, c.Denom, s)
		}
		supplies = append(supplies, sum)
	}
	for i, c := range amt {
		if err := k.setSupply(ctx, c.Denom, supplies[i]); err != nil {
			return err
		}
	}
	if err := k.ak.EnsureAccountExists(ctx, to); err != nil {
		return err
	}
	if err := k.credit(ctx, to, amt); err != nil {
		return err
	}
	runtime.Unwrap(ctx).EventManager().Emit(EventTypeMint,
		AttributeKeyRecipient, to.String(), AttributeKeyAmount, amt.String())
	return nil
}

// BurnCoins destroys amt from from's balance and the supply.
func (k Keeper) BurnCoins(ctx context.Context, from crypto.Address, amt types.Coins) error {
	if err := validateAmount(amt); err != nil {
		return err
	}
	if err := k.debit(ctx, from, amt); err != nil {
		return err
	}
	for _, c := range amt {
		s, err := k.GetSupply(ctx, c.Denom)
		if err != nil {
			return err
		}
		left, err := s.Sub(c.Amount)
		if err != nil { // a balance above its supply: state is corrupt
			return fmt.Errorf("bank invariant broken: burning %s exceeds the supply %s%s", c, s, c.Denom)
		}
		if err := k.setSupply(ctx, c.Denom, left); err != nil {
			return err
		}
	}
	runtime.Unwrap(ctx).EventManager().Emit(EventTypeBurn,
		AttributeKeyBurner, from.String(), AttributeKeyAmount, amt.String())
	return nil
}

func validateAmount(amt types.Coins) error {
	if len(amt) == 0 {
		return runtime.ErrInvalidCoins.Wrap("amount is empty")
	}
	if err := amt.Validate(); err != nil {
		return runtime.ErrInvalidCoins.Wrap(err.Error())
	}
	return nil
}

// debit subtracts amt from addr: all balances are read and checked before the
// first write, so a shortfall in any denom leaves state untouched. One Get and
// one Set per denom. Known denoms are not looked up: a positive balance implies
// metadata (a keeper invariant), so metadata is read only to explain a shortfall.
func (k Keeper) debit(ctx context.Context, addr crypto.Address, amt types.Coins) error {
	var leftBuf [inlineDenoms]types.Int
	var keyBuf [inlineDenoms]balanceKey
	left, keys := leftBuf[:0], keyBuf[:0]
	for i, c := range amt {
		// Cheap canonical-form check (no regexp): sorted, unique denoms make the
		// check-then-write sound; positivity keeps zero entries out.
		if c.Amount.IsZero() || (i > 0 && amt[i-1].Denom >= c.Denom) {
			return runtime.ErrInvalidCoins.Wrapf("%s: coins must be sorted by denom, unique and positive", amt)
		}
		key := collections.Join([]byte(addr), c.Denom) // built once, used by the Get and the Set
		have, err := k.getBalance(ctx, key)
		if err != nil {
			return err
		}
		rest, err := have.Sub(c.Amount)
		if err != nil {
			return k.shortfall(ctx, addr, c, have)
		}
		left, keys = append(left, rest), append(keys, key)
	}
	for i := range keys {
		if err := k.setBalance(ctx, keys[i], left[i]); err != nil {
			return err
		}
	}
	return nil
}

// shortfall explains why addr cannot pay c: an unknown denom or too little of a known one.
func (k Keeper) shortfall(ctx context.Context, addr crypto.Address, c types.Coin, have types.Int) error {
	if err := k.requireDenom(ctx, c.Denom); err != nil {
		return err
	}
	return runtime.ErrInsufficientFunds.Wrapf("%s has %s%s, needs %s", addr, have, c.Denom, c)
}

func (k Keeper) requireDenom(ctx context.Context, denom string) error {
	ok, err := k.HasDenom(ctx, denom)
	if err != nil {
		return err
	}
	if !ok {
		return runtime.ErrUnknownDenom.Wrapf("denomination %s is not known to this chain", denom)
	}
	return nil
}

// credit adds amt to addr. It cannot overflow while supply tracks balances;
// if it does, state is corrupt and the error says so.
func (k Keeper) credit(ctx context.Context, addr crypto.Address, amt types.Coins) error {
	for _, c := range amt {
		key := collections.Join([]byte(addr), c.Denom)
		have, err := k.getBalance(ctx, key)
		if err != nil {
			return err
		}
		sum, err := have.Add(c.Amount)
		if err != nil {
			return fmt.Errorf("bank invariant broken: balance of %s in %s overflows", addr, c.Denom)
		}
		if err := k.setBalance(ctx, key, sum); err != nil {
			return err
		}
	}
	return nil
}
