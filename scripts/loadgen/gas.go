package main

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"

	rpchttp "github.com/cometbft/cometbft/rpc/client/http"

	"github.com/selfchain/selfchain/app/runtime"
	"github.com/selfchain/selfchain/app/tx"
	"github.com/selfchain/selfchain/client"
	"github.com/selfchain/selfchain/crypto"
	"github.com/selfchain/selfchain/types"
	"github.com/selfchain/selfchain/x/bank"
)

// Gas of the transfers. An account's first tx carries its public key (~2 KB for
// a hybrid key, 32 B for Ed25519): it pays for those bytes and for storing the
// key, so it needs more gas than the account's later txs, and how much depends
// on the key type. A fixed limit either fails the first txs of large keys
// (`out of gas`, as 100,000 did for hybrid keys) or overpays fees for small ones.
// So, unless --gas is given, loadgen asks the node, the way `--gas auto` does
// (client.Factory.Prepare): it simulates both kinds of tx through /app/simulate
// and multiplies the gas used by --gas-adjustment.
//
// A later tx can only be simulated from an account whose key is already on
// chain, so the simulations use a throwaway probe account of the run's key type
// (random key, funded by the faucet): it simulates its first tx, sends it with
// the chosen limit and checks that it commits with code 0 (which proves the
// limit on chain), then simulates its second.

// simulateGasLimit is the gas limit of a simulated tx: high enough not to cut
// the estimate short (client.Factory uses the same).
const simulateGasLimit = 100_000_000

// gasChoice is the gas limit of the run's transfers.
type gasChoice struct {
	First    uint64  `json:"first_tx"` // an account's first tx (carries its public key)
	Later    uint64  `json:"later_tx"`
	SimFirst uint64  `json:"simulated_first,omitempty"`
	SimLater uint64  `json:"simulated_later,omitempty"`
	Adjust   float64 `json:"adjustment,omitempty"`
	Source   string  `json:"source"`
}

// limit is the gas limit of a tx, which carries the public key or not.
func (g gasChoice) limit(withPubKey bool) uint64 {
	if withPubKey {
		return g.First
	}
	return g.Later
}

// parseGasFlag reads --gas: "auto" (0) or a positive number.
func parseGasFlag(s string) (uint64, error) {
	if strings.EqualFold(strings.TrimSpace(s), "auto") {
		return 0, nil
	}
	n, err := strconv.ParseUint(strings.TrimSpace(s), 10, 64)
	if err != nil || n == 0 {
		return 0, fmt.Errorf("--gas %q: give a positive number or auto", s)
	}
	return n, nil
}

// explicitGas is the choice when --gas is given: it wins, for every tx.
func explicitGas(gas uint64) gasChoice {
	return gasChoice{First: gas, Later: gas, Source: "--gas " + strconv.FormatUint(gas, 10)}
}

// adjustGas is a simulated gas use times the adjustment, rounded up.
func adjustGas(used uint64, adj float64) (uint64, error) {
	if used == 0 {
		return 0, errors.New("simulation reported 0 gas used")
	}
	if adj < 1 || math.IsNaN(adj) || math.IsInf(adj, 0) {
		return 0, fmt.Errorf("--gas-adjustment %v: must be at least 1", adj)
	}
	g := math.Ceil(float64(used) * adj)
	if g >= math.MaxUint64 {
		return 0, fmt.Errorf("gas %d × %v overflows", used, adj)
	}
	return uint64(g), nil
}

// simulatedGas makes the choice from the two simulations: each times the
// adjustment, rounded up to a multiple of step (gasStep).
func simulatedGas(simFirst, simLater uint64, adj float64, step uint64) (gasChoice, error) {
	first, err := adjustGas(simFirst, adj)
	if err != nil {
		return gasChoice{}, fmt.Errorf("first tx: %w", err)
	}
	later, err := adjustGas(simLater, adj)
	if err != nil {
		return gasChoice{}, fmt.Errorf("later tx: %w", err)
	}
	return gasChoice{First: roundUpGas(first, step), Later: roundUpGas(later, step), SimFirst: simFirst, SimLater: simLater, Adjust: adj,
		Source: fmt.Sprintf("simulated (/app/simulate) × %.2f", adj)}, nil
}

// maxGasStep bounds gasStep: a price with many significant decimals would
// otherwise round limits up by more than the adjustment adds.
const maxGasStep = 10_000

// gasStep is the smallest gas whose fee at price is a whole number of the
// denom's units (1,000 for 0.001uself), or 1 past maxGasStep. A limit that is a
// multiple of it pays exactly the price per gas. Fees rounded up limit by limit
// gave an account's first tx (more gas, for its public key) a lower fee per gas
// than its later ones (195uself for 194,695 gas against 177uself for 176,521):
// the app mempool ranks senders by fee per gas, so under overload the accounts
// still at their first tx waited behind every other account's later txs (hybrid
// p90 latency 21–34 s).
func gasStep(price tx.GasPrice) uint64 {
	den := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(price.Decimals)), nil)
	step := den.Quo(den, new(big.Int).GCD(nil, nil, price.Num, den)) // GCD(0, den) = den: step 1
	if !step.IsUint64() || step.Uint64() > maxGasStep {
		return 1
	}
	return step.Uint64()
}

