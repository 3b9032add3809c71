package permissions

import (
	"context"
	"strconv"

	"github.com/selfchain/selfchain/app/runtime"
	"github.com/selfchain/selfchain/crypto"
	"github.com/selfchain/selfchain/types"
)

// Exec runs msg's inner messages for the user, each only if the user's live grant
// to the app covers its scope and limits. Usage counts and spend totals are stored
// in the same state branch as the inner messages' effects, and the app keeps a
// tx's message branch only when every message succeeds (app/exec_tx.go): if any
// inner message fails, nothing of the MsgExec is kept, limits included.
func (s msgServer) Exec(ctx context.Context, msg *MsgExec) (*MsgExecResponse, error) {
	k := s.k
	if k.router == nil {
		return nil, runtime.ErrUnknownRequest.Wrap("MsgExec is not wired in this app")
	}
	rctx := runtime.Unwrap(ctx)
	p, err := k.GetParams(ctx)
	if err != nil {
		return nil, err
	}
	if len(msg.Msgs) > int(p.MaxExecMsgs) {
		return nil, ErrTooManyInnerMsgs.Wrapf("msgs: %d inner messages, the max_exec_msgs parameter allows %d", len(msg.Msgs), p.MaxExecMsgs)
	}
	user, err := crypto.AddressFromBech32(msg.User)
	if err != nil {
		return nil, runtime.ErrInvalidAddress.Wrapf("user: %v", err)
	}
	app, appFound, err := k.GetApp(ctx, msg.AppId)
	if err != nil {
		return nil, err
	}
	// Only the app's own account may act for the app; checked before anything about
	// the grant is revealed through a more specific error.
	// app.Owner is stored canonical, so string equality is the fast, exact check.
	if appFound && app.Owner != msg.Grantee && !sameAddress(app.Owner, msg.Grantee) {
		return nil, ErrNotGrantee.Wrapf("app %q acts through its owner account %s, not %s", app.Id, app.Owner, msg.Grantee)
	}
	killed, err := k.KillSwitchOn(ctx, user)
	if err != nil {
		return nil, err
	}
	grant, grantFound, err := k.GetGrant(ctx, user, msg.AppId)
	if err != nil {
		return nil, err
	}
	var appP *App
	var grantP *Grant
	if appFound {
		appP = &app
	}
	if grantFound {
		grantP = &grant
	}
	height, now := rctx.BlockHeight(), blockUnix(rctx)
	userStr := canonicalOf(msg.User, user)
	for i, a := range msg.Msgs {
		// ValidateBasic ran at decode; these bounds are re-checked because a handler
		// must not rely on its caller for anything a client controls.
		if a == nil || len(a.Value) > MaxInnerMsgBytes {
			return nil, ErrInvalidInnerMsg.Wrapf("msgs[%d]: missing or larger than %d bytes", i, MaxInnerMsgBytes)
		}
		if a.TypeUrl == execTypeURL {
			return nil, ErrNestedExec.Wrapf("msgs[%d]: a MsgExec cannot contain another MsgExec", i)
		}
		rule, ok := k.rules[a.TypeUrl]
		if !ok {
			return nil, ErrMsgNotDelegable.Wrapf("msgs[%d]: %s has no scope that grants it", i, a.TypeUrl)
		}
		// The tx decoder already decoded every inner message this way (PackedMsgs);
		// decoding again here keeps the handler independent of its caller.
		inner, err := k.router.DecodeAny("msgs["+strconv.Itoa(i)+"]", a)
		if err != nil {
			return nil, err
		}
		// The inner message's one ValidateBasic, before it is routed: handlers do
		// not repeat it (runtime.MsgRouter.Handler states the rule).
		if err := inner.ValidateBasic(); err != nil {
			return nil, runtime.Wrapf(err, "msgs[%d] (%s)", i, a.TypeUrl)
		}
		// userStr decoded successfully above, so equality proves a valid, same signer.
		if signer := inner.Signer(); signer != userStr && !sameAddress(signer, userStr) {
			return nil, ErrInnerSigner.Wrapf("msgs[%d] is signed by %s, but the grant is from %s", i, inner.Signer(), userStr)
		}
		if d, reason := Decide(appP, killed, grantP, rule.scope, height, now); d != DECISION_ALLOWED {
			return nil, decisionErrors[d].Wrapf("msgs[%d] (%s): %s", i, a.TypeUrl, reason)
		}
		grant.Uses++
		if rule.spend != nil {
			if err := spend(&grant, rule.spend(inner), i); err != nil {
				return nil, err
			}
		}
		h, ok := k.router.Handler(a.TypeUrl)
		if !ok {
			return nil, ErrMsgNotDelegable.Wrapf("msgs[%d]: no handler for %s", i, a.TypeUrl)
		}
		if _, err := h(ctx, inner); err != nil {
			return nil, runtime.Wrapf(err, "msgs[%d] (%s)", i, a.TypeUrl)
		}
	}
	if err := k.updateGrantUsage(ctx, user, grant); err != nil {
		return nil, err
	}
	rctx.EventManager().Emit(EventTypeExec, "user", userStr, "app_id", app.Id, "msgs", strconv.Itoa(len(msg.Msgs)))
	return &MsgExecResponse{}, nil
}

// spend adds amt to the grant's spent total, refusing to pass its limit in any denom
// (a denom absent from the limit has a limit of zero).
func spend(g *Grant, coins types.Coins, i int) error {
	if err := coins.Validate(); err != nil {
		return runtime.ErrInvalidCoins.Wrapf("msgs[%d]: %v", i, err)
	}
	total, err := g.Spent.Add(coins)
	if err != nil {
		return ErrSpendLimit.Wrapf("msgs[%d]: spent total overflows: %v", i, err)
	}
	for _, c := range total {
		if g.SpendLimit.AmountOf(c.Denom).LT(c.Amount) {
			return ErrSpendLimit.Wrapf("msgs[%d]: spending %s would bring the total to %s%s, the limit is %s",
				i, coins, c.Amount, c.Denom, g.SpendLimit)
		}
	}
	g.Spent = total
	return nil
}

// canonicalOf returns the canonical (lower-case) bech32 form of addr, reusing s —
// the string addr was parsed from — when it already is, sparing an encoding.
func canonicalOf(s string, addr crypto.Address) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 'A' && c <= 'Z' {
			return addr.String()
		}
	}
	return s
}

// blockUnix is the block time in unix seconds, 0 when the header carries none.
func blockUnix(c *runtime.Context) int64 {
	if t := c.BlockTime(); !t.IsZero() {
		return t.Unix()
	}
	return 0
}
