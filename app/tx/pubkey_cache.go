package tx

import (
	"sync"

	"github.com/selfchain/selfchain/crypto"
	"github.com/selfchain/selfchain/types"
)

// maxCachedPubKeys and maxCachedPubKeyBytes bound the parsed-key cache; when
// either would be passed it starts over. The bytes bind for ML-DSA keys (~41 KB
// each parsed, crypto.RetainedBytes): 24 MiB keeps the ~600 busiest hybrid
// senders parsed. A budget that held all 2,000 of the benchmark's accounts (96 MiB)
// kept ~80 MB of live heap under a 300 MiB memory limit, and the garbage collector
// then ran so often that re-parsing (~60 µs a tx) was the cheaper side: +6%
// committed hybrid tx/s and ~15 MiB less RSS without it (docs/PERFORMANCE.md,
// "The tx index on pebble (stop 33)").
const (
	maxCachedPubKeys     = 20_000
	maxCachedPubKeyBytes = 24 << 20
)

// pubKeys caches parsed public keys by (type, bytes). Parsing is a pure function
// of those bytes, so the cache cannot change an outcome; it saves the ML-DSA
// matrix expansion (tens of µs) that every tx of an account would otherwise redo.
var pubKeys = struct {
	sync.Mutex
	m     map[string]crypto.PubKey
	bytes int // crypto.RetainedBytes of the keys in m
}{m: make(map[string]crypto.PubKey)}

// pubKeyBufSize fits a hybrid key with its type name on the stack.
const pubKeyBufSize = 2048

// ParsePubKey turns a typed key from a tx or an account into a crypto.PubKey.
func ParsePubKey(pk *types.PubKey) (crypto.PubKey, error) {
	// The lookup key is built on the stack and looked up as string(k), which
	// does not allocate; only a miss copies it into the map.
	var arr [pubKeyBufSize]byte
	k := append(append(append(arr[:0], pk.Type...), 0), pk.Key...)
	pubKeys.Lock()
	pub, ok := pubKeys.m[string(k)]
	pubKeys.Unlock()
	if ok {
		return pub, nil
	}
	pub, err := crypto.PubKeyFromTyped(pk.Type, pk.Key)
	if err != nil {
		return nil, err
	}
	w := crypto.RetainedBytes(pub)
	pubKeys.Lock()
	if _, ok := pubKeys.m[string(k)]; !ok {
		if len(pubKeys.m) >= maxCachedPubKeys || pubKeys.bytes+w > maxCachedPubKeyBytes {
			clear(pubKeys.m)
			pubKeys.bytes = 0
		}
		pubKeys.m[string(k)] = pub
		pubKeys.bytes += w
	}
	pubKeys.Unlock()
	return pub, nil
}
