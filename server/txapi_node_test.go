package server

import (
	"bufio"
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	cmtcfg "github.com/cometbft/cometbft/config"
	cmttypes "github.com/cometbft/cometbft/types"

	"github.com/selfchain/selfchain/app"
	"github.com/selfchain/selfchain/app/runtime"
	"github.com/selfchain/selfchain/crypto"
	"github.com/selfchain/selfchain/testutil"
	"github.com/selfchain/selfchain/x/auth"
)

// postTx sends bz to the node's POST /txs and returns the status and body.
func postTx(t *testing.T, base string, bz []byte) (int, []byte) {
	t.Helper()
	resp, err := http.Post(base+TxAPIPath, "application/octet-stream", bytes.NewReader(bz))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Fatalf("status %d: Content-Type %q, want application/json", resp.StatusCode, ct)
	}
	return resp.StatusCode, body
}

// A real node with the tx API on, with either mempool: a signed send posted as raw
// bytes is admitted (code 0) and commits; posting it again is 409; garbage gets the
// tx decode error and changes nothing; a body over max_tx_bytes is refused from its
// Content-Length alone (413); GET is 405.
func TestTxAPIOnANode(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a node")
	}
	for _, mempoolType := range []string{cmtcfg.MempoolTypeApp, cmtcfg.MempoolTypeFlood} {
		t.Run(mempoolType, func(t *testing.T) { txAPIOnANode(t, mempoolType) })
	}
}

func txAPIOnANode(t *testing.T, mempoolType string) {
	home := t.TempDir()
	if err := InitHome(home, "node0", "selfchain-txapi-1", ""); err != nil {
		t.Fatal(err)
	}
	if ac, err := app.LoadConfig(home); err != nil || ac.API.Address != app.DefaultAPIAddress {
		t.Fatalf("init wrote api.address %q (%v), want %q", ac.API.Address, err, app.DefaultAPIAddress)
	}
	faucet, _ := crypto.GenerateKey(crypto.KeyTypeEd25519)
	rcpt, _ := crypto.GenerateKey(crypto.KeyTypeEd25519)
	if err := AddGenesisAccount(GenesisPath(home), faucet.PubKey().Address(), mustCoins(t, "1000000000uself"), false); err != nil {
		t.Fatal(err)
	}
	port := testutil.FreePort(t)
	n, c := startedNode(t, home, WithAppConfig(func(c *app.Config) {
		c.API.Address = fmt.Sprintf("tcp://127.0.0.1:%d", port)
	}), WithCometConfig(func(c *cmtcfg.Config) { c.Mempool.Type = mempoolType }))
	base := n.APIAddress()
	if base != fmt.Sprintf("http://127.0.0.1:%d", port) {
		t.Fatalf("APIAddress %q", base)
	}
	bz := signedSend(t, c, faucet, rcpt.PubKey().Address(), "777uself")

	status, body := postTx(t, base, bz)
	var res TxAPIResult
	if err := json.Unmarshal(body, &res); status != http.StatusOK || err != nil || res.Code != 0 {
		t.Fatalf("signed send: status %d body %s (%v)", status, body, err)
	}
	hash, err := hex.DecodeString(res.Hash)
	if err != nil || !bytes.Equal(hash, cmttypes.Tx(bz).Hash()) || res.Hash != strings.ToUpper(res.Hash) {
		t.Fatalf("hash %q, want the tx's SHA-256 in upper-case hex", res.Hash)
	}
	status, body = postTx(t, base, bz)
	if status != http.StatusConflict || !strings.Contains(string(body), "already known") {
		t.Fatalf("same tx again: status %d body %s, want 409", status, body)
	}
	committed, err := c.WaitForTx(context.Background(), hash, 30*time.Second)
	if err != nil || !committed.OK() {
		t.Fatalf("posted tx not committed: %+v %v", committed, err)
	}
	if got := balance(t, c, rcpt.PubKey().Address()); got != "777" {
		t.Fatalf("recipient balance %s, want 777", got)
	}

	before := balance(t, c, faucet.PubKey().Address())
	h := waitHeight(t, c, 0)
	status, body = postTx(t, base, []byte("not a tx \x00\x01\x02"))
	res = TxAPIResult{}
	if err := json.Unmarshal(body, &res); status != http.StatusOK || err != nil ||
		res.Code != runtime.ErrTxDecode.Code() || res.Codespace != runtime.ErrTxDecode.Codespace() {
		t.Fatalf("garbage: status %d body %s, want 200 with %s/%d", status, body, runtime.ErrTxDecode.Codespace(), runtime.ErrTxDecode.Code())
	}
	waitHeight(t, c, h+2)
	if got := balance(t, c, faucet.PubKey().Address()); got != before {
		t.Fatalf("faucet balance %s after garbage, was %s", got, before)
	}
	if _, seq, _, err := (auth.AccountRetriever{}).AccountInfo(context.Background(), c, faucet.PubKey().Address()); err != nil || seq != 1 {
		t.Fatalf("faucet sequence %d (%v) after one tx and garbage, want 1", seq, err)
	}

	// Over max_tx_bytes: answered from the header, before any of the body is sent.
	conn, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	fmt.Fprintf(conn, "POST %s HTTP/1.1\r\nHost: x\r\nContent-Type: application/octet-stream\r\nContent-Length: %d\r\n\r\n", TxAPIPath, n.Config().Mempool.MaxTxBytes+1)
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestEntityTooLarge || !strings.Contains(string(body), "max_tx_bytes") {
		t.Fatalf("oversized: status %d body %s, want 413", resp.StatusCode, body)
	}

	resp, err = http.Get(base + TxAPIPath)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Fatalf("GET: status %d, want 405", resp.StatusCode)
	}

	// Stop closes the endpoint with the node.
	if err := n.Stop(); err != nil {
		t.Fatal(err)
	}
	if _, err := net.DialTimeout("tcp", strings.TrimPrefix(base, "http://"), time.Second); err == nil {
		t.Fatal("tx API still listening after Stop")
	}
}

// A taken api.address fails the start with the key named, and leaves nothing open.
func TestTxAPIPortTaken(t *testing.T) {
	if testing.Short() {
		t.Skip("opens a node's stores")
	}
	home := t.TempDir()
	if err := InitHome(home, "node0", "selfchain-txapi-2", ""); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	_, err = Start(context.Background(), home, nil, append(testNodeOptions(t), WithAppConfig(func(c *app.Config) {
		c.API.Address = "tcp://" + ln.Addr().String()
	}))...)
	if err == nil || !strings.Contains(err.Error(), "app.toml api.address") {
		t.Fatalf("start with a taken api port: %v", err)
	}
	// The stores were closed: the home starts (API off).
	n, err := Start(context.Background(), home, nil, testNodeOptions(t)...)
	if err != nil {
		t.Fatal(err)
	}
	if n.APIAddress() != "" {
		t.Fatalf("APIAddress %q with the API off", n.APIAddress())
	}
	if err := n.Stop(); err != nil {
		t.Fatal(err)
	}
}
