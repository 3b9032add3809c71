package app

import (
	"encoding/binary"
	"fmt"
	"time"

	dbm "github.com/cosmos/cosmos-db"

	"github.com/selfchain/selfchain/app/store"
)

// Rollback moves the application state on db (not open in an App) back one
// height: every module store drops its latest version, so a node restarted on
// it re-executes that block. prevBlockTime is the time of the block the state
// is back at (CometBFT's block store has it): the last block time is kept
// outside the merkle state (lastBlockTimeKey), and leaving it at the dropped
// block's would make queries and simulations judge time by a block that is no
// longer committed. The chain id, the vote-extension enable height and the
// block gas limit are genesis values and stay.
func Rollback(db dbm.DB, prevBlockTime time.Time) (store.CommitID, error) {
	id, err := store.Rollback(db, Modules().Names())
	if err != nil {
		return store.CommitID{}, err
	}
	return id, setLastBlockTime(db, prevBlockTime)
}

// CheckRollbackTo reports whether RollbackTo(height) can run, and the version
// and app hash it would go back to, changing nothing.
func CheckRollbackTo(db dbm.DB, height int64) (store.CommitID, error) {
	return store.CheckRollbackTo(db, Modules().Names(), height)
}

// RollbackTo is Rollback to height (the latest or below it; blockTime is that
// block's time): `selfchaind rollback` follows CometBFT, whose state may be a
// block behind the app's after a crash between the app's commit and its own.
func RollbackTo(db dbm.DB, height int64, blockTime time.Time) (store.CommitID, error) {
	id, err := store.RollbackTo(db, Modules().Names(), height)
	if err != nil {
		return store.CommitID{}, err
	}
	return id, setLastBlockTime(db, blockTime)
}

func setLastBlockTime(db dbm.DB, t time.Time) error {
	if err := db.SetSync(lastBlockTimeKey, binary.BigEndian.AppendUint64(nil, uint64(t.UnixNano()))); err != nil {
		return fmt.Errorf("rollback: record block time: %w", err)
	}
	return nil
}
