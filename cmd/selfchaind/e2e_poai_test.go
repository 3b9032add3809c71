package main

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/selfchain/selfchain/testutil"
)

// The poai CLI against a real one-validator node made by `init`: the genesis
// validator is PoAI's bonded validator; create-validator reads another home's
// consensus key; queries answer; bad input fails with the module's message.
func TestPoaiCLIEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs a node")
	}
	dir := t.TempDir()
	bin := buildBinary(t)
	c := &cli{t: t, bin: bin, home: filepath.Join(dir, "home")}
	c.must("init", "poai-e2e", "--chain-id", "selfchain-poai-1")
	c.must("init", "val2", "--chain-id", "selfchain-poai-1", "--home", filepath.Join(dir, "val2"))
	rpc, p2p := testutil.FreePort(t), testutil.FreePort(t)
	node := fmt.Sprintf("tcp://127.0.0.1:%d", rpc)
	c.must("config", "keyring-backend", "test")
	c.must("config", "node", node)
	c.must("keys", "add", "op", "--key-type", "ed25519", "--no-backup")
	c.must("genesis", "add-account", "op", "1000000000uself")
	c.must("genesis", "validate")

	startNode(t, c, "--rpc.laddr", node, "--p2p.laddr", fmt.Sprintf("tcp://127.0.0.1:%d", p2p),
		"--p2p.pex=false", "--consensus.timeout_commit", "200ms")

	if out := c.must("query", "poai", "validators", "--status", "bonded"); !strings.Contains(out, "BONDED") || !strings.Contains(out, "poai-e2e") {
		t.Fatalf("the init validator should be PoAI's bonded validator: %q", out)
	}
	if out := c.must("query", "poai", "params"); !strings.Contains(out, "epoch_length") || !strings.Contains(out, "allowed_operators: ") {
		t.Fatalf("params: %q", out)
	}
	if out := c.must("query", "poai", "epoch"); !strings.Contains(out, "total_power:") {
		t.Fatalf("epoch: %q", out)
	}
	hash := strings.Repeat("ab", 32)
	c.must("tx", "poai", "create-validator", "op", "2000000uself", "--pubkey", filepath.Join(dir, "val2"),
		"--model-hash", hash, "--commission", "5%", "--moniker", "second", "--wait", "--yes")
	out := c.must("query", "poai", "validator", "op")
	for _, want := range []string{"second", "UNBONDED", "0.050000", "2000000"} {
		if !strings.Contains(out, want) {
			t.Fatalf("validator lacks %q: %q", want, out)
		}
	}
	c.must("tx", "poai", "edit-validator", "op", "--moniker", "renamed", "--wait", "--yes")
	if out := c.must("query", "poai", "validator", "op"); !strings.Contains(out, "renamed") || !strings.Contains(out, "0.050000") {
		t.Fatalf("edit-validator should rename and keep the commission: %q", out)
	}
	c.fails("already operates a validator", "tx", "poai", "create-validator", "op", "2000000uself", "--pubkey", filepath.Join(dir, "val2"),
		"--model-hash", hash, "--wait", "--yes")
	c.fails("consensus key", "tx", "poai", "create-validator", "op", "2000000uself", "--pubkey", `{"type":"tendermint/PubKeyEd25519","value":"AAAA"}`, "--yes")
	c.fails("invalid --model-hash", "tx", "poai", "create-validator", "op", "2000000uself", "--model-hash", "zz", "--yes")
	c.fails("no outstanding rewards", "tx", "poai", "withdraw-rewards", "op", "--wait", "--yes")
	if out := c.must("query", "poai", "flagged"); !strings.Contains(out, "no flagged") {
		t.Fatalf("flagged: %q", out)
	}
}
