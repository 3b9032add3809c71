package main

import (
	"testing"

	"github.com/selfchain/selfchain/app"
	"github.com/selfchain/selfchain/client"
	"github.com/selfchain/selfchain/crypto"
)

// TestBech32PrefixFromHome: a home whose client.toml or app.toml records a
// bech32-prefix (as constellation writes them) switches the process's address
// prefix before any command runs; a home without one keeps "self".
func TestBech32PrefixFromHome(t *testing.T) {
	t.Cleanup(func() { _ = crypto.SetBech32Prefix(crypto.Bech32Prefix) })

	plain := t.TempDir()
	probe(t, "--home", plain)
	if got := crypto.GetBech32Prefix(); got != crypto.Bech32Prefix {
		t.Fatalf("prefix without config = %q", got)
	}

	fromApp := t.TempDir()
	ac := app.DefaultConfig()
	ac.Bech32Prefix = "acme"
	if err := app.WriteConfig(fromApp, ac); err != nil {
		t.Fatal(err)
	}
	if got, err := app.LoadConfig(fromApp); err != nil || got.Bech32Prefix != "acme" {
		t.Fatalf("app.toml round trip: %+v %v", got, err)
	}
	probe(t, "--home", fromApp)
	if got := crypto.GetBech32Prefix(); got != "acme" {
		t.Fatalf("prefix from app.toml = %q", got)
	}

	fromClient := t.TempDir()
	cc := client.DefaultConfig()
	cc.Bech32Prefix = "zeta"
	if err := client.SaveConfig(fromClient, cc); err != nil {
		t.Fatal(err)
	}
	probe(t, "--home", fromClient)
	if got := crypto.GetBech32Prefix(); got != "zeta" {
		t.Fatalf("prefix from client.toml = %q", got)
	}
	// Switching back: a home without a prefix restores the default.
	probe(t, "--home", plain)
	if got := crypto.GetBech32Prefix(); got != crypto.Bech32Prefix {
		t.Fatalf("prefix not restored: %q", got)
	}

	cc.Bech32Prefix = "Bad!"
	if err := client.SaveConfig(t.TempDir(), cc); err == nil {
		t.Fatal("client.toml accepted an invalid bech32-prefix")
	}
	ac.Bech32Prefix = "Bad!"
	if err := ac.Validate(); err == nil {
		t.Fatal("app.toml accepted an invalid bech32-prefix")
	}
}
