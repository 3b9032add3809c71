package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"

	abci "github.com/cometbft/cometbft/abci/types"
	gogogrpc "github.com/cosmos/gogoproto/grpc"

	"github.com/selfchain/selfchain/app/runtime"
	"github.com/selfchain/selfchain/app/tx"
	"github.com/selfchain/selfchain/crypto"
	"github.com/selfchain/selfchain/types"
)

// Defaults of the tx flags, as in the Cosmos SDK.
const (
	DefaultGas           = 200_000
	DefaultGasAdjustment = 1.3
	DefaultGasPrices     = "0.001uself"
	// simulateGasLimit is the gas limit of the tx sent to /app/simulate: high
	// enough not to cut the estimate short.
	simulateGasLimit = 100_000_000
	// pathSimulate is the app's simulation query: tx bytes in, {"gas_used": n} out.
	pathSimulate = "/app/simulate"
)

// AccountRetriever reads what a signer needs from the chain: account number, next
// sequence, and whether the chain already stores the account's public key (if not,
// the tx must carry it). x/auth implements it (auth.AccountRetriever); this package
// imports no module, as the Cosmos SDK's client package does not.
type AccountRetriever interface {
	AccountInfo(ctx context.Context, conn gogogrpc.ClientConn, addr crypto.Address) (number, sequence uint64, hasPubKey bool, err error)
}

// Factory holds a tx's settings other than its messages and signer.
type Factory struct {
	ChainID       string
	Gas           uint64  // gas limit when not GasAuto
	GasAuto       bool    // estimate by simulation, times GasAdjustment
	GasAdjustment float64 // default DefaultGasAdjustment
	GasPrices     string  // fee = ceil(price × gas) when Fees is empty
	Fees          types.Coins
	Memo          string
	TimeoutHeight uint64
	// Accounts looks the signer's account up (required: auth.AccountRetriever{}).
	Accounts AccountRetriever
}

// Plan is a tx ready to sign, what the user is asked to confirm: the tx itself
// (tx.Builder: messages, memo, timeout, fee, gas limit, whether the public key goes
// in) and what it is signed for (chain, signer, account number, sequence).
type Plan struct {
	tx.Builder
	ChainID       string
	Signer        crypto.Address
	AccountNumber uint64
	Sequence      uint64
}

// Prepare looks up the signer's account, estimates gas when asked and computes the fee.
// Simulation signs a draft tx with s (so the node checks the real signature path).
func (f Factory) Prepare(ctx context.Context, c *Client, s tx.Signer, msgs ...runtime.Msg) (*Plan, error) {
	if len(msgs) == 0 {
		return nil, fmt.Errorf("tx has no messages")
	}
	if f.Accounts == nil {
		return nil, errors.New("client.Factory has no Accounts: set it to auth.AccountRetriever{}")
	}
	addr := s.PubKey().Address()
	num, seq, hasPub, err := f.Accounts.AccountInfo(ctx, c, addr)
	if err != nil {
		return nil, err
	}
	chainID := f.ChainID
	if chainID == "" {
		if chainID, err = c.ChainID(ctx); err != nil {
			return nil, err
		}
	}
	p := &Plan{ChainID: chainID, Signer: addr, AccountNumber: num, Sequence: seq, Builder: tx.Builder{
		Msgs: msgs, Memo: f.Memo, TimeoutHeight: f.TimeoutHeight, GasLimit: f.Gas, IncludePubKey: !hasPub}}
	if f.GasAuto {
		draft := *p
		draft.GasLimit = simulateGasLimit
		if draft.Fee, err = f.fee(DefaultGas); err != nil {
			return nil, err
		}
		bz, err := draft.Sign(s)
		if err != nil {
			return nil, err
		}
		used, err := c.Simulate(ctx, bz)
		if err != nil {
			return nil, fmt.Errorf("gas estimation failed: %w", err)
		}
		adj := f.GasAdjustment
		if adj <= 0 {
			adj = DefaultGasAdjustment
		}
		p.GasLimit = uint64(math.Ceil(float64(used) * adj))
	}
	if p.GasLimit == 0 {
		return nil, fmt.Errorf("gas limit is 0: set --gas to a positive number or \"auto\"")
	}
	if p.Fee, err = f.fee(p.GasLimit); err != nil {
		return nil, err
	}
	return p, nil
}

// fee is the explicit fee, or gas × gas price (nothing when no price is set).
func (f Factory) fee(gas uint64) (types.Coins, error) {
	if !f.Fees.IsZero() {
		return f.Fees, nil
	}
	prices, err := tx.ParseGasPrices(f.GasPrices)
	if err != nil {
		return nil, fmt.Errorf("--gas-prices: %w", err)
	}
	if len(prices) > 1 {
		return nil, fmt.Errorf("--gas-prices %q lists several denoms: pick one, or set --fees", f.GasPrices)
	}
	if len(prices) == 0 {
		return nil, nil
	}
	amt := prices[0].Required(gas)
	if amt.IsZero() {
		return nil, nil
	}
	return types.Coins{{Denom: prices[0].Denom, Amount: amt}}, nil
}

// Sign builds and signs the planned tx, returning its wire bytes.
func (p *Plan) Sign(s tx.Signer) ([]byte, error) {
	return p.Builder.Sign(p.ChainID, p.AccountNumber, p.Sequence, s)
}

// Simulate runs tx bytes against the node's latest state and returns the gas used.
func (c *Client) Simulate(ctx context.Context, txBytes []byte) (uint64, error) {
	res, err := c.ABCIQuery(ctx, &abci.RequestQuery{Path: pathSimulate, Data: txBytes})
	if err != nil {
		return 0, err
	}
	if res.Code != 0 {
		return 0, &QueryError{Path: pathSimulate, Codespace: res.Codespace, Code: res.Code, Log: res.Log}
	}
	var out struct {
		GasUsed json.Number `json:"gas_used"`
	}
	if err := json.Unmarshal(res.Value, &out); err != nil {
		return 0, fmt.Errorf("decode simulation result %q: %w", res.Value, err)
	}
	n, err := out.GasUsed.Int64()
	if err != nil || n < 0 {
		return 0, fmt.Errorf("simulation returned gas_used %q", out.GasUsed)
	}
	return uint64(n), nil
}
