package main

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/selfchain/selfchain/testutil"
	"github.com/selfchain/selfchain/testutil/network"
)

// TestLocalnetScript drives scripts/localnet.sh as `make localnet` does, in a
// temp dir and on free ports: with the homes written by the generator, start
// runs every node and prints its RPC address and the faucet; the chain makes blocks; a killed node is
// restarted by a second start (resume) while the others are left alone; stop
// ends every process and removes the pid files.
func TestLocalnetScript(t *testing.T) {
	if testing.Short() {
		t.Skip("builds selfchaind and runs four validator processes")
	}
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("no bash")
	}
	bin, err := network.Binary()
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "ln")
	base := freeBase(t)
	env := append(os.Environ(), "LOCALNET_DIR="+dir, "LOCALNET_BASE_PORT="+strconv.Itoa(base), "SELFCHAIND="+bin)
	script := func(args ...string) string {
		t.Helper()
		cmd := exec.Command("bash", append([]string{"../localnet.sh"}, args...)...)
		cmd.Env = env
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("localnet.sh %v: %v\n%s", args, err, out)
		}
		return string(out)
	}
	t.Cleanup(func() {
		cmd := exec.Command("bash", "../localnet.sh", "stop")
		cmd.Env = env
		_ = cmd.Run()
		if t.Failed() {
			for i := 0; i < 4; i++ {
				bz, _ := os.ReadFile(filepath.Join(dir, fmt.Sprintf("node%d.log", i)))
				lines := strings.Split(string(bz), "\n")
				t.Logf("node%d.log tail:\n%s", i, strings.Join(lines[max(0, len(lines)-20):], "\n"))
			}
		}
	})

	// The homes, written in-process by what the script's first start runs as
	// `go run ./scripts/localnet` (saving a compile here), so start resumes.
	if err := run([]string{"--dir", dir, "--base-port", strconv.Itoa(base)}); err != nil {
		t.Fatal(err)
	}
	if err := run([]string{"--dir", dir}); err == nil || !strings.Contains(err.Error(), "already holds a network") {
		t.Fatalf("second generation over the same dir: %v", err)
	}
	out := script("start")
	if !strings.Contains(out, "resuming") {
		t.Fatalf("start did not pick up the written network:\n%s", out)
	}
	// start waits (up to 60s) for node0's first block and warns if it does not come.
	if strings.Contains(out, "has not committed") {
		t.Fatalf("network made no blocks:\n%s", out)
	}
	for i := 0; i < 4; i++ {
		if want := fmt.Sprintf("tcp://127.0.0.1:%d", base+10*i+1); !strings.Contains(out, want) {
			t.Fatalf("start output lacks node%d's RPC %s:\n%s", i, want, out)
		}
	}
	faucet, err := os.ReadFile(filepath.Join(dir, "faucet.address"))
	if err != nil || !strings.Contains(out, strings.TrimSpace(string(faucet))) || !strings.Contains(out, "make localnet-stop") {
		t.Fatalf("start output lacks the faucet %q or the stop command (%v):\n%s", faucet, err, out)
	}
	pids := readPids(t, dir)
	if len(pids) != 4 {
		t.Fatalf("pid files: %v", pids)
	}

	// A crashed node: the next start restarts it and only it.
	p, _ := os.FindProcess(pids[2])
	_ = p.Kill()
	_, _ = p.Wait()
	out = script("start")
	if !strings.Contains(out, "resuming") || strings.Count(out, "already running") != 3 {
		t.Fatalf("second start should resume and leave three nodes alone:\n%s", out)
	}
	after := readPids(t, dir)
	if after[0] != pids[0] || after[2] == pids[2] {
		t.Fatalf("pids before %v, after %v", pids, after)
	}

	out = script("stop")
	if strings.Count(out, "stopped node") != 4 {
		t.Fatalf("stop output:\n%s", out)
	}
	for _, pid := range after {
		if err := exec.Command("kill", "-0", strconv.Itoa(pid)).Run(); err == nil {
			t.Fatalf("pid %d still alive after stop", pid)
		}
	}
	if left := readPids(t, dir); len(left) != 0 {
		t.Fatalf("pid files left after stop: %v", left)
	}
}

func readPids(t *testing.T, dir string) map[int]int {
	t.Helper()
	pids := map[int]int{}
	for i := 0; i < 4; i++ {
		bz, err := os.ReadFile(filepath.Join(dir, fmt.Sprintf("node%d.pid", i)))
		if err != nil {
			continue
		}
		pid, err := strconv.Atoi(strings.TrimSpace(string(bz)))
		if err != nil {
			t.Fatalf("node%d.pid: %v", i, err)
		}
		pids[i] = pid
	}
	return pids
}

// freeBase finds a base port whose eight localnet ports (base+10i, base+10i+1)
// are free on loopback right now.
func freeBase(t *testing.T) int {
	for try := 0; try < 50; try++ {
		base := testutil.FreePort(t)
		if base+31 > 65535 {
			continue
		}
		ok := true
		for i := 0; i < 4 && ok; i++ {
			for _, port := range []int{base + 10*i, base + 10*i + 1} {
				l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
				if err != nil {
					ok = false
					break
				}
				l.Close()
			}
		}
		if ok {
			return base
		}
	}
	t.Fatal("no free block of localnet ports")
	return 0
}
