package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/selfchain/selfchain/testutil"
)

// TestCLIPermissions drives `tx permissions` and `query permissions` against a
// real node: register an app, grant bank:send with a spend limit, exec a send for
// the user, check (with --prove), revoke, and the exec then refused.
func TestCLIPermissions(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs a node")
	}
	dir := t.TempDir()
	c := &cli{t: t, bin: buildBinary(t), home: filepath.Join(dir, "home")}
	c.must("init", "perm", "--chain-id", "selfchain-perm-1")
	rpc, p2p := testutil.FreePort(t), testutil.FreePort(t)
	node := fmt.Sprintf("tcp://127.0.0.1:%d", rpc)
	c.must("config", "keyring-backend", "test")
	c.must("config", "node", node)
	addr := map[string]string{}
	for _, k := range []string{"owner", "user", "shop"} {
		c.must("keys", "add", k, "--key-type", "ed25519", "--no-backup")
		addr[k] = strings.TrimSpace(c.must("keys", "show", k, "-a"))
	}
	// The default key type (hybrid Ed25519 ‖ ML-DSA-65): its ~2 KB public key is
	// stored as the app's key, more than the generic 200000 gas pays for, so
	// register-app simulates unless --gas is given.
	c.must("keys", "add", "hyb", "--no-backup")
	c.must("genesis", "add-account", "hyb", "100000000uself")
	c.must("genesis", "add-account", "owner", "100000000uself")
	c.must("genesis", "add-account", "user", "100000000uself")

	startNode(t, c, "--rpc.laddr", node, "--p2p.laddr", fmt.Sprintf("tcp://127.0.0.1:%d", p2p),
		"--p2p.pex=false", "--consensus.timeout_commit", "200ms")
	tx := func(args ...string) string {
		return c.must(append(append([]string{"tx", "permissions"}, args...), "--wait", "--yes")...)
	}

	tx("register-app", "owner", "notes-app", "--name", "Notes", "--homepage", "https://notes.example",
		"--scopes", "storage:read:notes/,bank:send")
	tx("register-app", "hyb", "hyb-app", "--name", "Hybrid", "--scopes", "ai:chat")
	if out := c.must("query", "permissions", "app", "notes-app"); !strings.Contains(out, addr["owner"]) || !strings.Contains(out, "storage:read:notes/") {
		t.Fatalf("query app: %s", out)
	}
	if out := c.must("query", "permissions", "apps"); !strings.Contains(out, "notes-app") {
		t.Fatalf("query apps: %s", out)
	}
	tx("grant", "user", "notes-app", "bank:send", "storage:read:notes/", "--spend-limit", "500uself", "--expiry", "1h")
	// --prove right after `grant --wait` (issue 18 item 4): it proves the latest
	// state, which holds the grant, waiting for the header that commits it.
	if out := c.must("query", "permissions", "check", "user", "notes-app", "storage:read", "--resource", "notes/a", "--prove"); !strings.Contains(out, "allowed:  true") ||
		!strings.Contains(out, "proven:   yes, the state after block") {
		t.Fatalf("check --prove right after grant --wait: %s", out)
	}
	var proven struct {
		Allowed      bool   `json:"allowed"`
		Height       string `json:"height"`
		Proven       bool   `json:"proven"`
		ProvenHeader int64  `json:"proven_header"`
	}
	out := c.must("query", "permissions", "check", "user", "notes-app", "storage:read", "--resource", "notes/a", "--prove", "-o", "json")
	if err := json.Unmarshal([]byte(out), &proven); err != nil || !proven.Allowed || !proven.Proven || fmt.Sprint(proven.ProvenHeader-1) != proven.Height {
		t.Fatalf("check --prove -o json: %s (%v)", out, err)
	}
	if out := c.must("query", "permissions", "grants-by-app", "notes-app"); !strings.Contains(out, addr["user"]) {
		t.Fatalf("grants-by-app: %s", out)
	}
	if out := c.must("query", "permissions", "check", "user", "notes-app", "storage:read", "--resource", "notes/a"); !strings.Contains(out, "allowed:  true") {
		t.Fatalf("check: %s", out)
	}
	if out := c.must("query", "permissions", "check", "user", "notes-app", "storage:read", "--resource", "notes/../x"); !strings.Contains(out, "DECISION_BAD_SCOPE") {
		t.Fatalf("check escape: %s", out)
	}

	msgs := filepath.Join(dir, "msgs.json")
	send := func(n int) {
		body := fmt.Sprintf(`[{"@type":"/selfchain.bank.v1.MsgSend","from_address":%q,"to_address":%q,"amount":[{"denom":"uself","amount":"%d"}]}]`, addr["user"], addr["shop"], n)
		if err := os.WriteFile(msgs, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	send(300)
	tx("exec", "owner", "user", "notes-app", msgs) // the user by key name, as every command takes it
	if out := c.must("query", "bank", "balance", "shop"); !strings.Contains(out, "300") {
		t.Fatalf("shop balance: %s", out)
	}
	send(300) // 600 > 500
	c.fails("spend limit exceeded", "tx", "permissions", "exec", "owner", addr["user"], "notes-app", msgs, "--wait", "--yes")
	tx("revoke-all", "user", "notes-app")
	send(1)
	c.fails("no grant", "tx", "permissions", "exec", "owner", addr["user"], "notes-app", msgs, "--wait", "--yes")
	c.fails("unknown scope", "tx", "permissions", "grant", "user", "notes-app", "storage:steal", "--expiry", "1h", "--yes")
}
