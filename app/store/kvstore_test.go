package store

import "cosmossdk.io/collections/corecompat"

// Stores must be usable by collections as they are.
var (
	_ corecompat.KVStore = KVStore(nil)
	_ KVStore            = corecompat.KVStore(nil)
)
