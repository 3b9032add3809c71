package agent

import (
	"bytes"
	"context"
	"crypto/rand"
	"io"
	"io/fs"
	"log/slog"
	mrand "math/rand/v2"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/selfchain/selfchain/backup/holder"
	"github.com/selfchain/selfchain/backup/onchain"
	"github.com/selfchain/selfchain/backup/repo"
	"github.com/selfchain/selfchain/backup/wire"
	"github.com/selfchain/selfchain/crypto"
	"github.com/selfchain/selfchain/crypto/seal"
	"github.com/selfchain/selfchain/x/backup"
)

type testHolder struct {
	node  string
	dir   string
	store *holder.Store
	srv   *holder.Server
	http  *httptest.Server
}

type testEnv struct {
	chain   *onchain.Memory
	holders []*testHolder
	keys    *Keys
	repoDir string
}

func newTestEnv(t testing.TB, nHolders int, quota uint64) *testEnv {
	t.Helper()
	acct, err := crypto.GenerateKey(crypto.KeyTypeEd25519)
	if err != nil {
		t.Fatal(err)
	}
	sk, err := seal.GenerateKey(crand{})
	if err != nil {
		t.Fatal(err)
	}
	owner := acct.PubKey().Address().String()
	keys, err := NewKeys(owner, func(msg []byte) ([]byte, crypto.PubKey, error) {
		sig, err := acct.Sign(msg)
		return sig, acct.PubKey(), err
	}, sk)
	if err != nil {
		t.Fatal(err)
	}
	e := &testEnv{chain: onchain.NewMemory(), keys: keys, repoDir: t.TempDir()}
	for i := range nHolders {
		h := e.startHolder(t, "node-"+string(rune('a'+i)), io.Discard)
		e.chain.Put(onchain.Agreement{ID: uint64(i + 1), Owner: owner, Holder: h.node, Status: onchain.StatusActive, Quota: quota})
		e.holders = append(e.holders, h)
	}
	return e
}

// startHolder runs a real holder daemon (store and HTTP API) for node,
// logging to log.
func (e *testEnv) startHolder(t testing.TB, node string, log io.Writer) *testHolder {
	t.Helper()
	h := &testHolder{node: node, dir: t.TempDir()}
	var err error
	if h.store, err = holder.OpenStore(h.dir); err != nil {
		t.Fatal(err)
	}
	h.srv = holder.NewServer(holder.Config{NodeID: h.node, Chain: e.chain, Store: h.store, Logger: slog.New(slog.NewTextHandler(log, nil))})
	h.http = httptest.NewServer(h.srv.Handler())
	t.Cleanup(func() { h.http.Close(); h.store.Close() })
	return h
}

type crand struct{}

func (crand) Read(b []byte) (int, error) { return rand.Read(b) }

