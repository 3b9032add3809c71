package store

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	dbm "github.com/cosmos/cosmos-db"
	"github.com/cosmos/iavl"
	iavldb "github.com/cosmos/iavl/db"
)

// CommitID identifies a committed version and its app hash.
type CommitID struct {
	Version int64
	Hash    []byte
}

// MultiStore holds one IAVL tree per module on a single database.
type MultiStore struct {
	db    dbm.DB
	names []string // sorted
	opts  Options

	// Working trees: only the block-execution goroutine touches them.
	trees []*iavl.MutableTree
	bases []baseStore // workingTree per store, shared by all Working() branches

	// readers open committed versions for BranchAt and Query. They have their own node DBs
	// (own caches, no fast index), so concurrent reads share no mutable state with the working
	// trees. Reading through the working trees' node DB races with SaveVersion and pruning,
	// and its fast index can show a reader of version v the data of v+1 mid-commit.
	readers []*iavl.MutableTree

	upgrade upgradeState // store upgrades applied at Open (upgrades.go)

	mu       sync.RWMutex // guards the fields below, read from other goroutines
	last     CommitID
	earliest int64 // lowest retained version; 0 before the first commit
	closed   bool
	holds    map[int64]int // versions a snapshot is reading: pruning stops below them (Hold)
	changed  changedKeys   // the keys the last commit changed (TrackWrites; shared.go)

	track bool // consensus goroutine: working trees record their writes (TrackWrites)

	pfMu sync.Mutex
	pf   *prefetch // the running Prefetch (prefetch.go), nil when none
}

// Open loads (or creates) the trees of names on db at the latest committed version. The caller
// keeps ownership of db and closes it after Close.
func Open(db dbm.DB, names []string, opts Options) (*MultiStore, error) {
	return open(db, names, opts, nil)
}

// open is Open applying up (nil: none) on top of the latest version (upgrades.go).
func open(db dbm.DB, names []string, opts Options, up *Upgrades) (*MultiStore, error) {
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	sorted, err := checkNames(names)
	if err != nil {
		return nil, err
	}
	latest, err := readLatestVersion(db)
	if err != nil {
		return nil, err
	}
	prev, err := up.previousNames(sorted, latest)
	if err != nil {
		return nil, err
	}
	ms := &MultiStore{db: db, names: sorted, opts: opts}
	for _, name := range sorted {
		var tree *iavl.MutableTree
		if up.creates(name) {
			tree, err = newTree(db, name, latest, opts)
		} else {
			tree, err = loadTree(db, name, latest, opts)
		}
		if err != nil {
			ms.closeTrees()
			return nil, err
		}
		ms.trees = append(ms.trees, tree)
		ms.bases = append(ms.bases, &workingTree{tree: tree})
		reader := iavl.NewMutableTree(iavldb.NewWrapper(dbm.NewPrefixDB(db, treePrefix(name))),
			opts.cacheSize(name), true, iavl.NewNopLogger())
		ms.readers = append(ms.readers, reader)
	}

	if latest == 0 {
		roots := make([][]byte, len(sorted))
		for i := range roots {
			roots[i] = emptyHash
		}
		ms.last = CommitID{Version: 0, Hash: appHash(sorted, roots)}
		return ms, nil
	}
	ci, err := loadCommitInfo(db, latest, prev)
	if err != nil {
		ms.closeTrees()
		return nil, err
	}
	for i, tree := range ms.trees {
		if up.creates(sorted[i]) {
			continue
		}
		if root := ci.roots[slices.Index(prev, sorted[i])]; !bytes.Equal(tree.Hash(), root) {
			ms.closeTrees()
			return nil, fmt.Errorf("store: tree %q at version %d has root %X, commit info says %X",
				sorted[i], latest, tree.Hash(), root)
		}
	}
	if err := ms.applyUpgrades(up, latest); err != nil {
		ms.closeTrees()
		return nil, err
	}
	if ms.earliest, err = earliestCommitInfo(db); err != nil {
		ms.closeTrees()
		return nil, err
	}
	ms.last = CommitID{Version: latest, Hash: ci.hash()}
	return ms, nil
}

// checkNames sorts the names and rejects empty, duplicate or prefix-overlapping ones.
func checkNames(names []string) ([]string, error) {
	if len(names) == 0 {
		return nil, errors.New("store: no store names")
	}
	sorted := slices.Clone(names)
	slices.Sort(sorted)
	for i, name := range sorted {
		if name == "" || strings.Contains(name, "/") {
			return nil, fmt.Errorf("store: invalid store name %q (empty or contains '/')", name)
		}
		if i > 0 && sorted[i-1] == name {
			return nil, fmt.Errorf("store: duplicate store name %q", name)
		}
	}
	return sorted, nil
}

