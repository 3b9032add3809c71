package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/selfchain/selfchain/crypto"
	"github.com/selfchain/selfchain/crypto/keyring"
	"github.com/selfchain/selfchain/sdk"
	"github.com/selfchain/selfchain/testutil"
	"github.com/selfchain/selfchain/types"
	"github.com/selfchain/selfchain/x/registry"
)

// jsSDK is the TypeScript SDK's directory (npm package @selfchain/sdk).
const jsSDK = "../../sdk/js"

// needNode skips unless Node 20+ and npm are on PATH (scripts/install-node.sh
// installs them; .ci/run calls it).
func needNode(t *testing.T) {
	t.Helper()
	out, err := exec.Command("node", "--version").Output()
	if err != nil {
		t.Skip("node is not installed: run scripts/install-node.sh (Node 20+ and npm) to test the JS SDK")
	}
	m := regexp.MustCompile(`^v(\d+)\.`).FindStringSubmatch(strings.TrimSpace(string(out)))
	if m == nil {
		t.Skipf("node --version says %q", out)
	}
	if major, _ := strconv.Atoi(m[1]); major < 20 {
		t.Skipf("node %s is older than 20: run scripts/install-node.sh", strings.TrimSpace(string(out)))
	}
	if _, err := exec.LookPath("npm"); err != nil {
		t.Skip("npm is not installed: run scripts/install-node.sh")
	}
}

