// Package relayer is the bridge relayer behind `constellation relay`: an untrusted
// courier between two chains running x/bridge. It reads what is pending from each
// chain's state (never from memory, so a restart loses nothing), proves it with
// ICS-23 proofs against a light client it keeps fresh, and delivers packets,
// acknowledgements and timeouts in batches. It can delay packets, never forge them:
// every message it sends is verified on chain against the counterparty's headers.
package relayer

import (
	"fmt"
	"strings"
	"time"

	"github.com/selfchain/selfchain/app/tx"
	"github.com/selfchain/selfchain/crypto"
	"github.com/selfchain/selfchain/crypto/keyring"
)

// Side is one chain of a bridge as the relayer sees it.
type Side struct {
	Name    string `json:"name"`     // label in logs and status: the constellation chain name, or "devnet"
	ChainID string `json:"chain_id"` // checked against the node's
	RPC     string `json:"rpc"`      // CometBFT RPC, e.g. http://127.0.0.1:26657
	// RPCs are the chain's other nodes (validators): txs go to all of them, and
	// queries to the next one when RPC cannot be reached (nodes.go).
	RPCs           []string `json:"rpcs,omitempty"`
	Home           string   `json:"home"`            // client home holding the relayer's keyring
	KeyringBackend string   `json:"keyring_backend"` // test | file ($SELFCHAIN_KEYRING_PASSPHRASE)
	Key            string   `json:"key"`             // the relayer's own key name there
	GasPrice       string   `json:"gas_price"`       // in the chain's own denom, e.g. 0.001uacme
	Denom          string   `json:"denom"`           // the chain's fee denom
	Prefix         string   `json:"bech32_prefix"`   // the chain's address prefix
	ClientID       string   `json:"client_id"`       // this chain's light client of the other chain
}

// Validate names the first field a relayer cannot work without.
func (s Side) Validate() error {
	switch {
	case s.Name == "":
		return fmt.Errorf("a side of the bridge has no name")
	case s.ChainID == "":
		return fmt.Errorf("%s: no chain id", s.Name)
	case s.RPC == "":
		return fmt.Errorf("%s: no RPC address", s.Name)
	case len(s.RPCs) > maxNodes:
		return fmt.Errorf("%s: %d node RPCs, at most %d", s.Name, len(s.RPCs), maxNodes)
	case s.Home == "" || s.Key == "":
		return fmt.Errorf("%s: no keyring home or relayer key name", s.Name)
	case !crypto.ValidBech32Prefix(s.Prefix):
		return fmt.Errorf("%s: invalid bech32 prefix %q", s.Name, s.Prefix)
	case !strings.HasPrefix(s.ClientID, "client-"):
		return fmt.Errorf("%s: client id %q is not client-<n>", s.Name, s.ClientID)
	}
	if s.KeyringBackend != keyring.BackendTest && s.KeyringBackend != keyring.BackendFile {
		return fmt.Errorf("%s: keyring backend %q: want test or file", s.Name, s.KeyringBackend)
	}
	prices, err := tx.ParseGasPrices(s.GasPrice)
	if err != nil || len(prices) != 1 || prices[0].Denom != s.Denom {
		return fmt.Errorf("%s: gas price %q must be one price in the chain's denom %s", s.Name, s.GasPrice, s.Denom)
	}
	return nil
}

// Config is a bridge between chains A and B, as `constellation bridge` records it.
type Config struct {
	A, B Side
	// Interval is the longest pause between scans (default 250ms). Under Run the
	// workers also look at once when a chain commits a block (heads.go), so this
	// matters only while block events are not coming and /status polling is slow.
	Interval time.Duration
	// MetricsAddr, when set, is a loopback host:port where Run serves Prometheus
	// metrics at /metrics (metrics.go).
	MetricsAddr string
	// BroadcastAll sends each tx to every node of a side at once instead of to the
	// first reachable one (queries fail over either way): `relay --broadcast all`.
	// Off by default: measured here, copies racing gossip reached a proposer out of
	// sequence order and failed batches in the block (docs/PERFORMANCE.md).
	BroadcastAll bool
	// Logf writes one line (default: the standard logger).
	Logf func(format string, args ...any)
}

// maxNodes bounds the nodes a side broadcasts to.
const maxNodes = 64

// MaxBatch is how many packet messages go in one tx: a tx holds tx.MaxMsgsPerTx
// messages and the client update comes first.
const MaxBatch = tx.MaxMsgsPerTx - 1
