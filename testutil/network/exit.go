package network

import (
	"fmt"
	"time"
)

// WaitExit waits up to timeout for node i's process to end on its own (a halt
// for an upgrade) and returns its exit code.
func (net *Network) WaitExit(i int, timeout time.Duration) (int, error) {
	n := net.Nodes[i]
	n.mu.Lock()
	cmd, exited := n.cmd, n.exited
	n.mu.Unlock()
	if cmd == nil {
		return 0, fmt.Errorf("%s was never started", n.Moniker)
	}
	select {
	case <-exited:
		return cmd.ProcessState.ExitCode(), nil
	case <-time.After(timeout):
		return 0, fmt.Errorf("%s still running after %s", n.Moniker, timeout)
	}
}

// BinaryWithTags builds cmd/selfchaind with the given build tags (a test's "new
// release"), next to Binary's build.
func BinaryWithTags(tags string) (string, error) { return buildWithTags(tags) }
