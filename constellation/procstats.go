package constellation

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// What this machine sees of a node without asking it: its process in /proc,
// the supervisor's files about it, and the size of its data folder. These
// work for a node that does not answer (or runs no more), unlike its RPC.

// sampleLocal fills n's process, restart, crash and disk fields for node i.
func (c *Chain) sampleLocal(i int, n *NodeStatus) {
	if pid, ok := c.NodePID(i); ok {
		n.PID, n.Running = pid, true
		if ps, ok := procStats(pid); ok {
			n.CPUSeconds, n.CPUPercent, n.MemoryBytes, n.StartedAt = ps.cpuSeconds, ps.cpuPercent, ps.rssBytes, ps.started
		}
	}
	// A stopped node still shows the pid it last ran with.
	if pid, ok := readPID(c.PIDFile(NodeName(i))); ok && !n.Running {
		n.PID = pid
	}
	if restarts, ok := readPID(c.restartsFile(i)); ok {
		n.Restarts = restarts
	}
	if why, err := readFileString(c.failedMarker(i)); err == nil {
		n.Failed = why
	}
	n.DiskBytes = dirSize(filepath.Join(c.NodeHome(i), "data"))
}

// procStat is what /proc says of one process.
type procStat struct {
	cpuSeconds float64   // user+system
	cpuPercent float64   // average use of one core since it started
	rssBytes   int64     // resident memory
	started    time.Time // zero when /proc/uptime is unreadable
}

// procStats reads a process's CPU time, CPU use, resident memory and start time.
func procStats(pid int) (ps procStat, ok bool) {
	st, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return ps, false
	}
	i := strings.LastIndexByte(string(st), ')')
	if i < 0 {
		return ps, false
	}
	f := strings.Fields(string(st[i+1:]))
	// After "(comm)": state is f[0]; utime f[11], stime f[12], starttime f[19], rss (pages) f[21].
	if len(f) < 22 {
		return ps, false
	}
	ut, _ := strconv.ParseFloat(f[11], 64)
	stt, _ := strconv.ParseFloat(f[12], 64)
	started, _ := strconv.ParseFloat(f[19], 64)
	rss, _ := strconv.ParseInt(f[21], 10, 64)
	const clkTck = 100 // USER_HZ on every Linux architecture Go supports
	ps.cpuSeconds = (ut + stt) / clkTck
	ps.rssBytes = rss * int64(os.Getpagesize())
	if up, err := os.ReadFile("/proc/uptime"); err == nil {
		if fs := strings.Fields(string(up)); len(fs) > 0 {
			if u, err := strconv.ParseFloat(fs[0], 64); err == nil && u-started/clkTck > 0 {
				running := u - started/clkTck
				ps.cpuPercent = 100 * ps.cpuSeconds / running
				ps.started = time.Now().Add(-time.Duration(running * float64(time.Second)))
			}
		}
	}
	return ps, true
}

// dirSize is the total size of the regular files under dir.
func dirSize(dir string) int64 {
	var n int64
	_ = filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			if fi, err := d.Info(); err == nil {
				n += fi.Size()
			}
		}
		return nil
	})
	return n
}

// readFileString is a small file's text, trimmed (at most 4 KiB is read).
func readFileString(path string) (string, error) {
	bz, err := readFileLimited(path, 4096)
	return strings.TrimSpace(string(bz)), err
}

func readFileLimited(path string, max int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	bz := make([]byte, max)
	n, err := f.Read(bz)
	if err != nil && n == 0 {
		return nil, err
	}
	return bz[:n], nil
}
