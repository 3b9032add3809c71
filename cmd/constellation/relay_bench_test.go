package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"sync"
	"testing"
	"time"

	gogogrpc "github.com/cosmos/gogoproto/grpc"
	"github.com/stretchr/testify/require"

	"github.com/selfchain/selfchain/app/runtime"
	"github.com/selfchain/selfchain/client"
	"github.com/selfchain/selfchain/crypto"
	"github.com/selfchain/selfchain/crypto/keyring"
	"github.com/selfchain/selfchain/types"
	"github.com/selfchain/selfchain/x/auth"
	"github.com/selfchain/selfchain/x/bridge"
)

// TestBridgeRelayThroughput measures the relayer end to end (the issue's "relayed
// throughput" benchmark; scripts/bench.sh runs it): the devnet (500 ms blocks) and
// a 4-validator ML-DSA-65 chain (500 ms blocks) bridged; BENCH_RELAY_TRANSFERS
// transfers (default 2,000) committed on the devnet in txs of 32 while the relayer
// is stopped; then the relayer starts and the test polls the devnet's pending
// packets until none is left. It reports transfers/s from relayer start to the last
// acknowledgement, and the time from relayer start by which half and 95% were
// acknowledged.
func TestBridgeRelayThroughput(t *testing.T) {
	if os.Getenv("BENCH_RELAY") == "" {
		t.Skip("a benchmark: BENCH_RELAY=1 go test ./cmd/constellation -run TestBridgeRelayThroughput -v")
	}
	n := 2000
	if s := os.Getenv("BENCH_RELAY_TRANSFERS"); s != "" {
		var err error
		n, err = strconv.Atoi(s)
		require.NoError(t, err)
	}
	e := newEnv(t)
	dev := startDevnet(t, e, "alice")
	e.c("new", "acme", "--validators", "4", "--consensus-key", "ml_dsa_65", "--denom", "uacme", "--supply", "1000000000", "--account", "bob=1000000", "--block-time", "500ms")
	e.cleanupDown("acme")
	e.c("up", "acme")
	acme := filepath.Join(e.home, "acme", "client")
	const cp = "selfchain-devnet"
	to := []string{"bridge", "acme", "--to-rpc", dev.rpc, "--to-home", dev.home}
	e.run("constellation", to...) // makes the relayer keys, then stops for want of fees
	e.sd("--home", acme, "tx", "bank", "send", "treasury", e.addr(acme, "relayer"), "100000000uacme", "--wait", "--yes")
	e.sd("--home", dev.home, "tx", "bank", "send", "faucet", e.addr(dev.home, "relayer"), "100000000uself", "--wait", "--yes")
	e.c(to...)
	bob := e.addr(acme, "bob")

	// n transfers from alice, 32 to a tx, broadcast back to back.
	ctx := context.Background()
	kr, err := keyring.New("test", dev.home, nil)
	require.NoError(t, err)
	signer, err := client.NewKeyringSigner(kr, "alice")
	require.NoError(t, err)
	cl, err := client.New(dev.rpc)
	require.NoError(t, err)
	acct := &seqTracker{}
	f := client.Factory{ChainID: "selfchain-devnet-1", Gas: 3_000_000, GasPrices: "0.001uself", Accounts: acct}
	alice := signer.PubKey().Address().String()
	sendStart := time.Now()
	for sent := 0; sent < n; sent += 32 {
		var msgs []runtime.Msg
		for range min(32, n-sent) {
			msgs = append(msgs, &bridge.MsgTransfer{Sender: alice, SourceClient: "client-0", Receiver: bob, Token: types.NewCoin("uself", 1)})
		}
		plan, err := f.Prepare(ctx, cl, signer, msgs...)
		require.NoError(t, err)
		bz, err := plan.Sign(signer)
		require.NoError(t, err)
		res, err := cl.BroadcastWithTimeout(ctx, bz, false, 0)
		require.NoError(t, err)
		require.Zero(t, res.Code, res.Log)
		acct.seq++
	}
	waitUntil(t, "every transfer is committed", 120*time.Second, func() bool { return pendingAll(e, dev.home) == n })
	t.Logf("%d transfers committed on the devnet in %s", n, time.Since(sendStart).Round(100*time.Millisecond))

	bq := bridge.NewQueryClient(cl)
	t0 := time.Now()
	e.c("relay", "acme", "--to", cp)
	t.Cleanup(func() { e.run("constellation", "relay", "stop", "acme", "--to", cp) })
	var acked []time.Duration // time from relayer start at which the k-th ack was seen
	for left := n; left > 0; {
		if time.Since(t0) > 10*time.Minute {
			t.Fatalf("%d of %d transfers still pending after 10 minutes", left, n)
		}
		time.Sleep(200 * time.Millisecond)
		// In process, not `selfchaind query` per page: ten processes a poll with
		// 10,000 pending took seconds on two shared cores, so acks were seen late
		// and the poll competed with the chains and the relayer.
		now, err := pendingCount(ctx, bq)
		if err != nil {
			continue // a slow answer under load: the next poll counts
		}
		for ; left > now; left-- {
			acked = append(acked, time.Since(t0))
		}
	}
	took := acked[len(acked)-1]
	sort.Slice(acked, func(i, j int) bool { return acked[i] < acked[j] })
	require.Equal(t, int64(n), e.balance(acme, "bob", bridge.DenomTrace{Path: "transfer/client-0", BaseDenom: "uself"}.VoucherDenom()))
	if bz, err := os.ReadFile(filepath.Join(e.home, "acme", "logs", "relay-"+cp+".log")); err == nil && testing.Verbose() {
		t.Logf("relay log (one line a batch):\n%s", bz)
	}
	t.Logf("RELAY THROUGHPUT: %d transfers acknowledged %s after relayer start: %.0f transfers/s; half by %s, 95%% by %s, the first by %s",
		n, took.Round(10*time.Millisecond), float64(n)/took.Seconds(), acked[n/2].Round(10*time.Millisecond), acked[n*95/100].Round(10*time.Millisecond), acked[0].Round(10*time.Millisecond))

	// Then a steady stream with the relayer running: one transfer every 300 ms, each
	// timed from its send's commit on the devnet to its commitment's deletion there
	// (the ack committed), against the chains' block intervals over the same span.
	const streamN = 40
	acmeCl, err := client.New(e.status("acme").Nodes[0].RPC)
	require.NoError(t, err)
	// sendOne sends one transfer and waits for its commit: its packet sequence and when.
	sendOne := func() (uint64, time.Time) {
		plan, err := f.Prepare(ctx, cl, signer, &bridge.MsgTransfer{Sender: alice, SourceClient: "client-0", Receiver: bob, Token: types.NewCoin("uself", 1)})
		require.NoError(t, err)
		bz, err := plan.Sign(signer)
		require.NoError(t, err)
		res, err := cl.BroadcastWithTimeout(ctx, bz, true, 30*time.Second)
		require.NoError(t, err)
		require.Zero(t, res.Code, res.Log)
		committed := time.Now()
		acct.seq++
		seq, err := strconv.ParseUint(txEventAttr(res, bridge.EventTypeSendPacket, bridge.AttrSequence), 10, 64)
		require.NoError(t, err)
		return seq, committed
	}
	isAcked := func(seq uint64) bool {
		r, err := bq.Packet(ctx, &bridge.QueryPacketRequest{ClientId: "client-0", Sequence: seq})
		return err == nil && len(r.Commitment) == 0
	}
	h0dev, h0acme, ts := height(t, cl), height(t, acmeCl), time.Now()
	lat := make([]time.Duration, streamN)
	var wg sync.WaitGroup
	for i := range streamN {
		seq, committed := sendOne()
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Since(committed) < time.Minute {
				if isAcked(seq) {
					lat[i] = time.Since(committed)
					return
				}
				time.Sleep(25 * time.Millisecond)
			}
			lat[i] = time.Minute
		}()
		time.Sleep(300 * time.Millisecond)
	}
	wg.Wait()
	span := time.Since(ts)
	devBlock := span / time.Duration(max(1, height(t, cl)-h0dev))
	acmeBlock := span / time.Duration(max(1, height(t, acmeCl)-h0acme))
	// And single transfers after the bridge went idle (nothing pending for 2 s).
	var single []time.Duration
	for range 5 {
		time.Sleep(2 * time.Second)
		seq, committed := sendOne()
		waitUntil(t, "the single transfer is acknowledged", time.Minute, func() bool { return isAcked(seq) })
		single = append(single, time.Since(committed))
	}
	sort.Slice(single, func(i, j int) bool { return single[i] < single[j] })
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	slower := max(devBlock, acmeBlock)
	t.Logf("RELAY LATENCY: %d transfers one every 300 ms, send committed -> ack committed: p50 %s (%.1f block times of the slower chain), p90 %s, max %s; mean block interval devnet %s, acme %s",
		streamN, lat[streamN/2].Round(10*time.Millisecond), float64(lat[streamN/2])/float64(slower), lat[streamN*9/10].Round(10*time.Millisecond),
		lat[streamN-1].Round(10*time.Millisecond), devBlock.Round(time.Millisecond), acmeBlock.Round(time.Millisecond))
	t.Logf("RELAY LATENCY: single transfers after 2 s idle, send committed -> ack committed: median %s, max %s", single[2].Round(10*time.Millisecond), single[4].Round(10*time.Millisecond))
}

