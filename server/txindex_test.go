package server

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/selfchain/selfchain/app"
	"github.com/selfchain/selfchain/app/store"
	"github.com/selfchain/selfchain/crypto"
)

// init writes app.toml [tx-index] db-backend = pebbledb into a new home; a home
// that lost its app.toml but holds a tx index another backend wrote gets that
// backend; an app.toml without the section (DefaultConfig) follows config.toml.
func TestInitHomeWritesTxIndexBackend(t *testing.T) {
	home := t.TempDir()
	if err := InitHome(home, "n0", "selfchain-test-1", ""); err != nil {
		t.Fatal(err)
	}
	ac, err := app.LoadConfig(home)
	if err != nil {
		t.Fatal(err)
	}
	if ac.TxIndex.DBBackend != app.DefaultTxIndexDBBackend {
		t.Fatalf("new home: tx-index.db-backend %q, want %q", ac.TxIndex.DBBackend, app.DefaultTxIndexDBBackend)
	}
	if got := app.DefaultConfig().TxIndex.DBBackend; got != "" {
		t.Fatalf("DefaultConfig's tx-index.db-backend %q: an app.toml from before the section must keep its tx index", got)
	}

	lost := t.TempDir()
	db, err := store.OpenCometDB("goleveldb", txIndexDB, filepath.Join(lost, "data"))
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if err := InitHome(lost, "n0", "selfchain-test-1", ""); err != nil {
		t.Fatal(err)
	}
	if ac, err := app.LoadConfig(lost); err != nil || ac.TxIndex.DBBackend != "goleveldb" {
		t.Fatalf("home with a goleveldb tx index: init wrote tx-index.db-backend %q (%v)", ac.TxIndex.DBBackend, err)
	}
}

func TestTxIndexConfigValidate(t *testing.T) {
	for _, b := range []string{"", "pebbledb", "goleveldb"} {
		if err := (app.TxIndexConfig{DBBackend: b}).Validate(); err != nil {
			t.Fatalf("%q: %v", b, err)
		}
	}
	err := (app.TxIndexConfig{DBBackend: "leveldb"}).Validate()
	if err == nil || !strings.Contains(err.Error(), "app.toml tx-index.db-backend") || !strings.Contains(err.Error(), `"leveldb"`) {
		t.Fatalf("unknown backend: %v", err)
	}
}

// A node from a fresh home keeps its tx index on pebble and its block store on
// config.toml's goleveldb; a committed send is found by hash and by its events.
func TestTxIndexOnPebble(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a node")
	}
	home := t.TempDir()
	if err := InitHome(home, "node0", "selfchain-txindex-1", ""); err != nil {
		t.Fatal(err)
	}
	faucet, _ := crypto.GenerateKey(crypto.KeyTypeEd25519)
	rcpt, _ := crypto.GenerateKey(crypto.KeyTypeEd25519)
	if err := AddGenesisAccount(GenesisPath(home), faucet.PubKey().Address(), mustCoins(t, "1000000000uself"), false); err != nil {
		t.Fatal(err)
	}
	n, c := startedNode(t, home)
	to := rcpt.PubKey().Address().String()
	res, err := c.Broadcast(context.Background(), signedSend(t, c, faucet, rcpt.PubKey().Address(), "5uself"), true) // waits by looking the hash up in the tx index
	if err != nil || !res.OK() || res.Height == 0 {
		t.Fatalf("send not committed and found by hash: %+v %v", res, err)
	}
	found, err := c.RPC().TxSearch(context.Background(), fmt.Sprintf("transfer.recipient='%s'", to), false, nil, nil, "")
	if err != nil || found.TotalCount != 1 || found.Txs[0].Hash.String() != res.TxHash {
		t.Fatalf("tx_search by recipient: %+v %v", found, err)
	}
	if err := n.Stop(); err != nil {
		t.Fatal(err)
	}
	requireDiskBackends(t, filepath.Join(home, "data"), map[string]string{txIndexDB: "pebbledb", "blockstore": DefaultCometDBBackend})
}
