package server

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	cmtcfg "github.com/cometbft/cometbft/config"
)

// init writes config.toml's [mempool] type: app for a new home, flood when asked,
// an existing file's choice kept on re-init (a file without one runs CometBFT's
// flood, and keeps it); an unknown type writes nothing.
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
	spelledOut := func(typ string) {
		t.Helper()
		bz, err := os.ReadFile(CometConfigPath(home))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(bz), `type = "`+typ+`"`) {
			t.Fatalf("config.toml does not spell out mempool type %q", typ)
		}
	}
	if DefaultMempoolType != cmtcfg.MempoolTypeApp {
		t.Fatalf("DefaultMempoolType %q, want app", DefaultMempoolType)
	}
	if got := mempoolType(); got != cmtcfg.MempoolTypeApp {
		t.Fatalf("new home: mempool type %q, want app", got)
	}
	spelledOut(cmtcfg.MempoolTypeApp)
	if err := InitHome(home, "n0", "selfchain-test-1", "", Overwrite(true), WithMempoolType(cmtcfg.MempoolTypeFlood)); err != nil {
		t.Fatal(err)
	}
	if got := mempoolType(); got != cmtcfg.MempoolTypeFlood {
		t.Fatalf("--mempool flood: type %q", got)
	}
	if err := InitHome(home, "n0", "selfchain-test-1", "", Overwrite(true)); err != nil {
		t.Fatal(err)
	}
	if got := mempoolType(); got != cmtcfg.MempoolTypeFlood {
		t.Fatalf("re-init without --mempool: type %q, want the file's flood", got)
	}
	spelledOut(cmtcfg.MempoolTypeFlood)

	// A config.toml written before the type existed (or with it empty) runs
	// CometBFT's flood; re-init spells that out rather than switching it to app.
	for _, line := range []string{"", `type = ""`} {
		bz, err := os.ReadFile(CometConfigPath(home))
		if err != nil {
			t.Fatal(err)
		}
		old := strings.Replace(string(bz), `type = "flood"`, line, 1)
		if old == string(bz) {
			t.Fatal("config.toml has no type line to remove")
		}
		if err := os.WriteFile(CometConfigPath(home), []byte(old), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := InitHome(home, "n0", "selfchain-test-1", "", Overwrite(true)); err != nil {
			t.Fatal(err)
		}
		if got := mempoolType(); got != cmtcfg.MempoolTypeFlood {
			t.Fatalf("re-init of a file with %q: type %q, want flood", line, got)
		}
		spelledOut(cmtcfg.MempoolTypeFlood)
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

// A home with the app mempool gets a size above the app's admission limit (the
// bound meant to act under load); a flood home keeps CometBFT's 5,000. A size
// left at one type's default follows the type init writes; the operator's own
// value is kept.
func TestInitHomeWritesMempoolSize(t *testing.T) {
	floodSize := cmtcfg.DefaultMempoolConfig().Size
	if DefaultAppMempoolSize < 2*20_000 {
		t.Fatalf("DefaultAppMempoolSize %d: below two full blocks of sends, where the admission limit may sit", DefaultAppMempoolSize)
	}
	home := t.TempDir()
	size := func() int {
		t.Helper()
		c, err := LoadCometConfig(home, nil)
		if err != nil {
			t.Fatal(err)
		}
		return c.Mempool.Size
	}
	initAs := func(typ string) {
		t.Helper()
		if err := InitHome(home, "n0", "selfchain-test-1", "", Overwrite(true), WithMempoolType(typ)); err != nil {
			t.Fatal(err)
		}
	}
	initAs("")
	if got := size(); got != DefaultAppMempoolSize {
		t.Fatalf("new home (app): size %d, want %d", got, DefaultAppMempoolSize)
	}
	initAs(cmtcfg.MempoolTypeFlood)
	if got := size(); got != floodSize {
		t.Fatalf("switched to flood: size %d, want CometBFT's %d", got, floodSize)
	}
	initAs(cmtcfg.MempoolTypeApp)
	if got := size(); got != DefaultAppMempoolSize {
		t.Fatalf("switched back to app: size %d, want %d", got, DefaultAppMempoolSize)
	}

	// The operator's size survives a re-init and a switch.
	c, err := LoadCometConfig(home, nil)
	if err != nil {
		t.Fatal(err)
	}
	c.Mempool.Size = 7_000
	cmtcfg.WriteConfigFile(CometConfigPath(home), c)
	initAs(cmtcfg.MempoolTypeFlood)
	if got := size(); got != 7_000 {
		t.Fatalf("re-init: size %d, want the operator's 7000", got)
	}

	fresh := filepath.Join(t.TempDir(), "flood")
	if err := InitHome(fresh, "n0", "selfchain-test-1", "", WithMempoolType(cmtcfg.MempoolTypeFlood)); err != nil {
		t.Fatal(err)
	}
	home = fresh
	if got := size(); got != floodSize {
		t.Fatalf("new flood home: size %d, want %d", got, floodSize)
	}
}

// `start --mempool.type` switches the type for one run: the size follows it the
// way init's does (a default size becomes the other type's default), and a size
// given with it (an override map's mempool.size) or the operator's own is kept.
func TestStartMempoolTypeOverrideSize(t *testing.T) {
	floodSize := cmtcfg.DefaultMempoolConfig().Size
	home := t.TempDir()
	if err := InitHome(home, "n0", "selfchain-test-1", "", WithMempoolType(cmtcfg.MempoolTypeFlood)); err != nil {
		t.Fatal(err)
	}
	load := func(overrides map[string]any) *cmtcfg.Config {
		t.Helper()
		c, err := LoadCometConfig(home, overrides)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	if c := load(map[string]any{"mempool.type": cmtcfg.MempoolTypeApp}); c.Mempool.Type != cmtcfg.MempoolTypeApp || c.Mempool.Size != DefaultAppMempoolSize {
		t.Fatalf("flood home started with --mempool.type app: type %q size %d, want app %d", c.Mempool.Type, c.Mempool.Size, DefaultAppMempoolSize)
	}
	if c := load(map[string]any{"mempool.type": cmtcfg.MempoolTypeApp, "mempool.size": 9_000}); c.Mempool.Size != 9_000 {
		t.Fatalf("mempool.size 9000 given with the type: size %d", c.Mempool.Size)
	}
	if c := load(nil); c.Mempool.Size != floodSize {
		t.Fatalf("without the flag: size %d, want the file's %d", c.Mempool.Size, floodSize)
	}

	if err := InitHome(home, "n0", "selfchain-test-1", "", Overwrite(true), WithMempoolType(cmtcfg.MempoolTypeApp)); err != nil {
		t.Fatal(err)
	}
	if c := load(map[string]any{"mempool.type": cmtcfg.MempoolTypeFlood}); c.Mempool.Size != floodSize {
		t.Fatalf("app home started with --mempool.type flood: size %d, want %d", c.Mempool.Size, floodSize)
	}
	c := load(nil)
	c.Mempool.Size = 7_000
	cmtcfg.WriteConfigFile(CometConfigPath(home), c)
	if c := load(map[string]any{"mempool.type": cmtcfg.MempoolTypeFlood}); c.Mempool.Size != 7_000 {
		t.Fatalf("operator's size with --mempool.type flood: %d, want 7000", c.Mempool.Size)
	}
}
