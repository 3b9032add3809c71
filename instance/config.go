// Package instance is the user's instance gateway: an HTTPS API through which
// apps reach the user's private LLM and sovereign storage, every request checked
// against the user's grants as proven from the chain by a light client.
package instance

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/BurntSushi/toml"
)

// Tier quotas (bytes of sealed values an instance stores).
const (
	GiB          = int64(1) << 30
	QuotaFree    = 10 * GiB
	QuotaGrowth  = 50 * GiB
	QuotaPro     = 200 * GiB
	TLSKeyName   = "selfinstance-tls" // the default TLS key name
	configFile   = "config.toml"
	certFile     = "tls-cert.pem"
	dbFile       = "instance.db"
	defaultLimit = 1 << 20
)

// Config is <home>/config.toml, written by init.
type Config struct {
	Owner          string `toml:"owner"`           // keyring name of the owner's key
	OwnerAddress   string `toml:"owner_address"`   // its bech32 address
	KeyringDir     string `toml:"keyring_dir"`     // where the keyring lives (its keyring-<backend>/ dir)
	KeyringBackend string `toml:"keyring_backend"` // file | test
	TLSKey         string `toml:"tls_key"`         // keyring name of the instance's Ed25519 TLS key
	Tier           string `toml:"tier"`            // free | growth | pro | enterprise
	QuotaBytes     int64  `toml:"quota_bytes"`     // enterprise only
	Listen         string `toml:"listen"`          // host:port of the HTTPS API
	Advertise      string `toml:"advertise"`       // host:port apps reach it at; start registers it in x/registry ("" = don't)
	// HeartbeatBlocks: with advertise, a MsgHeartbeat every this many blocks
	// (0 = a quarter of x/registry's stale_after_blocks).
	HeartbeatBlocks int64  `toml:"heartbeat_blocks"`
	Region          string `toml:"region"` // the registry node's region
	LLM             string `toml:"llm"`    // OpenAI-compatible base URL, e.g. http://127.0.0.1:11434/v1
	Model           string `toml:"model"`
	LLMTimeout      Dur    `toml:"llm_timeout"` // no header or no chunk within this → llm_unavailable
	Node            string `toml:"node"`        // CometBFT RPC of the user's node
	ChainID         string `toml:"chain_id"`
	TrustHeight     int64  `toml:"trust_height"` // the light client's trust root, taken at init
	TrustHash       string `toml:"trust_hash"`
	TrustPeriod     Dur    `toml:"trust_period"`
	MaxValueBytes   int64  `toml:"max_value_bytes"` // storage value size limit
	RatePerSecond   int    `toml:"rate_per_second"` // per app
	RateBurst       int    `toml:"rate_burst"`
	SessionTTL      Dur    `toml:"session_ttl"`
	GrantTTL        Dur    `toml:"grant_ttl"` // expiry of grants sent by approve
}

// Dur is a time.Duration written as "30s" in TOML.
type Dur struct{ time.Duration }

func (d *Dur) UnmarshalText(b []byte) (err error) {
	d.Duration, err = time.ParseDuration(string(b))
	return
}
func (d Dur) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// DefaultConfig fills what init's flags leave out.
func DefaultConfig() Config {
	return Config{
		KeyringBackend: "file", TLSKey: TLSKeyName, Tier: "free", Region: "local", Listen: "127.0.0.1:8443",
		LLMTimeout: Dur{30 * time.Second}, TrustPeriod: Dur{14 * 24 * time.Hour},
		MaxValueBytes: defaultLimit, RatePerSecond: 50, RateBurst: 100,
		SessionTTL: Dur{15 * time.Minute}, GrantTTL: Dur{30 * 24 * time.Hour},
	}
}

// Quota is the tier's storage quota in bytes.
func (c Config) Quota() (int64, error) {
	switch c.Tier {
	case "free":
		return QuotaFree, nil
	case "growth":
		return QuotaGrowth, nil
	case "pro":
		return QuotaPro, nil
	case "enterprise":
		if c.QuotaBytes <= 0 {
			return 0, errors.New("tier enterprise needs quota_bytes > 0")
		}
		return c.QuotaBytes, nil
	}
	return 0, fmt.Errorf("unknown tier %q (free, growth, pro, enterprise)", c.Tier)
}

// Validate names the bad setting.
func (c Config) Validate() error {
	if _, err := c.Quota(); err != nil {
		return err
	}
	switch {
	case c.Owner == "" || c.OwnerAddress == "":
		return errors.New("owner is not set: run selfinstance init --owner <key>")
	case c.TLSKey == "":
		return errors.New("tls_key is not set: the keyring name of the instance's TLS key")
	case c.Node == "":
		return errors.New("node is not set: the CometBFT RPC address of the user's node")
	case c.ChainID == "" || c.TrustHeight <= 0 || c.TrustHash == "":
		return errors.New("the light client's trust root is missing: run selfinstance init again")
	case c.LLM != "" && !strings.HasPrefix(c.LLM, "http://") && !strings.HasPrefix(c.LLM, "https://"):
		return fmt.Errorf("llm %q: want an http:// or https:// URL", c.LLM)
	case c.HeartbeatBlocks < 0:
		return errors.New("heartbeat_blocks must be 0 (derived from x/registry's stale_after_blocks) or positive")
	case c.MaxValueBytes <= 0 || c.RatePerSecond <= 0 || c.RateBurst <= 0:
		return errors.New("max_value_bytes, rate_per_second and rate_burst must be positive")
	case c.SessionTTL.Duration <= 0 || c.LLMTimeout.Duration <= 0 || c.TrustPeriod.Duration <= 0 || c.GrantTTL.Duration <= 0:
		return errors.New("session_ttl, llm_timeout, trust_period and grant_ttl must be positive")
	}
	return nil
}

// LoadConfig reads <home>/config.toml.
func LoadConfig(home string) (Config, error) {
	c := DefaultConfig()
	if _, err := toml.DecodeFile(filepath.Join(home, configFile), &c); err != nil {
		return c, fmt.Errorf("read %s: %w (run selfinstance init first)", filepath.Join(home, configFile), err)
	}
	return c, c.Validate()
}

// SaveConfig writes <home>/config.toml.
func SaveConfig(home string, c Config) error {
	if err := os.MkdirAll(home, 0o700); err != nil {
		return err
	}
	f, err := os.OpenFile(filepath.Join(home, configFile), os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	defer f.Close()
	return toml.NewEncoder(f).Encode(c)
}
