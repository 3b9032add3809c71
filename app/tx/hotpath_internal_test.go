package tx

import (
	"crypto/sha256"
	"encoding/binary"
	"testing"

	"github.com/selfchain/selfchain/crypto"
	"github.com/selfchain/selfchain/types"
)

// sigCacheKeyV1 is the signature cache key as it was first written (a streaming
// hash of the same inputs); the allocation-free one must give the same bytes.
func sigCacheKeyV1(chainID string, txHash [32]byte, accNum uint64, pub crypto.PubKey) [32]byte {
	h := sha256.New()
	h.Write(txHash[:])
	var n [8]byte
	binary.BigEndian.PutUint64(n[:], accNum)
	h.Write(n[:])
	h.Write([]byte(chainID))
	h.Write([]byte{0})
	h.Write([]byte(pub.Type()))
	h.Write([]byte{0})
	h.Write(pub.Bytes())
	var k [32]byte
	h.Sum(k[:0])
	return k
}

// The per-tx lookups of the block path (parsed-key cache hit, signature cache
// key) allocate nothing for the key types accounts use, and the cache key is
// unchanged.
func TestHotPathLookupsDoNotAllocate(t *testing.T) {
	for _, kt := range []string{crypto.KeyTypeEd25519, crypto.KeyTypeHybrid, crypto.KeyTypeMLDSA65, crypto.KeyTypeSLHDSA} {
		key, err := crypto.GenerateKey(kt)
		if err != nil {
			t.Fatal(err)
		}
		pub := key.PubKey()
		pk := &types.PubKey{Type: pub.Type(), Key: pub.Bytes()}
		if _, err := ParsePubKey(pk); err != nil {
			t.Fatal(err)
		}
		hash := sha256.Sum256([]byte(kt))
		if got, want := sigCacheKey("selfchain-1", hash, 7, pub), sigCacheKeyV1("selfchain-1", hash, 7, pub); got != want {
			t.Fatalf("%s: signature cache key changed", kt)
		}
		if kt != crypto.KeyTypeEd25519 && kt != crypto.KeyTypeHybrid {
			continue // ML-DSA and SLH-DSA keys copy their encoding in Bytes
		}
		if n := testing.AllocsPerRun(50, func() { _, _ = ParsePubKey(pk) }); n != 0 {
			t.Errorf("%s: ParsePubKey cache hit allocates %.0f times", kt, n)
		}
		if n := testing.AllocsPerRun(50, func() { _ = sigCacheKey("selfchain-1", hash, 7, pub) }); n != 0 {
			t.Errorf("%s: sigCacheKey allocates %.0f times", kt, n)
		}
	}
}

// SeenTx follows the cache: a tx is seen once a check of it is added and
// forgotten when that check is evicted.
func TestSigCacheSeenTx(t *testing.T) {
	c := NewSigCache(2)
	h := func(i byte) (b [32]byte) { b[0] = i; return b }
	c.add(h(1), h(11))
	c.add(h(2), h(12))
	if !c.SeenTx(h(11)) || !c.SeenTx(h(12)) || c.SeenTx(h(13)) {
		t.Fatal("SeenTx does not follow the added checks")
	}
	c.add(h(3), h(13)) // evicts the first
	if c.SeenTx(h(11)) || !c.SeenTx(h(13)) || c.Len() != 2 {
		t.Fatal("eviction did not forget the first tx")
	}
}
