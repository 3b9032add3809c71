package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/viper"

	"github.com/selfchain/selfchain/client"
	clientcli "github.com/selfchain/selfchain/client/cli"
)

// probe runs the root command with args plus a "probe" subcommand that
// captures the layered clientcli.Settings.
func probe(t *testing.T, args ...string) *viper.Viper {
	t.Helper()
	root := NewRootCmd()
	var got *viper.Viper
	p := &cobra.Command{Use: "probe", RunE: func(cmd *cobra.Command, _ []string) error {
		got = clientcli.Settings(cmd)
		return nil
	}}
	clientcli.AddTxFlags(p)
	root.AddCommand(p)
	root.SetArgs(append([]string{"probe"}, args...))
	if err := root.Execute(); err != nil {
		t.Fatal(err)
	}
	return got
}

func TestSettingsPrecedence(t *testing.T) {
	home := t.TempDir()
	cfg := client.DefaultConfig()
	cfg.ChainID, cfg.Node, cfg.GasPrices, cfg.Wait = "from-file-1", "tcp://file:1", "0.5ufile", true
	if err := client.SaveConfig(home, cfg); err != nil {
		t.Fatal(err)
	}

	// Nothing but the file: the file beats flag defaults.
	v := probe(t, "--home", home)
	if v.GetString(clientcli.FlagChainID) != "from-file-1" || v.GetString(clientcli.FlagNode) != "tcp://file:1" || v.GetString(clientcli.FlagGasPrices) != "0.5ufile" || !v.GetBool(clientcli.FlagWait) {
		t.Fatalf("file values not used: chain-id %q node %q gas-prices %q wait %v", v.GetString(clientcli.FlagChainID), v.GetString(clientcli.FlagNode), v.GetString(clientcli.FlagGasPrices), v.GetBool(clientcli.FlagWait))
	}
	// Keys the file does not set keep the flag default.
	if v.GetString(clientcli.FlagGas) != "200000" || v.GetString(clientcli.FlagOutput) != "text" {
		t.Fatalf("defaults lost: gas %q output %q", v.GetString(clientcli.FlagGas), v.GetString(clientcli.FlagOutput))
	}

	// The environment beats the file.
	t.Setenv("SELFCHAIN_CHAIN_ID", "from-env-1")
	t.Setenv("SELFCHAIN_GAS_PRICES", "0.2uenv")
	t.Setenv("SELFCHAIN_WAIT", "false")
	v = probe(t, "--home", home)
	if v.GetString(clientcli.FlagChainID) != "from-env-1" || v.GetString(clientcli.FlagGasPrices) != "0.2uenv" || v.GetBool(clientcli.FlagWait) {
		t.Fatalf("env not used: chain-id %q gas-prices %q wait %v", v.GetString(clientcli.FlagChainID), v.GetString(clientcli.FlagGasPrices), v.GetBool(clientcli.FlagWait))
	}
	if v.GetString(clientcli.FlagNode) != "tcp://file:1" {
		t.Fatalf("file value lost under unrelated env: node %q", v.GetString(clientcli.FlagNode))
	}

	// A flag beats both.
	v = probe(t, "--home", home, "--chain-id", "from-flag-1", "--gas-prices", "0.1uflag", "--wait")
	if v.GetString(clientcli.FlagChainID) != "from-flag-1" || v.GetString(clientcli.FlagGasPrices) != "0.1uflag" || !v.GetBool(clientcli.FlagWait) {
		t.Fatalf("flag not used: chain-id %q gas-prices %q wait %v", v.GetString(clientcli.FlagChainID), v.GetString(clientcli.FlagGasPrices), v.GetBool(clientcli.FlagWait))
	}
}

func TestHomeFromEnvSelectsClientToml(t *testing.T) {
	home := t.TempDir()
	cfg := client.DefaultConfig()
	cfg.KeyringBackend = "test"
	if err := client.SaveConfig(home, cfg); err != nil {
		t.Fatal(err)
	}
	t.Setenv("SELFCHAIN_HOME", home)
	if v := probe(t); v.GetString(clientcli.FlagKeyringBackend) != "test" {
		t.Fatalf("keyring-backend %q: client.toml under $SELFCHAIN_HOME not read", v.GetString(clientcli.FlagKeyringBackend))
	}
}

func TestBadClientTomlIsAnError(t *testing.T) {
	home := t.TempDir()
	if err := os.MkdirAll(filepath.Join(home, "config"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(client.ConfigPath(home), []byte("outptu = \"json\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	root := NewRootCmd()
	root.SetArgs([]string{"config", "--home", home})
	root.SetOut(new(nopWriter))
	if err := root.Execute(); err == nil {
		t.Fatal("a misspelt client.toml key must be reported")
	}
}

type nopWriter struct{}

func (*nopWriter) Write(p []byte) (int, error) { return len(p), nil }

func TestTxFactoryFromSettings(t *testing.T) {
	v := probe(t, "--home", t.TempDir(), "--gas", "auto", "--gas-adjustment", "1.5", "--fees", "10uself", "--memo", "hi", "--chain-id", "c-1")
	f, err := clientcli.TxFactory(v)
	if err != nil {
		t.Fatal(err)
	}
	if !f.GasAuto || f.GasAdjustment != 1.5 || f.Fees.String() != "10uself" || f.Memo != "hi" || f.ChainID != "c-1" {
		t.Fatalf("factory %+v", f)
	}
	for _, args := range [][]string{
		{"--gas", "0"},
		{"--gas-prices", "cheap"},
		{"--fees", "-1uself"},
		{"--gas-adjustment", "0"},
	} {
		v := probe(t, append([]string{"--home", t.TempDir()}, args...)...)
		if _, err := clientcli.TxFactory(v); err == nil {
			t.Errorf("%v accepted", args)
		}
	}
	v = probe(t, "--home", t.TempDir(), "--broadcast-timeout", "never")
	if _, err := clientcli.BroadcastTimeout(v); err == nil {
		t.Error("--broadcast-timeout never accepted")
	}
}
