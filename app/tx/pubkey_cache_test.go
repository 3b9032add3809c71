package tx

import (
	"encoding/binary"
	"testing"

	"github.com/cloudflare/circl/sign/mldsa/mldsa65"

	"github.com/selfchain/selfchain/crypto"
	"github.com/selfchain/selfchain/types"
)

// The parsed-key cache stays within its byte budget when filled with ML-DSA-65
// keys (~41 KB each once parsed): more than the budget's worth of distinct keys
// never has the cache hold more, and a key parses the same after a reset.
func TestPubKeyCacheBoundedByBytes(t *testing.T) {
	per := crypto.RetainedBytes(mustParse(t, mldsaKey(0)))
	if per < 40<<10 {
		t.Fatalf("an ML-DSA-65 key is counted as %d bytes, want its parsed size (~41 KB)", per)
	}
	n := maxCachedPubKeyBytes/per + 100
	for i := range n {
		mustParse(t, mldsaKey(uint64(i)))
		pubKeys.Lock()
		b, c := pubKeys.bytes, len(pubKeys.m)
		pubKeys.Unlock()
		if b > maxCachedPubKeyBytes || c > maxCachedPubKeys {
			t.Fatalf("after %d keys the cache holds %d keys, %d bytes (budget %d)", i+1, c, b, maxCachedPubKeyBytes)
		}
	}
	again := mustParse(t, mldsaKey(0))
	if !again.Equals(mustParse(t, mldsaKey(0))) || crypto.RetainedBytes(again) != per {
		t.Fatal("a key parsed after the cache started over differs")
	}
}

// mldsaKey is a distinct ML-DSA-65 public key encoding (parsing is lazy: any
// bytes of the right length decode; only verifying expands them).
func mldsaKey(i uint64) *types.PubKey {
	k := make([]byte, mldsa65.PublicKeySize)
	binary.BigEndian.PutUint64(k, i)
	return &types.PubKey{Type: crypto.KeyTypeMLDSA65, Key: k}
}

func mustParse(t *testing.T, pk *types.PubKey) crypto.PubKey {
	t.Helper()
	pub, err := ParsePubKey(pk)
	if err != nil {
		t.Fatal(err)
	}
	return pub
}
