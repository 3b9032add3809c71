package constellation

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/selfchain/selfchain/app"
	"github.com/selfchain/selfchain/client"
	"github.com/selfchain/selfchain/crypto/keyring"
	"github.com/selfchain/selfchain/x/upgrade"
)

// A chain's upgrades live under <chain>/upgrades: <name>/selfchaind is the
// release staged for plan <name>, and "current" names the binary the nodes run
// since the last applied upgrade (the supervisor's --selfchaind before any).

// UpgradeBinary is where the release for plan name is staged.
func (c *Chain) UpgradeBinary(name string) string {
	return filepath.Join(c.Dir, "upgrades", name, "selfchaind")
}

func (c *Chain) currentBinaryFile() string { return filepath.Join(c.Dir, "upgrades", "current") }

// NodeBinary is the selfchaind the chain's nodes start with: the release of the
// last upgrade they switched to, else def.
func (c *Chain) NodeBinary(def string) string {
	bz, err := os.ReadFile(c.currentBinaryFile())
	if err != nil {
		return def
	}
	if p := strings.TrimSpace(string(bz)); p != "" {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	return def
}

// switchForUpgrade is the supervisor's answer to a node that exited with
// app.ExitCodeUpgradeNeeded: when the release named by the node's
// upgrade-info.json is staged, every node starts it from now on (it reports
// true: restart at once). Otherwise the node is restarted as any other exit,
// and refuses again until the release is staged.
func (c *Chain) switchForUpgrade(i int, waitErr error) bool {
	var ee *exec.ExitError
	if !errors.As(waitErr, &ee) || ee.ExitCode() != app.ExitCodeUpgradeNeeded {
		return false
	}
	bz, err := os.ReadFile(filepath.Join(c.NodeHome(i), "data", app.UpgradeInfoFile))
	if err != nil {
		log.Printf("%s: stopped for an upgrade, but %s: %v", NodeName(i), app.UpgradeInfoFile, err)
		return false
	}
	var info struct {
		Name   string `json:"name"`
		Height int64  `json:"height"`
	}
	if err := json.Unmarshal(bz, &info); err != nil || info.Name == "" {
		log.Printf("%s: stopped for an upgrade, but %s is unreadable: %s", NodeName(i), app.UpgradeInfoFile, bz)
		return false
	}
	bin := c.UpgradeBinary(info.Name)
	if _, err := os.Stat(bin); err != nil {
		log.Printf("%s: upgrade %q needed at height %d; stage its release at %s (constellation upgrade does)", NodeName(i), info.Name, info.Height, bin)
		return false
	}
	if err := os.WriteFile(c.currentBinaryFile(), []byte(bin+"\n"), 0o644); err != nil {
		log.Printf("%s: record the release of upgrade %q: %v", NodeName(i), info.Name, err)
		return false
	}
	log.Printf("%s: upgrade %q at height %d: restarting on %s", NodeName(i), info.Name, info.Height, bin)
	return true
}

// UpgradeOptions are what `constellation upgrade` was given.
type UpgradeOptions struct {
	Binary string // the new release
	Height string // absolute, or "+N" blocks from the chain's latest height
	Name   string // plan name; empty: the one handler the release has that the chain has not applied
	Info   string
	// Timeout bounds the wait for the halt and for blocks after the swap.
	Timeout time.Duration
	// Progress receives one line per step (nil: none).
	Progress io.Writer
}

// UpgradeResult is what an upgrade did.
type UpgradeResult struct {
	Name    string `json:"name"`
	Height  int64  `json:"height"`
	Binary  string `json:"binary"`
	Reached int64  `json:"reached_height"`
	AppHash string `json:"app_hash"`
}

// Upgrade plans a software upgrade of the running chain with its upgrade
// authority's key, stages the release where the supervisor finds it, waits for
// every node to halt at the plan height and come back on the release, and
// checks that they all continue with the same app hash.
func (c *Chain) Upgrade(ctx context.Context, o UpgradeOptions) (*UpgradeResult, error) {
	progress := func(format string, args ...any) {
		if o.Progress != nil {
			fmt.Fprintf(o.Progress, format+"\n", args...)
		}
	}
	if _, ok := c.SupervisorPID(); !ok {
		return nil, fmt.Errorf("chain %s is not up: `constellation up %s` first (its supervisor swaps the binaries)", c.Spec.Name, c.Spec.Name)
	}
	handlers, err := releaseHandlers(o.Binary)
	if err != nil {
		return nil, err
	}
	var res UpgradeResult
	err = c.withPrefix(func() error {
		cl, err := c.connect(ctx)
		if err != nil {
			return err
		}
		name, err := c.pickPlanName(ctx, cl, o.Name, handlers, o.Binary)
		if err != nil {
			return err
		}
		st, err := cl.Status(ctx)
		if err != nil {
			return err
		}
		height, err := planHeight(o.Height, st.SyncInfo.LatestBlockHeight)
		if err != nil {
			return err
		}
		staged := c.UpgradeBinary(name)
		if err := copyExecutable(o.Binary, staged); err != nil {
			return fmt.Errorf("stage the release: %w", err)
		}
		progress("staged %s as %s", o.Binary, staged)
		plan := upgrade.Plan{Name: name, Height: height, Info: o.Info}
		if err := c.sendAsAuthority(ctx, cl, &upgrade.MsgSoftwareUpgrade{Plan: plan}); err != nil {
			return fmt.Errorf("plan upgrade %q at height %d: %w", name, height, err)
		}
		progress("planned upgrade %q at height %d (chain at %d)", name, height, st.SyncInfo.LatestBlockHeight)
		res = UpgradeResult{Name: name, Height: height, Binary: staged}
		return nil
	})
	if err != nil {
		return nil, err
	}
	timeout := o.Timeout
	if timeout <= 0 {
		timeout = 5 * time.Minute
	}
	deadline := time.Now().Add(timeout)
	// Blocks past the plan height on every node: each halted, was swapped and
	// executed the plan height with the release.
	target := res.Height + 2
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		low := int64(-1)
		for i := range c.Layout.Nodes {
			h, _ := nodeHeight(c.Layout.Nodes[i].RPC)
			if low < 0 || h < low {
				low = h
			}
		}
		if low >= target {
			break
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("upgrade %q: not every node reached height %d within %s (lowest %d); see `constellation logs %s`", res.Name, target, timeout, low, c.Spec.Name)
		}
		time.Sleep(300 * time.Millisecond)
	}
	var want []byte
	for i, n := range c.Layout.Nodes {
		cl, err := nodeClient(n.RPC)
		if err != nil {
			return nil, err
		}
		h, err := cl.AppHashAfter(ctx, res.Height+1, 10*time.Second)
		if err != nil {
			return nil, fmt.Errorf("%s: app hash after %d: %w", NodeName(i), res.Height+1, err)
		}
		if want == nil {
			want = h
		} else if !bytes.Equal(h, want) {
			return nil, fmt.Errorf("after upgrade %q %s has app hash %X at height %d, %s %X", res.Name, NodeName(i), h, res.Height+1, NodeName(0), want)
		}
	}
	res.Reached, res.AppHash = target, fmt.Sprintf("%X", want)
	progress("every node runs %s past height %d with app hash %X", res.Binary, res.Height, want)
	return &res, nil
}

