package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/selfchain/selfchain/app"
	"github.com/selfchain/selfchain/client"
	"github.com/selfchain/selfchain/server"
	"github.com/selfchain/selfchain/testutil"
	"github.com/selfchain/selfchain/testutil/network"
	"github.com/selfchain/selfchain/x/bank"
)

// stateSyncAccounts is the genesis accounts of TestStateSyncJoin; BENCH_STATESYNC=1 runs
// the 100,000 (BENCH_STATESYNC_ACCOUNTS overrides) and reports the times.
func stateSyncAccounts() (int, bool) {
	if os.Getenv("BENCH_STATESYNC") == "" {
		return 3_000, false
	}
	if n, err := strconv.Atoi(os.Getenv("BENCH_STATESYNC_ACCOUNTS")); err == nil && n > 0 {
		return n, true
	}
	return 100_000, true
}

// TestStateSyncJoin: three validators with many genesis accounts take a snapshot every
// 10 blocks. Two fresh nodes join by state sync (`start --state-sync.rpc-servers a,b
// --trust-height H --trust-hash X`): one from honest peers, one whose peers include a
// validator serving corrupted chunks (its snapshot files damaged on disk: what a lying
// peer sends), which it must reject and finish from the honest one. Both reach the tip
// without the blocks before the snapshot, read the same balances as a validator, and
// follow new blocks.
func TestStateSyncJoin(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs five nodes")
	}
	nAccounts, bench := stateSyncAccounts()
	start := time.Now()
	accs := make([]*testutil.Account, nAccounts)
	for i := range accs {
		accs[i] = testutil.NewAccount(i)
	}
	// The benchmark snapshots less often, so that blocks with and without a snapshot
	// running can be compared.
	// Every 30 blocks (~9 s): the next snapshot after the one at `interval` must not
	// appear during the joiners' 5 s discovery, or one taken by the corrupting validator
	// before the honest one could be the only offer of the newest height, which CometBFT
	// would then wait on for its 2-minute chunk timeout.
	interval := int64(30)
	if bench {
		interval = 40
	}
	// Blocks come every ~0.3 s here: keep snapshots long enough that the one a joiner
	// chose is still served when it asks for the last chunk.
	snapCfg := func(c *app.Config) {
		c.StateSync.SnapshotInterval, c.StateSync.SnapshotKeepRecent = uint64(interval), 50
		// Many chunks, so the bad peer is asked for some (p = 2^-chunks that it is not).
		c.StateSync.SnapshotChunkSize = 16 << 10
		if bench {
			c.StateSync.SnapshotChunkSize = 256 << 10
		}
	}
	vals := []network.ValidatorConfig{{ModifyAppConfig: snapCfg}, {ModifyAppConfig: snapCfg}, {ModifyAppConfig: snapCfg}}
	net := network.New(t, network.Config{Validators: vals, Accounts: accs, LogLevel: "state:info,snapshots:info,*:error"})
	if err := net.WaitForHeight(interval+1, 90*time.Second); err != nil {
		t.Fatal(err)
	}
	t.Logf("network of %d accounts at height %d after %s", nAccounts, interval+1, time.Since(start).Round(time.Millisecond))
	for _, i := range []int{0, 2} {
		waitSnapshotFile(t, net.Nodes[i].Home, interval, 30*time.Second)
	}
	stopCorrupt := corruptSnapshots(t, filepath.Join(net.Nodes[2].Home, "data", "snapshots"))
	defer stopCorrupt()

	ctx := context.Background()
	trustHeight := int64(2)
	blk, err := net.Nodes[0].RPC.Block(ctx, &trustHeight)
	if err != nil {
		t.Fatal(err)
	}
	rpcServers := strings.TrimPrefix(net.Nodes[0].RPCAddress, "tcp://") + "," + strings.TrimPrefix(net.Nodes[1].RPCAddress, "tcp://")
	joiner := func(name string, peers ...int) network.NodeSpec {
		home := filepath.Join(net.Dir, name)
		if err := server.InitHome(home, name, net.ChainID, server.ConsensusKeyEd25519); err != nil {
			t.Fatal(err)
		}
		gen, err := os.ReadFile(server.GenesisPath(net.Nodes[0].Home))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(server.GenesisPath(home), gen, 0o644); err != nil {
			t.Fatal(err)
		}
		var addrs []string
		for _, p := range peers {
			addrs = append(addrs, net.Nodes[p].P2PAddress)
		}
		rpc := fmt.Sprintf("tcp://127.0.0.1:%d", testutil.FreePort(t))
		return network.NodeSpec{Home: home, RPCAddress: rpc, Args: []string{
			"--rpc.laddr", rpc,
			"--p2p.laddr", fmt.Sprintf("tcp://127.0.0.1:%d", testutil.FreePort(t)),
			"--p2p.persistent_peers", strings.Join(addrs, ","),
			"--p2p.addr_book_strict=false", "--p2p.allow_duplicate_ip", "--p2p.pex=false",
			"--log-level", "statesync:info,app:info,*:error",
			"--state-sync.rpc-servers", rpcServers,
			"--trust-height", strconv.FormatInt(trustHeight, 10),
			"--trust-hash", blk.BlockID.Hash.String(),
			"--state-sync.discovery-time", "5s",
			"--instrumentation.prometheus=false",
		}}
	}
	joinStart := time.Now()
	joiners := network.Launch(t, []network.NodeSpec{joiner("honest", 0, 1), joiner("besetby", 2, 0)})

	tip, err := net.Height(0)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make([]error, len(joiners.Nodes))
	took := make([]time.Duration, len(joiners.Nodes))
	for i := range joiners.Nodes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// 150 s: past CometBFT's 2-minute chunk timeout, should a snapshot still be stuck.
			if errs[i] = joiners.WaitForNodeHeight(i, tip, 150*time.Second); errs[i] != nil {
				return
			}
			took[i] = time.Since(joinStart)
			// Caught up, it keeps up: the validators' height now is reached too.
			now, err := net.Height(0)
			if err == nil {
				err = joiners.WaitForNodeHeight(i, now, 20*time.Second)
			}
			errs[i] = err
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("joiner %d: %v", i, err)
		}
	}
	t.Logf("joiners at the tip (height %d when they started) %s and %s after start", tip, took[0].Round(time.Millisecond), took[1].Round(time.Millisecond))

	for i, n := range joiners.Nodes {
		st, err := joiners.Status(i)
		if err != nil {
			t.Fatal(err)
		}
		if st.SyncInfo.EarliestBlockHeight <= interval {
			t.Fatalf("%s holds blocks from height %d: it replayed instead of restoring a snapshot", n.Moniker, st.SyncInfo.EarliestBlockHeight)
		}
	}
	// The joiner with the lying peer refused its chunks (the app logs each one).
	if log := readFile(t, joiners.Nodes[1].LogPath); !strings.Contains(log, "does not match its hash") {
		t.Fatalf("the joiner never received a corrupted chunk from %s; its log:\n%s", net.Nodes[2].NodeID, joiners.LogTail(1, 60))
	} else if !strings.Contains(log, net.Nodes[2].NodeID) {
		t.Fatalf("a chunk was refused but not from the corrupting peer %s", net.Nodes[2].NodeID)
	}

	// Balances read on the joiners equal a validator's at the same height.
	h, err := joiners.Height(0)
	if err != nil {
		t.Fatal(err)
	}
	if err := joiners.WaitForHeight(h, 20*time.Second); err != nil {
		t.Fatal(err)
	}
	if err := net.WaitForNodeHeight(0, h, 20*time.Second); err != nil {
		t.Fatal(err)
	}
	// A node reports a block before its app has committed it: read one height lower.
	h--
	for _, k := range []int{0, 1, nAccounts / 2, nAccounts - 1} {
		want := balanceAt(t, net.Nodes[0].Client, accs[k], h)
		for _, j := range joiners.Nodes {
			if got := balanceAt(t, j.Client, accs[k], h); got != want {
				t.Fatalf("%s: balance of account %d at height %d is %s, the validator says %s", j.Moniker, k, h, got, want)
			}
		}
	}
	// They follow new blocks: a send committed after the join shows up on both.
	res, err := net.BroadcastTx(0, testutil.Send(accs[nAccounts-1], accs[0].Addr, 777, testutil.TxOpts{}), true)
	if err != nil || res.Code != 0 {
		t.Fatalf("send: %v %+v", err, res)
	}
	for i := range joiners.Nodes {
		if err := joiners.WaitForNodeHeight(i, res.Height+1, 30*time.Second); err != nil {
			t.Fatal(err)
		}
	}
	if err := net.WaitForNodeHeight(0, res.Height+1, 30*time.Second); err != nil {
		t.Fatal(err)
	}
	want := balanceAt(t, net.Nodes[0].Client, accs[0], res.Height)
	for _, j := range joiners.Nodes {
		if got := balanceAt(t, j.Client, accs[0], res.Height); got != want {
			t.Fatalf("%s: balance after the send %s, the validator says %s", j.Moniker, got, want)
		}
	}

	// selfchaind snapshots: list and dump a validator's, load one into a joiner's home,
	// and export one from a stopped node's state.
	v0 := &cli{t: t, bin: net.Bin, home: net.Nodes[0].Home}
	var listed []snapshotInfo
	if err := json.Unmarshal([]byte(v0.must("snapshots", "list", "--output", "json")), &listed); err != nil || len(listed) == 0 {
		t.Fatalf("snapshots list: %v %v", listed, err)
	}
	if listed[len(listed)-1].Height != interval || listed[0].ChainID != net.ChainID {
		t.Fatalf("snapshots list: %+v", listed)
	}
	archive := filepath.Join(t.TempDir(), "snap.tar")
	v0.must("snapshots", "dump", strconv.FormatInt(interval, 10), "--out", archive)
	j1 := &cli{t: t, bin: net.Bin, home: joiners.Nodes[1].Home}
	if out := j1.must("snapshots", "load", archive); !strings.Contains(out, fmt.Sprintf("loaded snapshot of height %d", interval)) {
		t.Fatalf("snapshots load: %s", out)
	}
	if out := j1.must("snapshots", "list"); !strings.Contains(out, fmt.Sprintf("height %d ", interval)) {
		t.Fatalf("snapshots list after load: %s", out)
	}
	bad := filepath.Join(t.TempDir(), "bad.tar")
	bz := []byte(readFile(t, archive))
	bz[len(bz)-2000] ^= 0xff // inside the last chunk
	if err := os.WriteFile(bad, bz, 0o644); err != nil {
		t.Fatal(err)
	}
	j1.fails("does not match its hash", "snapshots", "load", bad)

	// snapshots restore: a fresh home loads the archive, restores it offline (the app hash
	// checked by a light client), and block-syncs from the next height.
	spec := joiner("restored", 0, 1)
	r := &cli{t: t, bin: net.Bin, home: spec.Home}
	r.must("snapshots", "load", archive)
	ssFlags := []string{"--state-sync.rpc-servers", rpcServers, "--trust-height", strconv.FormatInt(trustHeight, 10), "--trust-hash", blk.BlockID.Hash.String()}
	r.fails("--state-sync.rpc-servers", "snapshots", "restore", strconv.FormatInt(interval, 10))
	r.fails("snapshot of height 7", append([]string{"snapshots", "restore", "7"}, ssFlags...)...)
	if out := r.must(append([]string{"snapshots", "restore", strconv.FormatInt(interval, 10)}, ssFlags...)...); !strings.Contains(out, fmt.Sprintf("restored height %d", interval)) {
		t.Fatalf("snapshots restore: %s", out)
	}
	r.fails("already has state", append([]string{"snapshots", "restore", strconv.FormatInt(interval, 10)}, ssFlags...)...)
	spec.Args = append(spec.Args[:11:11], "--instrumentation.prometheus=false") // no state sync flags: it has state
	restoreStart := time.Now()
	restored := network.Launch(t, []network.NodeSpec{spec})
	now, err := net.Height(0)
	if err != nil {
		t.Fatal(err)
	}
	if err := restored.WaitForNodeHeight(0, now, 60*time.Second); err != nil {
		t.Fatalf("restored node: %v\n%s", err, restored.LogTail(0, 40))
	}
	t.Logf("restored node at the tip (height %d) %s after start", now, time.Since(restoreStart).Round(time.Millisecond))
	if st, err := restored.Status(0); err != nil || st.SyncInfo.EarliestBlockHeight <= interval {
		t.Fatalf("restored node status %+v %v: it should hold no block at or below %d", st, err, interval)
	}
	want = balanceAt(t, net.Nodes[0].Client, accs[0], res.Height)
	if got := balanceAt(t, restored.Nodes[0].Client, accs[0], res.Height); got != want {
		t.Fatalf("restored node: balance %s, the validator says %s", got, want)
	}
	v0.fails("locked", "snapshots", "export") // the node is running
	if err := joiners.Stop(0); err != nil {
		t.Fatal(err)
	}
	j0 := &cli{t: t, bin: net.Bin, home: joiners.Nodes[0].Home}
	if out := j0.must("snapshots", "export"); !strings.Contains(out, "took snapshot of height") {
		t.Fatalf("snapshots export: %s", out)
	}
	if bench {
		reportBlockIntervals(t, net.Nodes[0].LogPath)
	}
	t.Logf("state sync test of %d accounts: %s in all", nAccounts, time.Since(start).Round(time.Millisecond))
}

