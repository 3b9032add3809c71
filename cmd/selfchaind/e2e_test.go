package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/selfchain/selfchain/app"
	"github.com/selfchain/selfchain/testutil"
	"github.com/selfchain/selfchain/testutil/network"
)

// cli runs the selfchaind binary against one home.
type cli struct {
	t    *testing.T
	bin  string
	home string
}

// run executes the binary and returns stdout, stderr and whether it exited 0.
func (c *cli) run(args ...string) (stdout, stderr string, ok bool) {
	c.t.Helper()
	cmd := exec.Command(c.bin, args...)
	// The home comes from the environment, exercising SELFCHAIN_<FLAG>.
	cmd.Env = append(os.Environ(), "SELFCHAIN_HOME="+c.home)
	cmd.Stdin = strings.NewReader("") // not a terminal: nothing may prompt
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	if err != nil {
		if _, exited := err.(*exec.ExitError); !exited {
			c.t.Fatalf("selfchaind %v: %v", args, err)
		}
	}
	return out.String(), errb.String(), err == nil
}

// must runs a command that has to succeed.
func (c *cli) must(args ...string) string {
	c.t.Helper()
	out, errOut, ok := c.run(args...)
	if !ok {
		c.t.Fatalf("selfchaind %s failed:\nstdout: %s\nstderr: %s", strings.Join(args, " "), out, errOut)
	}
	return out
}

// fails runs a command that has to fail with a message containing want.
func (c *cli) fails(want string, args ...string) {
	c.t.Helper()
	out, errOut, ok := c.run(args...)
	if ok {
		c.t.Fatalf("selfchaind %s succeeded, want failure:\n%s", strings.Join(args, " "), out)
	}
	if !strings.Contains(errOut, want) {
		c.t.Fatalf("selfchaind %s: stderr %q does not mention %q", strings.Join(args, " "), errOut, want)
	}
}

// buildBinary is the selfchaind under test: built once per test process by
// testutil/network (or $SELFCHAIND_BIN), the same binary its networks run.
func buildBinary(t *testing.T) string {
	t.Helper()
	bin, err := network.Binary()
	if err != nil {
		t.Fatal(err)
	}
	return bin
}