// releaseHandlers asks the release which upgrade handlers it carries.
func releaseHandlers(bin string) ([]string, error) {
	out, err := exec.Command(bin, "version", "--long", "--output", "json").Output()
	if err != nil {
		return nil, fmt.Errorf("%s is not a runnable selfchaind: %v", bin, err)
	}
	var v struct {
		UpgradeHandlers []string `json:"upgrade_handlers"`
	}
	if err := json.Unmarshal(out, &v); err != nil {
		return nil, fmt.Errorf("%s version --long: %v", bin, err)
	}
	return v.UpgradeHandlers, nil
}

// pickPlanName is name when the release has its handler, else the one handler
// of the release the chain has not applied.
func (c *Chain) pickPlanName(ctx context.Context, cl *client.Client, name string, handlers []string, bin string) (string, error) {
	if name != "" {
		if !slices.Contains(handlers, name) {
			return "", fmt.Errorf("%s has no upgrade handler %q (it has: %s): the nodes would refuse it", bin, name, strings.Join(handlers, ", "))
		}
		return name, nil
	}
	q := upgrade.NewQueryClient(cl)
	var fresh []string
	for _, h := range handlers {
		r, err := q.AppliedPlan(ctx, &upgrade.QueryAppliedPlanRequest{Name: h})
		if err != nil {
			return "", err
		}
		if r.Height == 0 {
			fresh = append(fresh, h)
		}
	}
	if len(fresh) != 1 {
		return "", fmt.Errorf("%s carries upgrade handlers %v, of which %v are not applied on chain %s: name the plan with --name", bin, handlers, fresh, c.Spec.Name)
	}
	return fresh[0], nil
}

// planHeight reads "+N" (relative to latest) or an absolute height.
func planHeight(s string, latest int64) (int64, error) {
	rel := strings.HasPrefix(s, "+")
	n, err := strconv.ParseInt(strings.TrimPrefix(s, "+"), 10, 64)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("--height %q: give a block height or +N blocks from now", s)
	}
	if rel {
		n += latest
	}
	if n <= latest+1 {
		return 0, fmt.Errorf("--height %s: the chain is at %d; give a later height (or +N, at least +2)", s, latest)
	}
	return n, nil
}

// sendAsAuthority signs msg (its authority set here) with the chain's upgrade
// authority key and waits for its block.
func (c *Chain) sendAsAuthority(ctx context.Context, cl *client.Client, msg *upgrade.MsgSoftwareUpgrade) error {
	kr, err := keyring.New(keyring.BackendTest, c.ClientHome(), nil)
	if err != nil {
		return err
	}
	keyName := UpgradeAuthorityName(c.Spec)
	signer, err := client.NewKeyringSigner(kr, keyName)
	if errors.Is(err, keyring.ErrKeyNotFound) {
		return fmt.Errorf("no %q key in %s: the chain's upgrade authority key is missing", keyName, c.ClientHome())
	}
	if err != nil {
		return err
	}
	msg.Authority = signer.PubKey().Address().String()
	if err := msg.ValidateBasic(); err != nil {
		return err
	}
	return c.signAndSend(ctx, cl, signer, msg)
}

func copyExecutable(from, to string) error {
	bz, err := os.ReadFile(from)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
		return err
	}
	tmp := to + ".tmp"
	if err := os.WriteFile(tmp, bz, 0o755); err != nil {
		return err
	}
	return os.Rename(tmp, to)
}
