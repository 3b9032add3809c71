package permissions

import (
	"context"
	"fmt"

	"github.com/selfchain/selfchain/crypto"
)

func DefaultGenesis() GenesisState { return GenesisState{Params: DefaultParams()} }

// Validate checks the genesis state; errors name the offending field path.
func (gs GenesisState) Validate() error {
	if err := gs.Params.Validate(); err != nil {
		return fmt.Errorf("params.%w", err)
	}
	apps := make(map[string]int, len(gs.Apps))
	for i := range gs.Apps {
		a := &gs.Apps[i]
		if err := (&MsgRegisterApp{Owner: a.Owner, Id: a.Id, Name: a.Name, Description: a.Description,
			Homepage: a.Homepage, PubKeys: a.PubKeys, Scopes: a.Scopes, Deposit: a.Deposit}).ValidateBasic(); err != nil {
			return fmt.Errorf("apps[%d]: %w", i, err)
		}
		if j, dup := apps[a.Id]; dup {
			return fmt.Errorf("apps[%d].id: %s is already apps[%d]", i, a.Id, j)
		}
		apps[a.Id] = i
	}
	grants := make(map[string]int, len(gs.Grants))
	for i := range gs.Grants {
		g := &gs.Grants[i]
		if err := (&MsgGrant{User: g.User, AppId: g.AppId, Scopes: g.Scopes, ExpiryHeight: g.ExpiryHeight,
			ExpiryTime: g.ExpiryTime, MaxUses: g.MaxUses, SpendLimit: g.SpendLimit}).ValidateBasic(); err != nil {
			return fmt.Errorf("grants[%d]: %w", i, err)
		}
		ai, ok := apps[g.AppId]
		if !ok {
			return fmt.Errorf("grants[%d].app_id: no app %q in apps", i, g.AppId)
		}
		for _, s := range g.Scopes {
			sc, _ := ParseScope(s)
			if !coveredBy(gs.Apps[ai].Scopes, sc) {
				return fmt.Errorf("grants[%d].scopes: %s is not declared by app %s", i, s, g.AppId)
			}
		}
		if err := g.Spent.Validate(); err != nil {
			return fmt.Errorf("grants[%d].spent: %w", i, err)
		}
		user, _ := crypto.AddressFromBech32(g.User)
		key := string(user) + "\x00" + g.AppId
		if j, dup := grants[key]; dup {
			return fmt.Errorf("grants[%d]: same user and app as grants[%d]", i, j)
		}
		grants[key] = i
	}
	killed := make(map[string]int, len(gs.KillSwitches))
	for i, ks := range gs.KillSwitches {
		user, err := crypto.AddressFromBech32(ks.User)
		if err != nil {
			return fmt.Errorf("kill_switches[%d].user: %w", i, err)
		}
		if ks.Height < 0 {
			return fmt.Errorf("kill_switches[%d].height: %d is negative (0 = off)", i, ks.Height)
		}
		if j, dup := killed[string(user)]; dup {
			return fmt.Errorf("kill_switches[%d].user: already kill_switches[%d]", i, j)
		}
		killed[string(user)] = i
	}
	return nil
}

func (k Keeper) InitGenesis(ctx context.Context, gs GenesisState) error {
	if err := gs.Validate(); err != nil {
		return err
	}
	if err := k.Params.Set(ctx, gs.Params); err != nil {
		return err
	}
	for _, a := range gs.Apps {
		a.Owner = canonical(a.Owner)
		if err := k.Apps.Set(ctx, a.Id, a); err != nil {
			return err
		}
	}
	for _, g := range gs.Grants {
		user, _ := crypto.AddressFromBech32(g.User)
		g.User = user.String()
		if err := k.setGrant(ctx, user, g, nil); err != nil {
			return err
		}
	}
	for _, ks := range gs.KillSwitches {
		user, _ := crypto.AddressFromBech32(ks.User)
		if err := k.KillSwitches.Set(ctx, user, ks.Height); err != nil {
			return err
		}
	}
	return nil
}

// ExportGenesis writes everything in store order (apps by id, grants by user then
// app, kill switches by user), so an export is deterministic.
func (k Keeper) ExportGenesis(ctx context.Context) (GenesisState, error) {
	p, err := k.GetParams(ctx)
	if err != nil {
		return GenesisState{}, err
	}
	gs := GenesisState{Params: p}
	if err := k.Apps.Walk(ctx, nil, func(_ string, a App) (bool, error) {
		gs.Apps = append(gs.Apps, a)
		return false, nil
	}); err != nil {
		return GenesisState{}, err
	}
	if err := k.Grants.Walk(ctx, nil, func(_ grantKey, g Grant) (bool, error) {
		gs.Grants = append(gs.Grants, g)
		return false, nil
	}); err != nil {
		return GenesisState{}, err
	}
	if err := k.KillSwitches.Walk(ctx, nil, func(u []byte, h int64) (bool, error) {
		gs.KillSwitches = append(gs.KillSwitches, KillSwitch{User: crypto.Address(u).String(), Height: h})
		return false, nil
	}); err != nil {
		return GenesisState{}, err
	}
	return gs, nil
}
