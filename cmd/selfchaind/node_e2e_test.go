package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/selfchain/selfchain/testutil"
)

// testNode is a `selfchaind start` child process of a CLI test.
type testNode struct {
	cmd    *exec.Cmd
	logs   *testutil.SyncBuffer
	exited chan struct{} // closed when the process has ended; err is then its exit status
	err    error
}

// startNode runs `selfchaind start args...` on c's home, kills it at cleanup
// (printing its log if the test failed) and returns once `status` reports height 2.
func startNode(t *testing.T, c *cli, args ...string) *testNode {
	t.Helper()
	if !slices.ContainsFunc(args, func(a string) bool { return strings.HasPrefix(a, "--api.address") }) {
		args = append(args, "--api.address=") // init's fixed tx API port: tests in parallel would share it
	}
	n := &testNode{
		cmd:    exec.Command(c.bin, append([]string{"start"}, args...)...),
		logs:   &testutil.SyncBuffer{},
		exited: make(chan struct{}),
	}
	n.cmd.Env = append(os.Environ(), "SELFCHAIN_HOME="+c.home)
	n.cmd.Stdout, n.cmd.Stderr = n.logs, n.logs
	if err := n.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { n.err = n.cmd.Wait(); close(n.exited) }()
	t.Cleanup(func() {
		select {
		case <-n.exited:
		default:
			_ = n.cmd.Process.Kill()
			<-n.exited
		}
		if t.Failed() {
			t.Logf("node log:\n%s", n.logs.String())
		}
	})
	waitFor(t, n.exited, "height 2", func() bool {
		out, _, ok := c.run("status", "--output", "json")
		var st struct {
			SyncInfo struct {
				Height string `json:"latest_block_height"`
			} `json:"sync_info"`
		}
		if !ok || json.Unmarshal([]byte(out), &st) != nil {
			return false
		}
		h, _ := strconv.Atoi(st.SyncInfo.Height)
		return h >= 2
	})
	return n
}

// waitFor polls cond every 200 ms for up to 30 s, failing at once if the node exits.
func waitFor(t *testing.T, exited <-chan struct{}, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		select {
		case <-exited:
			t.Fatalf("node exited while waiting for %s", what)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
