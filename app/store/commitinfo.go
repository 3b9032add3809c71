package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"slices"

	dbm "github.com/cosmos/cosmos-db"
)

// Commit info lives outside the tree prefixes. It is written after every tree has saved the
// version, so on Open a tree ahead of c/latest means a crash inside Commit.
var (
	latestVersionKey = []byte("c/latest")
	commitInfoPrefix = []byte("c/v/")
)

// treePrefix is where store name's IAVL tree lives.
func treePrefix(name string) []byte { return []byte("s/k:" + name + "/") }

func commitInfoKey(version int64) []byte {
	return binary.BigEndian.AppendUint64(append([]byte(nil), commitInfoPrefix...), uint64(version))
}

// commitInfo records the tree roots of one version; roots[i] belongs to names[i] (sorted).
type commitInfo struct {
	version int64
	names   []string
	roots   [][]byte
}

func (ci commitInfo) hash() []byte { return appHash(ci.names, ci.roots) }

// marshal: version (8 bytes BE), uvarint count, then per store uvarint-prefixed name and root.
func (ci commitInfo) marshal() []byte {
	buf := binary.BigEndian.AppendUint64(nil, uint64(ci.version))
	buf = binary.AppendUvarint(buf, uint64(len(ci.names)))
	for i, name := range ci.names {
		buf = binary.AppendUvarint(buf, uint64(len(name)))
		buf = append(buf, name...)
		buf = binary.AppendUvarint(buf, uint64(len(ci.roots[i])))
		buf = append(buf, ci.roots[i]...)
	}
	return buf
}

var errBadCommitInfo = errors.New("store: corrupt commit info")

func unmarshalCommitInfo(bz []byte) (commitInfo, error) {
	var ci commitInfo
	if len(bz) < 8 {
		return ci, errBadCommitInfo
	}
	ci.version = int64(binary.BigEndian.Uint64(bz))
	bz = bz[8:]
	readBytes := func() ([]byte, bool) {
		n, k := binary.Uvarint(bz)
		if k <= 0 || n > uint64(len(bz)-k) {
			return nil, false
		}
		out := bz[k : k+int(n)]
		bz = bz[k+int(n):]
		return out, true
	}
	count, k := binary.Uvarint(bz)
	if k <= 0 || count > uint64(len(bz)) {
		return ci, errBadCommitInfo
	}
	bz = bz[k:]
	for range count {
		name, ok := readBytes()
		if !ok {
			return ci, errBadCommitInfo
		}
		root, ok := readBytes()
		if !ok {
			return ci, errBadCommitInfo
		}
		ci.names = append(ci.names, string(name))
		ci.roots = append(ci.roots, root)
	}
	if len(bz) != 0 {
		return ci, errBadCommitInfo
	}
	return ci, nil
}

func readLatestVersion(db dbm.DB) (int64, error) {
	bz, err := db.Get(latestVersionKey)
	if err != nil {
		return 0, fmt.Errorf("store: read latest version: %w", err)
	}
	if bz == nil {
		return 0, nil
	}
	if len(bz) != 8 {
		return 0, fmt.Errorf("store: corrupt latest version %X", bz)
	}
	return int64(binary.BigEndian.Uint64(bz)), nil
}

// loadCommitInfo reads the commit info of version and checks it covers exactly names.
func loadCommitInfo(db dbm.DB, version int64, names []string) (commitInfo, error) {
	bz, err := db.Get(commitInfoKey(version))
	if err != nil {
		return commitInfo{}, fmt.Errorf("store: read commit info %d: %w", version, err)
	}
	if bz == nil {
		return commitInfo{}, fmt.Errorf("store: no commit info for version %d", version)
	}
	ci, err := unmarshalCommitInfo(bz)
	if err != nil {
		return ci, fmt.Errorf("version %d: %w", version, err)
	}
	if ci.version != version {
		return ci, fmt.Errorf("store: commit info under version %d says version %d", version, ci.version)
	}
	if !slices.Equal(ci.names, names) {
		return ci, fmt.Errorf("store: version %d was committed with stores %v, opened with %v ; adding or removing module stores needs a migration this version does not have: the state was written by an older selfchaind, so start from a new genesis (for the local devnet: make devnet-reset)",
			version, ci.names, names)
	}
	return ci, nil
}

// writeCommitInfo durably records ci as the latest version; the sync also flushes the trees'
// earlier unsynced batches, which precede it in the write-ahead log.
func writeCommitInfo(db dbm.DB, ci commitInfo) error {
	batch := db.NewBatch()
	defer batch.Close()
	if err := batch.Set(commitInfoKey(ci.version), ci.marshal()); err != nil {
		return err
	}
	if err := batch.Set(latestVersionKey, binary.BigEndian.AppendUint64(nil, uint64(ci.version))); err != nil {
		return err
	}
	return batch.WriteSync()
}

// earliestCommitInfo returns the lowest version with commit info, or 0 when there is none.
func earliestCommitInfo(db dbm.DB) (int64, error) {
	it, err := db.Iterator(commitInfoPrefix, prefixEnd(commitInfoPrefix))
	if err != nil {
		return 0, err
	}
	defer it.Close()
	if !it.Valid() {
		return 0, it.Error()
	}
	key := it.Key()[len(commitInfoPrefix):]
	if len(key) != 8 {
		return 0, fmt.Errorf("store: corrupt commit info key %X", it.Key())
	}
	return int64(binary.BigEndian.Uint64(key)), nil
}

// deleteCommitInfos removes the commit info of versions from..to (inclusive).
func deleteCommitInfos(db dbm.DB, from, to int64) error {
	batch := db.NewBatch()
	defer batch.Close()
	for v := from; v <= to; v++ {
		if err := batch.Delete(commitInfoKey(v)); err != nil {
			return err
		}
	}
	return batch.Write()
}

// prefixEnd is the smallest key above every key starting with prefix (nil if none).
func prefixEnd(prefix []byte) []byte {
	end := append([]byte(nil), prefix...)
	for i := len(end) - 1; i >= 0; i-- {
		if end[i] < 0xff {
			end[i]++
			return end[:i+1]
		}
	}
	return nil
}
