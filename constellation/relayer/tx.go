package relayer

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	gogogrpc "github.com/cosmos/gogoproto/grpc"

	"github.com/selfchain/selfchain/app/runtime"
	"github.com/selfchain/selfchain/client"
	"github.com/selfchain/selfchain/crypto"
	"github.com/selfchain/selfchain/x/auth"
)

// txWait bounds how long a batch waits for its block.
const txWait = 30 * time.Second

// txPoll is how often the relayer asks whether its tx is in a block: the next step
// (the header proving it) waits on that answer, so a coarse poll is pure latency.
const txPoll = 50 * time.Millisecond

// gasAdjustment is above the CLI's 1.3: a batch's gas depends on proof sizes,
// which vary a little between the simulation and the block.
const gasAdjustment = 1.5

// accountState is the relayer's own account on one chain. The sequence is
// tracked here (the key belongs to the relayer alone, so nobody else moves it)
// and read from the chain only at start and after a mismatch.
type accountState struct {
	mu             sync.Mutex
	known          bool
	number, seq    uint64
	hasPub         bool
	lastSeqRefresh time.Time
}

// AccountInfo serves client.Factory from the local state, reading the chain once.
func (a *accountState) AccountInfo(ctx context.Context, conn gogogrpc.ClientConn, addr crypto.Address) (uint64, uint64, bool, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.known {
		return a.number, a.seq, a.hasPub, nil
	}
	n, s, p, err := auth.AccountRetriever{}.AccountInfo(ctx, conn, addr)
	if err != nil {
		return 0, 0, false, err
	}
	a.known, a.number, a.seq, a.hasPub, a.lastSeqRefresh = true, n, s, p, time.Now()
	return n, s, p, nil
}

func (a *accountState) forget() { a.mu.Lock(); a.known = false; a.mu.Unlock() }

// accepted records a tx the mempool took: its sequence is used up.
func (a *accountState) accepted() {
	a.mu.Lock()
	a.seq++
	a.hasPub = true
	a.mu.Unlock()
}

// TxError is a tx the chain refused, with its ABCI code.
type TxError struct {
	Chain, TxHash, Codespace, Log string
	Code                          uint32
	Height                        int64
}

func (e *TxError) Error() string {
	if e.TxHash != "" {
		return fmt.Sprintf("%s: tx %s failed (%s/%d): %s", e.Chain, e.TxHash, e.Codespace, e.Code, e.Log)
	}
	return fmt.Sprintf("%s: tx refused (%s/%d): %s", e.Chain, e.Codespace, e.Code, e.Log)
}

// isCode reports whether err is a chain's refusal with want's codespace and code.
func isCode(err error, want *runtime.Error) bool {
	var te *TxError
	if errors.As(err, &te) {
		return te.Codespace == want.Codespace() && te.Code == want.Code()
	}
	var qe *client.QueryError
	return errors.As(err, &qe) && qe.Codespace == want.Codespace() && qe.Code == want.Code()
}

// ErrNoFunds wraps the plain-words message of a relayer key without fees.
var ErrNoFunds = errors.New("relayer key needs fees")

// send signs msgs with the relayer's key, broadcasts them and waits for the block.
func (c *chain) send(ctx context.Context, msgs []runtime.Msg) (*client.TxResult, error) {
	res, err := c.sendAll(ctx, [][]runtime.Msg{msgs})
	if len(res) == 0 {
		return nil, err
	}
	return res[0], err
}

