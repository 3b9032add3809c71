package constellation

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/selfchain/selfchain/app/runtime"
	"github.com/selfchain/selfchain/server"
	"github.com/selfchain/selfchain/types/query"
	"github.com/selfchain/selfchain/x/poai"
)

// Verdicts of a chain's health.
const (
	VerdictOK       = "ok"
	VerdictDegraded = "degraded"
	VerdictHalted   = "halted"
)

// lagBlocks behind the highest node make a node "lagging".
const lagBlocks = 3

// missingWindow commits a validator must all miss to count as missing: one
// absent signature happens to a healthy node that was a little late.
const missingWindow = 3

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
	Restarts      int       `json:"restarts"`
	Failed        string    `json:"failed,omitempty"`
	Error         string    `json:"error,omitempty"`
	validatorAddr string
}

var httpClient = &http.Client{Timeout: 2 * time.Second}

// rpcGet calls a CometBFT JSON-RPC endpoint over HTTP GET and decodes "result".
func rpcGet(ctx context.Context, port int, path string, out any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, fmt.Sprintf("http://127.0.0.1:%d/%s", port, path), nil)
	if err != nil {
		return err
	}
	resp, err := httpClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	var env struct {
		Result json.RawMessage `json:"result"`
		Error  *struct {
			Message string `json:"message"`
			Data    string `json:"data"`
		} `json:"error"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 8<<20)).Decode(&env); err != nil {
		return err
	}
	if env.Error != nil {
		return fmt.Errorf("%s: %s", env.Error.Message, env.Error.Data)
	}
	return json.Unmarshal(env.Result, out)
}

type rpcStatus struct {
	NodeInfo struct {
		Network string `json:"network"`
	} `json:"node_info"`
	SyncInfo struct {
		Height     string    `json:"latest_block_height"`
		Time       time.Time `json:"latest_block_time"`
		AppHash    string    `json:"latest_app_hash"`
		CatchingUp bool      `json:"catching_up"`
	} `json:"sync_info"`
	ValidatorInfo struct {
		Address string `json:"address"`
	} `json:"validator_info"`
}

// nodeCatchingUp reports whether the node is still block-syncing (or does not
// answer /status), during which CometBFT refuses broadcast_tx.
func nodeCatchingUp(port int) bool {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	var s rpcStatus
	if err := rpcGet(ctx, port, "status", &s); err != nil {
		return true
	}
	return s.SyncInfo.CatchingUp
}

// nodeHeight is the last height the node's application committed, if it
// answers (/abci_info: /status's height comes from the block store, which is
// written before the application commits, so a query could still find no state).
func nodeHeight(port int) (int64, bool) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	var ai struct {
		Response struct {
			Height string `json:"last_block_height"`
		} `json:"response"`
	}
	if err := rpcGet(ctx, port, "abci_info", &ai); err != nil {
		return 0, false
	}
	if ai.Response.Height == "" {
		return 0, true // nothing committed yet: the field is omitted
	}
	h, err := strconv.ParseInt(ai.Response.Height, 10, 64)
	return h, err == nil
}

// Collect gathers every node's state and gives the chain a verdict.
func (c *Chain) Collect(ctx context.Context) *ChainStatus {
	st := &ChainStatus{Chain: c.Spec.Name, ChainID: c.Spec.ChainID, CheckedAt: time.Now().UTC(),
		ChainMetrics: fmt.Sprintf("http://127.0.0.1:%d/metrics", c.Layout.Chain)}
	if pid, ok := c.SupervisorPID(); ok {
		st.Supervisor = pid
	}
	st.Nodes = make([]NodeStatus, len(c.Layout.Nodes))
	var wg sync.WaitGroup
	for i := range c.Layout.Nodes {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			st.Nodes[i] = c.collectNode(ctx, i)
		}(i)
	}
	wg.Wait()

	best := -1
	for i, n := range st.Nodes {
		if n.Reachable && (best < 0 || n.Height > st.Nodes[best].Height) {
			best = i
		}
	}
	if best >= 0 {
		b := st.Nodes[best]
		st.Height, st.LastBlockTime = b.Height, b.LastBlockTime
		st.BlockAge = time.Since(b.LastBlockTime).Seconds()
		c.collectValidators(ctx, st, c.Layout.Nodes[best].RPC)
	}
	c.verdict(st)
	return st
}

func (c *Chain) collectNode(ctx context.Context, i int) NodeStatus {
	ports := c.Layout.Nodes[i]
	n := NodeStatus{Name: NodeName(i), RPC: fmt.Sprintf("tcp://127.0.0.1:%d", ports.RPC),
		Metrics: fmt.Sprintf("http://127.0.0.1:%d/metrics", ports.Metrics), Round: -1}
	if pid, ok := c.NodePID(i); ok {
		n.PID, n.Running = pid, true
		if cpu, pct, rss, ok := procStats(pid); ok {
			n.CPUSeconds, n.CPUPercent, n.MemoryBytes = cpu, pct, rss
		}
	}
	if pid, ok := readPID(c.PIDFile(NodeName(i))); ok && !n.Running {
		n.PID = pid
	}
	if bz, ok := readPID(c.restartsFile(i)); ok {
		n.Restarts = bz
	}
	if bz, err := readFileString(c.failedMarker(i)); err == nil {
		n.Failed = bz
	}
	n.DiskBytes = dirSize(c.NodeHome(i) + "/data")
	var s rpcStatus
	if err := rpcGet(ctx, ports.RPC, "status", &s); err != nil {
		n.Error = err.Error()
		return n
	}
	n.Reachable = true
	n.Height, _ = strconv.ParseInt(s.SyncInfo.Height, 10, 64)
	n.LastBlockTime, n.CatchingUp = s.SyncInfo.Time, s.SyncInfo.CatchingUp
	n.validatorAddr = s.ValidatorInfo.Address
	var ni struct {
		NPeers string `json:"n_peers"`
	}
	if rpcGet(ctx, ports.RPC, "net_info", &ni) == nil {
		n.Peers, _ = strconv.Atoi(ni.NPeers)
	}
	var mp struct {
		Total string `json:"total"`
	}
	if rpcGet(ctx, ports.RPC, "num_unconfirmed_txs", &mp) == nil {
		n.Mempool, _ = strconv.Atoi(mp.Total)
	}
	var ai struct {
		Response struct {
			Version    string `json:"version"`
			AppVersion string `json:"app_version"`
		} `json:"response"`
	}
	if rpcGet(ctx, ports.RPC, "abci_info", &ai) == nil {
		n.AppVersion = ai.Response.Version
	}
	if m, err := scrapeMetrics(ctx, ports.Metrics); err == nil {
		if v, ok := m["cometbft_consensus_rounds"]; ok {
			n.Round = int64(v)
		}
	}
	return n
}

func readFileString(path string) (string, error) {
	bz, err := readFileLimited(path, 4096)
	return strings.TrimSpace(string(bz)), err
}

// collectValidators reads the validator set and which validators signed the
// last few commits, from the most advanced node.
func (c *Chain) collectValidators(ctx context.Context, st *ChainStatus, port int) {
	h := st.Height
	if h < 1 {
		return
	}
	var vs struct {
		Validators []struct {
			Address string `json:"address"`
			Power   string `json:"voting_power"`
		} `json:"validators"`
	}
	if err := rpcGet(ctx, port, fmt.Sprintf("validators?height=%d&per_page=100", h), &vs); err != nil {
		return
	}
	st.BlockInterval = blockInterval(ctx, port, h)
	signed := map[string]bool{}
	var commitApp string
	for k := int64(0); k < missingWindow && h-k >= 1; k++ {
		var cm struct {
			SignedHeader struct {
				Header struct {
					AppHash string `json:"app_hash"`
				} `json:"header"`
				Commit struct {
					Signatures []struct {
						Flag    int    `json:"block_id_flag"`
						Address string `json:"validator_address"`
					} `json:"signatures"`
				} `json:"commit"`
			} `json:"signed_header"`
		}
		if err := rpcGet(ctx, port, fmt.Sprintf("commit?height=%d", h-k), &cm); err != nil {
			continue
		}
		if k == 0 {
			commitApp = cm.SignedHeader.Header.AppHash
		}
		for _, s := range cm.SignedHeader.Commit.Signatures {
			if s.Flag == 2 { // BlockIDFlagCommit
				signed[s.Address] = true
			}
		}
	}
	st.AppHash = commitApp
	names, operators := c.genesisValidators()
	for _, n := range st.Nodes {
		if n.validatorAddr != "" {
			names[n.validatorAddr] = n.Name
		}
	}
	pvals, err := poaiValidators(ctx, port, operators)
	if err != nil {
		st.PoAIError = err.Error()
	}
	inSet := map[string]bool{}
	for _, v := range vs.Validators {
		p, _ := strconv.ParseInt(v.Power, 10, 64)
		vst := ValidatorStatus{Name: names[v.Address], Address: v.Address, Power: p, Signing: signed[v.Address]}
		if pv, ok := pvals[v.Address]; ok {
			vst.setPoAI(pv)
		}
		inSet[v.Address] = true
		st.TotalPower += p
		if !vst.Signing {
			st.MissingPower += p
		}
		st.Validators = append(st.Validators, vst)
	}
	// Our nodes' validators that x/poai took out of CometBFT's set (jailed, or
	// not selected at an epoch end) are listed with power 0, so `status` can say
	// why a node no longer signs.
	for addr, name := range names {
		if pv, ok := pvals[addr]; ok && !inSet[addr] {
			vst := ValidatorStatus{Name: name, Address: addr}
			vst.setPoAI(pv)
			st.Validators = append(st.Validators, vst)
		}
	}
	// node2 before node10; validators of no node of ours last, by address.
	sort.SliceStable(st.Validators, func(i, j int) bool {
		a, b := st.Validators[i].Name, st.Validators[j].Name
		if (a == "") != (b == "") {
			return b == ""
		}
		if a == "" {
			return st.Validators[i].Address < st.Validators[j].Address
		}
		if len(a) != len(b) {
			return len(a) < len(b)
		}
		return a < b
	})
}

func (v *ValidatorStatus) setPoAI(pv poai.Validator) {
	v.Reputation = ppm(pv.Reputation)
	v.Jailed = pv.Jailed
	v.JailedUntil = pv.JailedUntil
	v.Tombstoned = pv.Tombstoned
	v.PoAIStatus = strings.ToLower(strings.TrimPrefix(pv.Status.String(), "STATUS_"))
	v.Operator = pv.OperatorAddress
}

// genesisValidators maps each genesis validator's consensus address (upper
// hex) to its node name, so a stopped node's validator is still named, and to
// its x/poai operator address from the genesis' poai section.
func (c *Chain) genesisValidators() (names, operators map[string]string) {
	names, operators = map[string]string{}, map[string]string{}
	gen, err := server.LoadGenesis(filepath.Join(c.Dir, "genesis.json"))
	if err != nil {
		return names, operators
	}
	for _, v := range gen.Validators {
		names[strings.ToUpper(hex.EncodeToString(v.Address))] = v.Name
	}
	var state map[string]json.RawMessage
	var ps poai.GenesisState
	if json.Unmarshal(gen.AppState, &state) == nil && runtime.UnmarshalGenesis(state[poai.ModuleName], &ps) == nil {
		for _, v := range ps.Validators {
			operators[strings.ToUpper(hex.EncodeToString(v.ConsensusAddress))] = v.OperatorAddress
		}
	}
	return names, operators
}

// verdict: halted when nothing answers or blocks stopped; degraded when the
// chain makes blocks but something is off (a node down, lagging or crash
// looping, validator power missing from commits, rounds above 0, missing
// peers, no supervisor); ok otherwise.
func (c *Chain) verdict(st *ChainStatus) {
	add := func(f string, a ...any) { st.Reasons = append(st.Reasons, fmt.Sprintf(f, a...)) }
	reachable := 0
	for _, n := range st.Nodes {
		if n.Reachable {
			reachable++
		}
	}
	stall := 10 * c.Spec.BlockTime.Duration
	if stall < 5*time.Second {
		stall = 5 * time.Second
	}
	switch {
	case reachable == 0 && st.Supervisor == 0:
		st.Verdict = VerdictHalted
		add("the chain is not running: start it with `constellation up %s`", c.Spec.Name)
		return
	case reachable == 0:
		st.Verdict = VerdictHalted
		add("no node answers on its RPC port")
	case st.Height > 0 && time.Since(st.LastBlockTime) > stall:
		st.Verdict = VerdictHalted
		add("no block for %s (last at height %d): see `constellation logs %s <node>`", time.Since(st.LastBlockTime).Round(time.Second), st.Height, c.Spec.Name)
	}
	for _, n := range st.Nodes {
		switch {
		case n.Failed != "":
			add("%s is crash-looping: %s (see `constellation logs %s %s`)", n.Name, n.Failed, c.Spec.Name, n.Name)
		case !n.Running && st.Supervisor != 0:
			add("%s is not running (the supervisor restarts it)", n.Name)
		case !n.Running:
			add("%s is not running", n.Name)
		case !n.Reachable:
			add("%s does not answer on %s", n.Name, n.RPC)
		case n.CatchingUp:
			add("%s is catching up (height %d of %d)", n.Name, n.Height, st.Height)
		case st.Height-n.Height > lagBlocks:
			add("%s is %d blocks behind", n.Name, st.Height-n.Height)
		}
		if n.Reachable && n.Round > 0 {
			add("%s is at round %d of its height: a proposal or votes were late", n.Name, n.Round)
		}
		if n.Reachable && len(st.Nodes) > 1 && n.Peers < len(st.Nodes)-1 {
			add("%s has %d of %d peers", n.Name, n.Peers, len(st.Nodes)-1)
		}
	}
	if st.MissingPower > 0 {
		var who []string
		for _, v := range st.Validators {
			if !v.Signing && v.Power > 0 {
				who = append(who, orDefault(v.Name, v.Address))
			}
		}
		add("validator power %d of %d missing from the last %d commits (%s)", st.MissingPower, st.TotalPower, missingWindow, strings.Join(who, ", "))
	}
	for _, v := range st.Validators {
		switch {
		case v.Name == "" || v.Power > 0:
		case v.Tombstoned:
			add("%s's validator is jailed by x/poai for good (tombstoned after a double sign): it needs a new consensus key and create-validator", v.Name)
		case v.Jailed:
			add("%s's validator is jailed by x/poai until height %d (reputation %s): after that, `selfchaind --home %s tx poai unjail %s --gas auto --wait`", v.Name, v.JailedUntil, v.Reputation, c.ClientHome(), v.Name+operatorSuffix)
		default:
			add("%s's validator is not in the active set (x/poai status %s, reputation %s)", v.Name, orDefault(v.PoAIStatus, "unknown"), orDefault(v.Reputation, "unknown"))
		}
	}
	if st.Supervisor == 0 && reachable > 0 {
		add("no supervisor: crashed nodes will not be restarted (`constellation down %s` then `up`)", c.Spec.Name)
	}
	if st.Verdict == "" {
		if len(st.Reasons) > 0 {
			st.Verdict = VerdictDegraded
		} else {
			st.Verdict = VerdictOK
		}
	}
}

// scrapeMetrics reads a Prometheus text endpoint into name -> value (the
// first sample of each metric; labels are ignored).
func scrapeMetrics(ctx context.Context, port int) (map[string]float64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, fmt.Sprintf("http://127.0.0.1:%d/metrics", port), nil)
	if err != nil {
		return nil, err
	}
	resp, err := httpClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	out := map[string]float64{}
	sc := bufio.NewScanner(io.LimitReader(resp.Body, 16<<20))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		sp := strings.LastIndexByte(line, ' ')
		if sp < 0 {
			continue
		}
		name := line[:sp]
		if b := strings.IndexByte(name, '{'); b >= 0 {
			name = name[:b]
		}
		if _, seen := out[name]; seen {
			continue
		}
		if v, err := strconv.ParseFloat(line[sp+1:], 64); err == nil {
			out[name] = v
		}
	}
	return out, sc.Err()
}

// poaiValidatorsPath is x/poai's paginated validator list (the query behind
// `selfchaind query poai validators`), asked over the node's RPC abci_query.
const (
	poaiValidatorsPath = "/selfchain.poai.v1.Query/Validators"
	poaiValidatorPath  = "/selfchain.poai.v1.Query/Validator"
)

// maxPoAIPages bounds how many pages (of poai.MaxPageLimit) of the bonded set
// status reads (max_validators is at most 1,000, so 2 pages cover it).
const maxPoAIPages = 4

// poaiQuery asks a node's app for path over RPC abci_query and decodes the answer.
func poaiQuery(ctx context.Context, port int, path string, req interface{ Marshal() ([]byte, error) }, resp interface{ Unmarshal([]byte) error }) error {
	bz, err := req.Marshal()
	if err != nil {
		return err
	}
	var res struct {
		Response struct {
			Code  int    `json:"code"`
			Log   string `json:"log"`
			Value string `json:"value"`
		} `json:"response"`
	}
	if err := rpcGet(ctx, port, fmt.Sprintf("abci_query?path=%%22%s%%22&data=0x%x", path, bz), &res); err != nil {
		return err
	}
	if res.Response.Code != 0 {
		return fmt.Errorf("%s: code %d: %s", path, res.Response.Code, res.Response.Log)
	}
	val, err := base64.StdEncoding.DecodeString(res.Response.Value)
	if err != nil {
		return err
	}
	if err := resp.Unmarshal(val); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

// poaiValidators reads x/poai's records by consensus address (upper-case hex,
// as CometBFT's /validators shows it): the bonded set (paginated, at most
// maxPoAIPages pages), then, one query each, those of our nodes' operators
// (ours: consensus address -> operator) not in it, e.g. jailed ones. An error
// (a node without x/poai, a query failure) leaves the PoAI columns empty.
func poaiValidators(ctx context.Context, port int, ours map[string]string) (map[string]poai.Validator, error) {
	out := map[string]poai.Validator{}
	var key []byte
	for page := 0; page < maxPoAIPages; page++ {
		var resp poai.QueryValidatorsResponse
		req := &poai.QueryValidatorsRequest{Status: poai.STATUS_BONDED, Pagination: &query.PageRequest{Key: key, Limit: poai.MaxPageLimit}}
		if err := poaiQuery(ctx, port, poaiValidatorsPath, req, &resp); err != nil {
			return nil, err
		}
		for _, v := range resp.Validators {
			out[strings.ToUpper(hex.EncodeToString(v.ConsensusAddress))] = v
		}
		if len(resp.Pagination.GetNextKey()) == 0 {
			break
		}
		key = resp.Pagination.NextKey
	}
	addrs := make([]string, 0, len(ours))
	for addr := range ours {
		addrs = append(addrs, addr)
	}
	sort.Strings(addrs)
	for _, addr := range addrs {
		if _, ok := out[addr]; ok {
			continue
		}
		var resp poai.QueryValidatorResponse
		if err := poaiQuery(ctx, port, poaiValidatorPath, &poai.QueryValidatorRequest{OperatorAddress: ours[addr]}, &resp); err != nil {
			continue // e.g. the validator moved to another operator: not shown
		}
		out[strings.ToUpper(hex.EncodeToString(resp.Validator.ConsensusAddress))] = resp.Validator
	}
	return out, nil
}

// ppm shows a parts-per-million value as a decimal fraction, as
// `selfchaind query poai` does (1.000000 is a perfect reputation).
func ppm(v uint32) string { return fmt.Sprintf("%d.%06d", v/poai.PPM, v%poai.PPM) }

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// WriteMetrics renders a chain's health in the Prometheus text format.
func WriteMetrics(w io.Writer, st *ChainStatus) {
	l := fmt.Sprintf(`chain=%q,chain_id=%q`, st.Chain, st.ChainID)
	g := func(name, help string) { fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s gauge\n", name, help, name) }
	g("constellation_chain_verdict", "1 for the chain's current verdict (ok, degraded, halted), 0 for the others.")
	for _, v := range []string{VerdictOK, VerdictDegraded, VerdictHalted} {
		val := 0
		if st.Verdict == v {
			val = 1
		}
		fmt.Fprintf(w, "constellation_chain_verdict{%s,verdict=%q} %d\n", l, v, val)
	}
	g("constellation_chain_height", "Highest height any node reports.")
	fmt.Fprintf(w, "constellation_chain_height{%s} %d\n", l, st.Height)
	g("constellation_chain_block_age_seconds", "Seconds since the last block.")
	fmt.Fprintf(w, "constellation_chain_block_age_seconds{%s} %g\n", l, st.BlockAge)
	g("constellation_chain_validator_power", "Total voting power of the validator set.")
	fmt.Fprintf(w, "constellation_chain_validator_power{%s} %d\n", l, st.TotalPower)
	g("constellation_chain_missing_validator_power", "Voting power absent from the last commits.")
	fmt.Fprintf(w, "constellation_chain_missing_validator_power{%s} %d\n", l, st.MissingPower)
	g("constellation_chain_reasons", "Number of reasons behind a verdict other than ok.")
	fmt.Fprintf(w, "constellation_chain_reasons{%s} %d\n", l, len(st.Reasons))
	type nm struct {
		name, help string
		val        func(NodeStatus) float64
	}
	b2f := func(b bool) float64 {
		if b {
			return 1
		}
		return 0
	}
	for _, m := range []nm{
		{"constellation_node_up", "1 if the node process runs and answers RPC.", func(n NodeStatus) float64 { return b2f(n.Running && n.Reachable) }},
		{"constellation_node_height", "The node's latest height.", func(n NodeStatus) float64 { return float64(n.Height) }},
		{"constellation_node_peers", "Connected peers.", func(n NodeStatus) float64 { return float64(n.Peers) }},
		{"constellation_node_mempool_txs", "Transactions in the node's mempool.", func(n NodeStatus) float64 { return float64(n.Mempool) }},
		{"constellation_node_restarts", "Times the supervisor restarted the node since `up`.", func(n NodeStatus) float64 { return float64(n.Restarts) }},
		{"constellation_node_cpu_seconds", "CPU time of the node process.", func(n NodeStatus) float64 { return n.CPUSeconds }},
		{"constellation_node_memory_bytes", "Resident memory of the node process.", func(n NodeStatus) float64 { return float64(n.MemoryBytes) }},
		{"constellation_node_disk_bytes", "Size of the node's data folder.", func(n NodeStatus) float64 { return float64(n.DiskBytes) }},
	} {
		g(m.name, m.help)
		for _, n := range st.Nodes {
			fmt.Fprintf(w, "%s{%s,node=%q} %g\n", m.name, l, n.Name, m.val(n))
		}
	}
	// x/poai's view of our nodes' validators (those with a reputation: the query answered).
	var vals []ValidatorStatus
	for _, v := range st.Validators {
		if v.Name != "" && v.Reputation != "" {
			vals = append(vals, v)
		}
	}
	if len(vals) > 0 {
		g("constellation_validator_reputation", "x/poai reputation of the node's validator, 0 to 1.")
		for _, v := range vals {
			fmt.Fprintf(w, "constellation_validator_reputation{%s,node=%q} %s\n", l, v.Name, v.Reputation)
		}
		g("constellation_validator_jailed", "1 if x/poai has jailed the node's validator.")
		for _, v := range vals {
			fmt.Fprintf(w, "constellation_validator_jailed{%s,node=%q} %g\n", l, v.Name, b2f(v.Jailed))
		}
		g("constellation_validator_power", "The node's validator's voting power at CometBFT (0 outside the active set).")
		for _, v := range vals {
			fmt.Fprintf(w, "constellation_validator_power{%s,node=%q} %d\n", l, v.Name, v.Power)
		}
	}
}

// blockInterval is the mean time between the last (up to) 10 blocks.
func blockInterval(ctx context.Context, port int, h int64) float64 {
	lo := h - 10
	if lo < 1 {
		lo = 1
	}
	if lo == h {
		return 0
	}
	var bc struct {
		Metas []struct {
			Header struct {
				Height string    `json:"height"`
				Time   time.Time `json:"time"`
			} `json:"header"`
		} `json:"block_metas"`
	}
	if rpcGet(ctx, port, fmt.Sprintf("blockchain?minHeight=%d&maxHeight=%d", lo, h), &bc) != nil || len(bc.Metas) < 2 {
		return 0
	}
	first, last := bc.Metas[len(bc.Metas)-1].Header, bc.Metas[0].Header // newest first
	return last.Time.Sub(first.Time).Seconds() / float64(len(bc.Metas)-1)
}
