package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/selfchain/selfchain/testutil"
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

	type node struct {
		c        *cli
		rpc, p2p int
		exited   chan struct{}
		cmd      *exec.Cmd
	}
	nodes := make([]*node, len(homes))
	ids := make([]string, len(homes))
	for i, h := range homes {
		nodes[i] = &node{c: h, rpc: testutil.FreePort(t), p2p: testutil.FreePort(t)}
		ids[i] = strings.TrimSpace(h.must("comet", "show-node-id"))
	}
	for i, n := range nodes {
		var peers []string
		for j, p := range nodes {
			if j != i {
				peers = append(peers, fmt.Sprintf("%s@127.0.0.1:%d", ids[j], p.p2p))
			}
		}
		n.cmd = exec.Command(bin, "start",
			"--rpc.laddr", fmt.Sprintf("tcp://127.0.0.1:%d", n.rpc),
			"--p2p.laddr", fmt.Sprintf("tcp://127.0.0.1:%d", n.p2p),
			"--p2p.persistent_peers", strings.Join(peers, ","),
			"--p2p.addr_book_strict=false", "--p2p.allow_duplicate_ip", "--p2p.pex=false",
			"--consensus.timeout_commit", "300ms", "--log-level", "error",
			"--instrumentation.prometheus=false")
		n.cmd.Env = append(os.Environ(), "SELFCHAIN_HOME="+n.c.home)
		logs := &syncBuffer{}
		n.cmd.Stdout, n.cmd.Stderr = logs, logs
		if err := n.cmd.Start(); err != nil {
			t.Fatal(err)
		}
		n.exited = make(chan struct{})
		go func(n *node) { _ = n.cmd.Wait(); close(n.exited) }(n)
		t.Cleanup(func() {
			select {
			case <-n.exited:
			default:
				_ = n.cmd.Process.Kill()
				<-n.exited
			}
			if t.Failed() {
				t.Logf("node %s log:\n%s", n.c.home, logs.String())
			}
		})
	}

	deadline := time.Now().Add(60 * time.Second)
	for _, n := range nodes {
		for {
			out, _, ok := n.c.run("status", "--output", "json", "--node", fmt.Sprintf("tcp://127.0.0.1:%d", n.rpc))
			var st struct {
				SyncInfo struct {
					Height string `json:"latest_block_height"`
				} `json:"sync_info"`
			}
			if ok && json.Unmarshal([]byte(out), &st) == nil {
				if h, _ := strconv.Atoi(st.SyncInfo.Height); h >= 3 {
					break
				}
			}
			if time.Now().After(deadline) {
				t.Fatalf("node %s did not reach height 3 in 60s", n.c.home)
			}
			time.Sleep(200 * time.Millisecond)
		}
	}
	for _, n := range nodes {
		_ = n.cmd.Process.Signal(syscall.SIGTERM)
	}
	for _, n := range nodes {
		select {
		case <-n.exited:
			if !n.cmd.ProcessState.Success() {
				t.Fatalf("node %s: %v after SIGTERM", n.c.home, n.cmd.ProcessState)
			}
		case <-time.After(20 * time.Second):
			t.Fatalf("node %s did not stop within 20s of SIGTERM", n.c.home)
		}
	}
}
