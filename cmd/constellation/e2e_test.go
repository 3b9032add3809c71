package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/selfchain/selfchain/testutil"
)

// binDir holds selfchaind and constellation, built once by TestMain.
var binDir string

func TestMain(m *testing.M) {
	if !testingShort() {
		dir, err := os.MkdirTemp("", "constellation-e2e")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		binDir = dir
		// One go build for both: they share most packages and link in parallel.
		out, err := exec.Command("go", "build", "-o", dir+string(os.PathSeparator), "../selfchaind", ".").CombinedOutput()
		if err != nil {
			fmt.Fprintf(os.Stderr, "go build: %v\n%s", err, out)
			os.RemoveAll(dir)
			os.Exit(1)
		}
	}
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// testingShort reads -test.short before flag parsing has run in m.Run.
func testingShort() bool {
	for _, a := range os.Args[1:] {
		if a == "-test.short" || a == "-test.short=true" || a == "--test.short" {
			return true
		}
	}
	return false
}

// env is one constellation home used through the built binaries.
type env struct {
	t    *testing.T
	home string
}

func newEnv(t *testing.T) *env {
	t.Helper()
	if testing.Short() {
		t.Skip("builds the binaries and runs chains")
	}
	e := &env{t: t, home: t.TempDir()}
	return e
}

func (e *env) run(bin string, args ...string) (string, string, bool) {
	e.t.Helper()
	cmd := exec.Command(filepath.Join(binDir, bin), args...)
	cmd.Env = append(os.Environ(), "CONSTELLATION_HOME="+e.home)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	if err != nil {
		if _, ok := err.(*exec.ExitError); !ok {
			e.t.Fatalf("%s %v: %v", bin, args, err)
		}
	}
	return out.String(), errb.String(), err == nil
}

// c runs constellation and requires success.
func (e *env) c(args ...string) string {
	e.t.Helper()
	out, errOut, ok := e.run("constellation", args...)
	if !ok {
		e.t.Fatalf("constellation %s failed:\n%s%s", strings.Join(args, " "), out, errOut)
	}
	return out
}

// fails runs constellation, requires failure with each of wants in stderr, and
// that nothing under the home changed.
func (e *env) fails(wants []string, args ...string) string {
	e.t.Helper()
	before := tree(e.t, e.home)
	out, errOut, ok := e.run("constellation", args...)
	if ok {
		e.t.Fatalf("constellation %s succeeded, want failure:\n%s", strings.Join(args, " "), out)
	}
	for _, w := range wants {
		if !strings.Contains(errOut, w) {
			e.t.Fatalf("constellation %s: stderr %q does not mention %q", strings.Join(args, " "), errOut, w)
		}
	}
	if after := tree(e.t, e.home); !equal(before, after) {
		e.t.Fatalf("constellation %s failed but changed the home:\nbefore %v\nafter  %v", strings.Join(args, " "), before, after)
	}
	return errOut
}

// down stops a chain at the end of a test whatever happened.
func (e *env) cleanupDown(name string) {
	e.t.Cleanup(func() {
		e.run("constellation", "down", name)
		if e.t.Failed() {
			for _, f := range []string{"supervisor", "node1", "node2"} {
				bz, _ := os.ReadFile(filepath.Join(e.home, name, "logs", f+".log"))
				if len(bz) > 3000 {
					bz = bz[len(bz)-3000:]
				}
				e.t.Logf("%s/%s.log tail:\n%s", name, f, bz)
			}
		}
	})
}

func tree(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	_ = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		line := p
		if d.Type().IsRegular() {
			bz, _ := os.ReadFile(p)
			sum := sha256.Sum256(bz)
			line += " " + hex.EncodeToString(sum[:8])
		}
		out = append(out, line)
		return nil
	})
	sort.Strings(out)
	return out
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

