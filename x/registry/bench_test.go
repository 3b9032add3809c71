package registry_test

import (
	"context"
	"crypto/sha256"
	"fmt"
	"os"
	runtime2 "runtime"
	"sort"
	"strconv"
	"testing"
	"time"

	"github.com/selfchain/selfchain/app/runtime"
	"github.com/selfchain/selfchain/app/store"
	"github.com/selfchain/selfchain/crypto"
	"github.com/selfchain/selfchain/crypto/seal"
	"github.com/selfchain/selfchain/testutil"
	"github.com/selfchain/selfchain/types"
	"github.com/selfchain/selfchain/types/query"
	"github.com/selfchain/selfchain/x/registry"
)

var (
	benchModels  = []string{"deepseek-r1", "gemma-2", "llama-3.1-70b", "llama-3.1-8b", "mistral-7b", "mixtral-8x7b", "phi-3", "qwen2-7b"}
	benchRegions = []string{"af-south", "ap-east", "ap-south", "eu-central", "eu-north", "eu-west", "me-central", "sa-east", "us-east", "us-west"}
)

// benchEntry is node i of a synthetic directory, owned by owners[i/perOwner]: ed25519
// signing key, X-Wing encryption key, 1-2 models, one of 10 regions and 3 tiers.
func benchEntry(i int, owner crypto.Address, height int64, status registry.Status) registry.NodeEntry {
	sig := signingKey(i)
	enc := seal.NewKeyFromSeed(sha256.Sum256([]byte(fmt.Sprintf("bench-enc-%d", i)))).Public()
	models := []string{benchModels[i%len(benchModels)]}
	if i%3 == 0 {
		models = append(models, benchModels[(i/3+1)%len(benchModels)])
		sort.Strings(models)
		if models[0] == models[1] {
			models = models[:1]
		}
	}
	return registry.NodeEntry{
		Node: registry.Node{
			Id: registry.NodeID(sig), Owner: owner.String(),
			Endpoints:  []string{fmt.Sprintf("node%d.example.net:26656", i), fmt.Sprintf("/ip4/10.%d.%d.%d/tcp/4001", i>>16&255, i>>8&255, i&255)},
			SigningKey: sig, SigningKeyId: registry.SigningKeyID(sig), SigningKeyHeight: 1,
			EncryptionKey: enc.Bytes(), EncryptionKeyId: enc.ID(), EncryptionKeyHeight: 1,
			Capabilities: registry.Capabilities{Models: models, StorageBytes: uint64(i%500) << 30},
			Tier:         []registry.Tier{registry.TIER_FREE, registry.TIER_GROWTH, registry.TIER_PRO}[i/7%3],
			Region:       benchRegions[i/11%len(benchRegions)], Version: "v1.0.0", RegisteredHeight: 1,
			Deposit: types.NewCoin(denom, 100),
		},
		Liveness: registry.Liveness{LastHeartbeatHeight: height, Status: status, Owner: owner.String()},
	}
}

// openBenchStore opens a pebble-backed multistore holding the registry (and bank, auth) trees.
// The directory is removed on a best-effort basis: pebble may still be deleting files.
func openBenchStore(b *testing.B) *store.MultiStore {
	dir, err := os.MkdirTemp("", "registry-bench")
	if err != nil {
		b.Fatal(err)
	}
	db, err := store.OpenDB("pebbledb", "state", dir)
	if err != nil {
		b.Fatal(err)
	}
	ms, err := store.Open(db, []string{"auth", "bank", registry.ModuleName}, store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { ms.Close(); os.RemoveAll(dir) })
	return ms
}

