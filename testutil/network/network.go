// Package network runs real multi-validator SELF Chain networks for tests: each
// validator is a `selfchaind start` child process with its own home, on loopback
// ports, all sharing one genesis. Tests hold the funded accounts' keys, sign
// in-process (testutil.SignTx) and broadcast over RPC; they can stop, kill and
// restart validators and wait for heights.
//
//	net := network.New(t, network.Config{})
//	if err := net.WaitForHeight(3, 30*time.Second); err != nil { t.Fatal(err) }
//	res, err := net.BroadcastTx(0, testutil.Send(net.Accounts[0], net.Accounts[1].Addr, 5, testutil.TxOpts{}), true)
//
// `make localnet` writes its homes with the same InitFiles.
package network

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	cmtcrypto "github.com/cometbft/cometbft/crypto"
	rpchttp "github.com/cometbft/cometbft/rpc/client/http"
	ctypes "github.com/cometbft/cometbft/rpc/core/types"

	"github.com/selfchain/selfchain/client"
	"github.com/selfchain/selfchain/server"
	"github.com/selfchain/selfchain/testutil"
)

// StopTimeout is how long Stop waits after SIGTERM before it kills the node.
const StopTimeout = 20 * time.Second

// LogTailLines is how much of each node's log a failed test prints.
const LogTailLines = 40

// Network is a running set of validator processes.
type Network struct {
	T       testing.TB
	ChainID string
	Dir     string
	Bin     string
	Nodes   []*Node
	// Accounts are the funded genesis accounts (Num set, Seq as given).
	Accounts []*testutil.Account
	Files    *Files
}

// Node is one validator: its files, addresses, RPC clients and process.
type Node struct {
	Index      int
	Moniker    string
	Home       string
	LogPath    string
	NodeID     string
	RPCAddress string // tcp://127.0.0.1:<port>
	P2PAddress string // <node-id>@127.0.0.1:<port>
	KeyType    string
	ConsPubKey cmtcrypto.PubKey
	Operator   *testutil.Account
	// RPC is CometBFT's HTTP client; Client the repo's (queries, broadcast, waiting).
	RPC    *rpchttp.HTTP
	Client *client.Client

	args   []string // extra start flags (Launch)
	mu     sync.Mutex
	cmd    *exec.Cmd
	exited chan struct{}
	log    *os.File
}

// New writes the homes of cfg's validators under t.TempDir(), starts every node
// and returns once all processes are running (not yet producing blocks: use
// WaitForHeight). Every node is stopped in t.Cleanup; if the test failed, the
// last LogTailLines lines of each node's log are printed first.
func New(t testing.TB, cfg Config) *Network {
	t.Helper()
	bin, err := Binary()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir() // before Cleanup below, so processes stop before it is removed
	cfg = cfg.withDefaults()
	ports := make([]Ports, len(cfg.Validators))
	for i := range ports {
		ports[i] = Ports{P2P: testutil.FreePort(t), RPC: testutil.FreePort(t)}
	}
	files, err := InitFiles(dir, cfg, ports)
	if err != nil {
		t.Fatalf("network files: %v", err)
	}
	net := &Network{T: t, ChainID: files.ChainID, Dir: dir, Bin: bin, Accounts: files.Accounts, Files: files}
	for i, home := range files.Homes {
		v := files.Validators[i]
		n := &Node{
			Index: i, Moniker: v.Moniker, Home: home, LogPath: filepath.Join(dir, v.Moniker+".log"),
			NodeID: files.NodeIDs[i], RPCAddress: rpcAddr(ports[i].RPC),
			P2PAddress: fmt.Sprintf("%s@127.0.0.1:%d", files.NodeIDs[i], ports[i].P2P),
			KeyType:    v.KeyType, ConsPubKey: v.ConsPubKey, Operator: v.Operator,
		}
		net.Nodes = append(net.Nodes, n)
	}
	net.launch()
	return net
}

// NodeSpec is a node home written by someone else (the CLI, a test's own setup)
// for Launch.
type NodeSpec struct {
	Home string
	// RPCAddress is where the node's RPC will listen, e.g. tcp://127.0.0.1:36657
	// (from its config.toml or from Args).
	RPCAddress string
	// Args are extra `selfchaind start` flags, e.g. --p2p.persistent_peers.
	// Without an --api.address flag the node runs with the tx API off: a home
	// `selfchaind init` wrote listens on its fixed 26659, which the other nodes of
	// the network (and tests in parallel) would share.
	Args []string
}

