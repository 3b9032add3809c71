package relayer

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"sync"
	"time"

	ctypes "github.com/cometbft/cometbft/rpc/core/types"
	cmttypes "github.com/cometbft/cometbft/types"
	gogogrpc "github.com/cosmos/gogoproto/grpc"

	"github.com/selfchain/selfchain/app/runtime"
	"github.com/selfchain/selfchain/app/tx"
	"github.com/selfchain/selfchain/client"
	"github.com/selfchain/selfchain/crypto"
	"github.com/selfchain/selfchain/types"
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
	res, err := c.sendAll(ctx, nil, [][]runtime.Msg{msgs})
	if len(res) == 0 {
		return nil, err
	}
	return res[0], err
}

// planTxs lays out batches that all need lead (a client update; nil: none) first:
// a single batch carries it; several get it once, in a tx of its own ahead of them
// (a tx of one update is refused only if the update is, and then all of them would
// be). The txs go out back to back from one account, so the chain executes them in
// that order. The update is ~34 KB for 4 ML-DSA-65 validators, so a page of 33
// batches used to carry 1.1 MB of copies of it.
func planTxs(lead runtime.Msg, batches [][]runtime.Msg) (txs [][]runtime.Msg, leadAlone bool) {
	switch {
	case lead == nil:
		return batches, false
	case len(batches) == 1:
		return [][]runtime.Msg{append([]runtime.Msg{lead}, batches[0]...)}, false
	}
	txs = append(txs, []runtime.Msg{lead})
	return append(txs, batches...), true
}

// sendAll broadcasts one tx per batch back to back — the sequence is tracked
// here, so they all go into the mempool before the first is in a block — then
// waits for each. Pipelining is what lets a relayer move more than a batch a
// block. lead (a client update, or nil) goes ahead of them (planTxs). It stops at
// the first tx the mempool refuses; results holds the batches' txs that were
// included, in order, and err the first failure.
func (c *chain) sendAll(ctx context.Context, lead runtime.Msg, batches [][]runtime.Msg) ([]*client.TxResult, error) {
	sent, sendErr := c.submit(ctx, lead, batches)
	out, err := c.await(ctx, sent)
	if err != nil {
		return out, err
	}
	return out, sendErr
}

// submitted is what submit handed to the mempool: the txs' hashes, and whether the
// first is the lead update alone (not one of the batches).
type submitted struct {
	hashes    [][]byte
	leadAlone bool
}

// batches is how many of the batches went into the mempool.
func (s submitted) batches() int {
	if s.leadAlone {
		return max(0, len(s.hashes)-1)
	}
	return len(s.hashes)
}

