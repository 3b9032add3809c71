package constellation

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"github.com/selfchain/selfchain/client"
	"github.com/selfchain/selfchain/constellation/relayer"
	"github.com/selfchain/selfchain/crypto/keyring"
)

// A bridge of a chain is recorded in <chain>/bridges/<counterparty>.json by
// `constellation bridge`, so `relay` and `status` find its client ids, RPCs and
// relayer keys. Side A is always the chain itself, B the counterparty.

// RelayerKeyName is the relayer's key in each side's keyring.
const RelayerKeyName = "relayer"

// Bridge is one recorded bridge.
type Bridge struct {
	Counterparty string       `json:"counterparty"` // a constellation chain's name, or the name given to an outside chain
	A            relayer.Side `json:"a"`
	B            relayer.Side `json:"b"`
}

// Config is the relayer's view of the bridge.
func (b *Bridge) Config() relayer.Config { return relayer.Config{A: b.A, B: b.B} }

// WithNodes is the bridge with each constellation chain's side listing all of the
// chain's nodes as they are now (a record made before nodes were listed, or since
// the chain gained nodes); open finds a chain of this home by name.
func (b *Bridge) WithNodes(open func(name string) (*Chain, bool)) *Bridge {
	out := *b
	for _, s := range []*relayer.Side{&out.A, &out.B} {
		if c, ok := open(s.Name); ok && c.Spec.ChainID == s.ChainID && len(c.Layout.Nodes) > 0 {
			now := c.RelayerSide()
			if now.RPC == s.RPC {
				s.RPCs = now.RPCs
			}
		}
	}
	return &out
}

var counterpartyRe = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,63}$`)

func (c *Chain) bridgeFile(cp string) string { return filepath.Join(c.Dir, "bridges", cp+".json") }

// LoadBridge reads the bridge to counterparty cp.
func (c *Chain) LoadBridge(cp string) (*Bridge, error) {
	if !counterpartyRe.MatchString(cp) {
		return nil, fmt.Errorf("invalid counterparty name %q: lowercase letters, digits and '-'", cp)
	}
	bz, err := os.ReadFile(c.bridgeFile(cp))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("chain %s has no bridge to %s: create it with `constellation bridge %s --to %s`", c.Spec.Name, cp, c.Spec.Name, cp)
	}
	if err != nil {
		return nil, err
	}
	var b Bridge
	if err := json.Unmarshal(bz, &b); err != nil {
		return nil, fmt.Errorf("%s: %w", c.bridgeFile(cp), err)
	}
	return &b, nil
}

// SaveBridge writes the record atomically.
func (c *Chain) SaveBridge(b *Bridge) error {
	if err := os.MkdirAll(filepath.Dir(c.bridgeFile(b.Counterparty)), 0o755); err != nil {
		return err
	}
	bz, err := json.MarshalIndent(b, "", "  ")
	if err != nil {
		return err
	}
	tmp := c.bridgeFile(b.Counterparty) + ".tmp"
	if err := os.WriteFile(tmp, append(bz, '\n'), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, c.bridgeFile(b.Counterparty))
}

// Bridges lists the chain's recorded bridges by counterparty name.
func (c *Chain) Bridges() []*Bridge {
	entries, _ := os.ReadDir(filepath.Join(c.Dir, "bridges"))
	var out []*Bridge
	for _, e := range entries {
		name, ok := strings.CutSuffix(e.Name(), ".json")
		if !ok {
			continue
		}
		if b, err := c.LoadBridge(name); err == nil {
			out = append(out, b)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Counterparty < out[j].Counterparty })
	return out
}

// RelayerSide is this chain as one side of a bridge: node1's RPC, the client
// home's test keyring, fees at the nodes' minimum gas price in the chain's token.
// The relayer broadcasts to every node's RPC and fails over between them.
func (c *Chain) RelayerSide() relayer.Side {
	var rpcs []string
	for _, n := range c.Layout.Nodes {
		rpcs = append(rpcs, fmt.Sprintf("tcp://127.0.0.1:%d", n.RPC))
	}
	return relayer.Side{
		Name: c.Spec.Name, ChainID: c.Spec.ChainID, RPC: rpcs[0], RPCs: rpcs[1:],
		Home: c.ClientHome(), KeyringBackend: keyring.BackendTest, Key: RelayerKeyName,
		GasPrice: MinGasPrice + c.Spec.Token.Denom, Denom: c.Spec.Token.Denom, Prefix: c.Spec.Bech32Prefix,
	}
}

// OutsideSide is a SELF-framework chain outside this home as a bridge side: its
// node at rpc, and a selfchaind client home whose client.toml gives the keyring
// backend, gas price (hence fee denom) and address prefix. chainID is the node's.
// rpc may list several nodes of the chain, comma-separated: the first is asked
// first, and txs go to all.
func OutsideSide(name, rpc, home, chainID string) (relayer.Side, error) {
	var more []string
	if parts := strings.Split(rpc, ","); len(parts) > 1 {
		rpc = strings.TrimSpace(parts[0])
		for _, p := range parts[1:] {
			if p = strings.TrimSpace(p); p != "" {
				more = append(more, p)
			}
		}
	}
	if _, err := os.Stat(home); err != nil {
		return relayer.Side{}, fmt.Errorf("--to-home %s: %w", home, err)
	}
	abs, err := filepath.Abs(home)
	if err != nil {
		return relayer.Side{}, err
	}
	cfg, err := client.LoadConfig(abs)
	if err != nil {
		return relayer.Side{}, err
	}
	price := strings.TrimSpace(cfg.GasPrices)
	denom := strings.TrimLeft(price, "0123456789.")
	prefix := cfg.Bech32Prefix
	if prefix == "" {
		prefix = "self"
	}
	return relayer.Side{Name: name, ChainID: chainID, RPC: rpc, RPCs: more, Home: abs, KeyringBackend: cfg.KeyringBackend,
		Key: RelayerKeyName, GasPrice: price, Denom: denom, Prefix: prefix}, nil
}