type status struct {
	Verdict    string   `json:"verdict"`
	Reasons    []string `json:"reasons"`
	Height     int64    `json:"height"`
	AppHash    string   `json:"app_hash"`
	Validators []struct {
		Name       string `json:"name"`
		Power      int64  `json:"power"`
		Signing    bool   `json:"signing"`
		Reputation string `json:"reputation"`
		Jailed     bool   `json:"jailed"`
		PoAIStatus string `json:"poai_status"`
		Operator   string `json:"operator"`
	} `json:"validators"`
	PoAIError string `json:"poai_error"`
	Nodes     []struct {
		Name     string `json:"name"`
		PID      int    `json:"pid"`
		Running  bool   `json:"running"`
		RPC      string `json:"rpc"`
		Height   int64  `json:"height"`
		Restarts int    `json:"restarts"`
	} `json:"nodes"`
	ChainMetrics string `json:"chain_metrics"`
}

func (e *env) status(name string) status {
	e.t.Helper()
	var st status
	out := e.c("status", name, "--output", "json")
	if err := json.Unmarshal([]byte(out), &st); err != nil {
		e.t.Fatalf("status json: %v\n%s", err, out)
	}
	return st
}

// waitStatus polls `status` until cond holds (never sleeping blindly).
func (e *env) waitStatus(name, what string, d time.Duration, cond func(status) bool) status {
	e.t.Helper()
	deadline := time.Now().Add(d)
	var st status
	for {
		st = e.status(name)
		if cond(st) {
			return st
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("chain %s: %s not reached in %s; last status: verdict %s, height %d, reasons %v", name, what, d, st.Verdict, st.Height, st.Reasons)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func rpcPort(t *testing.T, rpc string) int {
	t.Helper()
	p, err := strconv.Atoi(rpc[strings.LastIndexByte(rpc, ':')+1:])
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// appHashAt reads the app hash committed in the header of height h+1 (the state after h).
func appHashAt(t *testing.T, rpc string, h int64) string {
	t.Helper()
	resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/commit?height=%d", rpcPort(t, rpc), h))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var r struct {
		Result struct {
			SignedHeader struct {
				Header struct {
					AppHash string `json:"app_hash"`
				} `json:"header"`
			} `json:"signed_header"`
		} `json:"result"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
		t.Fatal(err)
	}
	return r.Result.SignedHeader.Header.AppHash
}

// TestConstellationLifecycle is the user story end to end through the
// built binaries: new -> up -> a bank send in the chain's own token with the
// chain's own address prefix (and a balance query without --denom, an
// edit-validator signed by node1's operator key, the admin raising x/poai's
// max_validators) -> status ok with 4 validators, each with its x/poai
// reputation -> kill a validator
// -> degraded while blocks go on -> the supervisor restarts it -> ok -> down ->
// up resumes at the same height with the same app hash.
func TestConstellationLifecycle(t *testing.T) {
	e := newEnv(t)
	e.c("new", "acme", "--validators", "4", "--denom", "uacme", "--token-name", "ACME", "--supply", "1000000000",
		"--account", "alice=1000000", "--account", "bob=500", "--consensus-key", "ml_dsa_65", "--poai-mode", "authority",
		"--block-time", "300ms", "--restart-backoff", "2s", "--log-level", "error")
	e.cleanupDown("acme")
	if out := e.c("list"); !strings.Contains(out, "acme-1") || !strings.Contains(out, "created") {
		t.Fatalf("list: %s", out)
	}
	if out := e.c("up", "acme"); !strings.Contains(out, "is up") {
		t.Fatalf("up: %s", out)
	}
	if out := e.c("up", "acme"); !strings.Contains(out, "already up") {
		t.Fatalf("second up: %s", out)
	}

	// A bank send on the new chain, through selfchaind and the chain's client home.
	clientHome := filepath.Join(e.home, "acme", "client")
	sc := func(args ...string) string {
		out, errOut, ok := e.run("selfchaind", append([]string{"--home", clientHome}, args...)...)
		if !ok {
			t.Fatalf("selfchaind %v: %s%s", args, out, errOut)
		}
		return strings.TrimSpace(out)
	}
	bob := sc("keys", "show", "bob", "-a")
	if !strings.HasPrefix(bob, "acme1") {
		t.Fatalf("bob's address %q lacks the chain's prefix", bob)
	}
	var res struct {
		Code   uint32 `json:"code"`
		Height int64  `json:"height"`
	}
	out := sc("tx", "bank", "send", "alice", bob, "1234uacme", "--wait", "--yes", "--output", "json")
	if err := json.Unmarshal([]byte(out), &res); err != nil || res.Code != 0 || res.Height == 0 {
		t.Fatalf("send: %s (%v)", out, err)
	}
	if got := strings.Join(strings.Fields(sc("query", "bank", "balances", bob)), " "); got != "denom amount uacme 1734" {
		t.Fatalf("bob's balances = %q, want a table with uacme 1734", got)
	}
	// No --denom: the default is the chain's own denom (x/poai's bond denom).
	if got := sc("query", "bank", "balance", bob); !strings.Contains(got, "1734") || !strings.Contains(got, "uacme") {
		t.Fatalf("bank balance without --denom = %q, want 1734 uacme", got)
	}
	// A typo'd denom is refused naming the chain's own.
	if _, errOut, ok := e.run("selfchaind", "--home", clientHome, "tx", "bank", "send", "alice", bob, "5uacm", "--yes"); ok || !strings.Contains(errOut, "its native denom is uacme") {
		t.Fatalf("send of an unknown denom: ok=%v %s", ok, errOut)
	}
	// node1's operator key, kept in the client keyring, signs for its validator.
	op1 := sc("keys", "show", "node1-operator", "-a")
	out = sc("tx", "poai", "edit-validator", "node1-operator", "--moniker", "acme-node-1", "--gas", "auto", "--wait", "--yes", "--output", "json")
	if err := json.Unmarshal([]byte(out), &res); err != nil || res.Code != 0 {
		t.Fatalf("edit-validator by node1-operator: %s (%v)", out, err)
	}

	// The admin key (authority mode) changes x/poai's params: the active set grows to 5.
	if out := e.c("params", "acme"); !regexp.MustCompile(`bond_denom: +uacme\n`).MatchString(out) || !regexp.MustCompile(`max_validators: +4\n`).MatchString(out) {
		t.Fatalf("params: %s", out)
	}
	e.c("params", "acme", "--max-validators", "5")
	if out := e.c("params", "acme"); !regexp.MustCompile(`max_validators: +5\n`).MatchString(out) {
		t.Fatalf("params after --max-validators 5: %s", out)
	}
	if _, errOut, ok := e.run("constellation", "params", "acme", "--max-validators", "0"); ok || !strings.Contains(errOut, "invalid params: max_validators") {
		t.Fatalf("params --max-validators 0: ok=%v %s", ok, errOut)
	}

	st := e.waitStatus("acme", "ok with 4 signing validators", 30*time.Second, func(s status) bool {
		return s.Verdict == "ok" && len(s.Validators) == 4
	})
	// status shows x/poai's view of each validator: reputation, bonded, not jailed.
	for _, v := range st.Validators {
		if v.Reputation == "" || v.PoAIStatus != "bonded" || v.Jailed || !strings.HasPrefix(v.Operator, "acme1") {
			t.Fatalf("validator %s lacks PoAI data: %+v (poai error %q)", v.Name, v, st.PoAIError)
		}
		if v.Name == "node1" && v.Operator != op1 {
			t.Fatalf("node1's operator %s, want the keyring's node1-operator %s", v.Operator, op1)
		}
	}
	if text := e.c("status", "acme"); !strings.Contains(text, "REPUTATION") || strings.Count(text, "bonded") < 4 {
		t.Fatalf("status text without reputations:\n%s", text)
	}
	// The chain-level Prometheus endpoint says the same.
	resp, err := http.Get(st.ChainMetrics)
	if err != nil {
		t.Fatal(err)
	}
	var mb bytes.Buffer
	_, _ = mb.ReadFrom(resp.Body)
	resp.Body.Close()
	if !strings.Contains(mb.String(), `verdict="ok"} 1`) || !strings.Contains(mb.String(), "constellation_node_height") ||
		!strings.Contains(mb.String(), `constellation_validator_reputation{chain="acme",chain_id="acme-1",node="node4"} `) {
		t.Fatalf("chain metrics:\n%s", mb.String())
	}

	// Kill node2: degraded, blocks still produced; then restarted: ok.
	victim := st.Nodes[1]
	if !victim.Running || victim.PID == 0 {
		t.Fatalf("node2 not running: %+v", victim)
	}
	if err := syscall.Kill(victim.PID, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	deg := e.waitStatus("acme", "degraded", 10*time.Second, func(s status) bool { return s.Verdict == "degraded" })
	if !strings.Contains(strings.Join(deg.Reasons, "\n"), "node2") {
		t.Fatalf("degraded without naming node2: %v", deg.Reasons)
	}
	e.waitStatus("acme", "blocks while node2 is down", 10*time.Second, func(s status) bool { return s.Height > deg.Height })
	e.waitStatus("acme", "ok after the restart", 60*time.Second, func(s status) bool {
		return s.Verdict == "ok" && s.Nodes[1].Restarts >= 1 && s.Nodes[1].PID != victim.PID
	})

	// Freeze two of the four validators (SIGSTOP: their processes still exist, so
	// the supervisor leaves them alone): half the power is gone, blocks stop, and
	// status says halted and why; thawed, the chain goes on and is ok again.
	frozen := e.status("acme")
	thaw := func() {
		for _, n := range frozen.Nodes[2:] {
			_ = syscall.Kill(n.PID, syscall.SIGCONT)
		}
	}
	t.Cleanup(thaw)
	for _, n := range frozen.Nodes[2:] {
		if err := syscall.Kill(n.PID, syscall.SIGSTOP); err != nil {
			t.Fatal(err)
		}
	}
	halted := e.waitStatus("acme", "halted while two validators are frozen", 30*time.Second, func(s status) bool { return s.Verdict == "halted" })
	if !strings.Contains(strings.Join(halted.Reasons, "\n"), "no block for") {
		t.Fatalf("halted without saying blocks stopped: %v", halted.Reasons)
	}
	thaw()
	e.waitStatus("acme", "ok after thawing", 60*time.Second, func(s status) bool { return s.Verdict == "ok" && s.Height > halted.Height })

	// down, then up resumes from disk: same height, same app hash.
	last := e.status("acme")
	rpc := last.Nodes[0].RPC
	e.c("down", "acme")
	for _, n := range last.Nodes {
		if syscall.Kill(n.PID, 0) == nil && processRunning(n.PID) {
			t.Fatalf("%s (pid %d) still runs after down", n.Name, n.PID)
		}
	}
	if out := e.c("status", "acme"); !strings.Contains(out, "HALTED") || !strings.Contains(out, "constellation up acme") {
		t.Fatalf("status of a stopped chain: %s", out)
	}
	if out := e.c("list"); !strings.Contains(out, "stopped") {
		t.Fatalf("list after down: %s", out)
	}
	e.c("up", "acme")
	after := e.waitStatus("acme", "ok after resuming", 60*time.Second, func(s status) bool { return s.Verdict == "ok" && s.Height > last.Height })
	// The resumed chain still has the heights it had and their app hashes.
	if got, want := appHashAt(t, after.Nodes[0].RPC, last.Height), last.AppHash; got != want || want == "" {
		t.Fatalf("app hash at height %d after resume = %s, want %s", last.Height, got, want)
	}
	_ = rpc
	if got := strings.Join(strings.Fields(sc("query", "bank", "balances", bob)), " "); got != "denom amount uacme 1734" {
		t.Fatalf("bob's balances after resume = %q", got)
	}
	if out := e.c("logs", "acme", "node2", "--lines", "5"); out == "" {
		t.Fatal("logs printed nothing")
	}

	// Closed admission (authority mode): a funded account not on allowed_operators
	// cannot register a validator (poai/22); the admin admits it; then it can.
	if out := e.c("params", "acme"); !regexp.MustCompile(`allowed_operators: +` + op1).MatchString(out) {
		t.Fatalf("params lack the genesis operators: %s", out)
	}
	carol := sc("keys", "add", "carol", "--key-type", "ed25519", "--no-backup", "--output", "json")
	var carolKey struct {
		Address string `json:"address"`
	}
	if err := json.Unmarshal([]byte(carol), &carolKey); err != nil || !strings.HasPrefix(carolKey.Address, "acme1") {
		t.Fatalf("keys add carol: %s (%v)", carol, err)
	}
	sc("tx", "bank", "send", "treasury", carolKey.Address, "2000000uacme", "--wait", "--yes")
	node5 := filepath.Join(t.TempDir(), "node5")
	if out, errOut, ok := e.run("selfchaind", "init", "node5", "--chain-id", "acme-1", "--consensus-key-type", "ml_dsa_65", "--home", node5); !ok {
		t.Fatalf("init node5: %s%s", out, errOut)
	}
	create := []string{"--home", clientHome, "tx", "poai", "create-validator", "carol", "1000000uacme", "--model-name", "builtin",
		"--model-hash", strings.Repeat("ab", 32), "--pubkey", node5, "--gas", "auto", "--wait", "--yes"}
	if out, errOut, ok := e.run("selfchaind", create...); ok || !strings.Contains(out+errOut, "is not on allowed_operators") ||
		!strings.Contains(out+errOut, "only the params authority") {
		t.Fatalf("create-validator by a stranger: ok=%v %s%s", ok, out, errOut)
	}
	if out := e.c("params", "acme", "--allow-operator", carolKey.Address); !strings.Contains(out, carolKey.Address) || !strings.Contains(out, op1) {
		t.Fatalf("params --allow-operator: %s", out)
	}
	if out, errOut, ok := e.run("selfchaind", create...); !ok {
		t.Fatalf("create-validator after admission: %s%s", out, errOut)
	}

	e.c("down", "acme")
	e.c("rm", "acme")
	if out := e.c("list"); strings.Contains(out, "acme") {
		t.Fatalf("list after rm: %s", out)
	}
}

// bg is a constellation command running in the background.
type bg struct {
	cmd  *exec.Cmd
	out  *testutil.SyncBuffer
	done chan error
}

func (e *env) background(args ...string) *bg {
	e.t.Helper()
	b := &bg{out: &testutil.SyncBuffer{}, done: make(chan error, 1)}
	b.cmd = exec.Command(filepath.Join(binDir, "constellation"), args...)
	b.cmd.Env = append(os.Environ(), "CONSTELLATION_HOME="+e.home)
	b.cmd.Stdout, b.cmd.Stderr = b.out, b.out
	if err := b.cmd.Start(); err != nil {
		e.t.Fatal(err)
	}
	go func() { b.done <- b.cmd.Wait() }()
	e.t.Cleanup(func() {
		_ = b.cmd.Process.Kill()
	})
	return b
}

func (b *bg) waitFor(t *testing.T, cond func(string) bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond(b.out.String()) {
		if time.Now().After(deadline) {
			t.Fatalf("%v: expected output not seen in 15s:\n%s", b.cmd.Args, b.out.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func (b *bg) interrupt(t *testing.T) {
	t.Helper()
	_ = b.cmd.Process.Signal(os.Interrupt)
	select {
	case err := <-b.done:
		if err != nil {
			t.Fatalf("%v after Ctrl-C: %v", b.cmd.Args, err)
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("%v did not stop on Ctrl-C", b.cmd.Args)
	}
}

// processRunning is false for a zombie (nothing may reap an orphaned process here).
func processRunning(pid int) bool {
	bz, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	i := bytes.LastIndexByte(bz, ')')
	return i < 0 || i+2 >= len(bz) || bz[i+2] != 'Z'
}

// TestConstellationTwoChains runs two chains at once: distinct ports by
// default, both producing blocks.
func TestConstellationTwoChains(t *testing.T) {
	e := newEnv(t)
	e.c("new", "alpha", "--validators", "1", "--block-time", "300ms", "--log-level", "error")
	e.cleanupDown("alpha")
	e.c("new", "beta", "--validators", "1", "--block-time", "300ms") // info logs, for logs --follow
	e.cleanupDown("beta")
	e.c("up", "alpha")
	e.c("up", "beta")
	a := e.waitStatus("alpha", "ok", 20*time.Second, func(s status) bool { return s.Verdict == "ok" })
	b := e.waitStatus("beta", "ok", 20*time.Second, func(s status) bool { return s.Verdict == "ok" })
	if a.Nodes[0].RPC == b.Nodes[0].RPC {
		t.Fatalf("both chains on %s", a.Nodes[0].RPC)
	}
	e.waitStatus("alpha", "more blocks", 20*time.Second, func(s status) bool { return s.Height > a.Height })
	e.waitStatus("beta", "more blocks", 20*time.Second, func(s status) bool { return s.Height > b.Height })
	out := e.c("list")
	if strings.Count(out, "running") != 2 {
		t.Fatalf("list: %s", out)
	}
	// (the home changes while chains run, so this checks the folder survives instead)
	if _, errOut, ok := e.run("constellation", "rm", "alpha"); ok || !strings.Contains(errOut, "constellation down alpha") {
		t.Fatalf("rm of a running chain: ok=%v %s", ok, errOut)
	}
	if _, err := os.Stat(filepath.Join(e.home, "alpha", "constellation.yaml")); err != nil {
		t.Fatalf("rm of a running chain removed it: %v", err)
	}

	// status --watch and logs --follow keep printing until interrupted.
	watch := e.background("status", "alpha", "--watch", "--output", "json")
	follow := e.background("logs", "beta", "node1", "--follow", "--lines", "0")
	watch.waitFor(t, func(s string) bool { return strings.Count(s, `"verdict"`) >= 2 })
	follow.waitFor(t, func(s string) bool { return strings.Contains(s, "committed state") })
	watch.interrupt(t)
	follow.interrupt(t)

	e.c("down", "alpha")
	e.c("down", "beta")
}

// TestConstellationBadInput: each bad input is a clear error and writes nothing.
func TestConstellationBadInput(t *testing.T) {
	e := newEnv(t)
	e.c("new", "taken", "--validators", "1")
	l, busy := busyNode1RPC(t)
	defer l.Close()
	me := strconv.Itoa(os.Getpid())

	e.fails([]string{"invalid chain id"}, "new", "acme", "--chain-id", "Not A Chain!")
	e.fails([]string{"invalid chain id"}, "new", "acme", "--chain-id", "acme")
	e.fails([]string{"invalid validator count 0"}, "new", "acme", "--validators", "0")
	e.fails([]string{"invalid validator count 101", "1 to 100"}, "new", "acme", "--validators", "101")
	e.fails([]string{"already exists"}, "new", "taken")
	e.fails([]string{fmt.Sprintf("port %d (node1 rpc) is in use by pid %s", busy, me)}, "new", "acme", "--validators", "1", "--base-port", strconv.Itoa(busy-11))
	e.fails([]string{"invalid chain name"}, "new", "Acme")
	e.fails([]string{"poai_analyzer llm needs poai_llm_endpoint"}, "new", "acme", "--validators", "1", "--poai-analyzer", "llm")
	e.fails([]string{"invalid poai_llm_endpoint", "localhost:11434"}, "new", "acme", "--validators", "1", "--poai-llm-endpoint", "localhost:11434", "--poai-model", "llama3.1:8b")
	e.fails([]string{"does not cover", "raise --supply"}, "new", "acme", "--validators", "4", "--supply", "1000")

	spec := filepath.Join(t.TempDir(), "acme.yaml")
	if err := os.WriteFile(spec, []byte("name: acme\nvalidators: [4\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	e.fails([]string{"malformed spec"}, "new", "acme", "--spec", spec)
	if err := os.WriteFile(spec, []byte("name: acme\nvalidators: 4\nvalidatrs: 5\ntoken: {denom: uacme, supply: \"10\"}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	e.fails([]string{"malformed spec", "validatrs"}, "new", "acme", "--spec", spec)

	// A malformed spec in a chain's folder: apply refuses and changes nothing.
	specPath := filepath.Join(e.home, "taken", "constellation.yaml")
	good, _ := os.ReadFile(specPath)
	if err := os.WriteFile(specPath, bytes.Replace(good, []byte("validators: 1"), []byte("validators: many"), 1), 0o644); err != nil {
		t.Fatal(err)
	}
	e.fails([]string{"malformed spec"}, "apply", "taken")
	if err := os.WriteFile(specPath, good, 0o644); err != nil {
		t.Fatal(err)
	}

	// up with a port in use names the port and the process, and starts nothing.
	var chain struct {
		Ports struct {
			Nodes []struct {
				RPC int `json:"rpc"`
			} `json:"nodes"`
		} `json:"ports"`
	}
	if err := json.Unmarshal([]byte(e.c("new", "other", "--validators", "1", "--output", "json")), &chain); err != nil {
		t.Fatal(err)
	}
	e.cleanupDown("other")
	hold, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", chain.Ports.Nodes[0].RPC))
	if err != nil {
		t.Fatal(err)
	}
	e.fails([]string{fmt.Sprintf("port %d (node1 rpc) is in use by pid %s", chain.Ports.Nodes[0].RPC, me)}, "up", "other")
	hold.Close()
	e.fails([]string{`no node "node7"`}, "logs", "other", "node7")
	e.fails([]string{`no chain "nope"`}, "status", "nope")
	e.fails([]string{"no node of chain other answers", "constellation up other"}, "params", "other", "--max-validators", "2")
}

// TestConstellationStartFailureShowsLog: a node that cannot start makes `up`
// fail with the node's last log lines, and leaves nothing running.
func TestConstellationStartFailureShowsLog(t *testing.T) {
	e := newEnv(t)
	e.c("new", "broken", "--validators", "1", "--block-time", "300ms", "--restart-backoff", "100ms")
	e.cleanupDown("broken")
	appToml := filepath.Join(e.home, "broken", "nodes", "node1", "config", "app.toml")
	bz, _ := os.ReadFile(appToml)
	bz = bytes.Replace(bz, []byte(`minimum-gas-prices = "0.001ubroken"`), []byte(`minimum-gas-prices = "lots"`), 1)
	if err := os.WriteFile(appToml, bz, 0o644); err != nil {
		t.Fatal(err)
	}
	_, errOut, ok := e.run("constellation", "up", "broken", "--timeout", "30s")
	if ok {
		t.Fatal("up succeeded with a broken node")
	}
	for _, want := range []string{"node1 of chain broken failed to start", "minimum-gas-prices", "node1.log"} {
		if !strings.Contains(errOut, want) {
			t.Fatalf("up error does not mention %q:\n%s", want, errOut)
		}
	}
	if out := e.c("list"); !strings.Contains(out, "stopped") {
		t.Fatalf("a failed up should leave the chain stopped: %s", out)
	}
}

// busyNode1RPC holds a port that is node1's RPC port of a 1-validator chain
// whose other ports (base, base+10, base+12) are free, so the failure can only
// be about this port.
func busyNode1RPC(t *testing.T) (net.Listener, int) {
	t.Helper()
	for try := 0; try < 50; try++ {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		port := l.Addr().(*net.TCPAddr).Port
		free := port > 1035+11
		for _, p := range []int{port - 11, port - 1, port + 1} {
			if free {
				if o, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", p)); err == nil {
					o.Close()
				} else {
					free = false
				}
			}
		}
		if free {
			return l, port
		}
		l.Close()
	}
	t.Fatal("no usable port block found")
	return nil, 0
}