// submit is sendAll's first half: sign every tx with the next sequences, then hand
// them to the node a JSON-RPC batch at a time (broadcastMany), up to the first the
// mempool refuses. A sequence mismatch (someone else used the key, or a tx of ours
// got lost) re-reads the account and carries on from there, twice at most.
func (c *chain) submit(ctx context.Context, lead runtime.Msg, batches [][]runtime.Msg) (submitted, error) {
	txs, leadAlone := planTxs(lead, batches)
	sent := submitted{leadAlone: leadAlone}
	// Held while signing and broadcasting, not while waiting: another worker's txs
	// on this chain take the next sequences meanwhile.
	tr := newTracer(c.logf, "submit on "+c.Name)
	c.sendMu.Lock()
	defer c.sendMu.Unlock()
	tr.mark("lock")
	gas := make([]uint64, len(txs))
	for i, msgs := range txs {
		switch {
		case i == 0 && leadAlone:
			g, err := c.gasFor(ctx, msgs)
			if err != nil {
				return sent, err
			}
			gas[i] = g
		case i == 0 || (i == 1 && leadAlone):
			// Simulation runs on committed state, where the update ahead has not
			// happened: the batches' limit is simulated with it (a little more gas
			// than they use), and later batches, no larger, take the same.
			sim := msgs
			if leadAlone {
				sim = append([]runtime.Msg{lead}, msgs...)
			}
			g, err := c.gasFor(ctx, sim)
			if err != nil {
				return sent, err
			}
			gas[i] = g
		default:
			gas[i] = gas[i-1]
		}
	}
	for attempt := 0; ; attempt++ {
		from := len(sent.hashes)
		tr.mark("gas")
		signed, err := c.signAll(ctx, txs[from:], gas[from:])
		if err != nil {
			return sent, c.explain(ctx, err)
		}
		tr.mark("sign", len(signed))
		hashes, err := c.broadcastMany(ctx, signed)
		tr.mark("broadcast", len(hashes))
		sent.hashes = append(sent.hashes, hashes...)
		switch {
		case err == nil:
			return sent, nil
		case isCode(err, runtime.ErrInvalidSequence) && attempt < 2:
			if c.logf != nil {
				c.logf("%s: account sequence mismatch for relayer key %s (%v); re-reading the account and retrying", c.Name, c.Key, err)
			}
			c.acct.forget()
			continue
		case isCode(err, runtime.ErrInvalidSequence):
			return sent, fmt.Errorf("%s: account sequence kept changing under the relayer (is key %s used by someone else too?): %w", c.Name, c.Key, err)
		}
		return sent, c.explain(ctx, err)
	}
}

// signAll signs txs with the tracked sequence and the ones after it.
func (c *chain) signAll(ctx context.Context, txs [][]runtime.Msg, gas []uint64) ([][]byte, error) {
	out := make([][]byte, len(txs))
	err := c.withPrefix(func() error {
		for i, msgs := range txs {
			f := client.Factory{ChainID: c.ChainID, Gas: gas[i], GasPrices: c.GasPrice, Accounts: &c.acct}
			pctx, cancel := context.WithTimeout(ctx, callTimeout)
			plan, err := f.Prepare(pctx, c.cl, c.signer, msgs...)
			cancel()
			if err != nil {
				return err
			}
			plan.Sequence += uint64(i)
			if i > 0 {
				plan.IncludePubKey = false // the first tx puts it on chain, if it is not yet
			}
			if out[i], err = plan.Sign(c.signer); err != nil {
				return err
			}
		}
		return nil
	})
	return out, err
}

// stragglerWait is how long a broadcast waits for the other nodes once one answered.
const stragglerWait = 2 * time.Second

// rpcBatchTxs and rpcBatchBytes bound one JSON-RPC batch of broadcasts: CometBFT's
// default max_request_batch_size is 10 and max_body_bytes 1 MB (txs go base64).
const (
	rpcBatchTxs   = 10
	rpcBatchBytes = 600 << 10
)

// broadcastMany hands signed txs to the mempools in order (broadcast_tx_sync, a
// JSON-RPC batch of up to rpcBatchTxs at a time: a node runs a batch's calls in
// order, so the sequences stay in order, with one round trip instead of one a tx),
// every batch to the first node that takes it (broadcastFirst) or, with
// Config.BroadcastAll, to every node of the chain at once (broadcastAll). It returns the
// hashes of the txs a mempool took, up to the first that none took.
func (c *chain) broadcastMany(ctx context.Context, signed [][]byte) ([][]byte, error) {
	send := c.broadcastAll
	if c.broadcastOne {
		send = c.broadcastFirst
	}
	var hashes [][]byte
	for len(signed) > 0 {
		n, size := 0, 0
		for n < len(signed) && n < rpcBatchTxs && (n == 0 || size+len(signed[n]) <= rpcBatchBytes) {
			size += len(signed[n])
			n++
		}
		bctx, cancel := context.WithTimeout(ctx, callTimeout)
		results, err := send(bctx, signed[:n])
		cancel()
		for i, res := range results {
			if res.Code != 0 {
				// The ones after it in this batch are refused too (their sequences
				// no longer follow): the tracked sequence stays at this one's.
				return hashes, &TxError{Chain: c.Name, Codespace: res.Codespace, Code: res.Code, Log: res.Log}
			}
			c.acct.accepted()
			hashes = append(hashes, cmttypes.Tx(signed[i]).Hash())
		}
		if err != nil {
			c.acct.forget() // unknown whether a node took the rest
			return hashes, fmt.Errorf("%s: broadcast: %w", c.Name, err)
		}
		signed = signed[n:]
	}
	return hashes, nil
}

