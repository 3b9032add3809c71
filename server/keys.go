package server

import (
	"fmt"
	"os"

	cmtcfg "github.com/cometbft/cometbft/config"
	cmtcrypto "github.com/cometbft/cometbft/crypto"
	cmtjson "github.com/cometbft/cometbft/libs/json"
	"github.com/cometbft/cometbft/p2p"
	"github.com/cometbft/cometbft/privval"
)

// homeConfig is the home's config.toml, or the defaults when it has none
// (key file locations can be moved in config.toml).
func homeConfig(home string) *cmtcfg.Config {
	if conf, err := LoadCometConfig(home, nil); err == nil {
		return conf
	}
	conf := cmtcfg.DefaultConfig()
	conf.SetRoot(home)
	return conf
}

// ShowValidator returns the home's consensus public key.
func ShowValidator(home string) (cmtcrypto.PubKey, error) {
	path := homeConfig(home).PrivValidatorKeyFile()
	bz, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("validator key: %w", err)
	}
	var key privval.FilePVKey
	if err := cmtjson.Unmarshal(bz, &key); err != nil || key.PrivKey == nil {
		return nil, fmt.Errorf("validator key %s: not a priv_validator_key.json (%v)", path, err)
	}
	return key.PrivKey.PubKey(), nil
}

// NodeID is the home's p2p node id (hex of its node key's address): peers
// are given as <node-id>@host:port.
func NodeID(home string) (string, error) {
	nk, err := p2p.LoadNodeKey(homeConfig(home).NodeKeyFile())
	if err != nil {
		return "", fmt.Errorf("node key: %w", err)
	}
	return string(nk.ID()), nil
}