// Launch runs nodes on homes that are already written, with New's process
// handling: logs under t.TempDir(), Stop/Kill/Start, waiting, cleanup and log
// tails on failure. Accounts, validators' keys and Files are not known to it.
func Launch(t testing.TB, specs []NodeSpec) *Network {
	t.Helper()
	bin, err := Binary()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	net := &Network{T: t, Dir: dir, Bin: bin}
	for i, sp := range specs {
		args := sp.Args
		if !slices.ContainsFunc(args, func(a string) bool { return strings.HasPrefix(a, "--api.address") }) {
			args = append(slices.Clip(args), "--api.address=")
		}
		n := &Node{
			Index: i, Moniker: Moniker(i), Home: sp.Home, LogPath: filepath.Join(dir, Moniker(i)+".log"),
			RPCAddress: sp.RPCAddress, args: args,
		}
		if id, err := server.NodeID(sp.Home); err == nil {
			n.NodeID = id
		}
		if pub, err := server.ShowValidator(sp.Home); err == nil {
			n.ConsPubKey, n.KeyType = pub, pub.Type()
		}
		net.Nodes = append(net.Nodes, n)
	}
	net.launch()
	return net
}

// launch connects the RPC clients, registers the cleanup and starts every node.
func (net *Network) launch() {
	t := net.T
	t.Helper()
	for _, n := range net.Nodes {
		c, err := client.New(n.RPCAddress)
		if err != nil {
			t.Fatal(err)
		}
		n.Client, n.RPC = c, c.RPC()
	}
	t.Cleanup(net.cleanup)
	for i := range net.Nodes {
		if err := net.Start(i); err != nil {
			t.Fatal(err)
		}
	}
}

func (net *Network) cleanup() {
	var wg sync.WaitGroup
	for _, n := range net.Nodes {
		wg.Add(1)
		go func(n *Node) {
			defer wg.Done()
			_ = n.stop(5 * time.Second)
		}(n)
	}
	wg.Wait()
	if net.T.Failed() {
		for _, n := range net.Nodes {
			net.T.Logf("last %d lines of %s (%s):\n%s", LogTailLines, n.Moniker, n.LogPath, tail(n.LogPath, LogTailLines))
		}
	}
	for _, n := range net.Nodes {
		n.mu.Lock()
		if n.log != nil {
			n.log.Close()
			n.log = nil
		}
		n.mu.Unlock()
	}
}

// Start starts node i's process on its existing home (a restart after Stop or
// Kill keeps its state and catches up from its peers). Its output is appended
// to Node.LogPath.
func (net *Network) Start(i int) error {
	n := net.Nodes[i]
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.runningLocked() {
		return fmt.Errorf("%s is already running", n.Moniker)
	}
	if n.log == nil {
		f, err := os.OpenFile(n.LogPath, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
		if err != nil {
			return err
		}
		n.log = f
	}
	fmt.Fprintf(n.log, "=== network: starting %s at %s ===\n", n.Moniker, time.Now().UTC().Format(time.RFC3339Nano))
	cmd := exec.Command(net.Bin, append([]string{"start", "--home", n.Home}, n.args...)...)
	cmd.Env = childEnv()
	cmd.Stdout, cmd.Stderr = n.log, n.log
	cmd.SysProcAttr = sysProcAttr()
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start %s: %w", n.Moniker, err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	n.cmd, n.exited = cmd, exited
	return nil
}

// Stop sends node i SIGTERM and waits up to StopTimeout for a clean exit, then
// kills it. An exit other than a clean one is reported as an error.
func (net *Network) Stop(i int) error { return net.Nodes[i].stop(StopTimeout) }

// Kill stops node i with SIGKILL (a crash: nothing is flushed or closed).
func (net *Network) Kill(i int) error {
	n := net.Nodes[i]
	n.mu.Lock()
	defer n.mu.Unlock()
	if !n.runningLocked() {
		return fmt.Errorf("%s is not running", n.Moniker)
	}
	_ = n.cmd.Process.Kill()
	<-n.exited
	return nil
}

func (n *Node) stop(timeout time.Duration) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if !n.runningLocked() {
		return nil
	}
	_ = n.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-n.exited:
		if !n.cmd.ProcessState.Success() {
			return fmt.Errorf("%s exited with %v after SIGTERM", n.Moniker, n.cmd.ProcessState)
		}
		return nil
	case <-time.After(timeout):
		_ = n.cmd.Process.Kill()
		<-n.exited
		return fmt.Errorf("%s did not stop within %s of SIGTERM; killed", n.Moniker, timeout)
	}
}

// Running reports whether node i's process is alive.
func (net *Network) Running(i int) bool {
	n := net.Nodes[i]
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.runningLocked()
}

func (n *Node) runningLocked() bool {
	if n.cmd == nil {
		return false
	}
	select {
	case <-n.exited:
		return false
	default:
		return true
	}
}

