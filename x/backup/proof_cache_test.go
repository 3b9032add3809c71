package backup

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/selfchain/selfchain/app/runtime"
	"github.com/selfchain/selfchain/app/store"
	"github.com/selfchain/selfchain/crypto"
)

// cachedProof is a challenge on chunk 1 (5 segments) of a three-chunk
// manifest and the message answering it.
func cachedProof(t testing.TB) (Challenge, *MsgProveStorage) {
	chunks, leaves := testManifest(t, 3000, 5000, 70000)
	holder := crypto.Address(bytes.Repeat([]byte{7}, crypto.AddressLen)).String()
	ch := Challenge{AgreementId: 9, ChunkIndex: 1, Seed: []byte("seed of the challenge"), Revision: 1, DeadlineHeight: 100,
		Root: ManifestRoot(leaves), ChunkCount: 3, Holder: holder, HolderNodeId: "00112233445566778899aabbccddeeff00112233"}
	p, err := BuildStorageProof(leaves, 1, chunks[1], ch.Seed)
	if err != nil {
		t.Fatal(err)
	}
	return ch, &MsgProveStorage{Holder: holder, AgreementId: 9, ChunkIndex: 1,
		ChunkLeaf: p.ChunkLeaf, Segment: p.Segment, SegmentPath: p.SegmentPath, ManifestPath: p.ManifestPath}
}

func cloneMsg(m *MsgProveStorage) *MsgProveStorage {
	c := *m
	c.ChunkLeaf, c.Segment = bytes.Clone(m.ChunkLeaf), bytes.Clone(m.Segment)
	c.SegmentPath, c.ManifestPath = make([][]byte, len(m.SegmentPath)), make([][]byte, len(m.ManifestPath))
	for i, h := range m.SegmentPath {
		c.SegmentPath[i] = bytes.Clone(h)
	}
	for i, h := range m.ManifestPath {
		c.ManifestPath[i] = bytes.Clone(h)
	}
	return &c
}

func cloneChallenge(ch Challenge) Challenge {
	ch.Root, ch.Seed = bytes.Clone(ch.Root), bytes.Clone(ch.Seed)
	return ch
}

// A cached check answers only the very same inputs: any change to the
// challenge or to one byte of the proof is a miss, and a hit is used once.
func TestProofCacheHitsOnlyTheSameInputs(t *testing.T) {
	ch, m := cachedProof(t)
	if err := m.Proof().Verify(ch.Root, ch.ChunkCount, ch.ChunkIndex, ch.Seed); err != nil {
		t.Fatal(err)
	}
	c := newProofCache(10)
	c.add(&ch, m)
	if !c.seen(cloneMsg(m)) {
		t.Fatal("an equal proof is not seen")
	}
	if !c.passed(&ch, cloneMsg(m)) {
		t.Fatal("the same check misses")
	}
	if c.passed(&ch, m) || c.size() != 0 {
		t.Fatal("a hit is not forgotten once used")
	}
	challengeChanges := map[string]func(*Challenge){
		"root":        func(x *Challenge) { x.Root[0] ^= 1 },
		"seed":        func(x *Challenge) { x.Seed[0] ^= 1 },
		"longer seed": func(x *Challenge) { x.Seed = append(x.Seed, 0) },
		"chunk count": func(x *Challenge) { x.ChunkCount++ },
		"chunk index": func(x *Challenge) { x.ChunkIndex = 2 },
		"agreement":   func(x *Challenge) { x.AgreementId++ },
	}
	for name, change := range challengeChanges {
		c.add(&ch, m)
		other := cloneChallenge(ch)
		change(&other)
		if c.passed(&other, m) {
			t.Errorf("%s changed: hit", name)
		}
		if !c.passed(&ch, m) {
			t.Errorf("%s: a miss of another challenge dropped the entry", name)
		}
	}
	proofChanges := map[string]func(*MsgProveStorage){
		"leaf byte":             func(x *MsgProveStorage) { x.ChunkLeaf[3] ^= 1 },
		"segment byte":          func(x *MsgProveStorage) { x.Segment[len(x.Segment)-1] ^= 1 },
		"shorter segment":       func(x *MsgProveStorage) { x.Segment = x.Segment[:len(x.Segment)-1] },
		"segment path byte":     func(x *MsgProveStorage) { x.SegmentPath[0][31] ^= 1 },
		"manifest path byte":    func(x *MsgProveStorage) { x.ManifestPath[1][0] ^= 1 },
		"manifest path longer":  func(x *MsgProveStorage) { x.ManifestPath = append(x.ManifestPath, make([]byte, 32)) },
		"paths swapped":         func(x *MsgProveStorage) { x.SegmentPath, x.ManifestPath = x.ManifestPath, x.SegmentPath },
		"segment path shorter":  func(x *MsgProveStorage) { x.SegmentPath = x.SegmentPath[1:] },
		"message's chunk index": func(x *MsgProveStorage) { x.ChunkIndex = 2 },
	}
	for name, change := range proofChanges {
		c.add(&ch, m)
		other := cloneMsg(m)
		change(other)
		if name != "message's chunk index" && c.seen(other) {
			t.Errorf("%s changed: seen", name)
		}
		if c.passed(&ch, other) {
			t.Errorf("%s changed: hit", name)
		}
		c.passed(&ch, m)
	}
}

