package app

import (
	"fmt"
	"net"
	"strings"
)

// DefaultAPIAddress is app.toml [api] address when init writes it: next to
// CometBFT's RPC (26657) and Prometheus (26660), on loopback.
const DefaultAPIAddress = "tcp://127.0.0.1:26659"

// APIConfig is app.toml [api]: the node's own HTTP endpoint for raw tx
// submission (POST /txs, server/txapi.go), beside CometBFT's JSON-RPC.
type APIConfig struct {
	// Address is where it listens, "tcp://host:port"; empty: off. Empty in
	// DefaultConfig, so an app.toml from before the section opens no port; init
	// writes DefaultAPIAddress into a new home.
	Address string `toml:"address"`
}

// ListenAddr is Address as net.Listen takes it ("host:port"); "" when off.
func (c APIConfig) ListenAddr() (string, error) {
	if c.Address == "" {
		return "", nil
	}
	hostPort, ok := strings.CutPrefix(c.Address, "tcp://")
	if !ok && strings.Contains(c.Address, "://") {
		return "", fmt.Errorf("app.toml api.address: %q: only tcp:// addresses are served (e.g. %q), or empty for none", c.Address, DefaultAPIAddress)
	}
	if _, port, err := net.SplitHostPort(hostPort); err != nil || port == "" {
		return "", fmt.Errorf("app.toml api.address: %q is not tcp://host:port (e.g. %q), or empty for none", c.Address, DefaultAPIAddress)
	}
	return hostPort, nil
}

const apiConfigTemplate = `
[api]
# The node's binary tx submission endpoint: POST /txs with the raw tx bytes as the
# body answers like CometBFT's broadcast_tx_sync, without JSON-RPC and base64
# (docs/CLI.md, "Submitting txs over HTTP"). "tcp://host:port"; empty: off. Loopback
# by default: expose it deliberately, like the RPC.
address = "{{ .API.Address }}"
`