// exitedEarly returns an error if the node's process has ended on its own.
func (n *Node) exitedEarly() error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.cmd == nil || n.runningLocked() {
		return nil
	}
	return fmt.Errorf("%s is not running (%v); last lines of %s:\n%s", n.Moniker, n.cmd.ProcessState, n.LogPath, tail(n.LogPath, LogTailLines))
}

// Status is node i's /status.
func (net *Network) Status(i int) (*ctypes.ResultStatus, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return net.Nodes[i].RPC.Status(ctx)
}

// Height is node i's latest committed height.
func (net *Network) Height(i int) (int64, error) {
	st, err := net.Status(i)
	if err != nil {
		return 0, err
	}
	return st.SyncInfo.LatestBlockHeight, nil
}

// WaitForHeight waits until every running node has committed height h and left
// block sync.
func (net *Network) WaitForHeight(h int64, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for i := range net.Nodes {
		if !net.Running(i) {
			continue
		}
		if err := net.WaitForNodeHeight(i, h, time.Until(deadline)); err != nil {
			return err
		}
	}
	return nil
}

// WaitForNodeHeight waits until node i has committed height h and is in
// consensus, not block sync: a node still catching up refuses broadcast_tx
// ("endpoint is closed while node is catching up"), so "at height h" alone is
// not "ready". It fails at once if the node's process has exited.
func (net *Network) WaitForNodeHeight(i int, h int64, timeout time.Duration) error {
	n := net.Nodes[i]
	deadline := time.Now().Add(timeout)
	var last int64
	var lastErr error
	catchingUp := false
	for {
		if err := n.exitedEarly(); err != nil {
			return err
		}
		st, err := net.Status(i)
		if err == nil {
			last, lastErr = st.SyncInfo.LatestBlockHeight, nil
			catchingUp = st.SyncInfo.CatchingUp
			if last >= h && !catchingUp {
				return nil
			}
		} else {
			lastErr = err
		}
		if time.Now().After(deadline) {
			msg := fmt.Sprintf("%s did not reach height %d within %s (at %d)", n.Moniker, h, timeout, last)
			if catchingUp {
				msg += ", still block-syncing"
			}
			if lastErr != nil {
				msg += fmt.Sprintf("; last RPC error: %v", lastErr)
			}
			return errors.New(msg)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// WaitForNextBlocks waits until every running node is k blocks past the highest
// height any of them reports now (a node still starting, whose RPC does not
// answer yet, is waited for but does not set the mark). It returns that height.
func (net *Network) WaitForNextBlocks(k int64, timeout time.Duration) (int64, error) {
	var top int64
	var errs []error
	answered := false
	for i := range net.Nodes {
		if !net.Running(i) {
			continue
		}
		h, err := net.Height(i)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		answered = true
		top = max(top, h)
	}
	if !answered {
		return 0, fmt.Errorf("no running node answers: %w", errors.Join(errs...))
	}
	return top + k, net.WaitForHeight(top+k, timeout)
}

// BroadcastTx sends signed tx bytes to node i with broadcast_tx_sync. A CheckTx
// rejection is a result with a non-zero code, not an error. With wait it then
// waits (up to client.DefaultBroadcastTimeout) until the tx is committed.
func (net *Network) BroadcastTx(i int, tx []byte, wait bool) (*client.TxResult, error) {
	return net.Nodes[i].Client.Broadcast(context.Background(), tx, wait)
}

// AppHash returns the app hash node i committed after executing height h (the
// one the header of block h+1 carries, so h+1 must exist on the node).
func (net *Network) AppHash(i int, h int64) ([]byte, error) {
	next := h + 1
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	b, err := net.Nodes[i].RPC.Block(ctx, &next)
	if err != nil {
		return nil, fmt.Errorf("%s block %d: %w", net.Nodes[i].Moniker, next, err)
	}
	return b.Block.Header.AppHash, nil
}

// LogTail returns the last lines of node i's log.
func (net *Network) LogTail(i, lines int) string { return tail(net.Nodes[i].LogPath, lines) }

// childEnv is the test's environment without SELFCHAIN_* settings, which would
// override the node's config files.
func childEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "SELFCHAIN_") {
			env = append(env, kv)
		}
	}
	return env
}

// tail returns the last n lines of a file (bounded: it keeps a ring of n lines).
func tail(path string, n int) string {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Sprintf("(cannot read log: %v)", err)
	}
	defer f.Close()
	ring := make([]string, 0, n)
	r := bufio.NewReader(f)
	for {
		line, err := r.ReadString('\n')
		if line != "" {
			if len(ring) == n {
				ring = ring[1:]
			}
			ring = append(ring, strings.TrimRight(line, "\n"))
		}
		if err == io.EOF || err != nil {
			break
		}
	}
	return strings.Join(ring, "\n")
}
