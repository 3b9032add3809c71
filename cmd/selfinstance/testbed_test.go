package main

import (
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/selfchain/selfchain/client"
	"github.com/selfchain/selfchain/testutil"
	"github.com/selfchain/selfchain/testutil/network"
)

// testbed is what the end-to-end tests share: the selfinstance binary built from
// this package, and a one-validator chain (test keyring, 300 ms blocks) whose
// funded keys are the given names.
type testbed struct {
	dir, chainBin, instBin, chainHome, node string
	env                                     []string // SELFCHAIN_HOME for the chain's CLI
	cl                                      *client.Client
}

func newTestbed(t *testing.T, chainID string, funded ...string) *testbed {
	t.Helper()
	tb := &testbed{dir: t.TempDir()}
	var err error
	if tb.chainBin, err = network.Binary(); err != nil {
		t.Fatal(err)
	}
	tb.instBin = filepath.Join(tb.dir, "selfinstance")
	if out, err := exec.Command("go", "build", "-o", tb.instBin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build selfinstance: %v\n%s", err, out)
	}
	tb.chainHome = filepath.Join(tb.dir, "chain")
	tb.env = []string{"SELFCHAIN_HOME=" + tb.chainHome}
	tb.sc(t, "init", "inst", "--chain-id", chainID)
	rpc, p2p := testutil.FreePort(t), testutil.FreePort(t)
	tb.node = fmt.Sprintf("tcp://127.0.0.1:%d", rpc)
	tb.sc(t, "config", "keyring-backend", "test")
	tb.sc(t, "config", "node", tb.node)
	for _, k := range funded {
		tb.sc(t, "keys", "add", k, "--key-type", "ed25519", "--no-backup")
		tb.sc(t, "genesis", "add-account", k, "1000000000000uself")
	}
	startProc(t, "selfchaind", tb.env, tb.chainBin, "start", "--rpc.laddr", tb.node,
		"--p2p.laddr", fmt.Sprintf("tcp://127.0.0.1:%d", p2p), "--p2p.pex=false", "--consensus.timeout_commit", "300ms",
		"--api.address=") // init's fixed tx API port: other tests may hold it
	if tb.cl, err = client.New(tb.node); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "height 2", 30*time.Second, func() bool {
		st, err := tb.cl.Status(context.Background())
		return err == nil && st.SyncInfo.LatestBlockHeight >= 2
	})
	return tb
}

// sc runs the chain's CLI.
func (tb *testbed) sc(t *testing.T, args ...string) string {
	return run(t, tb.env, tb.chainBin, args...)
}

// startInstance inits alice's instance in home (her key in the chain's keyring,
// the model at llmURL), starts it and waits until it serves; extra are more init
// flags.
func (tb *testbed) startInstance(t *testing.T, home string, port int, llmURL string, extra ...string) *proc {
	t.Helper()
	args := []string{"init", "--home", home, "--owner", "alice", "--tier", "free", "--llm", llmURL + "/v1", "--model", "test-model",
		"--node", tb.node, "--listen", fmt.Sprintf("127.0.0.1:%d", port), "--keyring-dir", tb.chainHome, "--keyring-backend", "test",
		"--max-value-bytes", "4096", "--advertise", fmt.Sprintf("127.0.0.1:%d", port)}
	run(t, nil, tb.instBin, append(args, extra...)...)
	// start registers the instance's endpoint and TLS key in x/registry, where apps find it.
	gw := startProc(t, "selfinstance", nil, tb.instBin, "start", "--home", home)
	waitUntil(t, "the gateway", 30*time.Second, func() bool { return strings.Contains(gw.logs.String(), "serving https://") })
	return gw
}
