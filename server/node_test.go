package server

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	cmtcfg "github.com/cometbft/cometbft/config"
	cmtlog "github.com/cometbft/cometbft/libs/log"

	"github.com/selfchain/selfchain/app"
	"github.com/selfchain/selfchain/app/runtime"
	"github.com/selfchain/selfchain/app/store"
	"github.com/selfchain/selfchain/app/tx"
	"github.com/selfchain/selfchain/client"
	"github.com/selfchain/selfchain/crypto"
	"github.com/selfchain/selfchain/testutil"
	"github.com/selfchain/selfchain/types"
	"github.com/selfchain/selfchain/x/auth"
	"github.com/selfchain/selfchain/x/bank"
)

// testNodeOptions bind everything to loopback and make blocks fast.
func testNodeOptions(t *testing.T) []Option {
	rpc, p2p := testutil.FreePort(t), testutil.FreePort(t)
	return []Option{WithCometConfig(func(c *cmtcfg.Config) {
		c.RPC.ListenAddress = fmt.Sprintf("tcp://127.0.0.1:%d", rpc)
		c.P2P.ListenAddress = fmt.Sprintf("tcp://127.0.0.1:%d", p2p)
		c.P2P.PexReactor = false
		c.Consensus.TimeoutCommit = 200 * time.Millisecond
		c.Instrumentation.Prometheus = false // go-kit metrics register globally: once per process
	}), WithAppConfig(func(c *app.Config) { c.API.Address = "" })} // init's fixed port: tests that want it pick a free one
}

