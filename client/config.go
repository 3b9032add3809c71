package client

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"text/template"
	"time"

	"github.com/BurntSushi/toml"

	"github.com/selfchain/selfchain/crypto"
)

// DefaultNode is where a CLI looks for a node unless told otherwise.
const DefaultNode = "tcp://127.0.0.1:26657"

// Config is <home>/config/client.toml: the defaults of CLI flags, like the
// Cosmos SDK's client.toml. Each key is the name of the flag it defaults, so a
// flag beats SELFCHAIN_<FLAG> from the environment, which beats this file.
type Config struct {
	ChainID          string  `toml:"chain-id" json:"chain_id"`
	KeyringBackend   string  `toml:"keyring-backend" json:"keyring_backend"`
	Node             string  `toml:"node" json:"node"`
	Output           string  `toml:"output" json:"output"`
	Gas              string  `toml:"gas" json:"gas"`
	GasPrices        string  `toml:"gas-prices" json:"gas_prices"`
	GasAdjustment    float64 `toml:"gas-adjustment" json:"gas_adjustment"`
	Wait             bool    `toml:"wait" json:"wait"`
	BroadcastTimeout string  `toml:"broadcast-timeout" json:"broadcast_timeout"`
	// Bech32Prefix is the chain's address prefix ("self" when empty), applied
	// before any address is parsed.
	Bech32Prefix string `toml:"bech32-prefix" json:"bech32_prefix,omitempty"`
}

// DefaultConfig is what a CLI uses with no client.toml.
func DefaultConfig() Config {
	return Config{
		KeyringBackend:   "file",
		Node:             DefaultNode,
		Output:           "text",
		Gas:              "200000",
		GasPrices:        DefaultGasPrices,
		GasAdjustment:    DefaultGasAdjustment,
		BroadcastTimeout: DefaultBroadcastTimeout.String(),
	}
}

// ConfigPath is where a home keeps client.toml.
func ConfigPath(home string) string { return filepath.Join(home, "config", "client.toml") }

// LoadConfig reads client.toml over the defaults; a missing file means the defaults.
func LoadConfig(home string) (Config, error) {
	c := DefaultConfig()
	bz, err := os.ReadFile(ConfigPath(home))
	if os.IsNotExist(err) {
		return c, nil
	}
	if err != nil {
		return c, err
	}
	md, err := toml.Decode(string(bz), &c)
	if err != nil {
		return c, fmt.Errorf("%s: %w", ConfigPath(home), err)
	}
	if und := md.Undecoded(); len(und) > 0 {
		return c, fmt.Errorf("%s: unknown key %q", ConfigPath(home), und[0].String())
	}
	return c, c.Validate()
}

// Validate checks the values a CLI cannot work with, naming the key.
func (c Config) Validate() error {
	switch c.Output {
	case "", "text", "json":
	default:
		return fmt.Errorf("client.toml output: %q is not text or json", c.Output)
	}
	if c.BroadcastTimeout != "" {
		if _, err := time.ParseDuration(c.BroadcastTimeout); err != nil {
			return fmt.Errorf("client.toml broadcast-timeout: %w", err)
		}
	}
	if c.GasAdjustment < 0 {
		return fmt.Errorf("client.toml gas-adjustment: must not be negative")
	}
	if c.Bech32Prefix != "" && !crypto.ValidBech32Prefix(c.Bech32Prefix) {
		return fmt.Errorf("client.toml bech32-prefix: %q is not 1-32 lowercase letters and digits starting with a letter", c.Bech32Prefix)
	}
	return nil
}

const configTemplate = `# SELF Chain client settings: defaults for selfchaind's CLI flags.
# A flag on the command line wins, then SELFCHAIN_<FLAG> from the environment
# (e.g. SELFCHAIN_CHAIN_ID), then this file.

# The chain to sign for (also learnt from the node when empty).
chain-id = "{{ .ChainID }}"
# Where keys live: file (encrypted, default), test (unencrypted; dev only), memory.
keyring-backend = "{{ .KeyringBackend }}"
# The node's CometBFT RPC endpoint.
node = "{{ .Node }}"
# text or json.
output = "{{ .Output }}"
# Gas limit of a tx: a number, or "auto" to simulate and multiply by gas-adjustment.
gas = "{{ .Gas }}"
gas-prices = "{{ .GasPrices }}"
gas-adjustment = {{ tomlFloat .GasAdjustment }}
# Wait until a broadcast tx is in a block, for at most broadcast-timeout.
wait = {{ .Wait }}
broadcast-timeout = "{{ .BroadcastTimeout }}"
{{- if .Bech32Prefix }}
# Address prefix of the chain (default "self").
bech32-prefix = "{{ .Bech32Prefix }}"
{{- end }}
`

// tomlFloat writes f so TOML reads it back as a float (2 would be an integer).
func tomlFloat(f float64) string {
	s := strconv.FormatFloat(f, 'f', -1, 64)
	if !strings.ContainsAny(s, ".eEnN") {
		s += ".0"
	}
	return s
}

// SaveConfig writes c as a commented client.toml under home.
func SaveConfig(home string, c Config) error {
	if err := c.Validate(); err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := template.Must(template.New("client").Funcs(template.FuncMap{"tomlFloat": tomlFloat}).Parse(configTemplate)).Execute(&buf, c); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(ConfigPath(home)), 0o755); err != nil {
		return err
	}
	return os.WriteFile(ConfigPath(home), buf.Bytes(), 0o644)
}
