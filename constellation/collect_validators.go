package constellation

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	ctypes "github.com/cometbft/cometbft/rpc/core/types"
	cmttypes "github.com/cometbft/cometbft/types"

	"github.com/selfchain/selfchain/app/runtime"
	"github.com/selfchain/selfchain/client"
	"github.com/selfchain/selfchain/server"
	"github.com/selfchain/selfchain/types/query"
	"github.com/selfchain/selfchain/x/poai"
)

// maxPoAIPages bounds how many pages (of poai.MaxPageLimit) of the bonded set
// status reads (max_validators is at most 1,000, so 2 pages cover it).
const maxPoAIPages = 4

// collectValidators reads, from the most advanced node, the validator set,
// which validators signed the last missingWindow commits, the block interval
// and x/poai's records of the validators.
func (c *Chain) collectValidators(ctx context.Context, st *ChainStatus, cl *client.Client) {
	h := st.Height
	if h < 1 {
		return
	}
	rpc := cl.RPC()
	perPage := 100
	vs, err := call(ctx, func(ctx context.Context) (*ctypes.ResultValidators, error) {
		return rpc.Validators(ctx, &h, nil, &perPage)
	})
	if err != nil {
		return
	}
	st.BlockInterval = blockInterval(ctx, cl, h)
	signed := map[string]bool{}
	for k := int64(0); k < missingWindow && h-k >= 1; k++ {
		height := h - k
		cm, err := call(ctx, func(ctx context.Context) (*ctypes.ResultCommit, error) { return rpc.Commit(ctx, &height) })
		if err != nil {
			continue
		}
		if k == 0 {
			st.AppHash = cm.Header.AppHash.String()
		}
		for _, s := range cm.Commit.Signatures {
			if s.BlockIDFlag == cmttypes.BlockIDFlagCommit {
				signed[s.ValidatorAddress.String()] = true
			}
		}
	}
	names, operators := c.genesisValidators()
	for _, n := range st.Nodes {
		if n.validatorAddr != "" {
			names[n.validatorAddr] = n.Name
		}
	}
	pvals, err := poaiValidators(ctx, poai.NewQueryClient(cl), operators)
	if err != nil {
		st.PoAIError = err.Error()
	}
	inSet := map[string]bool{}
	for _, v := range vs.Validators {
		addr, p := v.Address.String(), v.VotingPower
		vst := ValidatorStatus{Name: names[addr], Address: addr, Power: p, Signing: signed[addr]}
		if pv, ok := pvals[addr]; ok {
			vst.setPoAI(pv)
		}
		inSet[addr] = true
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

// genesisValidators maps each genesis validator's consensus address (upper
// hex) to its node name, so a stopped node's validator is still named, and to
// its x/poai operator address from the genesis' poai section. The maps are
// read-only to callers' copies: the parse is cached per file and modification
// time, since `status --watch` and the dashboard ask every second or two.
func (c *Chain) genesisValidators() (names, operators map[string]string) {
	path := filepath.Join(c.Dir, "genesis.json")
	names, operators = map[string]string{}, map[string]string{}
	fi, err := os.Stat(path)
	if err != nil {
		return names, operators
	}
	key := genesisKey{path: path, mod: fi.ModTime(), size: fi.Size()}
	if cached, ok := genesisCache.Load(path); ok && cached.(genesisEntry).key == key {
		e := cached.(genesisEntry)
		return maps.Clone(e.names), maps.Clone(e.operators)
	}
	gen, err := server.LoadGenesis(path)
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
	genesisCache.Store(path, genesisEntry{key: key, names: maps.Clone(names), operators: maps.Clone(operators)})
	return names, operators
}

// genesisCache holds genesisValidators' parse of each genesis file.
var genesisCache sync.Map // path -> genesisEntry

type genesisKey struct {
	path string
	mod  time.Time
	size int64
}

type genesisEntry struct {
	key              genesisKey
	names, operators map[string]string
}

// poaiValidators reads x/poai's records by consensus address (upper-case hex,
// as CometBFT's /validators shows it): the bonded set (paginated, at most
// maxPoAIPages pages), then, one query each, those of our nodes' operators
// (ours: consensus address -> operator) not in it, e.g. jailed ones. An error
// (a node without x/poai, a query failure) leaves the PoAI columns empty.
func poaiValidators(ctx context.Context, q poai.QueryClient, ours map[string]string) (map[string]poai.Validator, error) {
	out := map[string]poai.Validator{}
	var key []byte
	for page := 0; page < maxPoAIPages; page++ {
		req := &poai.QueryValidatorsRequest{Status: poai.STATUS_BONDED, Pagination: &query.PageRequest{Key: key, Limit: poai.MaxPageLimit}}
		resp, err := call(ctx, func(ctx context.Context) (*poai.QueryValidatorsResponse, error) { return q.Validators(ctx, req) })
		if err != nil {
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
		req := &poai.QueryValidatorRequest{OperatorAddress: ours[addr]}
		resp, err := call(ctx, func(ctx context.Context) (*poai.QueryValidatorResponse, error) { return q.Validator(ctx, req) })
		if err != nil {
			continue // e.g. the validator moved to another operator: not shown
		}
		out[strings.ToUpper(hex.EncodeToString(resp.Validator.ConsensusAddress))] = resp.Validator
	}
	return out, nil
}

// blockInterval is the mean time between the last (up to) 10 blocks.
func blockInterval(ctx context.Context, cl *client.Client, h int64) float64 {
	lo := max(h-10, 1)
	if lo == h {
		return 0
	}
	bc, err := call(ctx, func(ctx context.Context) (*ctypes.ResultBlockchainInfo, error) {
		return cl.RPC().BlockchainInfo(ctx, lo, h)
	})
	if err != nil || len(bc.BlockMetas) < 2 {
		return 0
	}
	first, last := bc.BlockMetas[len(bc.BlockMetas)-1].Header, bc.BlockMetas[0].Header // newest first
	return last.Time.Sub(first.Time).Seconds() / float64(len(bc.BlockMetas)-1)
}