func waitHeight(t *testing.T, c *client.Client, h int64) int64 {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if st, err := c.Status(context.Background()); err == nil && st.SyncInfo.LatestBlockHeight >= h {
			return st.SyncInfo.LatestBlockHeight
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("height %d not reached in 30s", h)
	return 0
}

// startedNode starts home's node with testNodeOptions (then opts), stops it at the
// end of the test, and returns it with a client once it has committed height 2.
// With -v the node logs to stderr.
func startedNode(t *testing.T, home string, opts ...Option) (*Node, *client.Client) {
	t.Helper()
	logger := cmtlog.NewNopLogger()
	if testing.Verbose() {
		logger = cmtlog.NewTMLogger(cmtlog.NewSyncWriter(os.Stderr))
	}
	n, err := Start(context.Background(), home, logger, append(testNodeOptions(t), opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = n.Stop() })
	c, err := client.New(n.RPCAddress())
	if err != nil {
		t.Fatal(err)
	}
	waitHeight(t, c, 2)
	return n, c
}

// requireDiskBackends fails unless each of CometBFT's databases in dataDir was
// written by the backend want names for it.
func requireDiskBackends(t *testing.T, dataDir string, want map[string]string) {
	t.Helper()
	for id, backend := range want {
		if got, err := store.DiskBackend(id, dataDir); err != nil || got != backend {
			t.Fatalf("%s written by %q (%v), want %s", id, got, err, backend)
		}
	}
}

// signedSend is a send of amount from from's account to to, signed for its next sequence.
func signedSend(t *testing.T, c *client.Client, from crypto.PrivKey, to crypto.Address, amount string) []byte {
	t.Helper()
	f := client.Factory{Gas: 200_000, GasPrices: "0.001uself", Accounts: auth.AccountRetriever{}}
	signer := tx.KeySigner{Key: from}
	send := &bank.MsgSend{FromAddress: from.PubKey().Address().String(), ToAddress: to.String(), Amount: mustCoins(t, amount)}
	plan, err := f.Prepare(context.Background(), c, signer, []runtime.Msg{send}...)
	if err != nil {
		t.Fatal(err)
	}
	bz, err := plan.Sign(signer)
	if err != nil {
		t.Fatal(err)
	}
	return bz
}

func balance(t *testing.T, c *client.Client, addr crypto.Address) string {
	t.Helper()
	resp, err := bank.NewQueryClient(c).Balance(context.Background(), &bank.QueryBalanceRequest{Address: addr.String(), Denom: app.BondDenom})
	if err != nil {
		t.Fatal(err)
	}
	return resp.Balance.Amount.String()
}

// TestNodeCommitsTxAndRestarts runs a real in-process CometBFT node: it takes a
// tx over RPC and commits it; stopped and started again from the same home, it
// resumes at the same height with the same app hash and the balances intact.
func TestNodeCommitsTxAndRestarts(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a node")
	}
	home := t.TempDir()
	const chainID = "selfchain-nodetest-1"
	if err := InitHome(home, "node0", chainID, ""); err != nil {
		t.Fatal(err)
	}
	if err := InitHome(home, "node0", chainID, ""); err == nil {
		t.Fatal("a second init over an existing genesis must fail without Overwrite")
	}
	faucet, err := crypto.GenerateKey(crypto.KeyTypeEd25519)
	if err != nil {
		t.Fatal(err)
	}
	rcpt, _ := crypto.GenerateKey(crypto.KeyTypeEd25519)
	if err := AddGenesisAccount(GenesisPath(home), faucet.PubKey().Address(), mustCoins(t, "1000000000uself"), false); err != nil {
		t.Fatal(err)
	}

	n, c := startedNode(t, home)

	f := client.Factory{Gas: 200_000, GasPrices: "0.001uself", Accounts: auth.AccountRetriever{}}
	signer := tx.KeySigner{Key: faucet}
	send := &bank.MsgSend{FromAddress: faucet.PubKey().Address().String(), ToAddress: rcpt.PubKey().Address().String(), Amount: mustCoins(t, "1234uself")}
	plan, err := f.Prepare(context.Background(), c, signer, []runtime.Msg{send}...)
	if err != nil {
		t.Fatal(err)
	}
	if !plan.IncludePubKey || plan.ChainID != chainID {
		t.Fatalf("first tx of a fresh account: want its pubkey included and the node's chain id, got %+v", plan)
	}
	bz, err := plan.Sign(signer)
	if err != nil {
		t.Fatal(err)
	}
	res, err := c.Broadcast(context.Background(), bz, true)
	if err != nil {
		t.Fatal(err)
	}
	if !res.OK() || res.Height == 0 {
		t.Fatalf("tx not committed: %+v", res)
	}
	if got := balance(t, c, rcpt.PubKey().Address()); got != "1234" {
		t.Fatalf("recipient balance %s, want 1234", got)
	}
	if _, seq, hasPub, err := (auth.AccountRetriever{}).AccountInfo(context.Background(), c, faucet.PubKey().Address()); err != nil || seq != 1 || !hasPub {
		t.Fatalf("faucet account after one tx: seq %d, pubkey %v, err %v", seq, hasPub, err)
	}
	if _, _, _, err := (auth.AccountRetriever{}).AccountInfo(context.Background(), c, rcpt.PubKey().Address()); err != nil {
		t.Fatalf("recipient has an account once funded: %v", err)
	}
	stranger, _ := crypto.GenerateKey(crypto.KeyTypeEd25519)
	if _, _, _, err := (auth.AccountRetriever{}).AccountInfo(context.Background(), c, stranger.PubKey().Address()); err == nil || !bytes.Contains([]byte(err.Error()), []byte("must receive funds first")) {
		t.Fatalf("unknown account: want a clear error, got %v", err)
	}

	if err := n.Stop(); err != nil {
		t.Fatal(err)
	}
	if err := n.Stop(); err != nil {
		t.Fatalf("second Stop: %v", err)
	}
	last := n.App().LastCommitID()
	stoppedAt := n.Comet().BlockStore().Height()
	// CometBFT's stores are on init's db_backend, the tx index on app.toml's [tx-index] db-backend.
	requireDiskBackends(t, n.Config().DBDir(), map[string]string{"blockstore": DefaultCometDBBackend, "state": DefaultCometDBBackend, "evidence": DefaultCometDBBackend, txIndexDB: app.DefaultTxIndexDBBackend})

	n2, c2 := startedNode(t, home)
	if got := n2.App().LastCommitID(); got.Version < last.Version {
		t.Fatalf("restarted app at version %d, was %d", got.Version, last.Version)
	}
	waitHeight(t, c2, stoppedAt+1)
	// Header H+1 carries the app hash after block H: the state the node stopped with.
	next := stoppedAt + 1
	blk, err := c2.RPC().Block(context.Background(), &next)
	if err != nil {
		t.Fatal(err)
	}
	if int64(last.Version) != stoppedAt || !bytes.Equal(blk.Block.AppHash, last.Hash) {
		t.Fatalf("after restart: block %d app hash %X, want %X (app version %d, block store height %d)", next, blk.Block.AppHash, last.Hash, last.Version, stoppedAt)
	}
	if got := balance(t, c2, rcpt.PubKey().Address()); got != "1234" {
		t.Fatalf("recipient balance after restart %s, want 1234", got)
	}
}

func mustCoins(t *testing.T, s string) types.Coins {
	t.Helper()
	cs, err := types.ParseCoins(s)
	if err != nil {
		t.Fatal(err)
	}
	return cs
}
