package constellation

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/require"
)

// The chain's /metrics: every series with chain and chain_id, node series by
// node, the verdict one-hot, and x/poai's columns only for our nodes'
// validators whose record was read (once per node).
func TestStatusMetrics(t *testing.T) {
	st := &ChainStatus{Chain: "acme", ChainID: "acme-1", Verdict: VerdictDegraded, Reasons: []string{"node2 is not running"},
		Height: 12, BlockAge: 0.5, TotalPower: 20, MissingPower: 10,
		Nodes: []NodeStatus{
			{Name: "node1", Running: true, Reachable: true, Height: 12, Peers: 1, Mempool: 3, CPUSeconds: 1.25, MemoryBytes: 1 << 20, DiskBytes: 4096},
			{Name: "node2", Restarts: 2},
		},
		Validators: []ValidatorStatus{
			{Name: "node1", Power: 10, Signing: true, Reputation: "0.900000"},
			{Name: "node2", Power: 0, Jailed: true, Reputation: "0.700000"},
			{Name: "node2", Power: 0, Reputation: "0.100000"},  // its old consensus key: not exposed twice
			{Address: "CC", Power: 10, Reputation: "1.000000"}, // no node of ours
		}}
	rec := httptest.NewRecorder()
	serveStatusMetrics(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil), st)
	require.Equal(t, http.StatusOK, rec.Code)
	require.Contains(t, rec.Header().Get("Content-Type"), "text/plain")
	require.Equal(t, wantStatusMetrics, rec.Body.String())

	// Without x/poai's records (the query failed) there are no validator series.
	st.Validators = []ValidatorStatus{{Name: "node1", Power: 10, Signing: true}}
	rec = httptest.NewRecorder()
	serveStatusMetrics(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil), st)
	require.NotContains(t, rec.Body.String(), "constellation_validator_")
	require.Contains(t, rec.Body.String(), `constellation_node_up{chain="acme",chain_id="acme-1",node="node1"} 1`)
}

// wantStatusMetrics is client_golang's text exposition: families by name,
// series by label values.
const wantStatusMetrics = `# HELP constellation_chain_block_age_seconds Seconds since the last block.
# TYPE constellation_chain_block_age_seconds gauge
constellation_chain_block_age_seconds{chain="acme",chain_id="acme-1"} 0.5
# HELP constellation_chain_height Highest height any node reports.
# TYPE constellation_chain_height gauge
constellation_chain_height{chain="acme",chain_id="acme-1"} 12
# HELP constellation_chain_missing_validator_power Voting power absent from the last commits.
# TYPE constellation_chain_missing_validator_power gauge
constellation_chain_missing_validator_power{chain="acme",chain_id="acme-1"} 10
# HELP constellation_chain_reasons Number of reasons behind a verdict other than ok.
# TYPE constellation_chain_reasons gauge
constellation_chain_reasons{chain="acme",chain_id="acme-1"} 1
# HELP constellation_chain_validator_power Total voting power of the validator set.
# TYPE constellation_chain_validator_power gauge
constellation_chain_validator_power{chain="acme",chain_id="acme-1"} 20
# HELP constellation_chain_verdict 1 for the chain's current verdict (ok, degraded, halted), 0 for the others.
# TYPE constellation_chain_verdict gauge
constellation_chain_verdict{chain="acme",chain_id="acme-1",verdict="degraded"} 1
constellation_chain_verdict{chain="acme",chain_id="acme-1",verdict="halted"} 0
constellation_chain_verdict{chain="acme",chain_id="acme-1",verdict="ok"} 0
# HELP constellation_node_cpu_seconds CPU time of the node process.
# TYPE constellation_node_cpu_seconds gauge
constellation_node_cpu_seconds{chain="acme",chain_id="acme-1",node="node1"} 1.25
constellation_node_cpu_seconds{chain="acme",chain_id="acme-1",node="node2"} 0
# HELP constellation_node_disk_bytes Size of the node's data folder.
# TYPE constellation_node_disk_bytes gauge
constellation_node_disk_bytes{chain="acme",chain_id="acme-1",node="node1"} 4096
constellation_node_disk_bytes{chain="acme",chain_id="acme-1",node="node2"} 0
# HELP constellation_node_height The node's latest height.
# TYPE constellation_node_height gauge
constellation_node_height{chain="acme",chain_id="acme-1",node="node1"} 12
constellation_node_height{chain="acme",chain_id="acme-1",node="node2"} 0
# HELP constellation_node_memory_bytes Resident memory of the node process.
# TYPE constellation_node_memory_bytes gauge
constellation_node_memory_bytes{chain="acme",chain_id="acme-1",node="node1"} 1.048576e+06
constellation_node_memory_bytes{chain="acme",chain_id="acme-1",node="node2"} 0
# HELP constellation_node_mempool_txs Transactions in the node's mempool.
# TYPE constellation_node_mempool_txs gauge
constellation_node_mempool_txs{chain="acme",chain_id="acme-1",node="node1"} 3
constellation_node_mempool_txs{chain="acme",chain_id="acme-1",node="node2"} 0
# HELP constellation_node_peers Connected peers.
# TYPE constellation_node_peers gauge
constellation_node_peers{chain="acme",chain_id="acme-1",node="node1"} 1
constellation_node_peers{chain="acme",chain_id="acme-1",node="node2"} 0
# HELP constellation_node_restarts Times the supervisor restarted the node since ` + "`up`" + `.
# TYPE constellation_node_restarts gauge
constellation_node_restarts{chain="acme",chain_id="acme-1",node="node1"} 0
constellation_node_restarts{chain="acme",chain_id="acme-1",node="node2"} 2
# HELP constellation_node_up 1 if the node process runs and answers RPC.
# TYPE constellation_node_up gauge
constellation_node_up{chain="acme",chain_id="acme-1",node="node1"} 1
constellation_node_up{chain="acme",chain_id="acme-1",node="node2"} 0
# HELP constellation_validator_jailed 1 if x/poai has jailed the node's validator.
# TYPE constellation_validator_jailed gauge
constellation_validator_jailed{chain="acme",chain_id="acme-1",node="node1"} 0
constellation_validator_jailed{chain="acme",chain_id="acme-1",node="node2"} 1
# HELP constellation_validator_power The node's validator's voting power at CometBFT (0 outside the active set).
# TYPE constellation_validator_power gauge
constellation_validator_power{chain="acme",chain_id="acme-1",node="node1"} 10
constellation_validator_power{chain="acme",chain_id="acme-1",node="node2"} 0
# HELP constellation_validator_reputation x/poai reputation of the node's validator, 0 to 1.
# TYPE constellation_validator_reputation gauge
constellation_validator_reputation{chain="acme",chain_id="acme-1",node="node1"} 0.9
constellation_validator_reputation{chain="acme",chain_id="acme-1",node="node2"} 0.7
`
