package app

import "fmt"

// DefaultTxIndexDBBackend is app.toml [tx-index] db-backend when init writes it.
// CometBFT's kv tx indexer writes a block's results and an entry per indexed
// event attribute in one batch; on goleveldb its writes and compactions were the
// largest cost left at saturation (docs/PERFORMANCE.md, "The tx index on pebble"),
// and pebble takes them for ~7 MiB more RSS. CometBFT's other stores stay on
// config.toml's db_backend: all of them on pebble went past 400 MiB.
const DefaultTxIndexDBBackend = "pebbledb"

// TxIndexConfig is app.toml [tx-index]: where CometBFT's kv tx indexer
// (config.toml [tx_index] indexer = "kv") keeps data/tx_index.db.
type TxIndexConfig struct {
	// DBBackend is "pebbledb" or "goleveldb"; empty: config.toml db_backend, like
	// CometBFT's other stores. Empty in DefaultConfig, so a home from before the
	// section keeps the tx index it has; init writes DefaultTxIndexDBBackend into
	// a new home.
	DBBackend string `toml:"db-backend"`
}

// Validate checks [tx-index], naming the bad key.
func (c TxIndexConfig) Validate() error {
	switch c.DBBackend {
	case "", "pebbledb", "goleveldb":
		return nil
	}
	return fmt.Errorf("app.toml tx-index.db-backend: unknown backend %q (want pebbledb, goleveldb, or empty for config.toml's db_backend)", c.DBBackend)
}

const txIndexConfigTemplate = `
[tx-index]
# The database of CometBFT's kv tx indexer (config.toml [tx_index] indexer = "kv"),
# data/tx_index.db: "pebbledb", "goleveldb", or empty for config.toml's db_backend
# (like CometBFT's other stores). A home does not switch by itself: a tx index
# written by the other backend makes the node refuse to start, saying so.
db-backend = "{{ .TxIndex.DBBackend }}"
`
