package client

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLoadConfigMissingIsDefault(t *testing.T) {
	c, err := LoadConfig(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if c != DefaultConfig() {
		t.Fatalf("got %+v, want defaults %+v", c, DefaultConfig())
	}
}

func TestSaveLoadRoundTrip(t *testing.T) {
	home := t.TempDir()
	want := DefaultConfig()
	want.ChainID, want.KeyringBackend, want.Node, want.Output = "selfchain-test-1", "test", "tcp://127.0.0.1:1234", "json"
	want.Gas, want.GasAdjustment, want.Wait, want.BroadcastTimeout = "auto", 1.333, true, "10s"
	if err := SaveConfig(home, want); err != nil {
		t.Fatal(err)
	}
	got, err := LoadConfig(home)
	if err != nil {
		t.Fatal(err)
	}
	if got != want {
		t.Fatalf("round trip: got %+v, want %+v", got, want)
	}
	// A whole-number adjustment must still be written as a TOML float.
	want.GasAdjustment = 2
	if err := SaveConfig(home, want); err != nil {
		t.Fatal(err)
	}
	if got, err = LoadConfig(home); err != nil || got.GasAdjustment != 2 {
		t.Fatalf("gas-adjustment 2: got %v, %v", got.GasAdjustment, err)
	}
}

func TestLoadConfigRejectsBadFiles(t *testing.T) {
	for name, body := range map[string]string{
		"unknown key": "chain-idd = \"x\"\n",
		"bad output":  "output = \"yaml\"\n",
		"bad timeout": "broadcast-timeout = \"soon\"\n",
		"not toml":    "chain-id = \n",
		"wrong type":  "wait = \"yes\"\n",
	} {
		t.Run(name, func(t *testing.T) {
			home := t.TempDir()
			if err := os.MkdirAll(filepath.Join(home, "config"), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(ConfigPath(home), []byte(body), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := LoadConfig(home)
			if err == nil || !strings.Contains(err.Error(), "client.toml") {
				t.Fatalf("want an error naming client.toml, got %v", err)
			}
		})
	}
}
