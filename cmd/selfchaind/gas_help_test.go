package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/selfchain/selfchain/client"
	clientcli "github.com/selfchain/selfchain/client/cli"
)

// help is the --help text of a command path.
func help(t *testing.T, path ...string) string {
	t.Helper()
	root := NewRootCmd()
	var out bytes.Buffer
	root.SetOut(&out)
	root.SetArgs(append(append([]string{"--home", t.TempDir()}, path...), "--help"))
	if err := root.Execute(); err != nil {
		t.Fatal(err)
	}
	return out.String()
}

// gasLine is the --gas line of a help text.
func gasLine(t *testing.T, h string) string {
	t.Helper()
	for _, l := range strings.Split(h, "\n") {
		if strings.Contains(l, "--gas string") {
			return l
		}
	}
	t.Fatalf("no --gas in help:\n%s", h)
	return ""
}

// Issue 18 item 8: commands that simulate by default said default "200000".
func TestGasHelpShowsAutoWhereItIsTheDefault(t *testing.T) {
	for _, path := range [][]string{
		{"tx", "registry", "register-node"}, {"tx", "registry", "update-node"}, {"tx", "registry", "rotate-keys"},
		{"tx", "permissions", "register-app"}, {"tx", "permissions", "rotate-app-key"}, {"tx", "poai", "create-validator"},
	} {
		if l := gasLine(t, help(t, path...)); !strings.Contains(l, `(default "auto")`) {
			t.Errorf("%s: %q", strings.Join(path, " "), l)
		}
	}
	if l := gasLine(t, help(t, "tx", "bank", "send")); !strings.Contains(l, `(default "200000")`) {
		t.Errorf("tx bank send: %q", l)
	}
}

// The effective gas of such a command: auto unless set; an explicit client.toml
// value other than init's default still applies.
func TestGasAutoByDefaultEffectiveValue(t *testing.T) {
	gasOf := func(home string, args ...string) string {
		t.Helper()
		root := NewRootCmd()
		var got string
		p := &cobra.Command{Use: "probe", RunE: func(cmd *cobra.Command, _ []string) error {
			got = clientcli.Settings(cmd).GetString(clientcli.FlagGas)
			return nil
		}}
		clientcli.AddTxFlags(p)
		clientcli.GasAutoByDefault(p)
		root.AddCommand(p)
		root.SetArgs(append([]string{"probe", "--home", home}, args...))
		if err := root.Execute(); err != nil {
			t.Fatal(err)
		}
		return got
	}
	home := t.TempDir()
	if g := gasOf(home); g != "auto" {
		t.Fatalf("no client.toml: gas %q, want auto", g)
	}
	cfg := client.DefaultConfig() // gas = "200000", as init writes it
	if err := client.SaveConfig(home, cfg); err != nil {
		t.Fatal(err)
	}
	if g := gasOf(home); g != "auto" {
		t.Fatalf("init's client.toml: gas %q, want auto", g)
	}
	if g := gasOf(home, "--gas", "123456"); g != "123456" {
		t.Fatalf("--gas 123456: gas %q", g)
	}
	cfg.Gas = "300000"
	if err := client.SaveConfig(home, cfg); err != nil {
		t.Fatal(err)
	}
	if g := gasOf(home); g != "300000" {
		t.Fatalf("client.toml gas 300000: gas %q", g)
	}
}