// buildJSSDK installs the locked dependencies (unless node_modules already holds
// them: npm writes node_modules/.package-lock.json after the lock) and compiles
// the package (tsc → dist).
func buildJSSDK(t *testing.T) {
	t.Helper()
	steps := [][]string{{"run", "build"}}
	lock, err := os.Stat(filepath.Join(jsSDK, "package-lock.json"))
	if err != nil {
		t.Fatal(err)
	}
	if inst, err := os.Stat(filepath.Join(jsSDK, "node_modules", ".package-lock.json")); err != nil || inst.ModTime().Before(lock.ModTime()) {
		steps = append([][]string{{"ci", "--no-audit", "--no-fund", "--ignore-scripts"}}, steps...)
	}
	for _, args := range steps {
		cmd := exec.Command("npm", args...)
		cmd.Dir = jsSDK
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("npm %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
}

// TestJSSDKUnit type-checks an app using the JS SDK and runs its unit tests (signing vectors shared with the Go
// SDK, SSE parsing, error mapping) with node's test runner.
func TestJSSDKUnit(t *testing.T) {
	needNode(t)
	buildJSSDK(t)
	// The seeds' API as an app's TypeScript sees it, then the tests.
	for _, args := range [][]string{{"npx", "tsc", "-p", "test/types/tsconfig.json"}, {"node", "--test", "test/unit/"}} {
		cmd := exec.Command(args[0], args[1:]...)
		cmd.Dir = jsSDK
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
}

// appKey is a fresh app key and the seed the JS SDK signs with.
func appKey(t *testing.T, typ string) (seedHex, pubArg string) {
	t.Helper()
	seed := make([]byte, crypto.SeedSize)
	_, _ = rand.Read(seed)
	priv, err := crypto.PrivKeyFromTyped(typ, seed)
	if err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(seed), typ + ":" + hex.EncodeToString(priv.PubKey().Bytes())
}

// TestJSSDKEndToEnd runs a one-validator chain, the selfinstance binary and a model
// stand-in, finds the instance in x/registry with the Go SDK (proofs checked), and
// runs the JS SDK's end-to-end script (sdk/js/test/e2e) against it with node --test:
// the app keys are a hybrid (Ed25519‖ML-DSA-65) and an Ed25519 key held only by JS.
func TestJSSDKEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("builds binaries, runs a chain and node")
	}
	needNode(t)
	start := time.Now()
	buildJSSDK(t)
	t.Logf("npm ci + tsc: %s", time.Since(start).Round(time.Millisecond))

	tb := newTestbed(t, "selfchain-js-1", "alice", "dev")
	dir, instBin, chainHome, node := tb.dir, tb.instBin, tb.chainHome, tb.node
	sc := func(args ...string) string { return tb.sc(t, args...) }
	ctx := context.Background()
	notesSeed, notesPub := appKey(t, crypto.KeyTypeHybrid)
	readerSeed, readerPub := appKey(t, crypto.KeyTypeEd25519)
	strangerSeed, _ := appKey(t, crypto.KeyTypeEd25519)
	sc("tx", "permissions", "register-app", "dev", "notes", "--name", "Notes", "--pubkey", notesPub,
		"--scopes", "ai:chat,ai:context,storage:read,storage:write,storage:delete", "--wait", "--yes")
	sc("tx", "permissions", "register-app", "dev", "reader", "--name", "Reader", "--pubkey", readerPub,
		"--scopes", "storage:read,storage:write", "--wait", "--yes")
	quickSeed, quickPub := appKey(t, crypto.KeyTypeHybrid)
	sc("tx", "permissions", "register-app", "dev", "quickstart", "--name", "Quick start", "--pubkey", quickPub,
		"--scopes", "ai:chat,ai:context,storage:read,storage:write", "--wait", "--yes")

	llm := fakeLLM(t)
	home := filepath.Join(dir, "instance")
	port := testutil.FreePort(t)
	// Heartbeats every 5 blocks (1.5 s) while the tests below run: the owner's key
	// signs them and the approvals (selfinstance retries a taken sequence).
	gw := tb.startInstance(t, home, port, llm.URL, "--heartbeat-blocks", "5")
	waitUntil(t, "the registration", 30*time.Second, func() bool { return strings.Contains(gw.logs.String(), "registered 127.0.0.1:") })

	// The URL and TLS key the JS SDK pins come from x/registry, proofs checked.
	kr, err := keyring.New(keyring.BackendTest, chainHome, nil)
	if err != nil {
		t.Fatal(err)
	}
	alice, _ := kr.Get("alice")
	cfg, err := sdk.Discover(ctx, node, alice.Address.String(), nil)
	if err != nil {
		t.Fatal(err)
	}

	// What a developer does: the verified registry record, as JSON, for instanceFromResolve.
	resolvePath := filepath.Join(dir, "alice-resolve.json")
	if err := os.WriteFile(resolvePath, []byte(sc("query", "registry", "resolve", alice.Address.String(), "--verify", "-o", "json")), 0o600); err != nil {
		t.Fatal(err)
	}

	jsStart := time.Now()
	cmd := exec.Command("node", "--test", "--test-reporter=spec", "test/e2e/")
	cmd.Dir = jsSDK
	cmd.Env = append(os.Environ(),
		"SELF_INSTANCE_URL="+cfg.URL,
		"SELF_TLS_KEY="+hex.EncodeToString(cfg.TLSKey),
		"SELF_OWNER="+cfg.Owner,
		"SELF_NOTES_SEED="+notesSeed,
		"SELF_READER_SEED="+readerSeed,
		"SELF_STRANGER_SEED="+strangerSeed,
		"SELF_INSTANCE_BIN="+instBin,
		"SELF_INSTANCE_HOME="+home,
		"SELF_RESOLVE="+resolvePath,
		"SELF_NODE_RPC="+node,
	)
	out, err := cmd.CombinedOutput()
	t.Logf("node --test test/e2e/ (%s):\n%s", time.Since(jsStart).Round(time.Millisecond), out)
	if err != nil {
		t.Fatalf("the JS SDK's end-to-end tests failed: %v", err)
	}

	// docs/SDK.md's quick start, as written, with the user approving its request.
	qs := exec.Command("node", "examples/quickstart.mjs")
	qs.Dir = jsSDK
	chainID, trustHash := trustRoot(t, node, 2)
	qs.Env = append(os.Environ(), "SELF_NODE_RPC="+node, "SELF_OWNER="+cfg.Owner, "SELF_APP_ID=quickstart", "SELF_APP_KEY=hybrid:"+quickSeed,
		"SELF_CHAIN_ID="+chainID, "SELF_TRUST_HEIGHT=2", "SELF_TRUST_HASH="+trustHash)
	var qsOut testutil.SyncBuffer
	qs.Stdout, qs.Stderr = &qsOut, &qsOut
	if err := qs.Start(); err != nil {
		t.Fatal(err)
	}
	qsDone := make(chan error, 1)
	go func() { qsDone <- qs.Wait() }()
	approved := false
	deadline := time.After(40 * time.Second)
	for qsDone != nil {
		select {
		case err := <-qsDone:
			if err != nil {
				t.Fatalf("examples/quickstart.mjs: %v\n%s", err, qsOut.String())
			}
			qsDone = nil
		case <-deadline:
			_ = qs.Process.Kill()
			t.Fatalf("examples/quickstart.mjs did not finish:\n%s", qsOut.String())
		case <-time.After(200 * time.Millisecond):
			if m := regexp.MustCompile(`selfinstance approve (\d+)`).FindStringSubmatch(qsOut.String()); m != nil && !approved {
				run(t, nil, instBin, "approve", m[1], "--home", home)
				approved = true
			}
		}
	}
	t.Logf("examples/quickstart.mjs:\n%s", qsOut.String())
	for _, want := range []string{"header verified by the light client", "answer: model-reply-1-messages", "streamed:Hello from model-reply-3-messages", `saved version 1 value {"preferences":{"theme":"dark"}}`, "keys: app-data", "delete refused: forbidden"} {
		if !strings.Contains(qsOut.String(), want) {
			t.Errorf("the quick start's output lacks %q", want)
		}
	}
	if !approved {
		t.Error("the quick start never asked for approval")
	}

	// The gateway kept its x/registry entry alive: heartbeats after registration.
	id := registry.NodeID(types.PubKey{Type: crypto.KeyTypeEd25519, Key: cfg.TLSKey})
	waitUntil(t, "a heartbeat on chain", 20*time.Second, func() bool {
		n, err := registry.NewQueryClient(tb.cl).Node(ctx, &registry.QueryNodeRequest{NodeId: id})
		return err == nil && n.Node.Liveness.LastHeartbeatHeight >= n.Node.Node.RegisteredHeight+5 && n.Node.Liveness.Status == registry.STATUS_ACTIVE
	})
	if logs := gw.logs.String(); !strings.Contains(logs, "heartbeats: node "+id+" every 5 blocks") || !strings.Contains(logs, "heartbeat sent at height") {
		t.Errorf("gateway logs lack the heartbeats:\n%s", logs)
	}
}