// TestCLIEndToEnd drives the built binary: init, keys, genesis, start, a bank
// send with --wait, queries, status, bad input, and a clean SIGTERM stop.
func TestCLIEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs a node")
	}
	dir := t.TempDir()
	bin := buildBinary(t)
	c := &cli{t: t, bin: bin, home: filepath.Join(dir, "home")}
	const chainID = "selfchain-e2e-1"

	c.must("init", "e2e", "--chain-id", chainID)
	c.fails("already exists", "init", "e2e", "--chain-id", chainID)
	rpc, p2p, prom := testutil.FreePort(t), testutil.FreePort(t), testutil.FreePort(t)
	node := fmt.Sprintf("tcp://127.0.0.1:%d", rpc)
	// client.toml: what `make devnet` writes.
	c.must("config", "keyring-backend", "test")
	c.must("config", "node", node)
	if got := strings.TrimSpace(c.must("config", "chain-id")); got != chainID {
		t.Fatalf("init should set client.toml chain-id, got %q", got)
	}

	var faucet struct {
		Address  string `json:"address"`
		Mnemonic string `json:"mnemonic"`
	}
	if err := json.Unmarshal([]byte(c.must("keys", "add", "faucet", "--key-type", "ed25519", "--output", "json")), &faucet); err != nil {
		t.Fatal(err)
	}
	if len(strings.Fields(faucet.Mnemonic)) != 24 || !strings.HasPrefix(faucet.Address, "self1") {
		t.Fatalf("keys add: %+v", faucet)
	}
	c.must("genesis", "add-account", "faucet", "1000000000000uself")
	c.fails("already in genesis", "genesis", "add-account", faucet.Address, "1uself")
	c.must("genesis", "validate")

	n := startNode(t, c,
		"--rpc.laddr", node,
		"--p2p.laddr", fmt.Sprintf("tcp://127.0.0.1:%d", p2p),
		"--p2p.pex=false",
		"--consensus.timeout_commit", "300ms",
		"--instrumentation.prometheus",
		"--instrumentation.prometheus_listen_addr", fmt.Sprintf("127.0.0.1:%d", prom),
	)

	alice := strings.TrimSpace(c.must("keys", "add", "alice", "--key-type", "ed25519", "--no-backup", "--output", "json"))
	var aliceKey struct {
		Address string `json:"address"`
	}
	if err := json.Unmarshal([]byte(alice), &aliceKey); err != nil {
		t.Fatal(err)
	}
	if got := strings.TrimSpace(c.must("keys", "show", "alice", "--address")); got != aliceKey.Address {
		t.Fatalf("keys show --address = %q, want %q", got, aliceKey.Address)
	}

	var res struct {
		TxHash string `json:"txhash"`
		Code   uint32 `json:"code"`
		Height int64  `json:"height"`
	}
	out := c.must("tx", "bank", "send", "faucet", aliceKey.Address, "1000uself", "--wait", "--yes", "--output", "json")
	if err := json.Unmarshal([]byte(out), &res); err != nil || res.Code != 0 || res.Height == 0 || len(res.TxHash) != 64 {
		t.Fatalf("send: %s (%v)", out, err)
	}
	if out := c.must("query", "bank", "balance", "alice"); !strings.Contains(out, "1000") {
		t.Fatalf("alice's balance: %q", out)
	}
	var bal struct {
		Balance struct {
			Amount string `json:"amount"`
			Denom  string `json:"denom"`
		} `json:"balance"`
	}
	if err := json.Unmarshal([]byte(c.must("query", "bank", "balance", aliceKey.Address, "--output", "json")), &bal); err != nil || bal.Balance.Amount != "1000" {
		t.Fatalf("balance json: %+v (%v)", bal, err)
	}
	if out := c.must("query", "tx", res.TxHash); !strings.Contains(out, "height") {
		t.Fatalf("query tx: %q", out)
	}
	// --gas auto simulates; multi-send pays both.
	bob := testutil.FreePort(t) // any distinct key name
	bobName := fmt.Sprintf("bob%d", bob)
	c.must("keys", "add", bobName, "--key-type", "ed25519", "--no-backup")
	bobAddr := strings.TrimSpace(c.must("keys", "show", bobName, "-a"))
	c.must("tx", "bank", "multi-send", "faucet", aliceKey.Address, bobAddr, "7uself", "--gas", "auto", "--wait", "--yes")
	if out := c.must("query", "bank", "balances", bobName); strings.Join(strings.Fields(out), " ") != "denom amount uself 7" {
		t.Fatalf("bob's balances: %q", out)
	}
	if out := c.must("query", "bank", "balance", "alice"); !strings.Contains(out, "1007") {
		t.Fatalf("alice's balance after multi-send: %q", out)
	}
	// A recipient may be named by its keyring key, as in `query bank balance`.
	c.must("tx", "bank", "send", "faucet", bobName, "3uself", "--wait", "--yes")
	if out := c.must("query", "bank", "balances", bobName); strings.Join(strings.Fields(out), " ") != "denom amount uself 10" {
		t.Fatalf("bob's balances after a send to his key name: %q", out)
	}
	// The CometBFT version is the release this binary runs (the node's own
	// node_info.version says upstream's fallback "0.39.0").
	if out := c.must("status"); !strings.Contains(out, "cometbft_version") || !strings.Contains(out, app.CometBFTVersion) || strings.Contains(out, "0.39.0") {
		t.Fatalf("status does not report CometBFT %s:\n%s", app.CometBFTVersion, out)
	}
	if out := c.must("status"); !strings.Contains(out, chainID) || !strings.Contains(out, "latest_block_height") {
		t.Fatalf("status: %q", out)
	}

	// Bad input: non-zero exit and a message that says what is wrong.
	c.fails("invalid recipient address", "tx", "bank", "send", "faucet", "self1notanaddress", "1uself", "--yes")
	c.fails(`no key named "nobody"`, "tx", "bank", "send", "faucet", "nobody", "1uself", "--yes")
	c.fails("negative", "tx", "bank", "send", "faucet", aliceKey.Address, "-5uself", "--yes")
	c.fails("invalid amount", "tx", "bank", "send", "faucet", aliceKey.Address, "5", "--yes")
	c.fails("unknown denom", "tx", "bank", "send", "faucet", aliceKey.Address, "5unope", "--yes")
	c.fails("invalid address", "query", "bank", "balance", "self1qqqqqqqq")
	c.fails("not found on chain", "query", "auth", "account", faucetlessAddress(t, c))
	c.fails("insufficient", "tx", "bank", "send", bobName, aliceKey.Address, "1000000uself", "--yes", "--wait", "--fees", "1uself")

	// Both CometBFT's and the app's metrics on the one Prometheus endpoint.
	resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/metrics", prom))
	if err != nil {
		t.Fatal(err)
	}
	metrics, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{"cometbft_consensus_height", "selfchain_"} {
		if !bytes.Contains(metrics, []byte(want)) {
			t.Errorf("metrics endpoint lacks %s", want)
		}
	}

	// SIGTERM: a clean stop and exit status 0.
	if err := n.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-n.exited:
		if n.err != nil {
			t.Fatalf("node exited with %v after SIGTERM", n.err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("node did not stop within 20s of SIGTERM")
	}
	if !strings.Contains(n.logs.String(), "node stopped") {
		t.Fatalf("no clean-stop message in the node log")
	}
}

// faucetlessAddress is a fresh key's address: valid, but never funded.
func faucetlessAddress(t *testing.T, c *cli) string {
	t.Helper()
	name := fmt.Sprintf("nobody%d", time.Now().UnixNano())
	c.must("keys", "add", name, "--key-type", "ed25519", "--no-backup")
	return strings.TrimSpace(c.must("keys", "show", name, "-a"))
}
