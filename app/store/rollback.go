package store

import (
	"encoding/binary"
	"errors"
	"fmt"

	dbm "github.com/cosmos/cosmos-db"
	"github.com/cosmos/iavl"
	iavldb "github.com/cosmos/iavl/db"
)

// ErrNothingToRollback: the latest version has no committed version before it
// (nothing committed, only the first block, or the previous one pruned).
var ErrNothingToRollback = errors.New("store: nothing to roll back")

// Rollback deletes the latest committed version of every store of names on db
// (closed: no MultiStore open on it), so the state is the previous version's
// again and the next Commit saves the deleted version anew. It returns the
// version and app hash the state is back at.
func Rollback(db dbm.DB, names []string) (CommitID, error) {
	latest, err := readLatestVersion(db)
	if err != nil {
		return CommitID{}, err
	}
	return RollbackTo(db, names, latest-1)
}

// CheckRollbackTo reports whether RollbackTo(target) can run, and the commit it
// would go back to, changing nothing.
func CheckRollbackTo(db dbm.DB, names []string, target int64) (CommitID, error) {
	sorted, err := checkNames(names)
	if err != nil {
		return CommitID{}, err
	}
	latest, err := readLatestVersion(db)
	if err != nil {
		return CommitID{}, err
	}
	if latest == 0 {
		return CommitID{}, fmt.Errorf("%w: no version is committed", ErrNothingToRollback)
	}
	if target > latest {
		return CommitID{}, fmt.Errorf("store: cannot roll back to version %d: the state is at version %d, behind it", target, latest)
	}
	earliest, err := earliestCommitInfo(db)
	if err != nil {
		return CommitID{}, err
	}
	if target < 1 || target < earliest {
		return CommitID{}, fmt.Errorf("%w: version %d does not exist (the earliest kept is %d, the latest %d): there is no earlier committed state to go back to", ErrNothingToRollback, target, earliest, latest)
	}
	ci, err := loadCommitInfo(db, target, sorted)
	if err != nil {
		return CommitID{}, err
	}
	return CommitID{Version: target, Hash: ci.hash()}, nil
}

// RollbackTo deletes every committed version above target (none when target is
// the latest), as Rollback does for one.
//
// The commit info goes first, in one synced batch: a crash after it leaves
// trees ahead of the commit info, which Open already rolls back (loadTree:
// LoadVersionForOverwriting), so a crash never leaves half a rollback.
func RollbackTo(db dbm.DB, names []string, target int64) (CommitID, error) {
	id, err := CheckRollbackTo(db, names, target)
	if err != nil {
		return CommitID{}, err
	}
	latest, err := readLatestVersion(db)
	if err != nil || latest == target {
		return id, err
	}
	batch := db.NewBatch()
	defer batch.Close()
	for v := target + 1; v <= latest; v++ {
		if err := batch.Delete(commitInfoKey(v)); err != nil {
			return CommitID{}, err
		}
	}
	if err := batch.Set(latestVersionKey, binary.BigEndian.AppendUint64(nil, uint64(target))); err != nil {
		return CommitID{}, err
	}
	if err := batch.WriteSync(); err != nil {
		return CommitID{}, fmt.Errorf("store: roll back commit info to %d: %w", target, err)
	}
	sorted, _ := checkNames(names) // checked above
	for _, name := range sorted {
		if err := rollbackTree(db, name, target); err != nil {
			return CommitID{}, err
		}
	}
	return id, nil
}

// rollbackTree deletes every version of name's tree above target.
func rollbackTree(db dbm.DB, name string, target int64) error {
	tree := iavl.NewMutableTree(iavldb.NewWrapper(dbm.NewPrefixDB(db, treePrefix(name))), DefaultIAVLCacheSize, false, iavl.NewNopLogger())
	err := tree.LoadVersionForOverwriting(target)
	err = errors.Join(err, tree.Close())
	if err != nil {
		return fmt.Errorf("store: roll back tree %q to version %d: %w", name, target, err)
	}
	return nil
}

// AppHashAt is the app hash committed at version (kept, not pruned).
func (ms *MultiStore) AppHashAt(version int64) ([]byte, error) {
	ms.mu.RLock()
	last, earliest := ms.last.Version, ms.earliest
	ms.mu.RUnlock()
	if err := checkVersion(version, earliest, last); err != nil {
		return nil, err
	}
	ci, err := loadCommitInfo(ms.db, version, ms.names)
	if err != nil {
		return nil, err
	}
	return ci.hash(), nil
}
