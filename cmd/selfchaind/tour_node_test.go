package main

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/selfchain/selfchain/testutil"
)

// tourNode is a running single-validator chain for the tests that walk every
// query and every documented example: keys faucet (the genesis validator's
// operator), alice, bob, owner and shop funded in genesis, newkey unfunded, all
// in the home's test keyring; client.toml names the node, as `make devnet` does.
type tourNode struct {
	c        *cli
	node     *testNode
	addr     map[string]string // key name -> address
	mnemonic string            // faucet's mnemonic, for the --recover examples
}

func startTourNode(t *testing.T) *tourNode {
	t.Helper()
	dir := t.TempDir()
	c := &cli{t: t, bin: buildBinary(t), home: filepath.Join(dir, "home")}
	c.must("init", "tour", "--chain-id", "selfchain-tour-1")
	rpc, p2p := testutil.FreePort(t), testutil.FreePort(t)
	nodeURL := fmt.Sprintf("tcp://127.0.0.1:%d", rpc)
	c.must("config", "keyring-backend", "test")
	c.must("config", "node", nodeURL)
	tn := &tourNode{c: c, addr: map[string]string{}}
	for _, k := range []string{"faucet", "alice", "bob", "owner", "shop", "newkey", "carol"} { // carol: README's backup holder
		out := c.must("keys", "add", k, "--key-type", "ed25519", "--output", "json")
		if k == "faucet" {
			i := strings.Index(out, `"mnemonic":"`)
			tn.mnemonic = strings.SplitN(out[i+len(`"mnemonic":"`):], `"`, 2)[0]
		}
		tn.addr[k] = strings.TrimSpace(c.must("keys", "show", k, "-a"))
	}
	for _, k := range []string{"faucet", "alice", "bob", "owner"} {
		c.must("genesis", "add-account", k, "100000000000uself")
	}
	c.must("genesis", "set-operator", "tour", "faucet")
	tn.node = startNode(t, c, "--rpc.laddr", nodeURL, "--p2p.laddr", fmt.Sprintf("tcp://127.0.0.1:%d", p2p),
		"--p2p.pex=false", "--consensus.timeout_commit", "200ms")
	return tn
}