func (e *testEnv) agent(t testing.TB, order ...int) *Agent {
	t.Helper()
	r, err := repo.Open(e.repoDir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	a := &Agent{Keys: e.keys, Repo: r, Chain: e.chain}
	if len(order) == 0 {
		for i := range e.holders {
			order = append(order, i)
		}
	}
	for _, i := range order {
		a.Targets = append(a.Targets, Target{Agreement: uint64(i + 1), URL: e.holders[i].http.URL})
	}
	return a
}

func pseudoRandom(n int, seed uint64) []byte {
	r := mrand.New(mrand.NewPCG(seed, 1))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

const secret = "PLAINTEXT-MARKER-the-holders-must-never-see-this"

// writeTree makes a small tree: a random file, a repetitive text file
// holding a marker string, a subdirectory and a symlink.
func writeTree(t testing.TB, dir string) {
	t.Helper()
	must(t, os.MkdirAll(filepath.Join(dir, "sub", "deeper"), 0o755))
	must(t, os.WriteFile(filepath.Join(dir, "random.bin"), pseudoRandom(6<<20, 1), 0o644))
	must(t, os.WriteFile(filepath.Join(dir, "sub", "notes.txt"), []byte(strings.Repeat(secret+"\n", 20000)), 0o600))
	must(t, os.WriteFile(filepath.Join(dir, "sub", "deeper", "empty"), nil, 0o644))
	must(t, os.Symlink("sub/notes.txt", filepath.Join(dir, "link")))
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// sameTree compares two trees' files, modes and symlinks.
func sameTree(t *testing.T, a, b string) {
	t.Helper()
	count := 0
	must(t, filepath.WalkDir(a, func(p string, d fs.DirEntry, err error) error {
		must(t, err)
		rel, _ := filepath.Rel(a, p)
		q := filepath.Join(b, rel)
		ia, _ := os.Lstat(p)
		ib, err := os.Lstat(q)
		if err != nil {
			t.Fatalf("%s missing from the restore: %v", rel, err)
		}
		if ia.Mode() != ib.Mode() && rel != "." {
			t.Errorf("%s: mode %v, want %v", rel, ib.Mode(), ia.Mode())
		}
		if ia.Mode().IsRegular() {
			x, _ := os.ReadFile(p)
			y, _ := os.ReadFile(q)
			if !bytes.Equal(x, y) {
				t.Errorf("%s differs", rel)
			}
			if !ia.ModTime().Equal(ib.ModTime()) {
				t.Errorf("%s: mtime %v, want %v", rel, ib.ModTime(), ia.ModTime())
			}
		}
		count++
		return nil
	}))
	if count < 5 {
		t.Fatalf("only %d entries compared", count)
	}
}

func TestBackupRestoreDedupAndFallback(t *testing.T) {
	ctx := context.Background()
	e := newTestEnv(t, 3, 1<<30)
	src := t.TempDir()
	writeTree(t, src)
	a := e.agent(t)

	r1, err := a.Run(ctx, src)
	if err != nil {
		t.Fatal(err)
	}
	if len(r1.Committed) != 3 {
		t.Fatalf("%d agreements committed, want 3", len(r1.Committed))
	}
	for _, h := range e.holders {
		agr, _ := e.chain.Agreement(ctx, uint64(h.node[5]-'a'+1))
		if agr.Revision != 1 || agr.ChunkCount == 0 {
			t.Fatalf("agreement %d: revision %d, %d chunks", agr.ID, agr.Revision, agr.ChunkCount)
		}
	}

	// Unchanged re-run: nothing read, nothing uploaded but the new manifest.
	r2, err := a.Run(ctx, src)
	if err != nil {
		t.Fatal(err)
	}
	if r2.ReadBytes != 0 || r2.NewChunks != 1 {
		t.Fatalf("unchanged re-run read %d bytes and sealed %d chunks, want 0 and 1 (the manifest)", r2.ReadBytes, r2.NewChunks)
	}

	// An edit in the middle of the big file: only the chunks around it.
	p := filepath.Join(src, "random.bin")
	data, _ := os.ReadFile(p)
	copy(data[3<<20:], "edited in the middle")
	must(t, os.WriteFile(p, data, 0o644))
	r3, err := a.Run(ctx, src)
	if err != nil {
		t.Fatal(err)
	}
	if r3.NewChunks < 2 || r3.NewChunks > 3 {
		t.Fatalf("edit sealed %d new chunks, want 1-2 data chunks and the manifest", r3.NewChunks)
	}
	if r3.UploadedBytes > 3*(2*4<<20+1<<20) {
		t.Fatalf("edit uploaded %d bytes", r3.UploadedBytes)
	}

	// Restore the latest, byte-identical.
	dst := t.TempDir()
	if _, err := a.Restore(ctx, "latest", dst); err != nil {
		t.Fatal(err)
	}
	sameTree(t, src, dst)

	// No plaintext anywhere a holder keeps (its pebble files).
	for _, h := range e.holders {
		must(t, filepath.WalkDir(h.dir, func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			b, _ := os.ReadFile(p)
			if bytes.Contains(b, []byte(secret)) || bytes.Contains(b, data[:64]) || bytes.Contains(b, []byte("random.bin")) {
				t.Errorf("holder %s's file %s holds plaintext", h.node, p)
			}
			return nil
		}))
	}

	// Holder 1 rewrites one chunk with a flipped byte; holder 2 lost
	// another. Restore (preferring holder 1) detects both and falls back.
	// The victim must be a chunk the latest snapshot uses: the holders also keep
	// chunks only earlier snapshots need (ids are keyed hashes, so their order
	// says nothing).
	latest, err := a.Repo.FindSnapshot("latest")
	must(t, err)
	used := map[wire.ID]bool{}
	for _, f := range latest.Snapshot.Files {
		for _, id := range f.Chunks {
			used[id] = true
		}
	}
	es, _ := a.Repo.Uploaded(1)
	var victim wire.Entry
	for _, x := range es {
		if x.Kind == wire.KindData && used[x.ID] {
			victim = x
			break
		}
	}
	ct, err := e.holders[0].store.Get(1, victim.ID)
	must(t, err)
	ct[len(ct)/2] ^= 1
	leaf, _ := backup.ChunkLeafOf(ct)
	if _, err := e.holders[0].store.Put(1, victim.ID, wire.KindData, ct, leaf, 1<<30); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	a.Out = &out
	dst2 := t.TempDir()
	if _, err := a.Restore(ctx, "latest", dst2); err != nil {
		t.Fatal(err)
	}
	sameTree(t, src, dst2)
	if !strings.Contains(out.String(), "does not match the leaf committed on chain; trying the next holder") {
		t.Fatalf("restore did not report the bad chunk:\n%s", out.String())
	}

	// verify --read-data-subset 100% finds it on holder 1 only.
	reps, err := a.Verify(ctx, 1)
	must(t, err)
	if reps[0].OK() || len(reps[0].Bad)+reps[0].Missing == 0 || !reps[1].OK() || !reps[2].OK() {
		t.Fatalf("verify reports: %+v", reps)
	}

	// The next run notices holder 1's copy no longer matches and re-uploads it.
	a.Out = nil
	if _, err := a.Run(ctx, src); err != nil {
		t.Fatal(err)
	}
	if reps, _ := a.Verify(ctx, 1); !reps[0].OK() {
		t.Fatalf("after the repair run: %+v", reps[0])
	}
}

// A machine that lost its index restores from the holders alone.
func TestRestoreWithoutLocalIndex(t *testing.T) {
	ctx := context.Background()
	e := newTestEnv(t, 2, 1<<30)
	src := t.TempDir()
	writeTree(t, src)
	a := e.agent(t)
	if _, err := a.Run(ctx, src); err != nil {
		t.Fatal(err)
	}
	e.repoDir = t.TempDir() // a fresh, empty index
	b := e.agent(t, 1, 0)
	snaps, err := b.RemoteSnapshots(ctx)
	if err != nil || len(snaps) != 1 {
		t.Fatalf("remote snapshots: %v %v", snaps, err)
	}
	dst := t.TempDir()
	if _, err := b.Restore(ctx, snaps[0].ID.String()[:8], dst); err != nil {
		t.Fatal(err)
	}
	sameTree(t, src, dst)
}

// A backup interrupted mid-way resumes: what reached a holder is not sent again.
func TestResume(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	e := newTestEnv(t, 1, 1<<30)
	src := t.TempDir()
	must(t, os.WriteFile(filepath.Join(src, "big"), pseudoRandom(24<<20, 5), 0o644))
	a := e.agent(t)
	a.Workers = 1
	// Cancel once the holder has a few chunks.
	go func() {
		for ctx.Err() == nil {
			if es, _ := e.holders[0].store.Inventory(1); len(es) >= 4 {
				cancel()
				return
			}
			time.Sleep(time.Millisecond)
		}
	}()
	_, err := a.Run(ctx, src)
	cancel()
	if err == nil {
		t.Skip("the run finished before it could be interrupted")
	}
	had, _ := e.holders[0].store.Inventory(1)
	r, err := a.Run(context.Background(), src)
	if err != nil {
		t.Fatal(err)
	}
	all, _ := e.holders[0].store.Inventory(1)
	if int(r.NewChunks) > len(all)-len(had)+1 {
		t.Fatalf("resumed run sealed %d chunks; the holder had %d of %d", r.NewChunks, len(had), len(all))
	}
}

// Quota: a backup larger than the agreement's quota fails with the holder's reason.
func TestQuotaRefusal(t *testing.T) {
	e := newTestEnv(t, 1, 2<<20)
	src := t.TempDir()
	must(t, os.WriteFile(filepath.Join(src, "big"), pseudoRandom(8<<20, 6), 0o644))
	_, err := e.agent(t).Run(context.Background(), src)
	if err == nil || !strings.Contains(err.Error(), "quota exceeded") {
		t.Fatalf("over-quota backup: %v", err)
	}
}

// A failed agreement or an unreachable holder does not stop the backup to
// the others; it is reported.
func TestRunSkipsUnavailableHolders(t *testing.T) {
	e := newTestEnv(t, 3, 1<<30)
	src := t.TempDir()
	writeTree(t, src)
	agr, _ := e.chain.Agreement(context.Background(), 1)
	agr.Status = onchain.StatusFailed
	e.chain.Put(agr)
	e.holders[2].http.Close()
	a := e.agent(t)
	r, err := a.Run(context.Background(), src)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Skipped) != 2 || len(r.Committed) != 1 || !strings.Contains(r.Skipped[0], "failed") {
		t.Fatalf("skipped %q, committed %d", r.Skipped, len(r.Committed))
	}
	e.holders[1].http.Close()
	if _, err := a.Run(context.Background(), src); err == nil || !strings.Contains(err.Error(), "no agreement can take the backup") {
		t.Fatalf("with no holder left: %v", err)
	}
}
