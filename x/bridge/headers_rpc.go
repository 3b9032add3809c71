package bridge

import (
	"context"
	"fmt"

	rpcclient "github.com/cometbft/cometbft/rpc/client"
	cmttypes "github.com/cometbft/cometbft/types"
)

// HeaderSource is the part of a CometBFT RPC client that reads headers and validator
// sets (rpc/client/http.HTTP satisfies it): relayers and the CLI build Headers from it.
type HeaderSource interface {
	rpcclient.SignClient
}

// FetchHeader reads the signed header at height (0: the latest) and its validator set
// from a counterparty node; with trustedHeight > 0 it also reads the validators that
// height's header names as next (the set at trustedHeight+1), which an update needs.
func FetchHeader(ctx context.Context, src HeaderSource, height, trustedHeight int64) (*Header, error) {
	return fetchHeader(ctx, src, height, trustedHeight, false)
}

// FetchNewestHeader is FetchHeader of the latest height with the commit the node saw
// when it committed the block, not waiting for the next block to make that commit
// canonical: a relayer proves state one block sooner. The seen commit holds more than
// 2/3 of the voting power for the same block as the canonical one, so it verifies the
// same header, and the consensus state a client stores from it is the same (a later
// update with the canonical commit is a no-op, not misbehaviour).
func FetchNewestHeader(ctx context.Context, src HeaderSource, trustedHeight int64) (*Header, error) {
	return fetchHeader(ctx, src, 0, trustedHeight, true)
}

func fetchHeader(ctx context.Context, src HeaderSource, height, trustedHeight int64, seenOK bool) (*Header, error) {
	var hp *int64
	if height > 0 {
		hp = &height
	}
	res, err := src.Commit(ctx, hp)
	if err != nil {
		return nil, fmt.Errorf("read the counterparty's commit at height %d: %w", height, err)
	}
	if !res.CanonicalCommit && !seenOK {
		// The latest height's commit may still change (late precommits): use the one before.
		h := res.Height - 1
		if res, err = src.Commit(ctx, &h); err != nil {
			return nil, fmt.Errorf("read the counterparty's commit at height %d: %w", h, err)
		}
	}
	h := &Header{}
	if h.SignedHeader, err = res.SignedHeader.ToProto().Marshal(); err != nil {
		return nil, err
	}
	vals, err := fetchValidators(ctx, src, res.Height)
	if err != nil {
		return nil, err
	}
	if h.ValidatorSet, err = marshalValidators(vals); err != nil {
		return nil, err
	}
	if trustedHeight > 0 {
		tv, err := fetchValidators(ctx, src, trustedHeight+1)
		if err != nil {
			return nil, err
		}
		if h.TrustedValidators, err = marshalValidators(tv); err != nil {
			return nil, err
		}
		h.TrustedHeight = uint64(trustedHeight)
	}
	return h, nil
}

// HeaderHeight is the height of a fetched header.
func HeaderHeight(h *Header) (uint64, error) {
	d, err := decodeHeader(h, MaxValidatorsCap, false)
	if err != nil {
		return 0, err
	}
	return d.height(), nil
}

func fetchValidators(ctx context.Context, src HeaderSource, height int64) ([]*cmttypes.Validator, error) {
	var out []*cmttypes.Validator
	perPage := 100
	for page := 1; ; page++ {
		res, err := src.Validators(ctx, &height, &page, &perPage)
		if err != nil {
			return nil, fmt.Errorf("read the counterparty's validators at height %d: %w", height, err)
		}
		out = append(out, res.Validators...)
		if len(out) >= res.Total || len(res.Validators) == 0 {
			return out, nil
		}
	}
}

// marshalValidators encodes a set as CometBFT's ValidatorSet protobuf. The proposer
// is not part of the set's hash; the first validator stands in for it.
func marshalValidators(vals []*cmttypes.Validator) ([]byte, error) {
	set := &cmttypes.ValidatorSet{Validators: vals, Proposer: vals[0]}
	vp, err := set.ToProto()
	if err != nil {
		return nil, err
	}
	return vp.Marshal()
}
