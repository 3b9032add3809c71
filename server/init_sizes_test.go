package server

import (
	"testing"

	cmtcfg "github.com/cometbft/cometbft/config"

	"github.com/selfchain/selfchain/app"
)

// A new home's p2p rates are sized with the genesis block: a full block twice a
// second per peer. An existing config.toml keeps what the operator set.
func TestInitHomeSizesP2PRatesWithTheBlock(t *testing.T) {
	if DefaultP2PRate < 2*app.DefaultBlockMaxBytes {
		t.Fatalf("p2p rate %d: below two blocks of %d a second", DefaultP2PRate, app.DefaultBlockMaxBytes)
	}
	home := t.TempDir()
	if err := InitHome(home, "n0", "selfchain-test-1", ""); err != nil {
		t.Fatal(err)
	}
	c, err := LoadCometConfig(home, nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.P2P.SendRate != DefaultP2PRate || c.P2P.RecvRate != DefaultP2PRate {
		t.Fatalf("new home: send_rate %d recv_rate %d", c.P2P.SendRate, c.P2P.RecvRate)
	}
	if err := c.ValidateBasic(); err != nil {
		t.Fatal(err)
	}

	// The operator's values survive a re-init.
	c.P2P.SendRate, c.P2P.RecvRate = 1_000_000, 2_000_000
	cmtcfg.WriteConfigFile(CometConfigPath(home), c)
	if err := InitHome(home, "n0", "selfchain-test-1", "", Overwrite(true)); err != nil {
		t.Fatal(err)
	}
	if c, err = LoadCometConfig(home, nil); err != nil {
		t.Fatal(err)
	}
	if c.P2P.SendRate != 1_000_000 || c.P2P.RecvRate != 2_000_000 {
		t.Fatalf("re-init: send_rate %d recv_rate %d", c.P2P.SendRate, c.P2P.RecvRate)
	}
}
