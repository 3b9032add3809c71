package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/selfchain/selfchain/testutil"
	"github.com/selfchain/selfchain/testutil/network"
)

// TestCLIFourMixedValidators is the flow constellation scripts: four homes, two
// with ed25519 and two with ML-DSA-65 consensus keys, one genesis holding all of
// them, peers wired by node id on loopback. With equal power any commit needs
// three signers, so blocks prove both key types sign.
func TestCLIFourMixedValidators(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs four nodes")
	}
	bin := buildBinary(t)
	dir := t.TempDir()
	keyTypes := []string{"ed25519", "ml_dsa_65", "ed25519", "ml_dsa_65"}
	homes := make([]*cli, len(keyTypes))
	for i, kt := range keyTypes {
		homes[i] = &cli{t: t, bin: bin, home: filepath.Join(dir, fmt.Sprintf("v%d", i))}
		homes[i].must("init", fmt.Sprintf("v%d", i), "--chain-id", "mixed-1", "--consensus-key-type", kt)
	}
	first := homes[0]
	for i, h := range homes[1:] {
		first.must("genesis", "add-validator", fmt.Sprintf("v%d", i+1), "--pubkey", h.home)
	}
	first.fails("already in genesis", "genesis", "add-validator", "again", "--pubkey", strings.TrimSpace(homes[1].must("comet", "show-validator")))
	// Operators held in first's keyring; each change of operator is signed again by
	// the validator's consensus key: read from its home, or proven there.
	for _, op := range []string{"op1", "op2", "op3"} {
		first.must("keys", "add", op, "--keyring-backend", "test", "--key-type", "ed25519", "--no-backup")
	}
	first.must("genesis", "set-operator", "v1", "op1", "--keyring-backend", "test", "--consensus-key", homes[1].home)
	first.fails("is not this validator's", "genesis", "set-operator", "v2", "op2", "--keyring-backend", "test")
	op2 := strings.TrimSpace(first.must("keys", "show", "op2", "-a", "--keyring-backend", "test"))
	proof := strings.TrimSpace(homes[2].must("comet", "key-proof", op2, "--chain-id", "mixed-1"))
	first.must("genesis", "set-operator", "v2", op2, "--key-proof", proof)
	// v2's proof (for op2) is no proof for v3, nor for op3.
	first.fails("does not verify", "genesis", "set-operator", "v3", "op3", "--keyring-backend", "test", "--key-proof", proof)
	gen, err := os.ReadFile(filepath.Join(first.home, "config", "genesis.json"))
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range homes[1:] {
		if err := os.WriteFile(filepath.Join(h.home, "config", "genesis.json"), gen, 0o644); err != nil {
			t.Fatal(err)
		}
		h.must("genesis", "validate")
	}

	// Started with the listen addresses and peers as start flags (what an operator
	// scripting a network types), run and stopped by testutil/network.
	ids := make([]string, len(homes))
	p2p := make([]int, len(homes))
	for i, h := range homes {
		ids[i] = strings.TrimSpace(h.must("comet", "show-node-id"))
		p2p[i] = testutil.FreePort(t)
	}
	specs := make([]network.NodeSpec, len(homes))
	for i, h := range homes {
		var peers []string
		for j := range homes {
			if j != i {
				peers = append(peers, fmt.Sprintf("%s@127.0.0.1:%d", ids[j], p2p[j]))
			}
		}
		rpc := fmt.Sprintf("tcp://127.0.0.1:%d", testutil.FreePort(t))
		specs[i] = network.NodeSpec{Home: h.home, RPCAddress: rpc, Args: []string{
			"--rpc.laddr", rpc,
			"--p2p.laddr", fmt.Sprintf("tcp://127.0.0.1:%d", p2p[i]),
			"--p2p.persistent_peers", strings.Join(peers, ","),
			"--p2p.addr_book_strict=false", "--p2p.allow_duplicate_ip", "--p2p.pex=false",
			"--consensus.timeout_commit", "300ms", "--log-level", "error",
			"--instrumentation.prometheus=false",
		}}
	}
	net := network.Launch(t, specs)
	if err := net.WaitForHeight(3, 60*time.Second); err != nil {
		t.Fatal(err)
	}
	// Each node signs with the key init made for it.
	for i, n := range net.Nodes {
		if n.KeyType != keyTypes[i] {
			t.Fatalf("node %d runs a %s key, want %s", i, n.KeyType, keyTypes[i])
		}
	}
	var st struct {
		SyncInfo struct {
			Height string `json:"latest_block_height"`
		} `json:"sync_info"`
	}
	out := first.must("status", "--output", "json", "--node", net.Nodes[3].RPCAddress)
	if err := json.Unmarshal([]byte(out), &st); err != nil {
		t.Fatal(err)
	}
	if h, _ := strconv.Atoi(st.SyncInfo.Height); h < 3 {
		t.Fatalf("status of node 3: height %q", st.SyncInfo.Height)
	}
	// SIGTERM: every node stops cleanly (exit status 0) within network.StopTimeout.
	var wg sync.WaitGroup
	errs := make([]error, len(net.Nodes))
	for i := range net.Nodes {
		wg.Add(1)
		go func(i int) { defer wg.Done(); errs[i] = net.Stop(i) }(i)
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
}
