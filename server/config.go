package server

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	cmtcfg "github.com/cometbft/cometbft/config"
	"github.com/spf13/viper"
)

// CometConfigPath is where a home keeps CometBFT's config.toml.
func CometConfigPath(home string) string {
	return filepath.Join(home, cmtcfg.DefaultConfigDir, cmtcfg.DefaultConfigFileName)
}

// LoadCometConfig reads <home>/config/config.toml over CometBFT's defaults, as
// the cometbft binary does (viper + mapstructure), then applies overrides keyed
// like the file ("rpc.laddr", "consensus.timeout_commit", "log_level"), which is
// how `start` flags reach it.
func LoadCometConfig(home string, overrides map[string]any) (*cmtcfg.Config, error) {
	path := CometConfigPath(home)
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%s does not exist: run `selfchaind init <moniker> --home %s` first", path, home)
	}
	v := viper.New()
	v.SetConfigFile(path)
	v.SetConfigType("toml")
	if err := v.ReadInConfig(); err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	for k, val := range overrides {
		v.Set(k, val)
	}
	conf := cmtcfg.DefaultConfig()
	if err := v.Unmarshal(conf); err != nil {
		return nil, fmt.Errorf("parse %s: %w", path, err)
	}
	_, sized := overrides["mempool.size"]
	if _, typed := overrides["mempool.type"]; typed && !sized {
		// A --mempool.type for this run takes the size that type's home would
		// have, as init does, unless the file holds the operator's own size.
		conf.Mempool.Size = mempoolSizeFor(conf.Mempool.Type, conf.Mempool.Size)
	}
	conf.SetRoot(home)
	if err := conf.ValidateBasic(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return conf, nil
}
