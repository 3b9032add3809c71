package main

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/selfchain/selfchain/testutil"
)

// TestDashboardTenChains measures the speed items against real chains:
// 10 one-validator chains (1 s blocks) up, `constellation dashboard` (2 s
// poll) watching them; after a warm-up it reports the dashboard process's CPU
// over DASHBOARD_PERF_SECONDS (default 30) as a share of one core, and the
// time to serve the full fleet page (best, median and worst of 20 loads).
// Figures go to docs/PERFORMANCE.md.
func TestDashboardTenChains(t *testing.T) {
	if os.Getenv("DASHBOARD_PERF") == "" {
		t.Skip("a measurement: DASHBOARD_PERF=1 go test ./cmd/constellation -run TestDashboardTenChains -v")
	}
	e := newEnv(t)
	const chains = 10
	setup := time.Now()
	for i := range chains {
		name := fmt.Sprintf("c%02d", i)
		e.c("new", name, "--validators", "1", "--block-time", "1s", "--log-level", "error")
		e.cleanupDown(name)
		e.c("up", name)
	}
	t.Logf("%d chains up in %s", chains, time.Since(setup).Round(time.Second))
	addr := fmt.Sprintf("127.0.0.1:%d", testutil.FreePort(t))
	dash := e.background("dashboard", "--listen", addr, "--token", "perf-token-0123456789abcdef")
	dash.waitFor(t, func(s string) bool { return strings.Contains(s, "login token") })

	get := func(path string) (time.Duration, string) {
		t.Helper()
		start := time.Now()
		resp, err := http.Get("http://" + addr + path)
		if err != nil {
			t.Fatal(err)
		}
		bz, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("%s: %d", path, resp.StatusCode)
		}
		return time.Since(start), string(bz)
	}
	time.Sleep(5 * time.Second) // warm-up: a few polls, usage metering caught up
	if _, page := get("/"); strings.Count(page, `class="chain-row"`) != chains {
		t.Fatalf("the fleet page lists %d chains, want %d", strings.Count(page, `class="chain-row"`), chains)
	}

	secs := 30
	if s := os.Getenv("DASHBOARD_PERF_SECONDS"); s != "" {
		secs, _ = strconv.Atoi(s)
	}
	pid := dash.cmd.Process.Pid
	cpu0, wall0 := cpuSeconds(t, pid), time.Now()
	time.Sleep(time.Duration(secs) * time.Second)
	cpu1, wall1 := cpuSeconds(t, pid), time.Now()
	share := 100 * (cpu1 - cpu0) / wall1.Sub(wall0).Seconds()
	t.Logf("dashboard CPU watching %d chains (2 s poll, no page open): %.2f%% of one core over %s", chains, share, wall1.Sub(wall0).Round(time.Second))
	// The same with one open fleet page refreshing itself every 2 s, as live.js does.
	cpu0, wall0 = cpuSeconds(t, pid), time.Now()
	for time.Since(wall0) < time.Duration(secs)*time.Second {
		get("/?fragment=1")
		time.Sleep(2 * time.Second)
	}
	cpu1, wall1 = cpuSeconds(t, pid), time.Now()
	withPage := 100 * (cpu1 - cpu0) / wall1.Sub(wall0).Seconds()
	t.Logf("dashboard CPU watching %d chains with a fleet page open: %.2f%% of one core over %s", chains, withPage, wall1.Sub(wall0).Round(time.Second))
	share = max(share, withPage)

	var times []time.Duration
	for range 20 {
		d, _ := get("/")
		times = append(times, d)
	}
	sortDurations(times)
	t.Logf("fleet page with %d chains: best %s, median %s, worst %s (20 loads)", chains, times[0], times[len(times)/2], times[len(times)-1])
	ok := 0
	_, page := get("/")
	ok = strings.Count(page, `data-verdict="ok"`)
	t.Logf("%d of %d chains ok on the page", ok, chains)
	if share >= 5 {
		t.Errorf("dashboard CPU %.2f%% of one core, want < 5%%", share)
	}
	if times[len(times)-1] >= time.Second {
		t.Errorf("fleet page took %s, want < 1 s", times[len(times)-1])
	}
}

// cpuSeconds is a process's user+system CPU time from /proc.
func cpuSeconds(t *testing.T, pid int) float64 {
	t.Helper()
	bz, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		t.Fatal(err)
	}
	s := string(bz)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	ut, _ := strconv.ParseFloat(f[11], 64)
	st, _ := strconv.ParseFloat(f[12], 64)
	return (ut + st) / 100
}

func sortDurations(d []time.Duration) {
	for i := 1; i < len(d); i++ {
		for j := i; j > 0 && d[j] < d[j-1]; j-- {
			d[j], d[j-1] = d[j-1], d[j]
		}
	}
}
