package permissions

import (
	"context"
	"strconv"

	"github.com/selfchain/selfchain/app/runtime"
	"github.com/selfchain/selfchain/crypto"
	"github.com/selfchain/selfchain/types"
)

// Event types.
const (
	EventTypeRegisterApp = "permissions_register_app"
	EventTypeUpdateApp   = "permissions_update_app"
	EventTypeRotateKey   = "permissions_rotate_app_key"
	EventTypeSuspendApp  = "permissions_suspend_app"
	EventTypeGrant       = "permissions_grant"
	EventTypeRevoke      = "permissions_revoke"
	EventTypeKillSwitch  = "permissions_kill_switch"
	EventTypeExec        = "permissions_exec"
	EventTypePrune       = "permissions_prune"
)

// msgServer handles permissions's messages. Like every module's, its handlers do not
// call ValidateBasic: every route to a handler ran it first (runtime.MsgRouter's
// rule; docs/ARCHITECTURE.md, Transactions).
type msgServer struct{ k Keeper }

var _ MsgServer = msgServer{}

func NewMsgServer(k Keeper) MsgServer { return msgServer{k: k} }

func (s msgServer) RegisterApp(ctx context.Context, msg *MsgRegisterApp) (*MsgRegisterAppResponse, error) {
	owner, err := crypto.AddressFromBech32(msg.Owner)
	if err != nil {
		return nil, runtime.ErrInvalidAddress.Wrapf("owner: %v", err)
	}
	if _, found, err := s.k.GetApp(ctx, msg.Id); err != nil {
		return nil, err
	} else if found {
		return nil, ErrAppExists.Wrapf("app id %q is taken: choose another", msg.Id)
	}
	p, err := s.k.GetParams(ctx)
	if err != nil {
		return nil, err
	}
	if err := checkDeposit(msg.Deposit, p.MinDeposit); err != nil {
		return nil, err
	}
	if err := s.k.bank.SendCoins(ctx, owner, ModuleAccount, msg.Deposit); err != nil {
		return nil, runtime.Wrapf(err, "deposit")
	}
	app := App{
		Id: msg.Id, Owner: owner.String(), Name: msg.Name, Description: msg.Description, Homepage: msg.Homepage,
		PubKeys: msg.PubKeys, Scopes: msg.Scopes, Deposit: msg.Deposit, KeyVersion: 1,
		RegisteredHeight: runtime.Unwrap(ctx).BlockHeight(),
	}
	if err := s.k.Apps.Set(ctx, app.Id, app); err != nil {
		return nil, err
	}
	runtime.Unwrap(ctx).EventManager().Emit(EventTypeRegisterApp, "app_id", app.Id, "owner", app.Owner)
	return &MsgRegisterAppResponse{}, nil
}

// checkDeposit requires at least min of every denom in min and nothing else.
func checkDeposit(dep, min types.Coins) error {
	for _, c := range min {
		if dep.AmountOf(c.Denom).LT(c.Amount) {
			return ErrDepositTooLow.Wrapf("deposit %s: at least %s is required", dep, min)
		}
	}
	for _, c := range dep {
		if min.AmountOf(c.Denom).IsZero() {
			return ErrDepositTooLow.Wrapf("deposit %s: denomination %s is not accepted (min_deposit is %s)", dep, c.Denom, min)
		}
	}
	return nil
}

// ownedApp loads an app and checks that signer owns it.
func (s msgServer) ownedApp(ctx context.Context, id, signer string) (App, error) {
	app, found, err := s.k.GetApp(ctx, id)
	if err != nil {
		return App{}, err
	}
	if !found {
		return App{}, ErrAppNotFound.Wrapf("app %q", id)
	}
	if !sameAddress(app.Owner, signer) {
		return App{}, ErrNotAppOwner.Wrapf("app %q is owned by %s", id, app.Owner)
	}
	return app, nil
}

func (s msgServer) UpdateApp(ctx context.Context, msg *MsgUpdateApp) (*MsgUpdateAppResponse, error) {
	app, err := s.ownedApp(ctx, msg.Id, msg.Owner)
	if err != nil {
		return nil, err
	}
	// Narrowing the declared scopes takes effect at once: Decide checks a grant's
	// scope against the app's current declaration too.
	app.Name, app.Description, app.Homepage, app.Scopes = msg.Name, msg.Description, msg.Homepage, msg.Scopes
	if err := s.k.Apps.Set(ctx, app.Id, app); err != nil {
		return nil, err
	}
	runtime.Unwrap(ctx).EventManager().Emit(EventTypeUpdateApp, "app_id", app.Id)
	return &MsgUpdateAppResponse{}, nil
}

