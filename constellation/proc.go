package constellation

import (
	"bufio"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// readPID reads a pid file; ok is false when it is missing or malformed.
func readPID(path string) (int, bool) {
	bz, err := os.ReadFile(path)
	if err != nil {
		return 0, false
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(bz)))
	return pid, err == nil && pid > 0
}

func writePID(path string, pid int) error {
	return os.WriteFile(path, []byte(strconv.Itoa(pid)+"\n"), 0o644)
}

// alive reports whether pid is a live process (a zombie is not: nothing reaps
// an orphaned supervisor in some containers, so kill(pid, 0) is not enough).
func alive(pid int) bool {
	if pid <= 0 || syscall.Kill(pid, 0) != nil {
		return false
	}
	st, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return true // not Linux: trust kill(0)
	}
	i := strings.LastIndexByte(string(st), ')')
	return i < 0 || i+2 >= len(st) || (st[i+2] != 'Z' && st[i+2] != 'X')
}

// ownedAlive is alive(pid) and one of the process's arguments is want: a pid
// file left by a crash may name a pid the system has since given to another process.
func ownedAlive(pid int, want string) bool {
	if !alive(pid) {
		return false
	}
	bz, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	if err != nil {
		return true
	}
	for _, arg := range strings.Split(string(bz), "\x00") {
		if arg == want {
			return true
		}
	}
	return false
}

// SupervisorPID is the running supervisor's pid.
func (c *Chain) SupervisorPID() (int, bool) {
	pid, ok := readPID(c.PIDFile("supervisor"))
	if !ok || !ownedAlive(pid, "supervise") {
		return 0, false
	}
	return pid, true
}

// NodePID is the running node process of validator i.
func (c *Chain) NodePID(i int) (int, bool) {
	pid, ok := readPID(c.PIDFile(NodeName(i)))
	if !ok || !ownedAlive(pid, c.NodeHome(i)) {
		return 0, false
	}
	return pid, true
}

// procStats reads a process's CPU time (seconds, user+system), its average CPU
// use since it started (percent of one core) and resident memory (bytes).
func procStats(pid int) (cpuSeconds, cpuPercent float64, rssBytes int64, ok bool) {
	st, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, 0, 0, false
	}
	i := strings.LastIndexByte(string(st), ')')
	if i < 0 {
		return 0, 0, 0, false
	}
	f := strings.Fields(string(st[i+1:]))
	// After "(comm)": state is f[0]; utime f[11], stime f[12], rss (pages) f[21].
	if len(f) < 22 {
		return 0, 0, 0, false
	}
	ut, _ := strconv.ParseFloat(f[11], 64)
	stt, _ := strconv.ParseFloat(f[12], 64)
	started, _ := strconv.ParseFloat(f[19], 64)
	rss, _ := strconv.ParseInt(f[21], 10, 64)
	const clkTck = 100 // USER_HZ on every Linux architecture Go supports
	cpuSeconds = (ut + stt) / clkTck
	if up, err := os.ReadFile("/proc/uptime"); err == nil {
		if fs := strings.Fields(string(up)); len(fs) > 0 {
			if u, err := strconv.ParseFloat(fs[0], 64); err == nil && u-started/clkTck > 0 {
				cpuPercent = 100 * cpuSeconds / (u - started/clkTck)
			}
		}
	}
	return cpuSeconds, cpuPercent, rss * int64(os.Getpagesize()), true
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

// TailFile returns the last n lines of a file ("" if it cannot be read).
func TailFile(path string, n int) string { return tailFrom(path, 0, n) }

// tailFrom is TailFile of what was written from offset on.
func tailFrom(path string, offset int64, n int) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	// Only the end of a long log is read.
	const window = 256 << 10
	skipFirst := false
	if fi, err := f.Stat(); err == nil {
		if fi.Size() < offset {
			offset = 0 // truncated
		}
		if fi.Size()-offset > window {
			offset = fi.Size() - window
			skipFirst = true
		}
		_, _ = f.Seek(offset, 0)
	}
	var lines []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		if skipFirst { // a partial line
			skipFirst = false
			continue
		}
		lines = append(lines, sc.Text())
		if len(lines) > n {
			lines = lines[1:]
		}
	}
	return strings.Join(lines, "\n")
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
