package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/selfchain/selfchain/app/runtime"
	"github.com/selfchain/selfchain/backup/holder"
	"github.com/selfchain/selfchain/backup/wire"
	"github.com/selfchain/selfchain/testutil"
	"github.com/selfchain/selfchain/x/backup"
)

// holderDaemon is a `selfchaind backup serve` child process.
type holderDaemon struct {
	cmd    *exec.Cmd
	logs   *testutil.SyncBuffer
	exited chan struct{}
	url    string
	db     string
}

func startHolder(t *testing.T, c *cli, key, nodeID string, port int, db string, extra ...string) *holderDaemon {
	t.Helper()
	d := &holderDaemon{logs: &testutil.SyncBuffer{}, exited: make(chan struct{}), url: fmt.Sprintf("http://127.0.0.1:%d", port), db: db}
	d.cmd = exec.Command(c.bin, "backup", "serve", "--node-id", nodeID, "--from", key, "--listen", fmt.Sprintf("127.0.0.1:%d", port),
		"--db", db, "--poll", "300ms")
	d.cmd.Args = append(d.cmd.Args, extra...)
	d.cmd.Env = append(os.Environ(), "SELFCHAIN_HOME="+c.home)
	d.cmd.Stdout, d.cmd.Stderr = d.logs, d.logs
	if err := d.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { _ = d.cmd.Wait(); close(d.exited) }()
	t.Cleanup(func() {
		d.stop()
		if t.Failed() {
			t.Logf("holder %s log:\n%s", key, d.logs.String())
		}
	})
	waitFor(t, d.exited, "holder "+key+" listening", func() bool { return strings.Contains(d.logs.String(), "listening on") })
	return d
}

func (d *holderDaemon) stop() {
	select {
	case <-d.exited:
	default:
		_ = d.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-d.exited:
		case <-time.After(10 * time.Second):
			_ = d.cmd.Process.Kill()
			<-d.exited
		}
	}
}

func (d *holderDaemon) metric(t *testing.T, name string) float64 {
	resp, err := http.Get(d.url + "/metrics")
	if err != nil {
		return -1
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, name+" "); ok {
			f, _ := strconv.ParseFloat(v, 64)
			return f
		}
	}
	return -1
}

// e2eMiB is the size of the test's random file: 16 MiB, or BACKUP_E2E_MIB
// (the agent's peak RSS is logged, so a large value measures memory).
func e2eMiB() int {
	if n, _ := strconv.Atoi(os.Getenv("BACKUP_E2E_MIB")); n > 0 {
		return n
	}
	return 16
}

func writeBackupTree(t *testing.T, dir string) {
	t.Helper()
	r := rand.New(rand.NewPCG(7, 7))
	random := make([]byte, e2eMiB()<<20)
	for i := range random {
		random[i] = byte(r.Uint32())
	}
	if err := os.MkdirAll(filepath.Join(dir, "docs"), 0o755); err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string][]byte{
		"random.bin":    random,
		"docs/log.txt":  []byte(strings.Repeat("E2E-PLAINTEXT-MARKER repetitive line of the backup test\n", 150000)),
		"docs/small.md": []byte("# notes\nE2E-PLAINTEXT-MARKER\n"),
	} {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func sameDir(t *testing.T, a, b string) {
	t.Helper()
	n := 0
	err := filepath.WalkDir(a, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(a, p)
		x, _ := os.ReadFile(p)
		y, err := os.ReadFile(filepath.Join(b, rel))
		if err != nil || !bytes.Equal(x, y) {
			t.Errorf("%s is not restored byte-identical (%v)", rel, err)
		}
		n++
		return nil
	})
	if err != nil || n != 3 {
		t.Fatalf("compared %d files: %v", n, err)
	}
}

type runJSON struct {
	Snapshot      wire.ID `json:"Snapshot"`
	NewChunks     int64   `json:"NewChunks"`
	ReadBytes     int64   `json:"ReadBytes"`
	UploadedBytes int64   `json:"UploadedBytes"`
}

