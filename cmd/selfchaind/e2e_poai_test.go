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
// consensus key and signs its proof of possession, or takes the proof `comet
// key-proof` made in a home it cannot read; queries answer; bad input fails
// with the module's message.
func TestPoaiCLIEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs a node")
	}
	dir := t.TempDir()
	bin := buildBinary(t)
	c := &cli{t: t, bin: bin, home: filepath.Join(dir, "home")}
	c.must("init", "poai-e2e", "--chain-id", "selfchain-poai-1")
	c.must("init", "val2", "--chain-id", "selfchain-poai-1", "--home", filepath.Join(dir, "val2"))
	c.must("init", "val3", "--chain-id", "selfchain-poai-1", "--home", filepath.Join(dir, "val3"), "--consensus-key-type", "ml_dsa_65")
	rpc, p2p := testutil.FreePort(t), testutil.FreePort(t)
	node := fmt.Sprintf("tcp://127.0.0.1:%d", rpc)
	c.must("config", "keyring-backend", "test")
	c.must("config", "node", node)
	c.must("keys", "add", "op", "--key-type", "ed25519", "--no-backup")
	c.must("keys", "add", "op3", "--key-type", "ed25519", "--no-backup")
	c.must("genesis", "add-account", "op", "1000000000uself")
	c.must("genesis", "add-account", "op3", "1000000000uself")
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
	// Issue 12's key: the all-zero Ed25519 key is refused before anything is sent.
	c.fails("small-order", "tx", "poai", "create-validator", "op3", "2000000uself", "--model-hash", hash,
		"--pubkey", `{"type":"tendermint/PubKeyEd25519","value":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="}`, "--yes")
	// Only val3's public key here: its holder's proof is needed (signed in val3's home).
	val3 := filepath.Join(dir, "val3")
	pub3 := strings.TrimSpace(c.must("comet", "show-validator", "--home", val3))
	c.fails("comet key-proof", "tx", "poai", "create-validator", "op3", "2000000uself", "--model-hash", hash, "--pubkey", pub3, "--yes")
	op3 := strings.TrimSpace(c.must("keys", "show", "op3", "-a"))
	opAddr := strings.TrimSpace(c.must("keys", "show", "op", "-a"))
	wrongOp := strings.TrimSpace(c.must("comet", "key-proof", opAddr, "--home", val3, "--chain-id", "selfchain-poai-1"))
	c.fails("does not verify", "tx", "poai", "create-validator", "op3", "2000000uself", "--model-hash", hash, "--pubkey", pub3,
		"--key-proof", wrongOp, "--yes")
	proof3 := strings.TrimSpace(c.must("comet", "key-proof", op3, "--home", val3, "--chain-id", "selfchain-poai-1"))
	c.must("tx", "poai", "create-validator", "op3", "2000000uself", "--model-hash", hash, "--pubkey", pub3,
		"--key-proof", proof3, "--moniker", "third", "--wait", "--yes")
	if out := c.must("query", "poai", "validator", "op3"); !strings.Contains(out, "third") || !strings.Contains(out, "ml_dsa_65") {
		t.Fatalf("create-validator with a proof made elsewhere: %q", out)
	}
	c.fails("no outstanding rewards", "tx", "poai", "withdraw-rewards", "op", "--wait", "--yes")
	if out := c.must("query", "poai", "flagged"); !strings.Contains(out, "tx_hash") || !strings.Contains(out, "(none)") {
		t.Fatalf("flagged: %q", out)
	}
}
