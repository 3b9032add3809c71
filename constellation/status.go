package constellation

import (
	"encoding/json"
	"io"
	"strings"
	"time"

	"github.com/selfchain/selfchain/x/poai"
)

// What `status`, /health and /metrics report about a chain: filled by Collect
// (collect.go), judged by judge (verdict.go), exposed by metrics.go.

// ChainStatus is what `status` shows.
type ChainStatus struct {
	Chain         string            `json:"chain"`
	ChainID       string            `json:"chain_id"`
	Verdict       string            `json:"verdict"`
	Reasons       []string          `json:"reasons"`
	Supervisor    int               `json:"supervisor_pid"`
	Height        int64             `json:"height"`
	LastBlockTime time.Time         `json:"last_block_time"`
	BlockAge      float64           `json:"block_age_seconds"`
	BlockInterval float64           `json:"avg_block_interval_seconds"`
	AppHash       string            `json:"app_hash"`
	TotalPower    int64             `json:"total_power"`
	MissingPower  int64             `json:"missing_power"`
	Validators    []ValidatorStatus `json:"validators"`
	// PoAIError says why the PoAI columns are empty (the x/poai query failed).
	PoAIError    string       `json:"poai_error,omitempty"`
	Nodes        []NodeStatus `json:"nodes"`
	ChainMetrics string       `json:"chain_metrics"`
	CheckedAt    time.Time    `json:"checked_at"`
}

// ValidatorStatus is one validator of the current set.
type ValidatorStatus struct {
	Name    string `json:"name"`
	Address string `json:"address"`
	Power   int64  `json:"power"`
	Signing bool   `json:"signing"`
	// From x/poai's validator records, when the node answers (empty otherwise):
	// reputation in [0, 1] (6 decimals), jailed, status (bonded, unbonding,
	// unbonded: whether x/poai counts it in the active set), and its operator.
	Reputation string `json:"reputation,omitempty"`
	Jailed     bool   `json:"jailed,omitempty"`
	// JailedUntil is the height from which a jailed validator may unjail.
	JailedUntil int64  `json:"jailed_until,omitempty"`
	Tombstoned  bool   `json:"tombstoned,omitempty"`
	PoAIStatus  string `json:"poai_status,omitempty"`
	Operator    string `json:"operator,omitempty"`
	// SelfStake (base denom), MissedBlocks (in x/poai's signing window) and
	// Model (the AI model it declared) are x/poai's too: the dashboard shows them.
	SelfStake    uint64 `json:"self_stake,omitempty"`
	MissedBlocks uint32 `json:"missed_blocks,omitempty"`
	Model        string `json:"model,omitempty"`
}

// NodeStatus is one node as its RPC, metrics and /proc show it.
type NodeStatus struct {
	Name          string    `json:"name"`
	PID           int       `json:"pid"`
	Running       bool      `json:"running"`
	RPC           string    `json:"rpc"`
	Metrics       string    `json:"metrics"`
	Reachable     bool      `json:"reachable"`
	Height        int64     `json:"height"`
	LastBlockTime time.Time `json:"last_block_time"`
	CatchingUp    bool      `json:"catching_up"`
	Peers         int       `json:"peers"`
	Mempool       int       `json:"mempool_txs"`
	AppVersion    string    `json:"app_version"`
	Round         int64     `json:"round"`
	CPUSeconds    float64   `json:"cpu_seconds"`
	CPUPercent    float64   `json:"cpu_percent"`
	MemoryBytes   int64     `json:"memory_bytes"`
	DiskBytes     int64     `json:"disk_bytes"`
	// StartedAt is when the node's process started (zero when not running).
	StartedAt time.Time `json:"started_at"`
	Restarts  int       `json:"restarts"`
	Failed    string    `json:"failed,omitempty"`
	Error     string    `json:"error,omitempty"`
	// validatorAddr is the node's consensus address (from /status), naming its validator.
	validatorAddr string
}

// setPoAI fills the x/poai columns from the module's validator record.
func (v *ValidatorStatus) setPoAI(pv poai.Validator) {
	v.Reputation = poai.FormatPPM(pv.Reputation)
	v.Jailed = pv.Jailed
	v.JailedUntil = pv.JailedUntil
	v.Tombstoned = pv.Tombstoned
	v.PoAIStatus = strings.ToLower(strings.TrimPrefix(pv.Status.String(), "STATUS_"))
	v.Operator = pv.OperatorAddress
	v.SelfStake, v.MissedBlocks, v.Model = pv.SelfStake, pv.MissedBlocks, pv.ModelName
}

// writeJSON writes v indented, as `status --output json` and /health show it.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