// TestCLIBackupEndToEnd runs a node, three holder daemons and the backup
// agent, all through the built binary: register holders, propose and accept
// agreements, back up, edit and back up again (only the change is
// uploaded), the daemons answer storage challenges on their own, no
// plaintext in their databases, restore from holder 2 byte-identical;
// holder 1 loses its data, misses challenges and its agreement fails while
// holder 2 keeps answering, and the next backup leaves it out; a byte
// flipped on holder 3 is detected by restore (the chunk is taken from
// another holder) and by verify.
func TestCLIBackupEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs a node and three holders")
	}
	dir := t.TempDir()
	c := &cli{t: t, bin: buildBinary(t), home: filepath.Join(dir, "home")}
	c.must("init", "bk", "--chain-id", "selfchain-backup-1")
	rpc, p2p := testutil.FreePort(t), testutil.FreePort(t)
	c.must("config", "keyring-backend", "test")
	c.must("config", "node", fmt.Sprintf("tcp://127.0.0.1:%d", rpc))
	keys := []string{"alice", "h1", "h2", "h3"}
	for _, k := range append(keys, "h4") { // h4 registers later, to replace a failed holder
		c.must("keys", "add", k, "--key-type", "ed25519", "--no-backup")
		c.must("genesis", "add-account", k, "1000000000000uself")
	}
	// Challenges every 3 blocks, so the daemons answer some within seconds.
	path := filepath.Join(c.home, "config", "genesis.json")
	bz, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var doc, state map[string]json.RawMessage
	if err := json.Unmarshal(bz, &doc); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(doc["app_state"], &state); err != nil {
		t.Fatal(err)
	}
	var gs backup.GenesisState
	if err := runtime.UnmarshalGenesis(state[backup.ModuleName], &gs); err != nil {
		t.Fatal(err)
	}
	gs.Params.ChallengeInterval, gs.Params.ProofWindow = 3, 12
	if state[backup.ModuleName], err = runtime.MarshalGenesis(&gs); err != nil {
		t.Fatal(err)
	}
	doc["app_state"], _ = json.Marshal(state)
	bz, _ = json.Marshal(doc)
	if err := os.WriteFile(path, bz, 0o600); err != nil {
		t.Fatal(err)
	}
	n := startNode(t, c, "--rpc.laddr", fmt.Sprintf("tcp://127.0.0.1:%d", rpc),
		"--p2p.laddr", fmt.Sprintf("tcp://127.0.0.1:%d", p2p), "--p2p.pex=false", "--consensus.timeout_commit", "300ms")
	_ = n

	// Three holders register (their daemon's address is the endpoint the
	// agent finds), are offered agreements by alice and accept.
	alice := strings.TrimSpace(c.must("keys", "show", "alice", "-a"))
	var holders []*holderDaemon
	var nodeIDs []string
	ports := []int{testutil.FreePort(t), testutil.FreePort(t), testutil.FreePort(t)}
	for i, h := range keys[1:] {
		c.must("tx", "registry", "register-node", h, "--endpoint", fmt.Sprintf("127.0.0.1:%d", ports[i]),
			"--storage-bytes", strconv.Itoa(1<<40), "--region", "eu", "--wait", "--yes")
		nodeIDs = append(nodeIDs, byOwner(t, c, h).Node.ID)
		c.must("tx", "backup", "propose", nodeIDs[i], "--quota", strconv.Itoa(max(256, 2*e2eMiB()))+"MiB", "--price", "5uself", "--escrow", "5000uself",
			"--collateral", "1000uself", "--from", "alice", "--wait", "--yes")
	}
	var agrs struct {
		Agreements []struct {
			ID     string `json:"id"`
			Holder string `json:"holder_node_id"`
		} `json:"agreements"`
	}
	if err := json.Unmarshal([]byte(c.must("query", "backup", "agreements", alice, "-o", "json")), &agrs); err != nil || len(agrs.Agreements) != 3 {
		t.Fatalf("agreements: %+v %v", agrs, err)
	}
	ids := make([]string, 3)
	for _, a := range agrs.Agreements {
		for i, nid := range nodeIDs {
			if a.Holder == nid {
				ids[i] = a.ID
				c.must("tx", "backup", "accept", a.ID, "--collateral", "1000uself", "--from", keys[i+1], "--wait", "--yes")
			}
		}
	}
	for i, h := range keys[1:] {
		holders = append(holders, startHolder(t, c, h, nodeIDs[i], ports[i], filepath.Join(dir, "holder-"+h)))
	}
	agreements := strings.Join(ids, ",")

	// First backup to all three.
	src := filepath.Join(dir, "data")
	writeBackupTree(t, src)
	var r1, r2 runJSON
	start := time.Now()
	run := exec.Command(c.bin, "backup", "run", src, "--agreements", agreements, "--from", "alice", "-o", "json")
	run.Env = append(os.Environ(), "SELFCHAIN_HOME="+c.home)
	var ob, eb bytes.Buffer
	run.Stdout, run.Stderr = &ob, &eb
	if err := run.Start(); err != nil {
		t.Fatal(err)
	}
	// The agent's peak RSS, read from /proc while it runs (rusage's
	// maxrss would count this test process, which the child is forked from).
	hwm := make(chan int)
	go func() {
		peak := 0
		for {
			b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", run.Process.Pid))
			if err != nil || strings.Contains(string(b), "State:\tZ") {
				hwm <- peak
				return
			}
			for _, l := range strings.Split(string(b), "\n") {
				if f := strings.Fields(l); len(f) > 1 && f[0] == "VmHWM:" {
					kb, _ := strconv.Atoi(f[1])
					peak = max(peak, kb)
				}
			}
			time.Sleep(20 * time.Millisecond)
		}
	}()
	peakKB := <-hwm
	if err := run.Wait(); err != nil {
		t.Fatalf("backup run: %v\n%s", err, eb.String())
	}
	if err := json.Unmarshal(ob.Bytes(), &r1); err != nil {
		t.Fatal(err)
	}
	t.Logf("first backup: %d MiB of random data + 8 MiB of text, %d new chunks, %d bytes uploaded to 3 holders in %s; agent peak RSS %d MiB",
		e2eMiB(), r1.NewChunks, r1.UploadedBytes, time.Since(start), peakKB>>10)
	for _, id := range ids {
		out := c.must("query", "backup", "agreement", id, "-o", "json")
		if !strings.Contains(out, `"revision":"1"`) {
			t.Fatalf("agreement %s after the first backup: %s", id, out)
		}
	}

	// Edit in the middle of the big file: the second snapshot uploads only that.
	p := filepath.Join(src, "random.bin")
	data, _ := os.ReadFile(p)
	copy(data[8<<20:], "an edit in the middle")
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(c.must("backup", "run", src, "--agreements", agreements, "--from", "alice", "-o", "json")), &r2); err != nil {
		t.Fatal(err)
	}
	if r2.NewChunks > 3 || r2.ReadBytes != int64(len(data)) || r2.UploadedBytes > 3*(2*(4<<20)+(64<<10)) {
		t.Fatalf("second backup after a small edit: %+v", r2)
	}
	if out := c.must("backup", "snapshots", "--from", "alice"); strings.Count(out, src) != 2 {
		t.Fatalf("snapshots:\n%s", out)
	}

	// The daemons answer challenges by themselves.
	waitFor(t, n.exited, "each holder to answer a challenge", func() bool {
		for _, h := range holders {
			if h.metric(t, "selfchain_backup_holder_challenges_answered_total") < 1 {
				return false
			}
		}
		return true
	})
	if out := c.must("query", "backup", "holder", nodeIDs[1], "-o", "json"); !strings.Contains(out, `"proofs_answered"`) {
		t.Fatalf("holder stats: %s", out)
	}

	// No plaintext in any holder's database.
	for _, h := range holders {
		_ = filepath.WalkDir(h.db, func(p string, d os.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				b, _ := os.ReadFile(p)
				if bytes.Contains(b, []byte("E2E-PLAINTEXT-MARKER")) || bytes.Contains(b, data[:32]) {
					t.Errorf("plaintext in holder file %s", p)
				}
			}
			return nil
		})
	}

	// Restore from holder 2: byte-identical.
	dst := filepath.Join(dir, "restored")
	c.must("backup", "restore", "latest", "--to", dst, "--agreements", agreements, "--from-holder", ids[1], "--from", "alice")
	sameDir(t, src, dst)

	// Holder 1 loses everything: it misses its challenges, is asked the
	// same chunk again (containment), and after max_misses the chain marks
	// the agreement failed, while holder 2 keeps answering.
	h1 := holders[0]
	h1.stop()
	if err := os.RemoveAll(h1.db); err != nil {
		t.Fatal(err)
	}
	holders[0] = startHolder(t, c, "h1", nodeIDs[0], ports[0], h1.db)
	answered2 := holders[1].metric(t, "selfchain_backup_holder_challenges_answered_total")
	deadline := time.Now().Add(75 * time.Second)
	for !strings.Contains(c.must("query", "backup", "agreement", ids[0], "-o", "json"), `"status":"STATUS_FAILED"`) {
		if time.Now().After(deadline) {
			t.Fatalf("agreement %s not failed after holder 1 lost its data: %s", ids[0], c.must("query", "backup", "agreement", ids[0], "-o", "json"))
		}
		time.Sleep(time.Second)
	}
	if got := holders[1].metric(t, "selfchain_backup_holder_challenges_answered_total"); got <= answered2 {
		t.Fatalf("holder 2 answered no challenge meanwhile (%v -> %v)", answered2, got)
	}
	if got := holders[0].metric(t, "selfchain_backup_holder_challenges_missed_total"); got < 1 {
		t.Fatalf("holder 1's missed metric is %v", got)
	}
	// The next backup leaves the failed agreement out and says so, with
	// what to do about it.
	var r3 struct {
		Skipped []string `json:"Skipped"`
	}
	out3, stderr3, ok := c.run("backup", "run", src, "--agreements", agreements, "--from", "alice", "-o", "json")
	if !ok {
		t.Fatalf("backup run after holder 1 failed:\n%s", stderr3)
	}
	if err := json.Unmarshal([]byte(out3), &r3); err != nil {
		t.Fatal(err)
	}
	if len(r3.Skipped) != 1 || !strings.Contains(r3.Skipped[0], "failed") {
		t.Fatalf("run after holder 1 failed: skipped %q", r3.Skipped)
	}
	for _, want := range []string{"warning: agreement " + ids[0] + " with holder " + nodeIDs[0] + " failed at height", "missed 3 challenges in a row",
		"selfchaind tx backup propose", "selfchaind backup replicate --to-agreement <new> --agreements " + ids[1] + "," + ids[2]} {
		if !strings.Contains(stderr3, want) {
			t.Fatalf("run after holder 1 failed: stderr lacks %q:\n%s", want, stderr3)
		}
	}
	// Its record in the registry shows it.
	var node1 struct {
		Backup struct {
			Missed   string `json:"missed"`
			Slashed  string `json:"slashed"`
			ScorePpm int    `json:"score_ppm"`
		} `json:"backup_reliability"`
	}
	if err := json.Unmarshal([]byte(c.must("query", "registry", "node", nodeIDs[0], "-o", "json")), &node1); err != nil {
		t.Fatal(err)
	}
	if missed, _ := strconv.Atoi(node1.Backup.Missed); node1.Backup.Slashed != "1" || missed < 3 || node1.Backup.ScorePpm >= 1_000_000 {
		t.Fatalf("registry node %s after its agreement failed: %+v", nodeIDs[0], node1.Backup)
	}

	// Replace it without a human: h4 offers space and runs its daemon with
	// an auto-accept policy; 'backup repair --replicas 3' finds h4 in the
	// registry (the only node not already holding alice's backup), proposes
	// on alice's terms, h4's daemon accepts by itself, and the backup is
	// copied from holders 2 and 3 without reading the directory; a restore
	// from h4 alone is byte-identical.
	port4 := testutil.FreePort(t)
	c.must("tx", "registry", "register-node", "h4", "--endpoint", fmt.Sprintf("127.0.0.1:%d", port4),
		"--storage-bytes", strconv.Itoa(1<<40), "--region", "eu", "--wait", "--yes")
	node4 := byOwner(t, c, "h4").Node.ID
	d4 := startHolder(t, c, "h4", node4, port4, filepath.Join(dir, "holder-h4"),
		"--auto-accept", "--accept-min-price", "5uself", "--accept-max-collateral", "1000uself")
	var rep struct {
		Proposals []struct {
			Agreement uint64 `json:"Agreement"`
			Node      string `json:"Node"`
			Outcome   string `json:"Outcome"`
		} `json:"Proposals"`
		Agreements []uint64 `json:"Agreements"`
	}
	repOut, repErr, ok := c.run("backup", "repair", "--agreements", agreements, "--replicas", "3", "--quota", strconv.Itoa(max(256, 2*e2eMiB()))+"MiB",
		"--price", "5uself", "--escrow", "5000uself", "--collateral", "1000uself", "--wait-accept", "60s", "--from", "alice", "-o", "json")
	if !ok {
		t.Fatalf("backup repair:\n%s\n%s", repOut, repErr)
	}
	if err := json.Unmarshal([]byte(repOut), &rep); err != nil {
		t.Fatal(err)
	}
	if len(rep.Proposals) != 1 || rep.Proposals[0].Node != node4 || rep.Proposals[0].Outcome != "accepted, copied" || len(rep.Agreements) != 3 {
		t.Fatalf("repair: %+v\n%s", rep, repErr)
	}
	for _, want := range []string{"repair: 2 of 3 wanted holders are healthy (agreement " + ids[0] + " is failed)", "repair: proposing to node " + node4,
		"accepted agreement", "repair: use --agreements " + ids[1] + "," + ids[2] + ","} {
		if !strings.Contains(repErr, want) {
			t.Fatalf("repair stderr lacks %q:\n%s", want, repErr)
		}
	}
	if !strings.Contains(d4.logs.String(), "backup proposal accepted automatically") {
		t.Fatalf("h4's daemon did not log its acceptance:\n%s", d4.logs.String())
	}
	id4 := strconv.FormatUint(rep.Proposals[0].Agreement, 10)
	if out := c.must("query", "backup", "agreement", id4, "-o", "json"); !strings.Contains(out, `"revision":"1"`) || !strings.Contains(out, "STATUS_ACTIVE") {
		t.Fatalf("agreement %s after the repair: %s", id4, out)
	}
	dst4 := filepath.Join(dir, "restored4")
	c.must("backup", "restore", "latest", "--to", dst4, "--agreements", id4, "--from", "alice")
	sameDir(t, src, dst4)

	// Holder 3 flips a byte of a chunk (daemon stopped to open its
	// database, then restarted); a restore preferring it detects the bad
	// chunk and takes it from another holder.
	h3 := holders[2]
	h3.stop()
	st, err := holder.OpenStore(h3.db)
	if err != nil {
		t.Fatal(err)
	}
	a3, _ := strconv.ParseUint(ids[2], 10, 64)
	inv, err := st.Inventory(a3)
	if err != nil || len(inv) == 0 {
		t.Fatalf("holder 3 inventory: %d chunks, %v", len(inv), err)
	}
	// Every data chunk: the holder also keeps chunks only the first snapshot
	// uses, and the restore of the latest must meet a flipped one.
	flipped := 0
	for _, e := range inv {
		if e.Kind != wire.KindData {
			continue
		}
		ct, _ := st.Get(a3, e.ID)
		ct[len(ct)/3] ^= 0x40
		leaf, _ := backup.ChunkLeafOf(ct)
		if _, err := st.Put(a3, e.ID, e.Kind, ct, leaf, 1<<40); err != nil {
			t.Fatal(err)
		}
		flipped++
	}
	st.Close()
	if flipped == 0 {
		t.Fatal("no data chunk to flip")
	}
	holders[2] = startHolder(t, c, "h3", nodeIDs[2], ports[2], h3.db)
	dst2 := filepath.Join(dir, "restored2")
	_, stderr, ok := c.run("backup", "restore", "latest", "--to", dst2, "--agreements", agreements, "--from-holder", ids[2], "--from", "alice")
	if !ok || !strings.Contains(stderr, "does not match the leaf committed on chain; trying the next holder") {
		t.Fatalf("restore with a flipped chunk on holder 3 (ok=%v):\n%s", ok, stderr)
	}
	sameDir(t, src, dst2)

	// verify finds them too, on holder 3 only.
	out, _, ok := c.run("backup", "verify", "--agreements", ids[1]+","+ids[2], "--from", "alice", "--read-data-subset", "100%")
	if ok || strings.Count(out, "content does not match the committed leaf") != flipped {
		t.Fatalf("verify after the flip (ok=%v):\n%s", ok, out)
	}
}