// BenchmarkNodesList100k measures the paginated, filtered list query on a committed
// 100,000-node directory in a pebble-backed IAVL tree (the path a node's query takes).
// It reports the p50 and p99 latency of one page over a rotation of filter combinations
// and deep pages. Run: go test ./x/registry -run '^$' -bench NodesList100k -benchtime 2000x
func BenchmarkNodesList100k(b *testing.B) {
	n := 100_000
	if v, err := strconv.Atoi(os.Getenv("REGISTRY_BENCH_NODES")); err == nil && v > 0 {
		n = v // for profiling on a smaller directory
	}
	if listBench.ms == nil || listBench.n != n { // built once: the benchmark function runs several times
		listBench.ms, listBench.version = buildDirectory(b, n)
		listBench.n = n
	}
	ms, version := listBench.ms, listBench.version
	k := registry.NewKeeper(runtime.NewKVStoreService(registry.ModuleName), nil, ms)
	cid := store.CommitID{Version: version}
	q := registry.NewQueryServer(k)
	reqs := []*registry.QueryNodesRequest{
		{Model: "llama-3.1-8b", Region: "eu-west", Status: registry.STATUS_ACTIVE},
		{Model: "mistral-7b", Tier: registry.TIER_PRO},
		{Region: "us-east", Tier: registry.TIER_GROWTH, Status: registry.STATUS_ACTIVE},
		{Model: "qwen2-7b", Region: "ap-south", Tier: registry.TIER_FREE, Status: registry.STATUS_STALE},
		{Status: registry.STATUS_EXPIRED},
		{Model: "phi-3"},
		{},
	}
	for _, r := range reqs {
		r.Pagination = &query.PageRequest{Limit: registry.DefaultPageLimit}
	}
	// Deep pages: follow next_key a few pages into each listing once, then replay those keys.
	var pages []*registry.QueryNodesRequest
	for _, r := range reqs {
		cur := *r
		for p := 0; p < 5; p++ {
			c := cur
			pages = append(pages, &c)
			res, err := q.Nodes(queryCtx(b, ms, cid.Version), &cur)
			if err != nil {
				b.Fatal(err)
			}
			if len(res.Pagination.NextKey) == 0 {
				break
			}
			cur.Pagination = &query.PageRequest{Key: res.Pagination.NextKey, Limit: cur.Pagination.GetLimit()}
		}
	}
	lat := make([]time.Duration, 0, b.N)
	returned := 0
	runtime2.GC()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		res, err := q.Nodes(queryCtx(b, ms, cid.Version), pages[i%len(pages)])
		lat = append(lat, time.Since(t0))
		if err != nil {
			b.Fatalf("page %d: %v", i%len(pages), err)
		}
		returned += len(res.Nodes)
	}
	b.StopTimer()
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
	b.ReportMetric(float64(returned)/float64(b.N), "nodes/page")
}

var listBench struct {
	ms      *store.MultiStore
	n       int
	version int64
}

// buildDirectory commits n synthetic nodes (10% stale, 10% expired) to a pebble multistore
// with the app's default IAVL cache. It is left open for the rest of the test binary.
func buildDirectory(b *testing.B, n int) (*store.MultiStore, int64) {
	dir, err := os.MkdirTemp("", "registry-bench")
	if err != nil {
		b.Fatal(err)
	}
	db, err := store.OpenDB("pebbledb", "state", dir)
	if err != nil {
		b.Fatal(err)
	}
	ms, err := store.Open(db, []string{"auth", "bank", registry.ModuleName}, store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	k := registry.NewKeeper(runtime.NewKVStoreService(registry.ModuleName), nil, ms)
	gs := registry.DefaultGenesis()
	gs.Params.MaxNodesPerOwner = registry.MaxNodesPerOwnerCap
	start := time.Now()
	for i := 0; i < n; i++ {
		st, h := registry.STATUS_ACTIVE, int64(100)
		switch i % 10 {
		case 8:
			st = registry.STATUS_STALE
		case 9:
			st, h = registry.STATUS_EXPIRED, 1
		}
		gs.Nodes = append(gs.Nodes, benchEntry(i, testAddr2(i/registry.MaxNodesPerOwnerCap), h, st))
	}
	br := ms.Working()
	ctx := runtime.NewContext(context.Background(), br, runtime.Header{ChainID: "bench-1", Height: 1}, runtime.ModeGenesis, nil)
	if err := k.InitGenesis(ctx, gs); err != nil {
		b.Fatal(err)
	}
	if err := br.Write(); err != nil {
		b.Fatal(err)
	}
	cid, err := ms.Commit()
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("setup: %d nodes committed in %v", n, time.Since(start).Round(time.Millisecond))
	return ms, cid.Version
}

// queryCtx is what app.Query builds: a branch of committed version v, metered like a query.
func queryCtx(b *testing.B, ms *store.MultiStore, v int64) *runtime.Context {
	br, err := ms.BranchAt(v)
	if err != nil {
		b.Fatal(err)
	}
	ctx := runtime.NewContext(context.Background(), br, runtime.Header{ChainID: "bench-1", Height: v}, runtime.ModeQuery, nil)
	return ctx.WithGasMeter(runtime.NewGasMeter(50_000_000))
}

func testAddr2(i int) crypto.Address {
	a := make(crypto.Address, crypto.AddressLen)
	copy(a, fmt.Sprintf("owner-%013d", i))
	return a
}

// BenchmarkHeartbeats5000Block: FinalizeBlock + Commit of one block of 5,000 heartbeat txs
// (50 owners x 100 nodes, ed25519 signatures) through the app on pebble.
// Run: go test ./x/registry -run '^$' -bench Heartbeats5000 -benchtime 5x
func BenchmarkHeartbeats5000Block(b *testing.B) {
	const owners, perOwner = 50, 100
	accs := make([]*testutil.Account, owners)
	for i := range accs {
		accs[i] = testutil.NewAccount(i)
	}
	p := registry.DefaultParams()
	p.MaxNodesPerOwner = perOwner
	gs := registry.GenesisState{Params: p}
	for i := 0; i < owners*perOwner; i++ {
		gs.Nodes = append(gs.Nodes, benchEntry(i, accs[i/perOwner].Addr, 0, registry.STATUS_ACTIVE))
	}
	state := appStateWith(b, accs, gs)
	dir, err := os.MkdirTemp("", "registry-bench")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { os.RemoveAll(dir) })
	db, err := store.OpenDB("pebbledb", "state", dir)
	if err != nil {
		b.Fatal(err)
	}
	cfg := testutil.Config()
	cfg.State.DBBackend = "pebbledb"
	ta := testutil.NewTestApp(b, db, cfg, state)
	b.Cleanup(func() { ta.Close() })
	ta.NextBlock()
	var total time.Duration
	b.ResetTimer()
	for it := 0; it < b.N; it++ {
		b.StopTimer()
		txs := make([][]byte, 0, owners*perOwner)
		for i := 0; i < owners*perOwner; i++ {
			acc := accs[i/perOwner]
			txs = append(txs, testutil.SignTx(acc, testutil.TxOpts{Gas: 100_000}, &registry.MsgHeartbeat{Owner: acc.Addr.String(), NodeId: gs.Nodes[i].Node.Id}))
		}
		b.StartTimer()
		t0 := time.Now()
		res := ta.NextBlock(txs...)
		total += time.Since(t0)
		b.StopTimer()
		for i, r := range res.TxResults {
			if r.Code != 0 {
				b.Fatalf("tx %d: %s", i, r.Log)
			}
		}
		b.StartTimer()
	}
	b.ReportMetric(float64(total.Milliseconds())/float64(b.N), "ms/block")
	b.ReportMetric(float64(owners*perOwner)*float64(b.N)/total.Seconds(), "heartbeats/s")
}

