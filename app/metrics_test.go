package app_test

import (
	"context"
	"testing"

	abci "github.com/cometbft/cometbft/abci/types"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"

	"github.com/selfchain/selfchain/app"
	"github.com/selfchain/selfchain/testutil"
)

// The node's mempool and signature metrics count what the app did: with the flood
// mempool a CheckTx accepted (one signature check), one refused (undecodable: no
// check), a re-check after a block and the block executing the tx (both cache
// hits); with the app mempool a peer's tx through InsertTx (one check).
func TestMempoolAndSignatureMetrics(t *testing.T) {
	accs := []*testutil.Account{testutil.NewAccount(0), testutil.NewAccount(1)}
	ta := testutil.NewTestApp(t, nil, testutil.Config(), testutil.GenesisAppState(accs, 1_000_000))
	ta.NextBlock()
	before := appCounters(t)
	bz := testutil.Send(accs[0], accs[1].Addr, 1, testutil.TxOpts{})
	require.Zero(t, ta.CheckTx(bz).Code)
	require.NotZero(t, ta.CheckTx([]byte("not a tx")).Code)
	ta.NextBlock() // an empty block: CometBFT then re-checks what is pending
	res, err := ta.App.CheckTx(context.Background(), &abci.RequestCheckTx{Tx: bz, Type: abci.CheckTxType_Recheck})
	require.NoError(t, err)
	require.Zero(t, res.Code, res.Log)
	ta.NextBlock(bz)
	d := appCounters(t).minus(before)
	require.Equal(t, uint64(1), d.verified, "one check: the re-check and the block hit the cache")
	require.Equal(t, uint64(1), d.executed)
	require.Equal(t, map[string]uint64{
		"check_tx/accepted": 1, "check_tx/refused": 1,
		"recheck/accepted": 1, "recheck/refused": 0,
		"insert_tx/accepted": 0, "insert_tx/refused": 0,
	}, d.checks)

	pool, paccs := newPoolApp(t, 2, app.MempoolLimits{})
	before = appCounters(t)
	require.Zero(t, insert(t, pool, testutil.Send(paccs[0], paccs[1].Addr, 1, testutil.TxOpts{})))
	d = appCounters(t).minus(before)
	require.Equal(t, uint64(1), d.verified)
	require.Equal(t, uint64(1), d.checks["insert_tx/accepted"])
	require.Zero(t, d.checks["check_tx/accepted"]+d.checks["recheck/accepted"])
	// A proposal that takes the whole pool was not capped.
	capped := counterValue(t, "selfchain_mempool_proposals_capped_total")
	require.Len(t, proposeAndCommit(t, pool, 1<<22).TxResults, 1)
	require.Equal(t, capped, counterValue(t, "selfchain_mempool_proposals_capped_total"))
}

// appCounters reads the counters from the default registry, the one the node's
// Prometheus endpoint serves.
func appCounters(t *testing.T) nodeCounters {
	t.Helper()
	fams, err := prometheus.DefaultGatherer.Gather()
	require.NoError(t, err)
	c := nodeCounters{checks: map[string]uint64{}}
	for _, f := range fams {
		for _, m := range f.GetMetric() {
			v := uint64(m.GetCounter().GetValue())
			switch f.GetName() {
			case "selfchain_ante_sig_verifications_total":
				c.verified = v
			case "selfchain_txs_total":
				c.executed += v
			case "selfchain_mempool_checks_total":
				var call, result string
				for _, l := range m.GetLabel() {
					switch l.GetName() {
					case "call":
						call = l.GetValue()
					case "result":
						result = l.GetValue()
					}
				}
				c.checks[call+"/"+result] = v
			}
		}
	}
	return c
}

// counterValue reads one counter from the default registry: the series whose
// labels include every label=value pair in kv (none: the unlabelled one).
func counterValue(t *testing.T, name string, kv ...string) float64 {
	t.Helper()
	fams, err := prometheus.DefaultGatherer.Gather()
	require.NoError(t, err)
	for _, f := range fams {
		if f.GetName() != name {
			continue
		}
	series:
		for _, m := range f.GetMetric() {
			for i := 0; i+1 < len(kv); i += 2 {
				found := false
				for _, l := range m.GetLabel() {
					found = found || (l.GetName() == kv[i] && l.GetValue() == kv[i+1])
				}
				if !found {
					continue series
				}
			}
			return m.GetCounter().GetValue()
		}
	}
	t.Fatalf("no counter %s%v", name, kv)
	return 0
}