// roundUpGas rounds gas up to a multiple of step.
func roundUpGas(gas, step uint64) uint64 {
	if step <= 1 || gas > math.MaxUint64-step {
		return gas
	}
	return (gas + step - 1) / step * step
}

// feeFor is the fee of a tx with gas limit gas.
func feeFor(price tx.GasPrice, gas uint64) types.Coins {
	amt := price.Required(gas)
	if amt.IsZero() {
		return nil
	}
	return types.Coins{{Denom: price.Denom, Amount: amt}}
}

// probeGas picks the gas of the run's transfers by simulation (see above).
func probeGas(ctx context.Context, rpc *rpchttp.HTTP, cfg *config, price tx.GasPrice) (gasChoice, error) {
	cl, err := client.New(cfg.node)
	if err != nil {
		return gasChoice{}, err
	}
	scheme, ok := crypto.Scheme(cfg.keyType)
	if !ok {
		return gasChoice{}, fmt.Errorf("key scheme %s is not registered", cfg.keyType)
	}
	var seed [32]byte
	if _, err := rand.Read(seed[:]); err != nil {
		return gasChoice{}, err
	}
	key, err := scheme.PrivKeyFromSeed(seed[:])
	if err != nil {
		return gasChoice{}, err
	}
	probe := &account{key: key, signer: tx.KeySigner{Key: key}, addr: key.PubKey().Address().String()}

	fkey, facc, err := faucetKey(ctx, rpc, cfg)
	if err != nil {
		return gasChoice{}, err
	}
	// Enough for a few txs of up to 10,000,000 gas, and the amounts.
	budget, err := types.NewCoins(types.Coin{Denom: price.Denom, Amount: price.Required(50_000_000)})
	if err != nil {
		return gasChoice{}, err
	}
	if budget, err = budget.Add(types.Coins{types.NewCoin(cfg.denom, 10*cfg.amount)}); err != nil {
		return gasChoice{}, err
	}
	fundTx := tx.Builder{
		Msgs: []runtime.Msg{&bank.MsgSend{FromAddress: facc.Address, ToAddress: probe.addr, Amount: budget}},
		Memo: "loadgen gas probe", Fee: feeFor(price, cfg.fundGas), GasLimit: cfg.fundGas,
		IncludePubKey: facc.PublicKey == nil,
	}
	bz, err := fundTx.Sign(cfg.chainID, facc.AccountNumber, facc.Sequence, tx.KeySigner{Key: fkey})
	if err != nil {
		return gasChoice{}, err
	}
	if err := broadcastAndWait(ctx, rpc, [][]byte{bz}, "gas probe funding"); err != nil {
		return gasChoice{}, err
	}
	acc, err := queryAccount(ctx, rpc, probe.addr)
	if err != nil {
		return gasChoice{}, fmt.Errorf("gas probe account: %w", err)
	}
	probe.number, probe.sequence = acc.AccountNumber, acc.Sequence

	// A transfer like the run's (to an account that holds a balance: the faucet).
	transfer := func(seq, gas uint64, fee types.Coins, withPub bool) ([]byte, error) {
		b := tx.Builder{
			Msgs: []runtime.Msg{&bank.MsgSend{FromAddress: probe.addr, ToAddress: facc.Address, Amount: types.Coins{types.NewCoin(cfg.denom, cfg.amount)}}},
			Fee:  fee, GasLimit: gas, IncludePubKey: withPub,
		}
		return b.Sign(cfg.chainID, probe.number, seq, probe.signer)
	}
	simulate := func(seq uint64, withPub bool) (uint64, error) {
		bz, err := transfer(seq, simulateGasLimit, feeFor(price, client.DefaultGas), withPub)
		if err != nil {
			return 0, err
		}
		return cl.Simulate(ctx, bz)
	}

	simFirst, err := simulate(probe.sequence, true)
	if err != nil {
		return gasChoice{}, fmt.Errorf("simulating a first tx (with its %s public key): %w", cfg.keyType, err)
	}
	step := gasStep(price)
	first, err := adjustGas(simFirst, cfg.gasAdjust)
	if err != nil {
		return gasChoice{}, err
	}
	first = roundUpGas(first, step) // the limit the run's first txs get (simulatedGas)
	bz, err = transfer(probe.sequence, first, feeFor(price, first), true)
	if err != nil {
		return gasChoice{}, err
	}
	if err := broadcastAndWait(ctx, rpc, [][]byte{bz}, fmt.Sprintf("gas probe's first tx (gas %d)", first)); err != nil {
		return gasChoice{}, err
	}
	simLater, err := simulate(probe.sequence+1, false)
	if err != nil {
		return gasChoice{}, fmt.Errorf("simulating a later tx (public key on chain): %w", err)
	}
	return simulatedGas(simFirst, simLater, cfg.gasAdjust, step)
}