var (
	commitLineRe   = regexp.MustCompile(`^I\[(\S+)\] committed state .*\bheight=(\d+)`)
	snapshotLineRe = regexp.MustCompile(`^I\[(\S+)\] snapshot taken .*\bheight=(\d+) .*\btook=(\S+)`)
)

// reportBlockIntervals logs the intervals between a validator's commits (from its log)
// while a snapshot was being taken and while none was: taking one must not slow blocks.
func reportBlockIntervals(t *testing.T, logPath string) {
	const layout = "2006-01-02|15:04:05.000"
	commits := map[int64]time.Time{}
	type window struct{ from, to time.Time }
	var windows []window
	var snapHeights []int64
	var tooks []time.Duration
	for _, l := range strings.Split(readFile(t, logPath), "\n") {
		if m := commitLineRe.FindStringSubmatch(l); m != nil {
			at, err1 := time.Parse(layout, m[1])
			h, err2 := strconv.ParseInt(m[2], 10, 64)
			if err1 == nil && err2 == nil {
				commits[h] = at
			}
		} else if m := snapshotLineRe.FindStringSubmatch(l); m != nil {
			h, err1 := strconv.ParseInt(m[2], 10, 64)
			took, err2 := time.ParseDuration(m[3])
			if err1 == nil && err2 == nil {
				snapHeights, tooks = append(snapHeights, h), append(tooks, took)
			}
		}
	}
	for i, h := range snapHeights {
		if at, ok := commits[h]; ok {
			windows = append(windows, window{at, at.Add(tooks[i])})
		}
	}
	var during, outside []time.Duration
	for h, at := range commits {
		prev, ok := commits[h-1]
		if !ok || h <= 2 {
			continue
		}
		in := false
		for _, w := range windows {
			if at.After(w.from) && prev.Before(w.to) {
				in = true
			}
		}
		if in {
			during = append(during, at.Sub(prev))
		} else {
			outside = append(outside, at.Sub(prev))
		}
	}
	stats := func(ds []time.Duration) string {
		if len(ds) == 0 {
			return "none"
		}
		var sum, top time.Duration
		for _, d := range ds {
			sum += d
			top = max(top, d)
		}
		return fmt.Sprintf("%d blocks, mean %s, max %s", len(ds), (sum / time.Duration(len(ds))).Round(time.Millisecond), top.Round(time.Millisecond))
	}
	t.Logf("snapshots taken: heights %v, took %v", snapHeights, tooks)
	t.Logf("block intervals while a snapshot was taken: %s; otherwise: %s (timeout_commit %s)", stats(during), stats(outside), network.DefaultBlockTime)
}