func (s msgServer) RotateAppKey(ctx context.Context, msg *MsgRotateAppKey) (*MsgRotateAppKeyResponse, error) {
	app, err := s.ownedApp(ctx, msg.Id, msg.Owner)
	if err != nil {
		return nil, err
	}
	app.PubKeys = msg.PubKeys
	app.KeyVersion++
	if err := s.k.Apps.Set(ctx, app.Id, app); err != nil {
		return nil, err
	}
	runtime.Unwrap(ctx).EventManager().Emit(EventTypeRotateKey, "app_id", app.Id, "key_version", strconv.FormatUint(app.KeyVersion, 10))
	return &MsgRotateAppKeyResponse{KeyVersion: app.KeyVersion}, nil
}

func (s msgServer) SuspendApp(ctx context.Context, msg *MsgSuspendApp) (*MsgSuspendAppResponse, error) {
	app, found, err := s.k.GetApp(ctx, msg.Id)
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, ErrAppNotFound.Wrapf("app %q", msg.Id)
	}
	p, err := s.k.GetParams(ctx)
	if err != nil {
		return nil, err
	}
	isOwner := sameAddress(app.Owner, msg.Sender)
	isAuthority := p.Authority != "" && sameAddress(p.Authority, msg.Sender)
	switch {
	case !isOwner && !isAuthority:
		return nil, ErrNotAuthorized.Wrapf("only the owner of %q or the authority may suspend it", app.Id)
	case app.Suspended && app.SuspendedBy != app.Owner && !isAuthority:
		// An owner whose app the authority suspended can neither lift nor overwrite
		// that suspension: that is the point of it.
		return nil, ErrNotAuthorized.Wrapf("app %q was suspended by the authority; only it can lift the suspension", app.Id)
	}
	app.Suspended = msg.Suspend
	app.SuspendedBy, app.SuspendReason = "", ""
	if msg.Suspend {
		app.SuspendedBy, app.SuspendReason = canonical(msg.Sender), msg.Reason
	}
	if err := s.k.Apps.Set(ctx, app.Id, app); err != nil {
		return nil, err
	}
	runtime.Unwrap(ctx).EventManager().Emit(EventTypeSuspendApp, "app_id", app.Id, "suspended", strconv.FormatBool(msg.Suspend))
	return &MsgSuspendAppResponse{}, nil
}

func (s msgServer) Grant(ctx context.Context, msg *MsgGrant) (*MsgGrantResponse, error) {
	rctx := runtime.Unwrap(ctx)
	user, err := crypto.AddressFromBech32(msg.User)
	if err != nil {
		return nil, runtime.ErrInvalidAddress.Wrapf("user: %v", err)
	}
	if on, err := s.k.KillSwitchOn(ctx, user); err != nil {
		return nil, err
	} else if on {
		return nil, ErrKillSwitch.Wrap("turn the kill switch off before granting anything")
	}
	app, found, err := s.k.GetApp(ctx, msg.AppId)
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, ErrAppNotFound.Wrapf("app %q", msg.AppId)
	}
	if app.Suspended {
		return nil, ErrAppSuspended.Wrapf("app %q: %s", app.Id, app.SuspendReason)
	}
	for i, s := range msg.Scopes {
		sc, err := ParseScope(s)
		if err != nil { // ValidateBasic ran; kept so the handler stands alone
			return nil, ErrInvalidScope.Wrapf("scopes[%d]: %v", i, err)
		}
		if !coveredBy(app.Scopes, sc) {
			return nil, ErrScopeNotDeclared.Wrapf("scopes[%d]: app %q declares %v, not %s", i, app.Id, app.Scopes, s)
		}
	}
	if msg.ExpiryHeight > 0 && msg.ExpiryHeight < rctx.BlockHeight() {
		return nil, ErrInvalidExpiry.Wrapf("expiry_height %d is in the past (height %d)", msg.ExpiryHeight, rctx.BlockHeight())
	}
	if msg.ExpiryTime > 0 && msg.ExpiryTime <= rctx.BlockTime().Unix() {
		return nil, ErrInvalidExpiry.Wrapf("expiry_time %d is not after the block time %d", msg.ExpiryTime, rctx.BlockTime().Unix())
	}
	old, had, err := s.k.GetGrant(ctx, user, app.Id)
	if err != nil {
		return nil, err
	}
	g := Grant{
		User: user.String(), AppId: app.Id, Scopes: msg.Scopes, ExpiryHeight: msg.ExpiryHeight, ExpiryTime: msg.ExpiryTime,
		MaxUses: msg.MaxUses, SpendLimit: msg.SpendLimit, GrantedHeight: rctx.BlockHeight(),
	}
	var prev *Grant
	if had {
		prev = &old
	}
	if err := s.k.setGrant(ctx, user, g, prev); err != nil {
		return nil, err
	}
	rctx.EventManager().Emit(EventTypeGrant, "user", g.User, "app_id", g.AppId)
	return &MsgGrantResponse{}, nil
}