// BenchmarkEndBlockSweep: one EndBlock that moves the maximum of transitions (the default
// max_transitions_per_block active->stale and as many stale->expired) out of a 20,000-node
// directory where every node is due; the bound is what a block can cost at worst.
// Run: go test ./x/registry -run '^$' -bench EndBlockSweep -benchtime 20x
func BenchmarkEndBlockSweep(b *testing.B) {
	const n = 20_000
	p := registry.DefaultParams()
	p.MaxNodesPerOwner = registry.MaxNodesPerOwnerCap
	base := registry.GenesisState{Params: p}
	for i := 0; i < n; i++ {
		st, h := registry.STATUS_ACTIVE, int64(1)
		if i%2 == 1 {
			st = registry.STATUS_STALE
		}
		base.Nodes = append(base.Nodes, benchEntry(i, testAddr2(i/registry.MaxNodesPerOwnerCap), h, st))
	}
	ms := openBenchStore(b)
	k := registry.NewKeeper(runtime.NewKVStoreService(registry.ModuleName), nil, ms)
	br := ms.Working()
	ctx := runtime.NewContext(context.Background(), br, runtime.Header{ChainID: "bench-1", Height: 1}, runtime.ModeGenesis, nil)
	if err := k.InitGenesis(ctx, base); err != nil {
		b.Fatal(err)
	}
	if err := br.Write(); err != nil {
		b.Fatal(err)
	}
	if _, err := ms.Commit(); err != nil {
		b.Fatal(err)
	}
	h := 1 + p.ExpireAfterBlocks
	var commit time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		h++
		br := ms.Working()
		ctx := runtime.NewContext(context.Background(), br, runtime.Header{ChainID: "bench-1", Height: h}, runtime.ModeFinalize, nil)
		if err := k.EndBlock(ctx); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		if got := len(ctx.EventManager().Events()); i < 5 && got != 2*int(p.MaxTransitionsPerBlock) {
			b.Fatalf("block %d moved %d nodes, want %d", i, got, 2*p.MaxTransitionsPerBlock)
		}
		t0 := time.Now()
		if err := br.Write(); err != nil {
			b.Fatal(err)
		}
		if _, err := ms.Commit(); err != nil {
			b.Fatal(err)
		}
		commit += time.Since(t0)
		b.StartTimer()
	}
	b.ReportMetric(float64(commit.Milliseconds())/float64(b.N), "commit-ms/block")
	b.ReportMetric(float64(2*p.MaxTransitionsPerBlock), "transitions/block")
}