func balanceAt(t *testing.T, c *client.Client, acc *testutil.Account, h int64) string {
	t.Helper()
	res, err := bank.NewQueryClient(c).Balance(context.Background(), &bank.QueryBalanceRequest{Address: acc.Addr.String(), Denom: testutil.Denom}, client.AtHeight(h))
	if err != nil {
		t.Fatalf("balance of %s at %d: %v", acc.Addr, h, err)
	}
	return res.Balance.Amount.String()
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	bz, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(bz)
}

// waitSnapshotFile waits until the node in home has written the snapshot of height.
func waitSnapshotFile(t *testing.T, home string, height int64, timeout time.Duration) {
	t.Helper()
	path := filepath.Join(home, "data", "snapshots", strconv.FormatInt(height, 10), "metadata")
	for deadline := time.Now().Add(timeout); ; time.Sleep(50 * time.Millisecond) {
		if _, err := os.Stat(path); err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("no snapshot %s within %s", path, timeout)
		}
	}
}

// corruptSnapshots damages every chunk file that appears under dir (flipping its first
// byte) until stopped: the node keeps serving them, as a lying peer would.
func corruptSnapshots(t *testing.T, dir string) (stop func()) {
	done := make(chan struct{})
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		seen := map[string]bool{}
		for {
			hs, _ := os.ReadDir(dir)
			for _, h := range hs {
				if _, err := strconv.Atoi(h.Name()); err != nil {
					continue // tmp-<height>: not served yet
				}
				files, _ := os.ReadDir(filepath.Join(dir, h.Name()))
				for _, f := range files {
					p := filepath.Join(dir, h.Name(), f.Name())
					if f.Name() == "metadata" || seen[p] {
						continue
					}
					if bz, err := os.ReadFile(p); err == nil && len(bz) > 0 {
						bz[0] ^= 0xff
						if os.WriteFile(p, bz, 0o644) == nil {
							seen[p] = true
						}
					}
				}
			}
			select {
			case <-done:
				return
			case <-time.After(20 * time.Millisecond):
			}
		}
	}()
	var once sync.Once
	return func() { once.Do(func() { close(done); <-stopped }) }
}
