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
	if err := db.SetSync(lastBlockTimeKey, binary.BigEndian.AppendUint64(nil, uint64(prevBlockTime.UnixNano()))); err != nil {
		return store.CommitID{}, fmt.Errorf("rollback: record block time: %w", err)
	}
	return id, nil
}