// sendAll broadcasts one tx per batch back to back — the sequence is tracked
// here, so they all go into the mempool before the first is in a block — then
// waits for each. Pipelining is what lets a relayer move more than a batch a
// block. It stops at the first batch the mempool refuses; results holds the
// txs that were included, in order, and err the first failure.
func (c *chain) sendAll(ctx context.Context, batches [][]runtime.Msg) ([]*client.TxResult, error) {
	var hashes [][]byte
	var sendErr error
	var gas uint64 // 0: simulate
	// Held while signing and broadcasting, not while waiting: another worker's txs
	// on this chain take the next sequences meanwhile.
	c.sendMu.Lock()
	for _, msgs := range batches {
		hash, used, err := c.broadcast(ctx, msgs, gas)
		if err != nil {
			sendErr = err
			break
		}
		hashes = append(hashes, hash)
		// A simulation runs on committed state, where the next batch's sequence is
		// still in the future: later batches (no larger than the first, and carrying
		// the same client update) take the first one's simulated gas limit.
		gas = used
	}
	c.sendMu.Unlock()
	var out []*client.TxResult
	for _, hash := range hashes {
		res, err := c.cl.WaitForTxEvery(ctx, hash, txWait, txPoll)
		if err != nil {
			c.acct.forget()
			return out, err
		}
		if res.Code != 0 {
			return out, &TxError{Chain: c.Name, TxHash: res.TxHash, Codespace: res.Codespace, Code: res.Code, Log: res.Log, Height: res.Height}
		}
		out = append(out, res)
	}
	return out, sendErr
}

// broadcast signs msgs and hands them to the mempool (CheckTx only). A sequence
// mismatch (someone used the key, or a tx got lost) re-reads the account and
// retries; a key without funds says how to fund it.
func (c *chain) broadcast(ctx context.Context, msgs []runtime.Msg, gas uint64) ([]byte, uint64, error) {
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ {
		hash, used, err := c.broadcastOnce(ctx, msgs, gas)
		switch {
		case err == nil:
			return hash, used, nil
		case isCode(err, runtime.ErrInvalidSequence):
			// Someone else signed with this key, or a tx of ours was lost:
			// the chain's account is the truth.
			if c.logf != nil {
				c.logf("%s: account sequence mismatch for relayer key %s (%v); re-reading the account and retrying", c.Name, c.Key, err)
			}
			c.acct.forget()
			lastErr = err
			continue
		case isCode(err, runtime.ErrInsufficientFunds), isCode(err, runtime.ErrUnknownAddress),
			err != nil && strings.Contains(err.Error(), "must receive funds first"):
			have := "0" + c.Denom
			if b, berr := c.balance(ctx); berr == nil {
				have = b.String() + c.Denom
			}
			return nil, 0, fmt.Errorf("%w: %v", ErrNoFunds, c.fundsHint(have))
		}
		return nil, 0, err
	}
	return nil, 0, fmt.Errorf("%s: account sequence kept changing under the relayer (is key %s used by someone else too?): %w", c.Name, c.Key, lastErr)
}

// broadcastOnce signs with gas (0: simulated) and returns the tx hash and its gas limit.
func (c *chain) broadcastOnce(ctx context.Context, msgs []runtime.Msg, gas uint64) ([]byte, uint64, error) {
	var bz []byte
	var limit uint64
	err := c.withPrefix(func() error {
		f := client.Factory{ChainID: c.ChainID, GasAuto: gas == 0, Gas: gas, GasAdjustment: gasAdjustment, GasPrices: c.GasPrice, Accounts: &c.acct}
		pctx, cancel := context.WithTimeout(ctx, callTimeout)
		defer cancel()
		plan, err := f.Prepare(pctx, c.cl, c.signer, msgs...)
		if err != nil {
			return err
		}
		limit = plan.GasLimit
		bz, err = plan.Sign(c.signer)
		return err
	})
	if err != nil {
		return nil, 0, err
	}
	res, err := c.cl.BroadcastWithTimeout(ctx, bz, false, 0)
	if err != nil {
		c.acct.forget() // unknown whether the node took it
		return nil, 0, err
	}
	if res.Code != 0 {
		return nil, 0, &TxError{Chain: c.Name, Codespace: res.Codespace, Code: res.Code, Log: res.Log}
	}
	c.acct.accepted()
	hash, _ := hexBytes(res.TxHash)
	return hash, limit, nil
}
