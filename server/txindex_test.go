package server

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	cmtlog "github.com/cometbft/cometbft/libs/log"
	rpchttp "github.com/cometbft/cometbft/rpc/client/http"

	"github.com/selfchain/selfchain/app"
	"github.com/selfchain/selfchain/app/runtime"
	"github.com/selfchain/selfchain/app/store"
	"github.com/selfchain/selfchain/app/tx"
	"github.com/selfchain/selfchain/client"
	"github.com/selfchain/selfchain/crypto"
	"github.com/selfchain/selfchain/x/auth"
	"github.com/selfchain/selfchain/x/bank"
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
	n, err := Start(context.Background(), home, nil, testNodeOptions(t)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = n.Stop() })
	c, err := client.New(n.RPCAddress())
	if err != nil {
		t.Fatal(err)
	}
	waitHeight(t, c, 2)

	f := client.Factory{Gas: 200_000, GasPrices: "0.001uself", Accounts: auth.AccountRetriever{}}
	signer := tx.KeySigner{Key: faucet}
	to := rcpt.PubKey().Address().String()
	send := &bank.MsgSend{FromAddress: faucet.PubKey().Address().String(), ToAddress: to, Amount: mustCoins(t, "5uself")}
	plan, err := f.Prepare(context.Background(), c, signer, []runtime.Msg{send}...)
	if err != nil {
		t.Fatal(err)
	}
	bz, err := plan.Sign(signer)
	if err != nil {
		t.Fatal(err)
	}
	res, err := c.Broadcast(context.Background(), bz, true) // waits by looking the hash up in the tx index
	if err != nil || !res.OK() || res.Height == 0 {
		t.Fatalf("send not committed and found by hash: %+v %v", res, err)
	}
	rc, err := rpchttp.New(n.RPCAddress(), "/websocket")
	if err != nil {
		t.Fatal(err)
	}
	found, err := rc.TxSearch(context.Background(), fmt.Sprintf("transfer.recipient='%s'", to), false, nil, nil, "")
	if err != nil || found.TotalCount != 1 || found.Txs[0].Hash.String() != res.TxHash {
		t.Fatalf("tx_search by recipient: %+v %v", found, err)
	}
	if err := n.Stop(); err != nil {
		t.Fatal(err)
	}
	data := filepath.Join(home, "data")
	for db, want := range map[string]string{txIndexDB: "pebbledb", "blockstore": DefaultCometDBBackend} {
		if got, err := store.DiskBackend(db, data); err != nil || got != want {
			t.Fatalf("%s written by %q (%v), want %s", db, got, err, want)
		}
	}
}

// A tx index written by another backend than app.toml names stops the start with
// the setting to change, and the tx index is left as it was.
func TestStartRefusesMismatchedTxIndexBackend(t *testing.T) {
	home := t.TempDir()
	if err := InitHome(home, "n0", "selfchain-test-1", ""); err != nil {
		t.Fatal(err)
	}
	data := filepath.Join(home, "data")
	db, err := store.OpenCometDB("goleveldb", txIndexDB, data)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadDir(filepath.Join(data, txIndexDB+".db"))

	_, err = Start(context.Background(), home, cmtlog.NewNopLogger(), testNodeOptions(t)...)
	if !errors.Is(err, store.ErrBackendMismatch) {
		t.Fatalf("want a backend mismatch, got %v", err)
	}
	for _, want := range []string{"open CometBFT tx_index database", `app.toml tx-index.db-backend is "pebbledb"`, `set app.toml tx-index.db-backend = "goleveldb"`} {
		if !strings.Contains(err.Error(), want) {
			t.Fatalf("error %q does not say %q", err, want)
		}
	}
	after, _ := os.ReadDir(filepath.Join(data, txIndexDB+".db"))
	if len(before) != len(after) {
		t.Fatalf("the refused tx index changed: %v -> %v", before, after)
	}
	if got, _ := store.DiskBackend(txIndexDB, data); got != "goleveldb" {
		t.Fatalf("tx index now %q", got)
	}
}
