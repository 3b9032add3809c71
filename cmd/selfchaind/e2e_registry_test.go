package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	dbm "github.com/cometbft/cometbft-db"
	"github.com/cometbft/cometbft/light"
	"github.com/cometbft/cometbft/light/provider"
	lighthttp "github.com/cometbft/cometbft/light/provider/http"
	lightdb "github.com/cometbft/cometbft/light/store/db"
	cmttypes "github.com/cometbft/cometbft/types"

	"github.com/selfchain/selfchain/app"
	"github.com/selfchain/selfchain/client"
	"github.com/selfchain/selfchain/crypto"
	"github.com/selfchain/selfchain/testutil"
	"github.com/selfchain/selfchain/x/registry"
)

type nodeJSON struct {
	Node struct {
		ID        string   `json:"id"`
		Endpoints []string `json:"endpoints"`
		Region    string   `json:"region"`
	} `json:"node"`
	Liveness struct {
		Height string `json:"last_heartbeat_height"`
		Status string `json:"status"`
	} `json:"liveness"`
}

// TestCLIRegistryEndToEnd runs a real node with [registry] auto_heartbeat on and drives the
// registry CLI: register, query (node, nodes, by-owner, resolve --verify), update, rotate,
// deregister, bad input; the node's own heartbeats advance with no client involved; and
// resolve's proofs verify against the app hash of a header a CometBFT light client verified.
func TestCLIRegistryEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs a node")
	}
	dir := t.TempDir()
	bin := buildBinary(t)
	c := &cli{t: t, bin: bin, home: filepath.Join(dir, "home")}
	const chainID = "selfchain-reg-1"
	c.must("init", "reg", "--chain-id", chainID)
	rpc, p2p := testutil.FreePort(t), testutil.FreePort(t)
	node := fmt.Sprintf("tcp://127.0.0.1:%d", rpc)
	c.must("config", "keyring-backend", "test")
	c.must("config", "node", node)
	c.must("keys", "add", "faucet", "--key-type", "ed25519", "--no-backup")
	c.must("keys", "add", "op", "--no-backup") // the default hybrid key type
	c.must("keys", "add", "nodekey2", "--key-type", "mldsa65", "--no-backup")
	c.must("genesis", "add-account", "faucet", "1000000000000uself")
	c.must("genesis", "add-account", "op", "1000000000uself")

	// app.toml: the node heartbeats for "op" every 3 blocks.
	cfgPath := app.ConfigPath(c.home)
	bz, err := os.ReadFile(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	s := string(bz)
	for old, repl := range map[string]string{
		"auto_heartbeat = false": "auto_heartbeat = true", `operator_key = ""`: `operator_key = "op"`,
		`keyring_backend = "file"`: `keyring_backend = "test"`, "heartbeat_interval = 100": "heartbeat_interval = 3",
	} {
		if !strings.Contains(s, old) {
			t.Fatalf("app.toml lacks %q", old)
		}
		s = strings.Replace(s, old, repl, 1)
	}
	if err := os.WriteFile(cfgPath, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}

	n := startNode(t, c, "--rpc.laddr", node,
		"--p2p.laddr", fmt.Sprintf("tcp://127.0.0.1:%d", p2p), "--p2p.pex=false",
		"--consensus.timeout_commit", "300ms")

	// op registers its node (the auto heartbeat then finds it); faucet registers another.
	c.must("tx", "registry", "register-node", "op", "--endpoint", "op.example.org:26656",
		"--models", "llama-3.1-8b", "--tier", "pro", "--region", "eu-west", "--wait", "--yes")
	c.must("tx", "registry", "register-node", "faucet", "--endpoint", "/ip4/203.0.113.5/tcp/4001",
		"--endpoint", "faucet.example.org:443", "--models", "mistral-7b,llama-3.1-8b", "--tier", "enterprise",
		"--quota-bytes", "1099511627776", "--region", "us-east", "--wait", "--yes")
	opNode := byOwner(t, c, "op")
	faucetNode := byOwner(t, c, "faucet")
	if out := c.must("query", "registry", "node", faucetNode.Node.ID); !strings.Contains(out, "faucet.example.org:443") || !strings.Contains(out, "1099511627776") {
		t.Fatalf("query node: %s", out)
	}
	if out := c.must("query", "registry", "nodes", "--model", "llama-3.1-8b", "--region", "eu-west"); !strings.Contains(out, opNode.Node.ID) || strings.Contains(out, faucetNode.Node.ID) {
		t.Fatalf("query nodes (filtered): %s", out)
	}
	// Two nodes, one per page: the shared pagination flags and the "next page:" line.
	page1 := c.must("query", "registry", "nodes", "--model", "llama-3.1-8b", "--limit", "1")
	lines := strings.Split(strings.TrimSpace(page1), "\n")
	last := lines[len(lines)-1]
	if !strings.HasPrefix(last, "next page: --page-key ") {
		t.Fatalf("page 1 does not end with its next page key: %s", page1)
	}
	page2 := c.must("query", "registry", "nodes", "--model", "llama-3.1-8b", "--limit", "1", "--page-key", strings.TrimPrefix(last, "next page: --page-key "))
	if strings.Contains(page2, "next page:") || strings.Contains(page1, opNode.Node.ID) == strings.Contains(page2, opNode.Node.ID) ||
		strings.Contains(page1, faucetNode.Node.ID) == strings.Contains(page2, faucetNode.Node.ID) {
		t.Fatalf("pages of 1 node each:\n%s\n---\n%s", page1, page2)
	}
	c.fails("pagination.key", "query", "registry", "nodes", "--page-key", "00ff")
	// by-key: a peer's signing key (here a keyring name) or its encryption key finds its node.
	if out := c.must("query", "registry", "by-key", "op"); !strings.Contains(out, opNode.Node.ID) {
		t.Fatalf("by-key (signing key): %s", out)
	}
	encKey := strings.TrimSpace(c.must("keys", "show", "faucet", "--encryption-key"))
	if out := c.must("query", "registry", "by-key", encKey); !strings.Contains(out, faucetNode.Node.ID) {
		t.Fatalf("by-key (encryption key): %s", out)
	}
	c.fails("no node holds this", "query", "registry", "by-key", "nodekey2")
	if out := c.must("query", "registry", "resolve", "faucet", "--verify"); !strings.Contains(out, "verified:") || !strings.Contains(out, "yes, against the app hash") {
		t.Fatalf("resolve --verify: %s", out)
	}

	// Changes by the owner, then bad input with the registry's messages.
	c.must("tx", "registry", "update-node", "faucet", faucetNode.Node.ID, "--region", "ap-south", "--wait", "--yes")
	if got := byOwner(t, c, "faucet"); got.Node.Region != "ap-south" || len(got.Node.Endpoints) != 2 {
		t.Fatalf("update-node kept other fields? %+v", got)
	}
	c.must("tx", "registry", "rotate-keys", "faucet", faucetNode.Node.ID, "--node-key", "nodekey2", "--wait", "--yes")
	if out := c.must("query", "registry", "node", faucetNode.Node.ID); !strings.Contains(out, "mldsa65") || !strings.Contains(out, "prev_keys_valid_until") {
		t.Fatalf("rotate-keys: %s", out)
	}
	c.fails("invalid endpoint", "tx", "registry", "register-node", "faucet", "--node-key", "nodekey2", "--endpoint", "nohost", "--region", "eu", "--yes")
	c.fails("rotation to the current key", "tx", "registry", "rotate-keys", "faucet", faucetNode.Node.ID, "--node-key", "nodekey2", "--yes", "--wait")
	c.fails("grace period", "tx", "registry", "rotate-keys", "faucet", faucetNode.Node.ID, "--node-key", "faucet", "--yes", "--wait")
	c.fails("does not own", "tx", "registry", "heartbeat", "faucet", opNode.Node.ID, "--yes", "--wait")
	c.fails("unknown tier", "tx", "registry", "register-node", "faucet", "--endpoint", "a.io:1", "--region", "eu", "--tier", "gold", "--yes")

	// The node's own heartbeats: op's heartbeat height advances twice with no client.
	first, _ := strconv.ParseInt(opNode.Liveness.Height, 10, 64)
	seen := first
	for advanced := 0; advanced < 2; {
		waitFor(t, n.exited, "an automatic heartbeat", func() bool {
			h, _ := strconv.ParseInt(byOwner(t, c, "op").Liveness.Height, 10, 64)
			if h > seen {
				seen = h
				return true
			}
			return false
		})
		advanced++
	}
	if !strings.Contains(n.logs.String(), "heartbeat sent") {
		t.Fatal("node log shows no heartbeat")
	}

	// Light client: verify the header after resolve's height from a trust root at height 1,
	// then check resolve's proofs against that header's app hash.
	ctx := context.Background()
	cl, err := client.New(node)
	if err != nil {
		t.Fatal(err)
	}
	opAddr, err := crypto.AddressFromBech32(strings.TrimSpace(c.must("keys", "show", "op", "-a")))
	if err != nil {
		t.Fatal(err)
	}
	res, err := registry.NewQueryClient(cl).Resolve(ctx, &registry.QueryResolveRequest{Owner: opAddr.String()})
	if err != nil {
		t.Fatal(err)
	}
	one := int64(1)
	root, err := cl.RPC().Commit(ctx, &one)
	if err != nil {
		t.Fatal(err)
	}
	primary, err := lighthttp.New(chainID, node)
	if err != nil {
		t.Fatal(err)
	}
	witness, _ := lighthttp.New(chainID, node)
	lc, err := light.NewClient(ctx, chainID,
		light.TrustOptions{Period: time.Hour, Height: 1, Hash: root.SignedHeader.Hash()},
		primary, []provider.Provider{witness}, lightdb.New(dbm.NewMemDB(), chainID), light.SkippingVerification(light.DefaultTrustLevel))
	if err != nil {
		t.Fatal(err)
	}
	var lb *cmttypes.LightBlock
	waitFor(t, n.exited, "header resolve.height+1", func() bool {
		b, err := lc.VerifyLightBlockAtHeight(ctx, res.Height+1, time.Now())
		lb = b
		return err == nil
	})
	nodes, err := registry.VerifyResolve(lb.AppHash, opAddr, res)
	if err != nil {
		t.Fatalf("resolve proofs against the light-client-verified app hash: %v", err)
	}
	if len(nodes) != 1 || nodes[0].Node.Id != opNode.Node.ID || nodes[0].Node.Endpoints[0] != "op.example.org:26656" {
		t.Fatalf("resolved: %+v", nodes)
	}
	// Against any other verified header the same answer does not verify.
	other, err := lc.VerifyLightBlockAtHeight(ctx, res.Height, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := registry.VerifyResolve(other.AppHash, opAddr, res); err == nil {
		t.Fatal("resolve's proofs verified against the wrong header's app hash")
	}

	// Deregistration refunds faucet's deposit and removes the node.
	c.must("tx", "registry", "deregister", "faucet", faucetNode.Node.ID, "--wait", "--yes")
	c.fails("not found", "query", "registry", "node", faucetNode.Node.ID)
}

func byOwner(t *testing.T, c *cli, owner string) nodeJSON {
	t.Helper()
	var resp struct {
		Nodes []nodeJSON `json:"nodes"`
	}
	out := c.must("query", "registry", "by-owner", owner, "--output", "json")
	if err := json.Unmarshal([]byte(out), &resp); err != nil || len(resp.Nodes) != 1 {
		t.Fatalf("by-owner %s: %s (%v)", owner, out, err)
	}
	return resp.Nodes[0]
}

// waitFor polls cond every 200 ms for up to 30 s, failing early if the node exits.
