package constellation

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// DefaultHome is ~/.constellation.
func DefaultHome() string {
	if h, err := os.UserHomeDir(); err == nil {
		return filepath.Join(h, ".constellation")
	}
	return ".constellation"
}

// Chain is a chain's folder under the constellation home:
//
//	<home>/<name>/constellation.yaml      the spec
//	              genesis.json             the genesis every node runs
//	              genesis.sigs.json        each validator's signature of it
//	              nodes/nodeN/             selfchaind homes (keys, config, data)
//	              client/                  a selfchaind client home: keyring with the genesis accounts
//	              logs/nodeN.log, logs/supervisor.log
//	              run/supervisor.pid, run/nodeN.pid
//	              .started                 written by the first `up`: from then on the spec is read-only
type Chain struct {
	Dir    string
	Spec   *Spec
	Layout Layout
}

// ChainDir is where a chain named name lives.
func ChainDir(home, name string) string { return filepath.Join(home, name) }

// Open loads a chain's spec and ports.
func Open(home, name string) (*Chain, error) {
	if !nameRe.MatchString(name) {
		return nil, fmt.Errorf("invalid chain name %q: want lowercase letters, digits or '-', starting with a letter", name)
	}
	dir := ChainDir(home, name)
	if _, err := os.Stat(filepath.Join(dir, SpecFile)); errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("no chain %q under %s: `constellation list` shows the chains, `constellation new %s` creates it", name, home, name)
	}
	spec, err := LoadSpec(filepath.Join(dir, SpecFile))
	if err != nil {
		return nil, err
	}
	if spec.Name != name {
		return nil, fmt.Errorf("%s: name is %q but the folder is %q: renaming a chain is not supported", filepath.Join(dir, SpecFile), spec.Name, name)
	}
	layout, err := LayoutFor(spec.BasePort, spec.Validators)
	if err != nil {
		return nil, err
	}
	return &Chain{Dir: dir, Spec: spec, Layout: layout}, nil
}

// List returns the chains under home, sorted by name. Folders that are not
// chains (no spec) are skipped; a chain whose spec does not load is returned
// with the error in its place.
func List(home string) ([]*Chain, []error) {
	entries, err := os.ReadDir(home)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil
		}
		return nil, []error{err}
	}
	var chains []*Chain
	var errs []error
	for _, e := range entries {
		if !e.IsDir() || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		if _, err := os.Stat(filepath.Join(home, e.Name(), SpecFile)); err != nil {
			continue
		}
		c, err := Open(home, e.Name())
		if err != nil {
			errs = append(errs, err)
			continue
		}
		chains = append(chains, c)
	}
	sort.Slice(chains, func(i, j int) bool { return chains[i].Spec.Name < chains[j].Spec.Name })
	return chains, errs
}

// Paths inside a chain folder.
func (c *Chain) NodeHome(i int) string      { return nodeHome(c.Dir, i) }
func (c *Chain) ClientHome() string         { return filepath.Join(c.Dir, "client") }
func (c *Chain) LogFile(node string) string { return filepath.Join(c.Dir, "logs", node+".log") }
func (c *Chain) PIDFile(proc string) string { return filepath.Join(c.Dir, "run", proc+".pid") }
func (c *Chain) startedMarker() string      { return filepath.Join(c.Dir, ".started") }

func nodeHome(dir string, i int) string { return filepath.Join(dir, "nodes", NodeName(i)) }

// Started reports whether the chain has ever been started (its spec is then read-only).
func (c *Chain) Started() bool {
	_, err := os.Stat(c.startedMarker())
	return err == nil
}

// NodeIndex resolves "node2" (or "2") to a 0-based index.
func (c *Chain) NodeIndex(node string) (int, error) {
	for i := 0; i < c.Spec.Validators; i++ {
		if node == NodeName(i) || "node"+node == NodeName(i) {
			return i, nil
		}
	}
	return 0, fmt.Errorf("chain %s has no node %q: its nodes are node1 to node%d", c.Spec.Name, node, c.Spec.Validators)
}

// Remove deletes the chain's folder. A running chain must be stopped first.
func (c *Chain) Remove() error {
	if pid, ok := c.SupervisorPID(); ok {
		return fmt.Errorf("chain %s is running (supervisor pid %d): run `constellation down %s` first, or pass --force", c.Spec.Name, pid, c.Spec.Name)
	}
	// Rename first so the chain disappears at once, even if deleting takes a while.
	tmp := filepath.Join(filepath.Dir(c.Dir), ".rm-"+filepath.Base(c.Dir))
	_ = os.RemoveAll(tmp)
	if err := os.Rename(c.Dir, tmp); err != nil {
		return err
	}
	return os.RemoveAll(tmp)
}
