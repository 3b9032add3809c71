package relayer

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/selfchain/selfchain/app/runtime"
	"github.com/selfchain/selfchain/crypto"
	"github.com/selfchain/selfchain/crypto/keyring"
	"github.com/selfchain/selfchain/x/bridge"
	"github.com/selfchain/selfchain/x/poai"
)

// RelayerKeyType: relayer keys sign a tx per batch; hybrid like every account
// key of the framework (ML-DSA-65 + Ed25519), so a relayer is as quantum-safe as
// the users it serves.
const RelayerKeyType = crypto.DefaultKeyType

// EnsureKey makes the relayer's key in the side's keyring unless it exists, and
// returns its address on that chain.
func EnsureKey(s Side) (addr string, created bool, err error) {
	kr, err := keyring.New(s.KeyringBackend, s.Home, keyring.EnvPassphrase())
	if err != nil {
		return "", false, fmt.Errorf("%s: keyring in %s: %w", s.Name, s.Home, err)
	}
	rec, err := kr.Get(s.Key)
	if errors.Is(err, keyring.ErrKeyNotFound) {
		rec, _, err = kr.NewMnemonic(s.Key, RelayerKeyType)
		created = true
	}
	if err != nil {
		return "", false, fmt.Errorf("%s: relayer key %q: %w", s.Name, s.Key, err)
	}
	c := &chain{Side: s}
	err = c.withPrefix(func() error { addr = rec.PubKey.Address().String(); return nil })
	return addr, created, err
}

// Funding is a relayer key's balance on one side.
type Funding struct {
	Side    Side
	Address string
	Balance string // in the side's denom, e.g. "0uacme"
	Empty   bool
}

// CheckFunds reads each relayer key's balance (the keys must exist).
func CheckFunds(ctx context.Context, sides ...Side) ([]Funding, error) {
	var out []Funding
	for _, s := range sides {
		if s.ClientID == "" {
			s.ClientID = "client-0" // not needed to read a balance
		}
		c, err := connect(ctx, s)
		if err != nil {
			return nil, err
		}
		bal, err := c.balance(ctx)
		if err != nil {
			return nil, err
		}
		out = append(out, Funding{Side: s, Address: c.addr, Balance: bal.String() + s.Denom, Empty: bal.IsZero()})
	}
	return out, nil
}

// ClientParamsFor are the params of a client that follows chain s: the
// framework's defaults, shortened when s unbonds sooner (x/poai's
// unbonding_period in blocks times s's recent block interval): the trusting
// period must stay below the counterparty's unbonding period.
// A positive trusting overrides the trusting period (it must stay below the
// unbonding period; a shorter one makes the relayer refresh more often).
func ClientParamsFor(ctx context.Context, s Side, trustingOverride time.Duration) (bridge.ClientParams, string, error) {
	trusting, unbonding := bridge.DefaultTrustingPeriod, bridge.DefaultUnbondingPeriod
	why := "defaults"
	if u, err := unbondingOf(ctx, s); err == nil && u < unbonding {
		unbonding, trusting = u, u*2/3
		why = fmt.Sprintf("%s unbonds in about %s (x/poai unbonding_period × block interval)", s.ChainID, u.Round(time.Second))
	}
	if trustingOverride > 0 {
		if trustingOverride >= unbonding {
			return bridge.ClientParams{}, "", fmt.Errorf("--trusting-period %s must be below %s's unbonding period, about %s", trustingOverride, s.ChainID, unbonding.Round(time.Second))
		}
		trusting, why = trustingOverride, "--trusting-period"
	}
	p, err := bridge.ClientParamsOf(trusting, unbonding, bridge.DefaultMaxClockDrift, "1/3")
	return p, why, err
}

func unbondingOf(ctx context.Context, s Side) (time.Duration, error) {
	cl, err := clientFor(s)
	if err != nil {
		return 0, err
	}
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	resp, err := poai.NewQueryClient(cl).Params(ctx, &poai.QueryParamsRequest{})
	if err != nil || resp.Params.UnbondingPeriod <= 0 {
		return 0, fmt.Errorf("no x/poai unbonding period: %v", err)
	}
	st, err := cl.Status(ctx)
	if err != nil {
		return 0, err
	}
	h := st.SyncInfo.LatestBlockHeight
	const span = 20
	if h <= span+1 {
		// A young chain's first blocks come fast: assume a conservative 100ms.
		return time.Duration(resp.Params.UnbondingPeriod) * 100 * time.Millisecond, nil
	}
	from := h - span
	old, err := cl.RPC().Header(ctx, &from)
	if err != nil {
		return 0, err
	}
	interval := st.SyncInfo.LatestBlockTime.Sub(old.Header.Time) / span
	return time.Duration(resp.Params.UnbondingPeriod) * interval, nil
}

