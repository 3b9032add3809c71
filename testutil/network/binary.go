package network

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
)

// BinaryEnv names a prebuilt selfchaind to run instead of building one.
const BinaryEnv = "SELFCHAIND_BIN"

var (
	binaryOnce sync.Once
	binaryPath string
	binaryErr  error
)

// Binary returns the selfchaind the network runs: $SELFCHAIND_BIN if set, else
// one built by `go build` once per test process. The build goes to a fixed path
// per source tree under the temp dir (written to a temporary name and renamed,
// so test processes building at the same time never see half a file), which
// keeps nothing behind per run; go build's cache makes a rebuild a link.
func Binary() (string, error) {
	binaryOnce.Do(func() {
		if p := os.Getenv(BinaryEnv); p != "" {
			if _, err := os.Stat(p); err != nil {
				binaryErr = fmt.Errorf("$%s: %w", BinaryEnv, err)
				return
			}
			binaryPath = p
			return
		}
		binaryPath, binaryErr = build()
	})
	return binaryPath, binaryErr
}

// build compiles cmd/selfchaind of the module this file belongs to.
func build() (string, error) { return buildWithTags("") }

// buildWithTags builds cmd/selfchaind with the build tags (none: the release
// under test) into a directory of its own per source tree and tags, renaming the
// result into place so a concurrent reader never sees half a binary.
func buildWithTags(tags string) (string, error) {
	root := moduleRoot()
	key := root
	if tags != "" {
		key += "\x00" + tags
	}
	sum := sha256.Sum256([]byte(key))
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
		return "", fmt.Errorf("go build -tags %q selfchaind: %v\n%s", tags, err, out)
	}
	final := filepath.Join(dir, "selfchaind")
	if err := os.Rename(tmp.Name(), final); err != nil {
		return "", err
	}
	return final, nil
}

// moduleRoot is the directory holding go.mod, found from this source file
// (tests run with the package directory as working directory; the localnet
// program may run from anywhere in the tree).
func moduleRoot() string {
	if _, file, _, ok := runtime.Caller(0); ok {
		dir := filepath.Dir(file)
		for d := dir; ; d = filepath.Dir(d) {
			if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
				return d
			}
			if filepath.Dir(d) == d {
				break
			}
		}
	}
	wd, _ := os.Getwd()
	return wd
}
