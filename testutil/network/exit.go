package network

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
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
func BinaryWithTags(tags string) (string, error) {
	root := moduleRoot()
	sum := sha256.Sum256([]byte(root + "\x00" + tags))
	dir := filepath.Join(os.TempDir(), "selfchaind-network-"+hex.EncodeToString(sum[:6]))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	tmp, err := os.CreateTemp(dir, "selfchaind-*.tmp")
	if err != nil {
		return "", err
	}
	tmp.Close()
	defer os.Remove(tmp.Name())
	cmd := exec.Command("go", "build", "-tags", tags, "-o", tmp.Name(), "github.com/selfchain/selfchain/cmd/selfchaind")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build -tags %s selfchaind: %v\n%s", tags, err, out)
	}
	final := filepath.Join(dir, "selfchaind")
	if err := os.Rename(tmp.Name(), final); err != nil {
		return "", err
	}
	return final, nil
}
