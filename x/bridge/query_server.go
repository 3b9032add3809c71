package bridge

import (
	"context"
	"errors"
	"strings"

	"cosmossdk.io/collections"

	"github.com/selfchain/selfchain/app/runtime"
)

type queryServer struct{ k Keeper }

var _ QueryServer = queryServer{}

func NewQueryServer(k Keeper) QueryServer { return queryServer{k: k} }

// Page bounds of the list queries.
const (
	defaultPageLimit = 100
	maxPageLimit     = 1000
	maxClientsListed = 1000
)

func (s queryServer) info(ctx context.Context, c ClientState) (ClientInfo, error) {
	st, cs, err := s.k.status(ctx, &c)
	if err != nil {
		return ClientInfo{}, err
	}
	return ClientInfo{Client: c, LatestConsensusState: cs, Status: st, ExpiresAt: c.expiresAt(cs).Unix()}, nil
}

func (s queryServer) Clients(ctx context.Context, _ *QueryClientsRequest) (*QueryClientsResponse, error) {
	it, err := s.k.Clients.Iterate(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer it.Close()
	out := &QueryClientsResponse{}
	for ; it.Valid() && len(out.Clients) < maxClientsListed; it.Next() {
		c, err := it.Value()
		if err != nil {
			return nil, err
		}
		ci, err := s.info(ctx, c)
		if err != nil {
			return nil, err
		}
		out.Clients = append(out.Clients, ci)
	}
	return out, nil
}

func (s queryServer) Client(ctx context.Context, req *QueryClientRequest) (*QueryClientResponse, error) {
	if req == nil {
		return nil, runtime.ErrInvalidRequest.Wrap("empty request")
	}
	c, err := s.k.client(ctx, req.ClientId)
	if err != nil {
		return nil, err
	}
	ci, err := s.info(ctx, c)
	if err != nil {
		return nil, err
	}
	return &QueryClientResponse{Client: ci}, nil
}

func (s queryServer) ConsensusState(ctx context.Context, req *QueryConsensusStateRequest) (*QueryConsensusStateResponse, error) {
	if req == nil {
		return nil, runtime.ErrInvalidRequest.Wrap("empty request")
	}
	c, err := s.k.client(ctx, req.ClientId)
	if err != nil {
		return nil, err
	}
	h := req.Height
	if h == 0 {
		h = c.LatestHeight
	}
	cs, err := s.k.consensusState(ctx, req.ClientId, h)
	if err != nil {
		return nil, err
	}
	return &QueryConsensusStateResponse{ConsensusState: cs, Height: h}, nil
}

func (s queryServer) Packet(ctx context.Context, req *QueryPacketRequest) (*QueryPacketResponse, error) {
	if req == nil {
		return nil, runtime.ErrInvalidRequest.Wrap("empty request")
	}
	if _, err := s.k.client(ctx, req.ClientId); err != nil {
		return nil, err
	}
	out := &QueryPacketResponse{}
	var err error
	if out.Commitment, err = s.k.get(ctx, CommitmentKey(req.ClientId, req.Sequence)); err != nil {
		return nil, err
	}
	key := collections.Join(req.ClientId, req.Sequence)
	if out.Commitment != nil {
		p, err := s.k.Packets.Get(ctx, key)
		if err != nil {
			return nil, err
		}
		out.Packet = &p
	}
	r, err := s.k.get(ctx, ReceiptKey(req.ClientId, req.Sequence))
	if err != nil {
		return nil, err
	}
	out.Received = r != nil
	if out.AcknowledgementCommitment, err = s.k.get(ctx, AckKey(req.ClientId, req.Sequence)); err != nil {
		return nil, err
	}
	if out.AcknowledgementCommitment != nil {
		a, err := s.k.Acks.Get(ctx, key)
		if err != nil {
			return nil, err
		}
		out.Acknowledgement = &a
	}
	return out, nil
}

func (s queryServer) PendingPackets(ctx context.Context, req *QueryPendingPacketsRequest) (*QueryPendingPacketsResponse, error) {
	if req == nil {
		return nil, runtime.ErrInvalidRequest.Wrap("empty request")
	}
	limit := int(req.Limit)
	if limit == 0 {
		limit = defaultPageLimit
	}
	limit = min(limit, maxPageLimit)
	rng := collections.NewPrefixedPairRange[string, uint64](req.ClientId).StartInclusive(req.StartSequence)
	it, err := s.k.Packets.Iterate(ctx, rng)
	if err != nil {
		return nil, err
	}
	defer it.Close()
	out := &QueryPendingPacketsResponse{}
	for ; it.Valid(); it.Next() {
		kv, err := it.KeyValue()
		if err != nil {
			return nil, err
		}
		if len(out.Packets) == limit {
			out.NextSequence = kv.Key.K2()
			break
		}
		out.Packets = append(out.Packets, kv.Value)
	}
	return out, nil
}

func (s queryServer) UnreceivedPackets(ctx context.Context, req *QueryUnreceivedPacketsRequest) (*QueryUnreceivedPacketsResponse, error) {
	if req == nil {
		return nil, runtime.ErrInvalidRequest.Wrap("empty request")
	}
	if len(req.Sequences) > maxPageLimit {
		return nil, runtime.ErrInvalidRequest.Wrapf("%d sequences, at most %d per query", len(req.Sequences), maxPageLimit)
	}
	out := &QueryUnreceivedPacketsResponse{Sequences: []uint64{}}
	for _, seq := range req.Sequences {
		r, err := s.k.get(ctx, ReceiptKey(req.ClientId, seq))
		if err != nil {
			return nil, err
		}
		if r == nil {
			out.Sequences = append(out.Sequences, seq)
		}
	}
	return out, nil
}

func (s queryServer) DenomTrace(ctx context.Context, req *QueryDenomTraceRequest) (*QueryDenomTraceResponse, error) {
	if req == nil {
		return nil, runtime.ErrInvalidRequest.Wrap("empty request")
	}
	denom := req.Denom
	if !strings.HasPrefix(denom, VoucherPrefix) {
		denom = VoucherPrefix + strings.ToUpper(denom)
	}
	t, err := s.k.trace(ctx, denom)
	if err != nil {
		return nil, err
	}
	return &QueryDenomTraceResponse{Trace: t, Denom: denom}, nil
}

func (s queryServer) Params(ctx context.Context, _ *QueryParamsRequest) (*QueryParamsResponse, error) {
	p, err := s.k.GetParams(ctx)
	if err != nil {
		return nil, err
	}
	return &QueryParamsResponse{Params: p}, nil
}

func (s queryServer) Acknowledgements(ctx context.Context, req *QueryAcknowledgementsRequest) (*QueryAcknowledgementsResponse, error) {
	if req == nil {
		return nil, runtime.ErrInvalidRequest.Wrap("empty request")
	}
	if len(req.Sequences) > maxPageLimit {
		return nil, runtime.ErrInvalidRequest.Wrapf("%d sequences, at most %d per query", len(req.Sequences), maxPageLimit)
	}
	out := &QueryAcknowledgementsResponse{Acknowledgements: []PacketAcknowledgement{}}
	for _, seq := range req.Sequences {
		a, err := s.k.Acks.Get(ctx, collections.Join(req.ClientId, seq))
		if errors.Is(err, collections.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		out.Acknowledgements = append(out.Acknowledgements, PacketAcknowledgement{Sequence: seq, Acknowledgement: a})
	}
	return out, nil
}
