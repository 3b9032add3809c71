package app_test

import (
	"context"
	"os"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/cometbft/cometbft/libs/log"
	"github.com/stretchr/testify/require"

	"github.com/selfchain/selfchain/app/runtime"
	"github.com/selfchain/selfchain/app/store"
)

// BenchmarkUpgradeMigrate1M times an upgrade's migration of 1,000,000 stored
// records (counterModule 1 -> 2: every record read, decoded and rewritten)
// through Manager.RunMigrations, plus the commit that persists them, on pebble
// (the default backend, default block cache unless $SELFCHAIN_BENCH_DB_CACHE). Run: go test ./app -run '^$' -bench UpgradeMigrate1M -benchtime 1x
func BenchmarkUpgradeMigrate1M(b *testing.B) {
	records := benchRecords(1_000_000)
	for range b.N {
		b.StopTimer()
		db, err := store.OpenDBWith("pebbledb", "state", b.TempDir(), store.DBOptions{CacheBytes: dbCacheBytes(b)})
		require.NoError(b, err)
		ms, err := store.Open(db, []string{"counter"}, store.Options{IAVLCacheSize: cacheNodes()})
		require.NoError(b, err)
		ctx := func(h int64) *runtime.Context {
			return runtime.NewContext(context.Background(), ms.Working(), runtime.Header{Height: h}, runtime.ModeFinalize, log.NewNopLogger())
		}
		setup := time.Now()
		c := ctx(1)
		require.NoError(b, counterModule{version: 1, records: records}.InitGenesis(c, nil))
		require.NoError(b, c.Stores().(*store.Branch).Write())
		_, err = ms.Commit()
		require.NoError(b, err)
		b.Logf("setup: %d records written and committed in %s", records, time.Since(setup).Round(time.Millisecond))

		b.StartTimer()
		start, cpu0 := time.Now(), processCPU()
		c = ctx(2)
		mm := runtime.NewManager(counterModule{version: 2})
		_, err = mm.RunMigrations(c, runtime.VersionMap{"counter": 1})
		require.NoError(b, err)
		require.NoError(b, c.Stores().(*store.Branch).Write())
		migrated := time.Since(start)
		_, err = ms.Commit()
		require.NoError(b, err)
		b.StopTimer()
		b.Logf("migrated %d records in %s, committed in %s more", records, migrated.Round(time.Millisecond), (time.Since(start) - migrated).Round(time.Millisecond))
		b.ReportMetric(float64(records)/time.Since(start).Seconds(), "records/s")
		// CPU seconds of the timed part (migration + commit, compactions included):
		// on a shared machine wall time says more about the neighbours than about us.
		b.ReportMetric((processCPU() - cpu0).Seconds(), "cpu-s")

		bz, err := mustBranch(b, ms).Store("counter").Get(counterKey(records - 1))
		require.NoError(b, err)
		require.Len(b, bz, 8, strconv.Itoa(len(bz)))
		require.NoError(b, ms.Close())
		require.NoError(b, db.Close())
	}
}

func mustBranch(b *testing.B, ms *store.MultiStore) *store.Branch {
	br, err := ms.BranchAt(ms.LastCommitID().Version)
	require.NoError(b, err)
	return br
}

// benchRecords is $SELFCHAIN_BENCH_RECORDS, else def (profiling runs use fewer).
func benchRecords(def int) int {
	if n, err := strconv.Atoi(os.Getenv("SELFCHAIN_BENCH_RECORDS")); err == nil && n > 0 {
		return n
	}
	return def
}

// dbCacheBytes is $SELFCHAIN_BENCH_DB_CACHE (e.g. 64MiB), else 0: the default block cache.
func dbCacheBytes(b *testing.B) int64 {
	v := os.Getenv("SELFCHAIN_BENCH_DB_CACHE")
	if v == "" {
		return 0
	}
	n, err := store.ParseByteSize(v)
	require.NoError(b, err)
	return n
}

// processCPU is the process's user + system CPU time so far.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// cacheNodes is $SELFCHAIN_BENCH_IAVL_CACHE (IAVL nodes), else the default cache.
func cacheNodes() int {
	n, _ := strconv.Atoi(os.Getenv("SELFCHAIN_BENCH_IAVL_CACHE"))
	return n
}
