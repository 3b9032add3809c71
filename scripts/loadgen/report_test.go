package main

import (
	"strings"
	"testing"

	abci "github.com/cometbft/cometbft/abci/types"
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

// The "mempool at end" line names the mempool it counts: the app mempool's count
// from /app/mempool, CometBFT's (0 with the app mempool) only when that is the
// node's mempool or the node did not say.
func TestMempoolAtEnd(t *testing.T) {
	for _, c := range []struct {
		res   abci.ResponseQuery
		comet int
		want  string
	}{
		{abci.ResponseQuery{Value: []byte(`{"type":"app","txs":1234,"bytes":300000}`)}, 0, "app mempool at end 1234"},
		{abci.ResponseQuery{Value: []byte(`{"type":"flood","txs":0,"bytes":0}`)}, 17, "flood mempool at end 17"},
		{abci.ResponseQuery{Code: 6, Log: "unknown query path"}, 0, "CometBFT mempool at end 0 (0 with the app mempool"},
		{abci.ResponseQuery{Value: []byte(`not json`)}, -1, "mempool at end not known"},
	} {
		r := &report{MempoolAtEnd: c.comet}
		r.MempoolType, r.AppMempoolAtEnd = parseMempoolStatus(&c.res)
		if got := r.mempoolAtEnd(); !strings.HasPrefix(got, c.want) {
			t.Errorf("%s: %q, want %q", c.res.Value, got, c.want)
		}
	}
	// No node to ask: not known.
	if typ, n := (&watcher{}).appMempoolAtEnd(); typ != "" || n != -1 {
		t.Fatalf("without a node: %q %d", typ, n)
	}
}
