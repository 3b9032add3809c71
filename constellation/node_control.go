package constellation

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"time"
)

// What an operator does to a running chain besides up and down: restart one
// node, rotate the logs. The dashboard's actions call these.

// RestartNode stops node i's process with SIGTERM; its supervisor starts it
// again after the spec's restart backoff. A node frozen with SIGSTOP gets
// SIGCONT too, so it can act on the SIGTERM. Without a supervisor nothing
// would start it again, so that is refused.
func (c *Chain) RestartNode(i int) error {
	if i < 0 || i >= len(c.Layout.Nodes) {
		return fmt.Errorf("chain %s has no node %d", c.Spec.Name, i+1)
	}
	if _, ok := c.SupervisorPID(); !ok {
		return fmt.Errorf("chain %s is not running: start it with `constellation up %s`", c.Spec.Name, c.Spec.Name)
	}
	pid, ok := c.NodePID(i)
	if !ok {
		return fmt.Errorf("%s of chain %s is not running now (the supervisor is already starting it)", NodeName(i), c.Spec.Name)
	}
	_ = syscall.Kill(pid, syscall.SIGCONT)
	if err := syscall.Kill(pid, syscall.SIGTERM); err != nil {
		return fmt.Errorf("stop %s (pid %d): %w", NodeName(i), pid, err)
	}
	return nil
}

// RotateLogs copies each log under logs/ to logs/archive/<name>-<UTC time>.log
// and truncates it (logrotate's copytruncate: the node and supervisor keep
// writing to the file they opened with O_APPEND, now from its start). Lines
// written between the copy and the truncation are lost. It returns the
// archived files.
func (c *Chain) RotateLogs(now time.Time) ([]string, error) {
	dir := filepath.Join(c.Dir, "logs")
	entries, err := os.ReadDir(dir)
	if err != nil {
		if os.IsNotExist(err) {
			return nil, nil
		}
		return nil, err
	}
	archive := filepath.Join(dir, "archive")
	if err := os.MkdirAll(archive, 0o755); err != nil {
		return nil, err
	}
	stamp := now.UTC().Format("20060102T150405Z")
	var out []string
	for _, e := range entries {
		name, ok := strings.CutSuffix(e.Name(), ".log")
		if !ok || !e.Type().IsRegular() {
			continue
		}
		src := filepath.Join(dir, e.Name())
		dst := filepath.Join(archive, name+"-"+stamp+".log")
		if err := copyTruncate(src, dst); err != nil {
			return out, fmt.Errorf("rotate %s: %w", src, err)
		}
		out = append(out, dst)
	}
	sort.Strings(out)
	return out, nil
}

func copyTruncate(src, dst string) error {
	in, err := os.OpenFile(src, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	if err := out.Close(); err != nil {
		return err
	}
	return in.Truncate(0)
}