// An entry is a copy: changing the message or challenge it was built from
// afterwards does not change what it answers.
func TestProofCacheCopies(t *testing.T) {
	ch, m := cachedProof(t)
	c := newProofCache(10)
	orig, origCh := cloneMsg(m), cloneChallenge(ch)
	c.add(&ch, m)
	m.Segment[0] ^= 1
	ch.Seed[0] ^= 1
	if c.passed(&ch, m) {
		t.Fatal("the entry followed changes to its message")
	}
	if !c.passed(&origCh, orig) {
		t.Fatal("the original inputs miss")
	}
}

// The cache holds at most its bound, evicting the oldest entries.
func TestProofCacheBounded(t *testing.T) {
	ch, m := cachedProof(t)
	c := newProofCache(3)
	for id := uint64(1); id <= 5; id++ {
		x := cloneChallenge(ch)
		x.AgreementId = id
		mm := cloneMsg(m)
		mm.AgreementId = id
		c.add(&x, mm)
	}
	if c.size() != 3 {
		t.Fatalf("%d entries, bound 3", c.size())
	}
	for id := uint64(1); id <= 5; id++ {
		mm := cloneMsg(m)
		mm.AgreementId = id
		if got, want := c.seen(mm), id > 2; got != want {
			t.Errorf("agreement %d: seen %v, want %v", id, got, want)
		}
	}
	var nilCache *proofCache
	nilCache.add(&ch, m)
	if nilCache.seen(m) || nilCache.passed(&ch, m) {
		t.Fatal("a nil cache answers")
	}
}

// proofKeeper is a keeper on in-memory stores holding ch, and a context at height 10.
func proofKeeper(t *testing.T, ch Challenge) (Keeper, *runtime.Context) {
	k := NewKeeper(runtime.NewKVStoreService(ModuleName), nil, nil)
	// Not testutil.KeeperContext: testutil imports the app, which imports this package.
	ctx := runtime.NewContext(context.Background(), store.MemStores{}, runtime.Header{ChainID: "test-1", Height: 10}, runtime.ModeFinalize, nil)
	if err := k.Challenges.Set(ctx, ch.AgreementId, ch); err != nil {
		t.Fatal(err)
	}
	return k, ctx
}