// loadTree opens the tree of name at the committed version latest, rolling back versions a crash
// in Commit left ahead of the commit info.
func loadTree(db dbm.DB, name string, latest int64, opts Options) (*iavl.MutableTree, error) {
	pdb := dbm.NewPrefixDB(db, treePrefix(name))
	var treeOpts []iavl.Option
	if latest == 0 {
		// Nothing was committed: whatever is under the prefix is from a Commit that crashed
		// before writing its commit info.
		if err := wipe(pdb); err != nil {
			return nil, fmt.Errorf("store: reset tree %q: %w", name, err)
		}
		if opts.InitialVersion > 1 {
			treeOpts = append(treeOpts, iavl.InitialVersionOption(uint64(opts.InitialVersion)))
		}
	}
	tree := iavl.NewMutableTree(iavldb.NewWrapper(pdb), opts.cacheSize(name), false, iavl.NewNopLogger(), treeOpts...)
	have, err := tree.GetLatestVersion()
	if err != nil {
		return nil, fmt.Errorf("store: tree %q: %w", name, err)
	}
	switch {
	case latest == 0:
		_, err = tree.Load()
	case have == latest:
		_, err = tree.LoadVersion(latest)
	case have > latest:
		err = tree.LoadVersionForOverwriting(latest)
	default:
		err = fmt.Errorf("tree is at version %d but the store committed version %d (missing data, or a store added to an existing chain)", have, latest)
	}
	if err != nil {
		_ = tree.Close()
		return nil, fmt.Errorf("store: load tree %q at version %d: %w", name, latest, err)
	}
	return tree, nil
}

// wipe deletes every key of db.
func wipe(db dbm.DB) error {
	it, err := db.Iterator(nil, nil)
	if err != nil {
		return err
	}
	var keys [][]byte
	for ; it.Valid(); it.Next() {
		keys = append(keys, bytes.Clone(it.Key()))
	}
	err = errors.Join(it.Error(), it.Close())
	if err != nil || len(keys) == 0 {
		return err
	}
	batch := db.NewBatch()
	defer batch.Close()
	for _, k := range keys {
		if err := batch.Delete(k); err != nil {
			return err
		}
	}
	return batch.WriteSync()
}

// Names returns the sorted store names.
func (ms *MultiStore) Names() []string { return slices.Clone(ms.names) }

// LastCommitID is the latest committed version and app hash: version 0 and the hash of the empty
// stores before the first commit.
func (ms *MultiStore) LastCommitID() CommitID {
	ms.mu.RLock()
	defer ms.mu.RUnlock()
	return CommitID{Version: ms.last.Version, Hash: slices.Clone(ms.last.Hash)}
}

// WorkingHash is the app hash the working trees would commit to now (after Branch.Write).
func (ms *MultiStore) WorkingHash() []byte {
	roots := make([][]byte, len(ms.trees))
	_ = forEach(allIndexes(len(ms.trees)), func(i int) error {
		roots[i] = ms.trees[i].WorkingHash()
		return nil
	})
	return appHash(ms.names, roots)
}

// Working returns a write-buffered branch over the working trees.
func (ms *MultiStore) Working() *Branch {
	b := newRootBranch(ms.names, ms.bases, true, 0)
	b.beforeWrite = ms.waitPrefetch
	return b
}

// Commit saves a new version of every tree, records the commit info and prunes.
func (ms *MultiStore) Commit() (CommitID, error) {
	ms.StopPrefetch()
	versions := make([]int64, len(ms.trees))
	ci := commitInfo{names: ms.names, roots: make([][]byte, len(ms.trees))}
	err := forEach(allIndexes(len(ms.trees)), func(i int) (err error) {
		ci.roots[i], versions[i], err = ms.trees[i].SaveVersion()
		if err != nil {
			return fmt.Errorf("store: save %q: %w", ms.names[i], err)
		}
		return nil
	})
	if err != nil {
		return CommitID{}, err
	}
	ci.version = versions[0]
	for i, v := range versions {
		if v != ci.version {
			return CommitID{}, fmt.Errorf("store: %q saved version %d, %q saved %d", ms.names[i], v, ms.names[0], ci.version)
		}
	}
	if err := writeCommitInfo(ms.db, ci); err != nil {
		return CommitID{}, fmt.Errorf("store: write commit info %d: %w", ci.version, err)
	}
	if err := ms.finishUpgrades(); err != nil {
		return CommitID{}, err
	}
	id := CommitID{Version: ci.version, Hash: ci.hash()}
	changed := ms.takeWrites(ci.version)
	ms.mu.Lock()
	ms.last = id
	ms.changed = changed
	if ms.earliest == 0 {
		ms.earliest = ci.version
	}
	ms.mu.Unlock()

	if err := ms.prune(ci.version); err != nil {
		err = fmt.Errorf("store: committed version %d but pruning failed: %w", ci.version, err)
		return CommitID{Version: id.Version, Hash: slices.Clone(id.Hash)}, err
	}
	return CommitID{Version: id.Version, Hash: slices.Clone(id.Hash)}, nil
}

