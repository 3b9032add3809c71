package store

import (
	"errors"
	"fmt"
	"slices"

	dbm "github.com/cosmos/cosmos-db"
	"github.com/cosmos/iavl"
	iavldb "github.com/cosmos/iavl/db"
)

// Upgrades are the store changes of a software upgrade (the Cosmos SDK's
// StoreUpgrades): stores added, renamed and deleted on top of the latest committed
// version. OpenWithUpgrades applies them in the working trees, so they become part
// of the state atomically with the next Commit: a crash before it reopens the old
// version and the upgrade is applied again.
type Upgrades struct {
	Added   []string
	Renamed []Rename
	Deleted []string
}

// Rename moves store From's contents to a new store To.
type Rename struct{ From, To string }

// OpenWithUpgrades is Open with names being the stores after the upgrade: the latest
// committed version must hold exactly names without up's added stores and renamed-to
// stores, plus its renamed-from and deleted stores.
func OpenWithUpgrades(db dbm.DB, names []string, opts Options, up Upgrades) (*MultiStore, error) {
	return open(db, names, opts, &up)
}

// upgradeState is what an Open with Upgrades leaves for later.
type upgradeState struct {
	created map[int]int64 // store index -> its first version (it has none before)
	wipe    []string      // stores whose data goes once the upgrade is committed
}

// creates reports whether name starts empty (or with a renamed store's contents).
func (u *Upgrades) creates(name string) bool {
	if u == nil {
		return false
	}
	return slices.Contains(u.Added, name) || slices.ContainsFunc(u.Renamed, func(r Rename) bool { return r.To == name })
}

// previousNames are the stores the latest version must hold for u to apply to sorted.
func (u *Upgrades) previousNames(sorted []string, latest int64) ([]string, error) {
	if u == nil {
		return sorted, nil
	}
	if latest == 0 {
		return nil, errors.New("store: store upgrades need a committed version to apply to")
	}
	seen := map[string]string{}
	claim := func(name, role string) error {
		if prev, dup := seen[name]; dup {
			return fmt.Errorf("store upgrades: store %q is both %s and %s", name, prev, role)
		}
		seen[name] = role
		return nil
	}
	var prev []string
	for _, name := range sorted {
		if !u.creates(name) {
			prev = append(prev, name)
		}
	}
	for _, name := range u.Added {
		if err := claim(name, "added"); err != nil {
			return nil, err
		}
		if !slices.Contains(sorted, name) {
			return nil, fmt.Errorf("store upgrades: added store %q is not in the module list", name)
		}
	}
	for _, r := range u.Renamed {
		if err := errors.Join(claim(r.From, "renamed from"), claim(r.To, "renamed to")); err != nil {
			return nil, err
		}
		if !slices.Contains(sorted, r.To) || slices.Contains(sorted, r.From) {
			return nil, fmt.Errorf("store upgrades: rename %q -> %q: the module list must hold %q and not %q", r.From, r.To, r.To, r.From)
		}
		prev = append(prev, r.From)
	}
	for _, name := range u.Deleted {
		if err := claim(name, "deleted"); err != nil {
			return nil, err
		}
		if slices.Contains(sorted, name) {
			return nil, fmt.Errorf("store upgrades: deleted store %q is still in the module list", name)
		}
		prev = append(prev, name)
	}
	return checkNames(prev)
}

// newTree is an empty tree for store name whose first version is latest+1. Data
// left under its prefix (a crash before the upgrade committed, or a store deleted
// earlier) is removed.
func newTree(db dbm.DB, name string, latest int64, opts Options) (*iavl.MutableTree, error) {
	pdb := dbm.NewPrefixDB(db, treePrefix(name))
	if err := wipe(pdb); err != nil {
		return nil, fmt.Errorf("store: reset new tree %q: %w", name, err)
	}
	tree := iavl.NewMutableTree(iavldb.NewWrapper(pdb), opts.cacheSize(name), false, iavl.NewNopLogger(),
		iavl.InitialVersionOption(uint64(latest+1)))
	if _, err := tree.Load(); err != nil {
		_ = tree.Close()
		return nil, fmt.Errorf("store: new tree %q: %w", name, err)
	}
	return tree, nil
}

// applyUpgrades copies renamed stores into their new trees (working state) and
// remembers what to delete after the next commit.
func (ms *MultiStore) applyUpgrades(u *Upgrades, latest int64) error {
	if u == nil {
		return nil
	}
	ms.upgrade.created = map[int]int64{}
	for i, name := range ms.names {
		if u.creates(name) {
			ms.upgrade.created[i] = latest + 1
		}
	}
	for _, r := range u.Renamed {
		if err := ms.copyTree(r.From, slices.Index(ms.names, r.To), latest); err != nil {
			return fmt.Errorf("store: rename %q -> %q: %w", r.From, r.To, err)
		}
		ms.upgrade.wipe = append(ms.upgrade.wipe, r.From)
	}
	ms.upgrade.wipe = append(ms.upgrade.wipe, u.Deleted...)
	return nil
}

func (ms *MultiStore) copyTree(from string, to int, latest int64) error {
	old, err := loadTree(ms.db, from, latest, ms.opts)
	if err != nil {
		return err
	}
	defer old.Close()
	it, err := old.Iterator(nil, nil, true)
	if err != nil {
		return err
	}
	defer it.Close()
	for ; it.Valid(); it.Next() {
		if _, err := ms.trees[to].Set(slices.Clone(it.Key()), slices.Clone(it.Value())); err != nil {
			return err
		}
	}
	return it.Error()
}

// finishUpgrades deletes the data of deleted and renamed stores once the upgrade's
// first version is committed (a crash before it leaves unreferenced data, which a
// later store of the same name wipes first).
func (ms *MultiStore) finishUpgrades() error {
	for _, name := range ms.upgrade.wipe {
		if err := wipe(dbm.NewPrefixDB(ms.db, treePrefix(name))); err != nil {
			return fmt.Errorf("store: delete the data of removed store %q: %w", name, err)
		}
	}
	ms.upgrade.wipe = nil
	return nil
}

// createdAfter reports whether store i did not exist at version (added by an
// upgrade this process applied): it reads as empty there.
func (ms *MultiStore) createdAfter(i int, version int64) bool {
	first, ok := ms.upgrade.created[i]
	return ok && version < first
}

// ReadCommitted reads key of store name at the latest committed version without
// opening the multistore: the app learns from it, before opening, whether this
// start applies an upgrade. It returns nil when the store or the key does not
// exist, and the latest version (0: nothing committed).
func ReadCommitted(db dbm.DB, name string, key []byte) ([]byte, int64, error) {
	latest, err := readLatestVersion(db)
	if err != nil || latest == 0 {
		return nil, latest, err
	}
	bz, err := db.Get(commitInfoKey(latest))
	if err != nil {
		return nil, latest, err
	}
	ci, err := unmarshalCommitInfo(bz)
	if err != nil {
		return nil, latest, err
	}
	if !slices.Contains(ci.names, name) {
		return nil, latest, nil
	}
	tree := iavl.NewMutableTree(iavldb.NewWrapper(dbm.NewPrefixDB(db, treePrefix(name))), 1000, true, iavl.NewNopLogger())
	defer tree.Close()
	imm, err := tree.GetImmutable(latest)
	if err != nil {
		return nil, latest, fmt.Errorf("store: read %q at version %d: %w", name, latest, err)
	}
	v, err := imm.Get(key)
	return v, latest, err
}
