package server

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	cmtcfg "github.com/cometbft/cometbft/config"
)

// init writes config.toml's [mempool] type: flood for a new home, app when asked,
// an existing file's choice kept on re-init; an unknown type writes nothing.
func TestInitHomeWritesMempoolType(t *testing.T) {
	home := t.TempDir()
	if err := InitHome(home, "n0", "selfchain-test-1", ""); err != nil {
		t.Fatal(err)
	}
	mempoolType := func() string {
		c, err := LoadCometConfig(home, nil)
		if err != nil {
			t.Fatal(err)
		}
		return c.Mempool.Type
	}
	if got := mempoolType(); got != DefaultMempoolType {
		t.Fatalf("new home: mempool type %q, want %q", got, DefaultMempoolType)
	}
	if err := InitHome(home, "n0", "selfchain-test-1", "", Overwrite(true), WithMempoolType(cmtcfg.MempoolTypeApp)); err != nil {
		t.Fatal(err)
	}
	if got := mempoolType(); got != cmtcfg.MempoolTypeApp {
		t.Fatalf("--mempool app: type %q", got)
	}
	if err := InitHome(home, "n0", "selfchain-test-1", "", Overwrite(true)); err != nil {
		t.Fatal(err)
	}
	if got := mempoolType(); got != cmtcfg.MempoolTypeApp {
		t.Fatalf("re-init without --mempool: type %q, want the file's app", got)
	}
	bz, _ := os.ReadFile(CometConfigPath(home))
	if !strings.Contains(string(bz), `type = "app"`) {
		t.Fatal("config.toml does not spell out the mempool type")
	}

	fresh := filepath.Join(t.TempDir(), "h")
	err := InitHome(fresh, "n0", "selfchain-test-1", "", WithMempoolType("clist"))
	if err == nil || !strings.Contains(err.Error(), "unknown mempool type") {
		t.Fatalf("unknown type: %v", err)
	}
	if _, err := os.Stat(fresh); !os.IsNotExist(err) {
		t.Fatal("a refused init created the home")
	}
}

// An app-mempool node that waits for txs before proposing would never propose:
// CometBFT's AppMempool never reports txs available. Start refuses that config.
func TestAppMempoolNeedsEmptyBlocks(t *testing.T) {
	c := cmtcfg.DefaultConfig()
	c.Mempool.Type = cmtcfg.MempoolTypeApp
	if err := checkMempoolConfig(c); err != nil {
		t.Fatal(err)
	}
	c.Consensus.CreateEmptyBlocks = false
	if err := checkMempoolConfig(c); err == nil || !strings.Contains(err.Error(), "create_empty_blocks") {
		t.Fatalf("got %v", err)
	}
	c.Mempool.Type = cmtcfg.MempoolTypeFlood
	if err := checkMempoolConfig(c); err != nil {
		t.Fatal(err)
	}
}
