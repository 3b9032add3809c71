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
)

// TestCLITwoValidators is the flow constellation scripts: two homes (ed25519 and
// ML-DSA-65 consensus keys), one genesis holding both validators, peers wired by
// node id on loopback. With equal power neither can commit alone, so blocks
// prove both sign.
func TestCLITwoValidators(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs two nodes")
	}
	bin := buildBinary(t)
	dir := t.TempDir()
	a := &cli{t: t, bin: bin, home: filepath.Join(dir, "a")}
	b := &cli{t: t, bin: bin, home: filepath.Join(dir, "b")}
	a.must("init", "a", "--chain-id", "twoval-1")
	b.must("init", "b", "--chain-id", "twoval-1", "--consensus-key-type", "ml_dsa_65")
	a.must("genesis", "add-validator", "b", "--pubkey", b.home)
	a.fails("already in genesis", "genesis", "add-validator", "b-again", "--pubkey", strings.TrimSpace(b.must("comet", "show-validator")))
	gen, err := os.ReadFile(filepath.Join(a.home, "config", "genesis.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(b.home, "config", "genesis.json"), gen, 0o644); err != nil {
		t.Fatal(err)
	}
	b.must("genesis", "validate")

	type node struct {
		c        *cli
		rpc, p2p int
		exited   chan struct{}
		cmd      *exec.Cmd
	}
	nodes := []*node{{c: a, rpc: loopbackPort(t), p2p: loopbackPort(t)}, {c: b, rpc: loopbackPort(t), p2p: loopbackPort(t)}}
	ids := []string{strings.TrimSpace(a.must("comet", "show-node-id")), strings.TrimSpace(b.must("comet", "show-node-id"))}
	for i, n := range nodes {
		peer := nodes[1-i]
		n.cmd = exec.Command(bin, "start",
			"--rpc.laddr", fmt.Sprintf("tcp://127.0.0.1:%d", n.rpc),
			"--p2p.laddr", fmt.Sprintf("tcp://127.0.0.1:%d", n.p2p),
			"--p2p.persistent_peers", fmt.Sprintf("%s@127.0.0.1:%d", ids[1-i], peer.p2p),
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

	deadline := time.Now().Add(30 * time.Second)
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
				t.Fatalf("node %s did not reach height 3 in 30s", n.c.home)
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
