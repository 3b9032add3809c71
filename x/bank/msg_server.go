package bank

import (
	"context"
	"fmt"

	"github.com/selfchain/selfchain/app/runtime"
	"github.com/selfchain/selfchain/crypto"
)

// msgServer handles bank's messages. Like every module's, its handlers do not
// call ValidateBasic: every route to a handler ran it first (runtime.MsgRouter's
// rule; docs/ARCHITECTURE.md, Transactions). MultiSend re-checks
// its sums anyway: a mismatch would mint or burn coins.
type msgServer struct{ k Keeper }

var _ MsgServer = msgServer{}

func NewMsgServer(k Keeper) MsgServer { return msgServer{k: k} }

func (s msgServer) Send(ctx context.Context, msg *MsgSend) (*MsgSendResponse, error) {
	if _, err := s.sendParams(ctx); err != nil {
		return nil, err
	}
	from, err := crypto.AddressFromBech32(msg.FromAddress)
	if err != nil {
		return nil, addressError("from_address", err)
	}
	to, err := crypto.AddressFromBech32(msg.ToAddress)
	if err != nil {
		return nil, addressError("to_address", err)
	}
	// Unknown denoms are reported by send (ErrUnknownDenom) when the sender holds
	// none of them, which is always the case: only known denoms have balances.
	if err := s.k.send(ctx, from, to, eventAddr(msg.FromAddress, from), eventAddr(msg.ToAddress, to), msg.Amount); err != nil {
		return nil, err
	}
	return &MsgSendResponse{}, nil
}

func (s msgServer) MultiSend(ctx context.Context, msg *MsgMultiSend) (*MsgMultiSendResponse, error) {
	p, err := s.sendParams(ctx)
	if err != nil {
		return nil, err
	}
	// The message's own cap is the hard one; the live limit is a parameter.
	if err := validateOutputCount(len(msg.Outputs), int(p.MaxMultiSendOutputs)); err != nil {
		return nil, err
	}
	// Re-checked here (cheap, no parsing) because a mismatch would mint or burn coins:
	// this must hold even if a caller skipped ValidateBasic.
	if err := checkMultiSendSums(msg.Input.Coins, msg.Outputs); err != nil {
		return nil, err
	}
	from, err := crypto.AddressFromBech32(msg.Input.Address)
	if err != nil {
		return nil, addressError("input.address", err)
	}
	if err := s.k.debit(ctx, from, msg.Input.Coins); err != nil {
		return nil, err
	}
	em := runtime.Unwrap(ctx).EventManager()
	sender := eventAddr(msg.Input.Address, from)
	for i := range msg.Outputs {
		o := &msg.Outputs[i]
		to, err := crypto.AddressFromBech32(o.Address)
		if err != nil {
			return nil, addressError(fmt.Sprintf("outputs[%d].address", i), err)
		}
		if err := s.k.ak.EnsureAccountExists(ctx, to); err != nil {
			return nil, err
		}
		if err := s.k.credit(ctx, to, o.Coins); err != nil {
			return nil, err
		}
		em.Emit(EventTypeTransfer, AttributeKeySender, sender,
			AttributeKeyRecipient, eventAddr(o.Address, to), AttributeKeyAmount, o.Coins.String())
	}
	return &MsgMultiSendResponse{}, nil
}

// sendParams returns the params once sends are known to be enabled (the chain-wide brake).
func (s msgServer) sendParams(ctx context.Context) (Params, error) {
	p, err := s.k.GetParams(ctx)
	if err != nil {
		return Params{}, err
	}
	if !p.SendEnabled {
		return Params{}, ErrSendDisabled.Wrap("the send_enabled parameter is false")
	}
	return p, nil
}

// eventAddr returns the bech32 form of a for events: the message's own string when
// it is already canonical lower case (parsing also accepts upper case), sparing an encoding.
func eventAddr(s string, a crypto.Address) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 'A' && c <= 'Z' {
			return a.String()
		}
	}
	return s
}
