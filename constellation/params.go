package constellation

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/selfchain/selfchain/app/runtime"
	"github.com/selfchain/selfchain/client"
	"github.com/selfchain/selfchain/crypto"
	"github.com/selfchain/selfchain/crypto/keyring"
	"github.com/selfchain/selfchain/x/auth"
	"github.com/selfchain/selfchain/x/poai"
)

// paramsTxTimeout bounds how long UpdatePoAIParams waits for its tx's block.
const paramsTxTimeout = 30 * time.Second

// connect returns a client of the first node that answers.
func (c *Chain) connect(ctx context.Context) (*client.Client, error) {
	for _, p := range c.Layout.Nodes {
		cl, err := nodeClient(p.RPC)
		if err != nil {
			continue
		}
		sctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		_, err = cl.Status(sctx)
		cancel()
		if err == nil {
			return cl, nil
		}
	}
	return nil, fmt.Errorf("no node of chain %s answers: start it with `constellation up %s`", c.Spec.Name, c.Spec.Name)
}

// withPrefix runs f with the chain's address prefix set (addresses in params
// and messages are bech32 with it), restoring the process's prefix after.
func (c *Chain) withPrefix(f func() error) error {
	old := crypto.GetBech32Prefix()
	if err := crypto.SetBech32Prefix(c.Spec.Bech32Prefix); err != nil {
		return err
	}
	defer func() { _ = crypto.SetBech32Prefix(old) }()
	return f()
}

// PoAIParams reads x/poai's params from a running node of the chain.
func (c *Chain) PoAIParams(ctx context.Context) (poai.Params, error) {
	var p poai.Params
	err := c.withPrefix(func() error {
		cl, err := c.connect(ctx)
		if err != nil {
			return err
		}
		resp, err := poai.NewQueryClient(cl).Params(ctx, &poai.QueryParamsRequest{})
		if err != nil {
			return err
		}
		p = resp.Params
		return nil
	})
	return p, err
}

// UpdatePoAIParams changes x/poai's params on a running authority-mode chain:
// it reads the current params, applies edit, and sends MsgUpdateParams signed
// by the admin key in the chain's client keyring, waiting for its block. This
// is how the company grows the active set (max_validators) before a new
// validator's create-validator. It returns the params now in force.
func (c *Chain) UpdatePoAIParams(ctx context.Context, edit func(*poai.Params)) (poai.Params, error) {
	if c.Spec.PoAIMode != PoAIModeAuthority {
		return poai.Params{}, fmt.Errorf("chain %s runs PoAI in %s mode: its params authority is the gov module, so no key can change them", c.Spec.Name, c.Spec.PoAIMode)
	}
	var out poai.Params
	err := c.withPrefix(func() error {
		kr, err := keyring.New(keyring.BackendTest, c.ClientHome(), nil)
		if err != nil {
			return err
		}
		signer, err := client.NewKeyringSigner(kr, AdminName)
		if errors.Is(err, keyring.ErrKeyNotFound) {
			return fmt.Errorf("no %q key in %s: the chain's params admin key is missing", AdminName, c.ClientHome())
		}
		if err != nil {
			return err
		}
		cl, err := c.connect(ctx)
		if err != nil {
			return err
		}
		resp, err := poai.NewQueryClient(cl).Params(ctx, &poai.QueryParamsRequest{})
		if err != nil {
			return err
		}
		p := resp.Params
		admin := signer.PubKey().Address().String()
		if p.Authority != admin {
			return fmt.Errorf("x/poai's params authority is %s, not this chain's %s key (%s)", p.Authority, AdminName, admin)
		}
		edit(&p)
		if err := p.Validate(); err != nil {
			return fmt.Errorf("invalid params: %w", err)
		}
		msg := &poai.MsgUpdateParams{Authority: admin, Params: p}
		if err := msg.ValidateBasic(); err != nil {
			return err
		}
		if err := c.signAndSend(ctx, cl, signer, msg); err != nil {
			return err
		}
		out = p
		return nil
	})
	return out, err
}

// signAndSend signs msg with signer (gas simulated, fees at the chain's minimum
// price), broadcasts it and waits for its block; a failed tx is the error.
func (c *Chain) signAndSend(ctx context.Context, cl *client.Client, signer *client.KeyringSigner, msg runtime.Msg) error {
	f := client.Factory{ChainID: c.Spec.ChainID, GasAuto: true, GasAdjustment: client.DefaultGasAdjustment,
		GasPrices: MinGasPrice + c.Spec.Token.Denom, Accounts: auth.AccountRetriever{}}
	plan, err := f.Prepare(ctx, cl, signer, msg)
	if err != nil {
		return err
	}
	bz, err := plan.Sign(signer)
	if err != nil {
		return err
	}
	res, err := cl.BroadcastWithTimeout(ctx, bz, true, paramsTxTimeout)
	if err != nil {
		return err
	}
	return res.Err()
}
