package main

import (
	"strings"
	"testing"
)

func TestVerdict(t *testing.T) {
	ok := &report{TPSWindow: tpsWindow{TxsOK: 10, Blocks: 1}, Accepted: 10, CommittedOK: 10}
	if err := ok.verdict(false); err != nil {
		t.Fatalf("a run that committed txs failed: %v", err)
	}
	nothing := &report{Accepted: 500, Rejected: 20}
	err := nothing.verdict(false)
	if err == nil || !strings.Contains(err.Error(), "committed no tx") || !strings.Contains(err.Error(), "20 rejected") {
		t.Fatalf("a run that committed nothing: %v", err)
	}
	// Txs committed, but only outside the window (all in the warm-up): still nothing measured.
	warmOnly := &report{Accepted: 500, Committed: 500, CommittedOK: 500}
	if err := warmOnly.verdict(false); err == nil {
		t.Fatal("a run with nothing committed in the window passed")
	}
	halted := &report{TPSWindow: tpsWindow{TxsOK: 10}, Halted: &haltInfo{Height: 42, Since: 31, Pending: 9}}
	if err := halted.verdict(false); err == nil || !strings.Contains(err.Error(), "HALTED at height 42") {
		t.Fatalf("halted run: %v", err)
	}
	if err := ok.verdict(true); err == nil || !strings.Contains(err.Error(), "interrupted") {
		t.Fatalf("interrupted run: %v", err)
	}
}
