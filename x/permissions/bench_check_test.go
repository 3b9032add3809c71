package permissions

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/selfchain/selfchain/app/runtime"
	"github.com/selfchain/selfchain/app/store"
	"github.com/selfchain/selfchain/crypto"
	"github.com/selfchain/selfchain/types"
)

// BenchmarkCheckQuery1M answers check queries the way the app does (a branch of the
// latest committed version, a metered query context) over a pebble-backed
// multistore holding 1,000,000 grants (BENCH_GRANTS overrides), built through the
// keeper and committed in batches of 50,000. Reports p50/p99/max latency.
func BenchmarkCheckQuery1M(b *testing.B) {
	n := 1_000_000
	if s := os.Getenv("BENCH_GRANTS"); s != "" {
		n, _ = strconv.Atoi(s)
	}
	const nApps, batch = 100, 50_000
	db, err := store.OpenDB("pebbledb", "application", b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	names := []string{"auth", "bank", ModuleName}
	ms, err := store.Open(db, names, store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer ms.Close()
	k := NewKeeper(runtime.NewKVStoreService(ModuleName), nil, nil, nil)
	user := func(i int) crypto.Address { return crypto.ModuleAddress("bench-user-" + strconv.Itoa(i)) }
	appID := func(i int) string { return fmt.Sprintf("bench-app-%03d", i%nApps) }

	build := time.Now()
	owner := crypto.ModuleAddress("bench-owner").String()
	for done := 0; done < n || done == 0; {
		br := ms.Working()
		ctx := runtime.NewContext(context.Background(), br, runtime.Header{Height: ms.LastCommitID().Version + 1}, runtime.ModeFinalize, nil)
		if done == 0 {
			if err := k.Params.Set(ctx, DefaultParams()); err != nil {
				b.Fatal(err)
			}
			for a := 0; a < nApps; a++ {
				app := App{Id: appID(a), Owner: owner, Name: "Bench", Scopes: []string{"storage:read", "profile:read", "ai:chat"},
					PubKeys: []types.PubKey{{Type: "ed25519", Key: sampleAppKey}}, KeyVersion: 1}
				if err := k.Apps.Set(ctx, app.Id, app); err != nil {
					b.Fatal(err)
				}
			}
		}
		for end := min(done+batch, n); done < end; done++ {
			u := user(done)
			g := Grant{User: u.String(), AppId: appID(done), Scopes: []string{"storage:read:notes/", "profile:read"},
				ExpiryHeight: 1 << 40, GrantedHeight: 1}
			if err := k.setGrant(ctx, u, g, nil); err != nil {
				b.Fatal(err)
			}
		}
		if err := br.Write(); err != nil {
			b.Fatal(err)
		}
		if _, err := ms.Commit(); err != nil {
			b.Fatal(err)
		}
		if n == 0 {
			break
		}
	}
	b.Logf("built %d grants in %s (version %d)", n, time.Since(build).Round(time.Second), ms.LastCommitID().Version)

	q := NewQueryServer(k)
	rng := rand.New(rand.NewPCG(1, 2))
	scopes := []struct{ scope, res string }{{"storage:read", "notes/a.txt"}, {"storage:read", "photos/x"}, {"profile:read", ""}, {"ai:chat", ""}}
	var lat []time.Duration
	allowed := 0
	version := ms.LastCommitID().Version
	for b.Loop() {
		i := rng.IntN(n + n/10) // ~9% ask about users without a grant
		s := scopes[rng.IntN(len(scopes))]
		req := &QueryCheckRequest{User: user(i).String(), AppId: appID(i), Scope: s.scope, Resource: s.res, Time: 1_700_000_000}
		start := time.Now()
		br, err := ms.BranchAt(version)
		if err != nil {
			b.Fatal(err)
		}
		ctx := runtime.NewContext(context.Background(), br, runtime.Header{Height: version}, runtime.ModeQuery, nil).
			WithGasMeter(runtime.NewGasMeter(50_000_000))
		res, err := q.Check(ctx, req)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := res.Marshal(); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(start))
		if res.Allowed {
			allowed++
		}
	}
	slices.Sort(lat)
	pct := func(p float64) float64 { return float64(lat[int(p*float64(len(lat)-1))].Microseconds()) }
	b.ReportMetric(pct(0.50), "p50-µs")
	b.ReportMetric(pct(0.99), "p99-µs")
	b.ReportMetric(float64(lat[len(lat)-1].Microseconds()), "max-µs")
	b.Logf("%d queries, %d allowed", len(lat), allowed)
}