// A proof pre-verified against the state is not checked again when executed;
// against a challenge that changed since (another seed: another segment), the
// cached check is not used and the proof fails with its specific error,
// changing nothing.
func TestPreVerifiedProofExecution(t *testing.T) {
	ch, m := cachedProof(t)
	k, ctx := proofKeeper(t, ch)
	mod, srv := NewModule(k), NewMsgServer(k)
	if !mod.PreVerifies(m) || mod.PreVerifies(&MsgEnd{}) {
		t.Fatal("PreVerifies answers wrong")
	}
	mod.PreVerify(ctx, m)
	if k.ProofChecks() != 1 || mod.PreVerifies(m) {
		t.Fatalf("pre-verify: %d checks, still wanted %v", k.ProofChecks(), mod.PreVerifies(m))
	}
	if _, err := srv.ProveStorage(ctx, cloneMsg(m)); err != nil {
		t.Fatal(err)
	}
	if k.ProofChecks() != 1 {
		t.Fatalf("execution checked a pre-verified proof again (%d checks)", k.ProofChecks())
	}
	if got, err := k.Challenges.Get(ctx, ch.AgreementId); err != nil || got.AnsweredHeight != 10 {
		t.Fatalf("the challenge is not answered in place at height 10: %v %v", got.AnsweredHeight, err)
	}

	// Pre-verified against one challenge, executed against another.
	k, ctx = proofKeeper(t, ch)
	mod, srv = NewModule(k), NewMsgServer(k)
	mod.PreVerify(ctx, m)
	moved := cloneChallenge(ch)
	for i := 0; SegmentIndex(moved.Seed, chunkSize(m.ChunkLeaf)) == SegmentIndex(ch.Seed, chunkSize(m.ChunkLeaf)); i++ {
		moved.Seed = append(bytes.Clone(ch.Seed), byte(i))
	}
	if err := k.Challenges.Set(ctx, ch.AgreementId, moved); err != nil {
		t.Fatal(err)
	}
	_, err := srv.ProveStorage(ctx, m)
	if !errors.Is(err, ErrSegmentNotInChunk) {
		t.Fatalf("got %v, want %v", err, ErrSegmentNotInChunk)
	}
	if k.ProofChecks() != 2 {
		t.Fatalf("%d checks: the changed challenge was answered from the cache", k.ProofChecks())
	}
	if got, err := k.Challenges.Get(ctx, ch.AgreementId); err != nil || !bytes.Equal(got.Seed, moved.Seed) {
		t.Fatalf("a refused proof changed the challenge: %v", err)
	}

	// Nothing is cached for a proof that fails, or one not matching the open challenge.
	k, ctx = proofKeeper(t, ch)
	mod = NewModule(k)
	bad := cloneMsg(m)
	bad.Segment[0] ^= 1
	mod.PreVerify(ctx, bad)
	other := cloneMsg(m)
	other.ChunkIndex = 2
	mod.PreVerify(ctx, other)
	if k.proofs.size() != 0 {
		t.Fatal("a failing proof was cached")
	}
}

// FuzzProofCache: whatever a message carries, the cache answers "passed" only
// for the exact proof it holds, which verifies.
func FuzzProofCache(f *testing.F) {
	ch, m := cachedProof(f)
	f.Add(uint64(1), []byte{}, []byte{}, []byte{}, []byte{}, uint8(0))
	f.Add(uint64(1), []byte{0}, []byte{1}, []byte{}, []byte{}, uint8(1))
	f.Add(uint64(2), []byte{}, []byte{}, []byte{5}, []byte{}, uint8(2))
	f.Fuzz(func(t *testing.T, index uint64, leafX, segX, pathX, manX []byte, drop uint8) {
		x := cloneMsg(m)
		x.ChunkIndex = index
		xor := func(b, with []byte) []byte {
			for i := range with {
				if i < len(b) {
					b[i] ^= with[i]
				}
			}
			return b
		}
		x.ChunkLeaf = xor(x.ChunkLeaf, leafX)
		x.Segment = xor(x.Segment, segX)
		if len(x.SegmentPath) > 0 {
			x.SegmentPath[0] = xor(x.SegmentPath[0], pathX)
		}
		if len(x.ManifestPath) > 0 {
			x.ManifestPath[0] = xor(x.ManifestPath[0], manX)
		}
		switch drop % 4 {
		case 1:
			x.Segment = x.Segment[:len(x.Segment)/2]
		case 2:
			x.SegmentPath = x.SegmentPath[:len(x.SegmentPath)/2]
		case 3:
			x.ManifestPath = append(x.ManifestPath, leafX)
		}
		c := newProofCache(4)
		c.add(&ch, m)
		if c.passed(&ch, x) {
			if err := x.Proof().Verify(ch.Root, ch.ChunkCount, ch.ChunkIndex, ch.Seed); err != nil {
				t.Fatalf("a cache hit for a proof that fails: %v", err)
			}
			want, _ := m.Marshal()
			got, _ := x.Marshal()
			if !bytes.Equal(want, got) {
				t.Fatal("a hit for another message")
			}
		}
		// Filling the cache from the fuzzed message itself never panics.
		c.add(&ch, x)
		_ = c.seen(x)
	})
}