func (s msgServer) Revoke(ctx context.Context, msg *MsgRevoke) (*MsgRevokeResponse, error) {
	user, g, err := s.userGrant(ctx, msg.User, msg.AppId)
	if err != nil {
		return nil, err
	}
	kept := make([]string, 0, len(g.Scopes))
	for _, have := range g.Scopes {
		drop := false
		for _, r := range msg.Scopes {
			drop = drop || r == have
		}
		if !drop {
			kept = append(kept, have)
		}
	}
	if len(kept) == len(g.Scopes) {
		return nil, ErrScopeNotGranted.Wrapf("the grant holds %v: revoke one of those", g.Scopes)
	}
	if len(kept) == 0 {
		err = s.k.deleteGrant(ctx, user, g)
	} else {
		g.Scopes = kept
		if !grantsSpendScope(kept) {
			g.SpendLimit, g.Spent = nil, nil
		}
		err = s.k.updateGrantUsage(ctx, user, g)
	}
	if err != nil {
		return nil, err
	}
	runtime.Unwrap(ctx).EventManager().Emit(EventTypeRevoke, "user", g.User, "app_id", g.AppId)
	return &MsgRevokeResponse{}, nil
}

func (s msgServer) RevokeAll(ctx context.Context, msg *MsgRevokeAll) (*MsgRevokeAllResponse, error) {
	user, g, err := s.userGrant(ctx, msg.User, msg.AppId)
	if err != nil {
		return nil, err
	}
	if err := s.k.deleteGrant(ctx, user, g); err != nil {
		return nil, err
	}
	runtime.Unwrap(ctx).EventManager().Emit(EventTypeRevoke, "user", g.User, "app_id", g.AppId)
	return &MsgRevokeAllResponse{}, nil
}

func (s msgServer) userGrant(ctx context.Context, userStr, appID string) (crypto.Address, Grant, error) {
	user, err := crypto.AddressFromBech32(userStr)
	if err != nil {
		return nil, Grant{}, runtime.ErrInvalidAddress.Wrapf("user: %v", err)
	}
	g, found, err := s.k.GetGrant(ctx, user, appID)
	if err != nil {
		return nil, Grant{}, err
	}
	if !found {
		return nil, Grant{}, ErrGrantNotFound.Wrapf("user has no grant to app %q", appID)
	}
	return user, g, nil
}

func grantsSpendScope(scopes []string) bool {
	for _, s := range scopes {
		if sc, err := ParseScope(s); err == nil && sc.SpendLimited() {
			return true
		}
	}
	return false
}

func (s msgServer) SetKillSwitch(ctx context.Context, msg *MsgSetKillSwitch) (*MsgSetKillSwitchResponse, error) {
	user, err := crypto.AddressFromBech32(msg.User)
	if err != nil {
		return nil, runtime.ErrInvalidAddress.Wrapf("user: %v", err)
	}
	rctx := runtime.Unwrap(ctx)
	if msg.Enabled {
		err = s.k.KillSwitches.Set(ctx, user, max(rctx.BlockHeight(), 1))
	} else {
		err = s.k.KillSwitches.Set(ctx, user, 0)
	}
	if err != nil {
		return nil, err
	}
	rctx.EventManager().Emit(EventTypeKillSwitch, "user", user.String(), "enabled", strconv.FormatBool(msg.Enabled))
	return &MsgSetKillSwitchResponse{}, nil
}

// sameAddress compares two bech32 strings as addresses (case-insensitively, as parsing does).
func sameAddress(a, b string) bool {
	x, err1 := crypto.AddressFromBech32(a)
	y, err2 := crypto.AddressFromBech32(b)
	return err1 == nil && err2 == nil && string(x) == string(y)
}

func canonical(s string) string {
	if a, err := crypto.AddressFromBech32(s); err == nil {
		return a.String()
	}
	return s
}
