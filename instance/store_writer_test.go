package instance

import (
	"errors"
	"fmt"
	"sync"
	"testing"
)

// commitBatch runs ops as one batch of the writer (as if they arrived together)
// and returns their answers.
func commitBatch(t *testing.T, db *DB, ops ...*writeOp) []writeRes {
	t.Helper()
	for _, op := range ops {
		op.res = make(chan writeRes, 1)
	}
	// The writer goroutine is idle: the test stands in for it under the same rule
	// (one batch at a time), so it must not run concurrently with other writes.
	db.store.commit(ops)
	out := make([]writeRes, len(ops))
	for i, op := range ops {
		out[i] = <-op.res
	}
	return out
}

// checkUsage: the in-memory counter equals the sealed bytes on disk and usage.bytes.
func checkUsage(t *testing.T, db *DB) {
	t.Helper()
	var sum, recorded int64
	if err := db.sql.QueryRow(`SELECT COALESCE(SUM(size),0) FROM kv`).Scan(&sum); err != nil {
		t.Fatal(err)
	}
	recorded, _ = db.Usage()
	if sum != recorded || recorded != db.store.used {
		t.Fatalf("usage: rows %d, usage.bytes %d, in memory %d", sum, recorded, db.store.used)
	}
}

// One batch: a write over quota and a delete of a missing key are refused on
// their own; the others of the batch commit, same-key writes get consecutive
// versions, and the usage counter matches the disk.
func TestStoreBatchIndependentResults(t *testing.T) {
	db, _ := testDB(t)
	if _, err := db.Put("app", "gone", []byte("x"), QuotaFree); err != nil {
		t.Fatal(err)
	}
	res := commitBatch(t, db,
		&writeOp{app: "app", key: "a", value: []byte("one"), quota: 5000},
		&writeOp{app: "app", key: "big", value: make([]byte, 6000), quota: 5000},
		&writeOp{app: "app", key: "a", value: []byte("two"), quota: 5000},
		&writeOp{del: true, app: "app", key: "missing"},
		&writeOp{del: true, app: "app", key: "gone"},
		&writeOp{app: "app", key: "gone", value: []byte("back"), quota: 5000},
	)
	want := []struct {
		v   uint64
		err error
	}{{1, nil}, {0, errQuota}, {2, nil}, {0, errNotFound}, {2, nil}, {3, nil}}
	for i, w := range want {
		if res[i].version != w.v || !errors.Is(res[i].err, w.err) || (w.err == nil) != (res[i].err == nil) {
			t.Errorf("write %d: version %d, err %v; want %d, %v", i, res[i].version, res[i].err, w.v, w.err)
		}
	}
	if v, _, err := db.Get("app", "a", 0); err != nil || string(v) != "two" {
		t.Fatalf("a: %q %v", v, err)
	}
	if _, _, err := db.Get("app", "big", 0); !errors.Is(err, errNotFound) {
		t.Fatalf("the refused value was stored: %v", err)
	}
	if v, ver, err := db.Get("app", "gone", 0); err != nil || string(v) != "back" || ver != 3 {
		t.Fatalf("gone: %q %d %v", v, ver, err)
	}
	checkUsage(t, db)
	// The quota counts what the batch stored before a write: two writes that fit
	// alone but not together.
	used := db.store.used
	res = commitBatch(t, db,
		&writeOp{app: "app", key: "p", value: make([]byte, 100), quota: used + 200},
		&writeOp{app: "app", key: "q", value: make([]byte, 100), quota: used + 200},
	)
	if res[0].err != nil || !errors.Is(res[1].err, errQuota) {
		t.Fatalf("quota across a batch: %v, %v", res[0].err, res[1].err)
	}
	checkUsage(t, db)
}

// A database error inside a batch fails only its own write: the batch is rolled
// back and its writes run again one by one.
func TestStoreBatchDatabaseErrorIsolated(t *testing.T) {
	db, _ := testDB(t)
	if _, err := db.sql.Exec(`CREATE TRIGGER boom BEFORE INSERT ON kv WHEN NEW.key='boom' BEGIN SELECT RAISE(ABORT, 'boom refused'); END`); err != nil {
		t.Fatal(err)
	}
	res := commitBatch(t, db,
		&writeOp{app: "app", key: "a", value: []byte("1"), quota: QuotaFree},
		&writeOp{app: "app", key: "boom", value: []byte("2"), quota: QuotaFree},
		&writeOp{app: "app", key: "b", value: []byte("3"), quota: QuotaFree},
	)
	if res[0].err != nil || res[0].version != 1 || res[2].err != nil || res[2].version != 1 {
		t.Fatalf("the good writes: %+v %+v", res[0], res[2])
	}
	if res[1].err == nil {
		t.Fatal("the refused write succeeded")
	}
	if _, _, err := db.Get("app", "boom", 0); !errors.Is(err, errNotFound) {
		t.Fatalf("boom stored: %v", err)
	}
	checkUsage(t, db)
}

// Concurrent writes through the writer: every one answered with its own
// version, versions of one key 1..n without gaps, usage consistent.
func TestStoreConcurrentPuts(t *testing.T) {
	db, _ := testDB(t)
	const workers, each = 16, 40
	var wg sync.WaitGroup
	versions := make([][]uint64, workers)
	for g := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				key := fmt.Sprint("k", i%4)
				v, err := db.Put("app", key, []byte(fmt.Sprint(g, i)), QuotaFree)
				if err != nil {
					t.Error(err)
					return
				}
				versions[g] = append(versions[g], v)
			}
		}()
	}
	wg.Wait()
	seen := map[uint64]int{}
	for _, vs := range versions {
		for _, v := range vs {
			seen[v]++
		}
	}
	// 4 keys, workers*each/4 versions each: every version 1..n exactly 4 times.
	n := uint64(workers * each / 4)
	for v := uint64(1); v <= n; v++ {
		if seen[v] != 4 {
			t.Fatalf("version %d answered %d times", v, seen[v])
		}
	}
	checkUsage(t, db)
}

// Writes after Close are refused, not hung.
func TestStoreClosed(t *testing.T) {
	db, _ := testDB(t)
	db.Close()
	if _, err := db.Put("app", "a", []byte("x"), QuotaFree); !errors.Is(err, errStoreClosed) {
		t.Fatalf("put after close: %v", err)
	}
}
