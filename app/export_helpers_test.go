package app

import (
	"bytes"
)

// KV is one stored key and value.
type KV struct{ Key, Value []byte }

// StoreContentsForTest is every key and value of every module store, by store
// name: committed at version, or the working state (InitChain's, before its
// first block commits) when version is -1.
func (a *App) StoreContentsForTest(version int64) (map[string][]KV, error) {
	br := a.cms.Working()
	if version >= 0 {
		var err error
		if br, err = a.cms.BranchAt(version); err != nil {
			return nil, err
		}
	}
	out := map[string][]KV{}
	for _, name := range a.cms.Names() {
		it, err := br.Store(name).Iterator(nil, nil)
		if err != nil {
			return nil, err
		}
		for ; it.Valid(); it.Next() {
			out[name] = append(out[name], KV{bytes.Clone(it.Key()), bytes.Clone(it.Value())})
		}
		if err := it.Close(); err != nil {
			return nil, err
		}
	}
	return out, nil
}