// height is the node's latest block height.
func height(t *testing.T, cl *client.Client) int64 {
	st, err := cl.Status(context.Background())
	require.NoError(t, err)
	return st.SyncInfo.LatestBlockHeight
}

// txEventAttr is the first value of attribute key in an event of type typ of a tx result.
func txEventAttr(r *client.TxResult, typ, key string) string {
	for _, ev := range r.Events {
		if ev.Type != typ {
			continue
		}
		for _, a := range ev.Attributes {
			if a.Key == key {
				return a.Value
			}
		}
	}
	return ""
}

// pendingAll counts every packet the devnet has pending over client-0, page by page.
func pendingAll(e *env, home string) int {
	total, start := 0, "0"
	for {
		out := e.sd("--home", home, "query", "bridge", "unreceived", "client-0", "--limit", "1000", "--start", start, "--output", "json")
		var resp struct {
			Packets      []json.RawMessage `json:"packets"`
			NextSequence string            `json:"next_sequence"`
		}
		require.NoError(e.t, json.Unmarshal([]byte(out), &resp), out)
		total += len(resp.Packets)
		if resp.NextSequence == "" || resp.NextSequence == "0" {
			return total
		}
		start = resp.NextSequence
	}
}

// pendingCount counts the packets pending over client-0, a page of 1,000 a query.
func pendingCount(ctx context.Context, bq bridge.QueryClient) (int, error) {
	total, start := 0, uint64(0)
	for {
		qctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		resp, err := bq.PendingPackets(qctx, &bridge.QueryPendingPacketsRequest{ClientId: "client-0", StartSequence: start, Limit: 1000})
		cancel()
		if err != nil {
			return 0, err
		}
		total += len(resp.Packets)
		if resp.NextSequence == 0 {
			return total, nil
		}
		start = resp.NextSequence
	}
}

// seqTracker serves client.Factory one account whose sequence the caller advances.
type seqTracker struct {
	known       bool
	number, seq uint64
	hasPub      bool
}

func (s *seqTracker) AccountInfo(ctx context.Context, conn gogogrpc.ClientConn, addr crypto.Address) (uint64, uint64, bool, error) {
	if !s.known {
		n, q, p, err := auth.AccountRetriever{}.AccountInfo(ctx, conn, addr)
		if err != nil {
			return 0, 0, false, err
		}
		s.known, s.number, s.seq, s.hasPub = true, n, q, p
	}
	has := s.hasPub || s.seq > 0
	return s.number, s.seq, has, nil
}
