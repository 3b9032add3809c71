package store

import dbm "github.com/cosmos/cosmos-db"

// MemStores is a set of in-memory module stores, one MemDB per name, created on
// first use. It satisfies runtime.Stores for keeper tests that need neither
// versions nor proofs.
type MemStores map[string]*dbm.MemDB

func (s MemStores) Store(name string) KVStore {
	db, ok := s[name]
	if !ok {
		db = dbm.NewMemDB()
		s[name] = db
	}
	return db
}
