package constellation

import (
	"context"
	"fmt"
	"time"

	ctypes "github.com/cometbft/cometbft/rpc/core/types"

	"github.com/selfchain/selfchain/client"
	"github.com/selfchain/selfchain/types/query"
	"github.com/selfchain/selfchain/x/poai"
)

// Block and PoAI data beyond `status`, read from the chain's first node that
// answers: the dashboard's blocks table, usage metering and flagged txs.

// BlockSummary is one block's header as the dashboard lists it.
type BlockSummary struct {
	Height   int64     `json:"height"`
	Time     time.Time `json:"time"`
	Txs      int       `json:"txs"`
	Proposer string    `json:"proposer"` // consensus address, upper hex
}

// MaxBlocksPerCall is what one /blockchain call returns at most (CometBFT's limit).
const MaxBlocksPerCall = 20

// onFirstNode runs f against each node's client in turn until one answers
// (no separate /status probe: a stopped node fails fast, a frozen one at rpcTimeout).
func onFirstNode[T any](ctx context.Context, c *Chain, f func(context.Context, *client.Client) (T, error)) (T, error) {
	var zero T
	var last error = fmt.Errorf("chain %s has no nodes", c.Spec.Name)
	for _, ports := range c.Layout.Nodes {
		cl, err := nodeClient(ports.RPC)
		if err != nil {
			last = err
			continue
		}
		v, err := call(ctx, func(ctx context.Context) (T, error) { return f(ctx, cl) })
		if err == nil {
			return v, nil
		}
		last = err
	}
	return zero, fmt.Errorf("no node of chain %s answers: %w", c.Spec.Name, last)
}

// Blocks lists blocks minH..maxH (at most MaxBlocksPerCall of them, the newest
// first) from the first node that answers.
func (c *Chain) Blocks(ctx context.Context, minH, maxH int64) ([]BlockSummary, error) {
	if minH < 1 || maxH < minH {
		return nil, fmt.Errorf("invalid block range %d..%d", minH, maxH)
	}
	bc, err := onFirstNode(ctx, c, func(ctx context.Context, cl *client.Client) (*ctypes.ResultBlockchainInfo, error) {
		return cl.RPC().BlockchainInfo(ctx, minH, maxH)
	})
	if err != nil {
		return nil, err
	}
	out := make([]BlockSummary, 0, len(bc.BlockMetas))
	for _, m := range bc.BlockMetas {
		out = append(out, BlockSummary{Height: m.Header.Height, Time: m.Header.Time, Txs: m.NumTxs, Proposer: m.Header.ProposerAddress.String()})
	}
	return out, nil
}

// FlaggedTxs is x/poai's first page (up to limit) of flagged txs: those whose
// aggregated AI risk passed flag_threshold and are within flagged_retention.
func (c *Chain) FlaggedTxs(ctx context.Context, limit uint32) ([]poai.FlaggedTx, error) {
	resp, err := onFirstNode(ctx, c, func(ctx context.Context, cl *client.Client) (*poai.QueryFlaggedTxsResponse, error) {
		return poai.NewQueryClient(cl).FlaggedTxs(ctx, &poai.QueryFlaggedTxsRequest{Pagination: &query.PageRequest{Limit: limit}})
	})
	if err != nil {
		return nil, err
	}
	return resp.Txs, nil
}

// ReputationHistory is x/poai's bounded history of a validator's reputation,
// one record per epoch, oldest first.
func (c *Chain) ReputationHistory(ctx context.Context, operator string) ([]poai.ReputationRecord, error) {
	resp, err := onFirstNode(ctx, c, func(ctx context.Context, cl *client.Client) (*poai.QueryReputationHistoryResponse, error) {
		return poai.NewQueryClient(cl).ReputationHistory(ctx, &poai.QueryReputationHistoryRequest{OperatorAddress: operator})
	})
	if err != nil {
		return nil, err
	}
	return resp.Records, nil
}
