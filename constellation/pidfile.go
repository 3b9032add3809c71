package constellation

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// Pid files under run/ and whether the processes they name still live.

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
