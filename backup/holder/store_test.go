package holder

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"os"
	"sync"
	"testing"

	"github.com/cockroachdb/pebble"

	"github.com/selfchain/selfchain/backup/wire"
)

// Chunks live in files; a store reopened finds them, and a store written
// before chunk files (ciphertext in pebble under d/) is still served,
// replaced and collected.
func TestStoreFilesAndOlderStores(t *testing.T) {
	dir := t.TempDir()
	st, err := OpenStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	a, b := randomBytes(3000), randomBytes(5000)
	if _, err := st.Put(1, wire.ID{1}, wire.KindData, a, leafOf(a), 1<<20); err != nil {
		t.Fatal(err)
	}
	// An older holder's record: ciphertext in pebble, no file.
	batch := st.db.NewBatch()
	id2 := wire.ID{2}
	_ = batch.Set(key('d', 1, id2[:]), b, nil)
	_ = batch.Set(key('m', 1, id2[:]), append([]byte{byte(wire.KindData)}, leafOf(b)...), nil)
	_ = batch.Set(key('u', 1, nil), binary.BigEndian.AppendUint64(nil, 3000+5000), nil)
	if err := batch.Commit(pebble.Sync); err != nil {
		t.Fatal(err)
	}
	batch.Close()
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	if st, err = OpenStore(dir); err != nil {
		t.Fatalf("reopening a store with chunk files: %v", err)
	}
	defer st.Close()
	for id, want := range map[wire.ID][]byte{{1}: a, id2: b} {
		got, err := st.Get(1, id)
		if err != nil || !bytes.Equal(got, want) {
			t.Fatalf("Get %x: %v", id[:1], err)
		}
		r, n, err := st.Open(1, id)
		if err != nil || n != int64(len(want)) {
			t.Fatalf("Open %x: %d bytes, %v", id[:1], n, err)
		}
		got, _ = io.ReadAll(r)
		r.Close()
		if !bytes.Equal(got, want) {
			t.Fatalf("Open %x read other bytes", id[:1])
		}
	}
	if _, err := st.Get(1, wire.ID{3}); !errors.Is(err, ErrNoChunk) {
		t.Fatalf("missing chunk: %v, want ErrNoChunk", err)
	}
	// Replacing the older record moves it to a file and drops the pebble copy.
	b2 := randomBytes(4000)
	if _, err := st.Put(1, id2, wire.KindData, b2, leafOf(b2), 1<<20); err != nil {
		t.Fatal(err)
	}
	if _, _, err := st.db.Get(key('d', 1, id2[:])); !errors.Is(err, pebble.ErrNotFound) {
		t.Fatalf("older copy still in pebble: %v", err)
	}
	if got, _ := st.Get(1, id2); !bytes.Equal(got, b2) {
		t.Fatal("replaced chunk reads other bytes")
	}
	if used, _ := st.Used(1); used != 3000+5000-5000+4000 {
		t.Fatalf("used %d after replacing", used)
	}
	// Collection removes records and files.
	r1, _ := st.SetManifest(1, []wire.ID{{1}, id2})
	r2, _ := st.SetManifest(1, []wire.ID{id2})
	if n, err := st.Collect(1, r1, r2); err != nil || n != 1 {
		t.Fatalf("collected %d, %v", n, err)
	}
	if _, err := os.Stat(st.blobs.path(1, wire.ID{1})); !os.IsNotExist(err) {
		t.Fatalf("collected chunk's file still there: %v", err)
	}
	if _, err := st.Get(1, wire.ID{1}); !errors.Is(err, ErrNoChunk) {
		t.Fatalf("collected chunk: %v", err)
	}
}

// Uploads written in parallel never take an agreement over its quota, and
// a refused upload leaves no record and no usage.
func TestStoreQuotaUnderConcurrency(t *testing.T) {
	st, err := OpenStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	const quota, size, n = 10_000, 1000, 32
	var wg sync.WaitGroup
	var mu sync.Mutex
	ok, refused := 0, 0
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ct := randomBytes(size)
			_, err := st.Put(1, wire.ID{byte(i), 1}, wire.KindData, ct, leafOf(ct), quota)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				ok++
			case errors.Is(err, ErrQuota):
				refused++
			default:
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	used, _ := st.Used(1)
	inv, _ := st.Inventory(1)
	if used > quota || used != uint64(ok*size) || len(inv) != ok || ok+refused != n || ok < 1 {
		t.Fatalf("used %d of %d, %d stored, %d records, %d refused", used, quota, ok, len(inv), refused)
	}
	if len(st.reserved) != 0 {
		t.Fatalf("reservations left: %v", st.reserved)
	}
}