// broadcastAll sends one batch of txs to every node of the chain at once and merges
// the answers per tx: taken if any node's mempool has it (took it now, or had it from
// gossip), else the first refusal in list order; nil where no node answered (then
// err says why). It goes on as soon as every tx is taken somewhere, or every node
// answered, or stragglerWait after the first answer: the other nodes get the rest of
// their copies in the background (a node takes one batch at a time, in order) or by
// gossip. A node that cannot be dialled, or times out, is left out for peerRest.
func (c *chain) broadcastAll(ctx context.Context, txs [][]byte) ([]*ctypes.ResultBroadcastTx, error) {
	type answer struct {
		i   int
		res []txAnswer
		err error
	}
	now := time.Now()
	resting := 0
	for _, p := range c.peers {
		if p.resting(now) {
			resting++
		}
	}
	// The copies outlive this call by at most callTimeout, and end with the relayer.
	bctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), callTimeout)
	stop := context.AfterFunc(ctx, cancel)
	got := make(chan answer, len(c.peers)) // buffered: a copy left behind never blocks
	var firstErr error
	started := 0
	var wg sync.WaitGroup
	for i, p := range c.peers {
		if resting < len(c.peers) && p.resting(now) {
			continue
		}
		started++
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, err := p.broadcastRaw(bctx, txs)
			if err != nil && (isDialError(err) || errors.Is(err, context.DeadlineExceeded)) {
				p.rest(time.Now())
			}
			got <- answer{i, res, err}
		}()
	}
	go func() { wg.Wait(); stop(); cancel() }()
	taken := make([]bool, len(txs))
	refused := make([]*ctypes.ResultBroadcastTx, len(txs))
	refusedBy := make([]int, len(txs))
	allTaken := func() bool {
		for _, t := range taken {
			if !t {
				return false
			}
		}
		return true
	}
	var late <-chan time.Time
	answered := 0