// prune deletes old versions per the pruning options after committing version.
func (ms *MultiStore) prune(version int64) error {
	to, ok := ms.opts.Pruning.pruneTarget(version)
	if !ok {
		return nil
	}
	ms.mu.Lock()
	from := ms.earliest
	if held, ok := ms.lowestHoldLocked(); ok && to >= held {
		to = held - 1 // a later pruning deletes the rest once the snapshot is done
	}
	if to < from {
		ms.mu.Unlock()
		return nil
	}
	// Refuse new readers of the doomed versions before deleting them.
	ms.earliest = to + 1
	ms.mu.Unlock()

	// Commit info goes first: a crash after it leaves extra tree versions, which the next
	// pruning removes (IAVL deletes from its own first version), never missing ones.
	if err := deleteCommitInfos(ms.db, from, to); err != nil {
		return err
	}
	return forEach(allIndexes(len(ms.trees)), func(i int) error {
		if err := ms.trees[i].DeleteVersionsTo(to); err != nil {
			return fmt.Errorf("%q: delete versions up to %d: %w", ms.names[i], to, err)
		}
		return nil
	})
}

// BranchAt returns a branch over the committed version (read-only parent: its Write fails).
// Version 0 is the empty state before the first commit. Safe to call concurrently with block
// execution and Commit.
func (ms *MultiStore) BranchAt(version int64) (*Branch, error) {
	ms.mu.RLock()
	last, earliest, closed := ms.last.Version, ms.earliest, ms.closed
	ms.mu.RUnlock()
	if closed {
		return nil, errors.New("store: closed")
	}
	bases := make([]baseStore, len(ms.names))
	if version == 0 && last == 0 {
		for i := range bases {
			bases[i] = emptyBase{}
		}
		return newRootBranch(ms.names, bases, false, 0), nil
	}
	if err := checkVersion(version, earliest, last); err != nil {
		return nil, err
	}
	trees := make([]versionTree, len(ms.readers)) // one allocation for all stores
	for i, reader := range ms.readers {
		if ms.createdAfter(i, version) {
			bases[i] = emptyBase{}
			continue
		}
		trees[i] = versionTree{reader: reader, name: ms.names[i], version: version}
		bases[i] = &trees[i]
	}
	return newRootBranch(ms.names, bases, false, version), nil
}

func checkVersion(version, earliest, last int64) error {
	switch {
	case version > last:
		return fmt.Errorf("store: version %d is not committed yet (latest %d)", version, last)
	case version < earliest || version <= 0:
		return fmt.Errorf("store: version %d does not exist (pruned or never committed; earliest %d, latest %d)", version, earliest, last)
	}
	return nil
}

// Close releases the trees. It does not close db, which belongs to the caller.
func (ms *MultiStore) Close() error {
	ms.StopPrefetch()
	ms.mu.Lock()
	if ms.closed {
		ms.mu.Unlock()
		return nil
	}
	ms.closed = true
	ms.mu.Unlock()
	return ms.closeTrees()
}

func (ms *MultiStore) closeTrees() error {
	var errs []error
	for _, t := range ms.trees {
		errs = append(errs, t.Close())
	}
	for _, r := range ms.readers {
		errs = append(errs, r.Close())
	}
	return errors.Join(errs...)
}

// SetInitialVersion makes the first Commit save version v (a genesis initial_height > 1).
// It only has an effect before anything is committed.
func (ms *MultiStore) SetInitialVersion(v int64) error {
	ms.StopPrefetch()
	if ms.LastCommitID().Version != 0 {
		return fmt.Errorf("store: initial version %d set after commits", v)
	}
	ms.opts.InitialVersion = v
	for _, t := range ms.trees {
		t.SetInitialVersion(uint64(v))
	}
	return nil
}