// LinkResult is what Link did.
type LinkResult struct {
	A, B    Side     // with their client ids
	Actions []string // what was created or registered this time; empty if the bridge already existed
}

// Link creates the missing parts of a bridge: a client of B on A and of A on B
// (from each other's latest header; each signed by the relayer key, which thus
// is the client's creator), then each side's counterparty registration. Sides
// whose ClientID is set are reused, so running it again creates nothing new;
// save is called after each step so an interrupted Link resumes.
// trusting > 0 sets the new clients' trusting period (ClientParamsFor).
func Link(ctx context.Context, a, b Side, trusting time.Duration, save func(a, b Side) error) (LinkResult, error) {
	res := LinkResult{}
	for _, step := range []struct{ holder, other *Side }{{&a, &b}, {&b, &a}} {
		if step.holder.ClientID != "" {
			continue
		}
		id, err := createClient(ctx, *step.holder, *step.other, trusting)
		if err != nil {
			return res, err
		}
		step.holder.ClientID = id
		res.Actions = append(res.Actions, fmt.Sprintf("created %s on %s (a light client of %s)", id, step.holder.Name, step.other.ChainID))
		if err := save(a, b); err != nil {
			return res, err
		}
	}
	for _, step := range []struct{ holder, other Side }{{a, b}, {b, a}} {
		done, err := register(ctx, step.holder, step.other.ClientID)
		if err != nil {
			return res, err
		}
		if done {
			res.Actions = append(res.Actions, fmt.Sprintf("registered %s's counterparty %s on %s", step.holder.ClientID, step.other.ClientID, step.holder.Name))
		}
	}
	res.A, res.B = a, b
	return res, nil
}

func createClient(ctx context.Context, holder, other Side, trusting time.Duration) (string, error) {
	holder.ClientID = "client-0" // placeholder for validation; the real id comes from the event
	c, err := connect(ctx, holder)
	if err != nil {
		return "", err
	}
	params, _, err := ClientParamsFor(ctx, other, trusting)
	if err != nil {
		return "", err
	}
	ocl, err := clientFor(other)
	if err != nil {
		return "", err
	}
	fctx, cancel := context.WithTimeout(ctx, 2*callTimeout)
	h, err := bridge.FetchHeader(fctx, ocl.RPC(), 0, 0)
	cancel()
	if err != nil {
		return "", fmt.Errorf("%s: %w", other.Name, err)
	}
	res, err := c.send(ctx, []runtime.Msg{&bridge.MsgCreateClient{Creator: c.addr, Header: *h, Params: params}})
	if err != nil {
		return "", fmt.Errorf("create a client of %s on %s: %w", other.ChainID, holder.Name, err)
	}
	for _, ev := range res.Events {
		if ev.Type != bridge.EventTypeCreateClient {
			continue
		}
		for _, at := range ev.Attributes {
			if at.Key == bridge.AttrClientID {
				return at.Value, nil
			}
		}
	}
	return "", fmt.Errorf("%s: tx %s created a client but its events do not name it", holder.Name, res.TxHash)
}

// register names other's client id as holder's client's counterparty, unless it
// already is; a different registration is an error (the bridge record and the
// chain disagree).
func register(ctx context.Context, holder Side, counterpartyID string) (bool, error) {
	c, err := connect(ctx, holder)
	if err != nil {
		return false, err
	}
	info, err := c.clientInfo(ctx)
	if err != nil {
		return false, err
	}
	switch cp := info.Client.CounterpartyClientId; cp {
	case counterpartyID:
		return false, nil
	case "":
	default:
		return false, fmt.Errorf("%s: client %s's counterparty is already %s, not %s", holder.Name, holder.ClientID, cp, counterpartyID)
	}
	if info.Client.Creator != c.addr {
		return false, fmt.Errorf("%s: client %s was created by %s, not by the relayer key %s (%s): only its creator can register its counterparty",
			holder.Name, holder.ClientID, info.Client.Creator, holder.Key, c.addr)
	}
	_, err = c.send(ctx, []runtime.Msg{&bridge.MsgRegisterCounterparty{Creator: c.addr, ClientId: holder.ClientID, CounterpartyClientId: counterpartyID}})
	if err != nil {
		return false, fmt.Errorf("register %s's counterparty on %s: %w", holder.ClientID, holder.Name, err)
	}
	return true, nil
}

func clientFor(s Side) (*clientConn, error) { return newClientConn(rpcURL(s.RPC)) }

// ChainIDAt asks a node for its chain id (for a counterparty given by address).
func ChainIDAt(ctx context.Context, rpc string) (string, error) {
	cl, err := newClientConn(rpcURL(rpc))
	if err != nil {
		return "", err
	}
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	id, err := cl.ChainID(ctx)
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(id), nil
}