wait:
	for answered < started {
		select {
		case a := <-got:
			answered++
			if a.err != nil {
				if firstErr == nil {
					firstErr = fmt.Errorf("node %s: %w", c.peers[a.i].rpc, a.err)
				}
				continue
			}
			for j, ans := range a.res {
				switch {
				case ans.taken():
					taken[j] = true
				case ans.res != nil && (refused[j] == nil || a.i < refusedBy[j]):
					refused[j], refusedBy[j] = ans.res, a.i
				}
			}
			if allTaken() {
				break wait
			}
			if late == nil {
				t := time.NewTimer(stragglerWait)
				defer t.Stop()
				late = t.C
			}
		case <-late:
			break wait
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	out := make([]*ctypes.ResultBroadcastTx, len(txs))
	for j, tx := range txs {
		switch {
		case taken[j]:
			out[j] = &ctypes.ResultBroadcastTx{Hash: cmttypes.Tx(tx).Hash()}
		case refused[j] != nil:
			out[j] = refused[j]
		default:
			if firstErr == nil {
				firstErr = fmt.Errorf("no node answered for tx %d of %d", j+1, len(txs))
			}
			return out[:j], firstErr
		}
	}
	return out, nil
}

// broadcastFirst sends the batch to the first node in list order that can be reached
// (the default; Config.BroadcastAll sends to all): the others get the txs by gossip.
func (c *chain) broadcastFirst(ctx context.Context, txs [][]byte) ([]*ctypes.ResultBroadcastTx, error) {
	var firstErr error
	for _, p := range c.peers {
		res, err := p.broadcastRaw(ctx, txs)
		if err != nil {
			if firstErr == nil {
				firstErr = fmt.Errorf("node %s: %w", p.rpc, err)
			}
			if isDialError(err) {
				continue
			}
			return nil, firstErr
		}
		out := make([]*ctypes.ResultBroadcastTx, len(txs))
		for j, a := range res {
			switch {
			case a.taken():
				out[j] = &ctypes.ResultBroadcastTx{Hash: cmttypes.Tx(txs[j]).Hash()}
			case a.res != nil:
				out[j] = a.res
			default:
				return out[:j], fmt.Errorf("node %s: tx %d of %d: %v", p.rpc, j+1, len(txs), a.err)
			}
		}
		return out, nil
	}
	return nil, firstErr
}

// await is sendAll's second half: each tx's block, in order. results are the
// batches' txs (not the lead update's), up to the first that failed or did not come.
func (c *chain) await(ctx context.Context, sent submitted) ([]*client.TxResult, error) {
	var out []*client.TxResult
	for i, hash := range sent.hashes {
		res, err := c.waitTx(ctx, hash)
		if err != nil {
			c.acct.forget()
			return out, err
		}
		if res.Code != 0 {
			err := &TxError{Chain: c.Name, TxHash: res.TxHash, Codespace: res.Codespace, Code: res.Code, Log: res.Log, Height: res.Height}
			if isCode(err, runtime.ErrOutOfGas) {
				c.gas.forget() // proofs grew: simulate again
			}
			return out, err
		}
		if i == 0 && sent.leadAlone {
			continue
		}
		out = append(out, res)
	}
	return out, nil
}

// waitTx waits for a tx's block. With block events it looks when the chain commits
// a block, then every indexPoll for a moment (the node indexes a block's txs just
// after the block's event); without, every txPoll. The next step waits on this, so
// a coarse poll is pure latency, and a fine one a load on the node.
func (c *chain) waitTx(ctx context.Context, hash []byte) (*client.TxResult, error) {
	ctx, cancel := context.WithTimeout(ctx, txWait)
	defer cancel()
	hexHash := fmt.Sprintf("%X", hash)
	var fastUntil time.Time
	for {
		next := c.heads.wait()
		res, err := c.cl.GetTx(ctx, hexHash)
		if err == nil {
			return res, nil
		}
		if !strings.Contains(err.Error(), "not found") && ctx.Err() == nil {
			return nil, err
		}
		wait := txPoll
		switch {
		case time.Now().Before(fastUntil):
			wait = indexPoll
		case c.heads.Live():
			wait = staleAfter // the next block's event wakes this
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, fmt.Errorf("%s: tx %s was accepted but not in a block after %s; it may still be pending: %w", c.Name, hexHash, txWait, ctx.Err())
		case <-next:
			fastUntil = time.Now().Add(indexWindow)
		case <-t.C:
		}
		t.Stop()
	}
}

// indexPoll and indexWindow: after a block event, how often and how long to look
// for a tx the indexer may not have written yet.
const (
	indexPoll   = 20 * time.Millisecond
	indexWindow = 400 * time.Millisecond
)

// estimate simulates msgs for their gas limit. The draft is signed with the
// account's committed sequence, read from the chain: the tracked one is ahead of it
// while txs of ours wait in the mempool, and a simulation runs on committed state.
// Only the signing holds the process-wide prefix lock; the two queries do not, so
// they do not hold up the other chain's signer.
func (c *chain) estimate(ctx context.Context, msgs []runtime.Msg) (uint64, error) {
	qctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	resp, err := auth.NewQueryClient(c.cl).Account(qctx, &auth.QueryAccountRequest{Address: c.addr})
	if err != nil {
		if client.IsNotFound(err) {
			err = fmt.Errorf("account %s not found on chain: it must receive funds first", c.addr)
		}
		return 0, c.explain(ctx, err)
	}
	acc := resp.Account
	prices, err := tx.ParseGasPrices(c.GasPrice)
	if err != nil || len(prices) != 1 {
		return 0, fmt.Errorf("%s: gas price %q: %v", c.Name, c.GasPrice, err)
	}
	draft := client.Plan{ChainID: c.ChainID, AccountNumber: acc.AccountNumber, Sequence: acc.Sequence, Builder: tx.Builder{
		Msgs: msgs, GasLimit: simulateGasLimit, IncludePubKey: acc.PublicKey == nil || len(acc.PublicKey.Key) == 0}}
	if amt := prices[0].Required(client.DefaultGas); !amt.IsZero() {
		draft.Fee = types.Coins{{Denom: prices[0].Denom, Amount: amt}}
	}
	var bz []byte
	if err := c.withPrefix(func() (err error) { bz, err = draft.Sign(c.signer); return err }); err != nil {
		return 0, err
	}
	used, err := c.cl.Simulate(qctx, bz)
	if err != nil {
		return 0, c.explain(ctx, fmt.Errorf("%s: gas estimation failed: %w", c.Name, err))
	}
	return uint64(math.Ceil(float64(used) * gasAdjustment)), nil
}

// simulateGasLimit is a draft's limit: high enough not to cut the estimate short
// (as client.Factory's).
const simulateGasLimit = 100_000_000

// explain turns a refusal for want of funds into the plain-words hint.
func (c *chain) explain(ctx context.Context, err error) error {
	if isCode(err, runtime.ErrInsufficientFunds) || isCode(err, runtime.ErrUnknownAddress) ||
		err != nil && strings.Contains(err.Error(), "must receive funds first") {
		have := "0" + c.Denom
		if b, berr := c.balance(ctx); berr == nil {
			have = b.String() + c.Denom
		}
		return fmt.Errorf("%w: %v", ErrNoFunds, c.fundsHint(have))
	}
	return err
}

// gasFor is msgs' gas limit: simulated, or what a simulation of a tx of the same
// shape (the same number of messages of each type) gave within gasReuse. A hop of a
// packet costs the relayer one query and one simulation less; the limit has the
// gasAdjustment margin, and a tx out of gas drops every remembered limit.
func (c *chain) gasFor(ctx context.Context, msgs []runtime.Msg) (uint64, error) {
	key := shapeOf(msgs)
	if g, ok := c.gas.get(key); ok {
		return g, nil
	}
	g, err := c.estimate(ctx, msgs)
	if err == nil {
		c.gas.put(key, g)
	}
	return g, err
}

// gasReuse is how long a simulated gas limit serves txs of the same shape.
const gasReuse = 30 * time.Second

// shapeOf is "type×count" per message type, in order of first appearance.
func shapeOf(msgs []runtime.Msg) string {
	var types []string
	counts := map[string]int{}
	for _, m := range msgs {
		t := fmt.Sprintf("%T", m)
		if counts[t] == 0 {
			types = append(types, t)
		}
		counts[t]++
	}
	var b strings.Builder
	for _, t := range types {
		fmt.Fprintf(&b, "%s×%d;", t, counts[t])
	}
	return b.String()
}

// gasMemo remembers simulated gas limits by tx shape.
type gasMemo struct {
	mu sync.Mutex
	m  map[string]gasEntry
}

type gasEntry struct {
	gas uint64
	at  time.Time
}

func (g *gasMemo) get(key string) (uint64, bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	e, ok := g.m[key]
	if !ok || time.Since(e.at) > gasReuse {
		return 0, false
	}
	return e.gas, true
}

func (g *gasMemo) put(key string, gas uint64) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.m == nil || len(g.m) > 256 {
		g.m = map[string]gasEntry{}
	}
	g.m[key] = gasEntry{gas, time.Now()}
}

func (g *gasMemo) forget() {
	g.mu.Lock()
	g.m = nil
	g.mu.Unlock()
}
