package constellation

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"testing"
)

// scrapeGauges takes each named metric's first sample, labels ignored, and
// leaves out what the endpoint does not serve (or cannot be parsed).
func TestScrapeGauges(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprint(w, `# HELP cometbft_consensus_rounds Number of rounds.
# TYPE cometbft_consensus_rounds gauge
cometbft_consensus_rounds{chain_id="c-1"} 2
cometbft_consensus_rounds{chain_id="c-2"} 7
selfchain_mempool_txs_other 9
selfchain_mempool_txs 1234
selfchain_broken x
`)
	}))
	defer srv.Close()
	u, err := url.Parse(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	port, err := strconv.Atoi(u.Port())
	if err != nil {
		t.Fatal(err)
	}
	g := scrapeGauges(context.Background(), port, "cometbft_consensus_rounds", "selfchain_mempool_txs", "selfchain_broken", "absent")
	want := map[string]float64{"cometbft_consensus_rounds": 2, "selfchain_mempool_txs": 1234}
	if len(g) != len(want) {
		t.Fatalf("got %v, want %v", g, want)
	}
	for k, v := range want {
		if g[k] != v {
			t.Fatalf("%s: got %v, want %v", k, g[k], v)
		}
	}
}
