package main

import (
	"strings"
	"testing"

	"github.com/selfchain/selfchain/app/tx"
	"github.com/selfchain/selfchain/crypto"
)

func TestParseGasFlag(t *testing.T) {
	for in, want := range map[string]uint64{"auto": 0, "AUTO": 0, " auto ": 0, "150000": 150000, "1": 1} {
		got, err := parseGasFlag(in)
		if err != nil || got != want {
			t.Errorf("parseGasFlag(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"0", "-1", "", "1e5", "lots", "99999999999999999999999"} {
		if _, err := parseGasFlag(in); err == nil {
			t.Errorf("parseGasFlag(%q) accepted", in)
		}
	}
}

func TestSimulatedGas(t *testing.T) {
	g, err := simulatedGas(100_000, 50_001, 1.3, 1)
	if err != nil {
		t.Fatal(err)
	}
	// 50,001 × 1.3 = 65,001.3: rounded up, never down.
	if g.First != 130_000 || g.Later != 65_002 || g.SimFirst != 100_000 || g.SimLater != 50_001 {
		t.Fatalf("%+v", g)
	}
	if g.limit(true) != 130_000 || g.limit(false) != 65_002 {
		t.Fatalf("limit: first %d, later %d", g.limit(true), g.limit(false))
	}
	if !strings.Contains(g.Source, "simulate") {
		t.Fatalf("source %q", g.Source)
	}
	if g, _ := simulatedGas(7, 7, 1, 1); g.First != 7 || g.Later != 7 {
		t.Fatalf("adjustment 1: %+v", g)
	}
	for _, c := range []struct {
		first, later uint64
		adj          float64
	}{{0, 10, 1.3}, {10, 0, 1.3}, {10, 10, 0.9}, {10, 10, 0}} {
		if _, err := simulatedGas(c.first, c.later, c.adj, 1); err == nil {
			t.Errorf("simulatedGas(%d, %d, %v) accepted", c.first, c.later, c.adj)
		}
	}
}

// Limits rounded to the price's step pay exactly the price per gas, so an
// account's first tx (more gas) ranks with its later ones by fee per gas.
func TestGasStepEqualFeePerGas(t *testing.T) {
	for in, want := range map[string]uint64{"0.001uself": 1000, "0.025uself": 40, "0.5uself": 2, "1uself": 1, "2.5uself": 2,
		"0uself": 1, "0.0001234uself": 1 /* 5,000,000: past maxGasStep */} {
		ps, err := tx.ParseGasPrices(in)
		if err != nil {
			t.Fatal(err)
		}
		if got := gasStep(ps[0]); got != want {
			t.Errorf("gasStep(%s) = %d, want %d", in, got, want)
		}
	}
	ps, _ := tx.ParseGasPrices("0.001uself")
	// The hybrid simulations of stop 33's runs (194,695 and 176,521 after × 1.3).
	g, err := simulatedGas(149_766, 135_786, 1.3, gasStep(ps[0]))
	if err != nil {
		t.Fatal(err)
	}
	if g.First != 195_000 || g.Later != 177_000 {
		t.Fatalf("%+v", g)
	}
	f, l := feeFor(ps[0], g.First)[0].Amount.Uint64(), feeFor(ps[0], g.Later)[0].Amount.Uint64()
	if f*g.Later != l*g.First {
		t.Fatalf("fee per gas differs: %d/%d against %d/%d", f, g.First, l, g.Later)
	}
	if roundUpGas(1001, 1000) != 2000 || roundUpGas(1000, 1000) != 1000 || roundUpGas(7, 1) != 7 {
		t.Fatal("roundUpGas")
	}
}

func TestExplicitGasWins(t *testing.T) {
	g := explicitGas(100_000)
	if g.limit(true) != 100_000 || g.limit(false) != 100_000 || g.SimFirst != 0 {
		t.Fatalf("%+v", g)
	}
}

func TestFeeFollowsGas(t *testing.T) {
	prices, err := tx.ParseGasPrices("0.001uself")
	if err != nil {
		t.Fatal(err)
	}
	for gas, want := range map[uint64]string{130_000: "130uself", 65_002: "66uself", 1: "1uself"} {
		if got := feeFor(prices[0], gas).String(); got != want {
			t.Errorf("fee for %d gas: %s, want %s", gas, got, want)
		}
	}
	zero, _ := tx.ParseGasPrices("0uself")
	if fee := feeFor(zero[0], 100); !fee.IsZero() {
		t.Errorf("zero price: fee %s", fee)
	}
}

// presign gives an account's first tx (with its public key) the first-tx gas and
// fee, its later txs the later-tx ones, and an account whose key is on chain
// already no public key and the later-tx gas throughout.
func TestPresignAppliesGasChoice(t *testing.T) {
	accts, err := deriveAccounts(crypto.Schemes()[0], "test", 3)
	if err != nil {
		t.Fatal(err)
	}
	accts[2].hasPubKey = true
	prices, _ := tx.ParseGasPrices("0.001uself")
	cfg := &config{chainID: "test-1", denom: "uself", amount: 1}
	g := gasChoice{First: 150_000, Later: 70_000}
	set, err := presign(cfg, accts, 9, g, prices[0])
	if err != nil {
		t.Fatal(err)
	}
	for k, bz := range set.txs {
		var raw tx.TxRaw
		if err := raw.Unmarshal(bz); err != nil {
			t.Fatal(err)
		}
		var ai tx.AuthInfo
		if err := ai.Unmarshal(raw.AuthInfoBytes); err != nil {
			t.Fatal(err)
		}
		acct, nth := k%3, k/3
		wantPub := nth == 0 && acct != 2
		wantGas, wantFee := uint64(70_000), "70uself"
		if wantPub {
			wantGas, wantFee = 150_000, "150uself"
		}
		if got := ai.SignerInfos[0].PublicKey != nil; got != wantPub {
			t.Errorf("tx %d (account %d, #%d): public key included %v, want %v", k, acct, nth, got, wantPub)
		}
		if ai.Fee.GasLimit != wantGas || ai.Fee.Amount.String() != wantFee {
			t.Errorf("tx %d: gas %d fee %s, want %d %s", k, ai.Fee.GasLimit, ai.Fee.Amount, wantGas, wantFee)
		}
	}
}
