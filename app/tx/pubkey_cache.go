package tx

import (
	"sync"

	"github.com/selfchain/selfchain/crypto"
	"github.com/selfchain/selfchain/types"
)

// maxCachedPubKeys bounds the parsed-key cache; when full it starts over.
const maxCachedPubKeys = 20_000

// pubKeys caches parsed public keys by (type, bytes). Parsing is a pure function
// of those bytes, so the cache cannot change an outcome; it saves the ML-DSA
// matrix expansion (tens of µs) that every tx of an account would otherwise redo.
var pubKeys = struct {
	sync.Mutex
	m map[string]crypto.PubKey
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
	pubKeys.Lock()
	if len(pubKeys.m) >= maxCachedPubKeys {
		clear(pubKeys.m)
	}
	pubKeys.m[string(k)] = pub
	pubKeys.Unlock()
	return pub, nil
}
