package bridge

import (
	"context"

	"github.com/selfchain/selfchain/app/runtime"
)

// msgServer handles x/bridge's messages; every route to it ran ValidateBasic first.
// A rejected message's writes are discarded with its branch: it changes nothing.
type msgServer struct{ k Keeper }

var _ MsgServer = msgServer{}

func NewMsgServer(k Keeper) MsgServer { return msgServer{k: k} }

func (s msgServer) CreateClient(ctx context.Context, m *MsgCreateClient) (*MsgCreateClientResponse, error) {
	id, err := s.k.CreateClient(ctx, m.Creator, &m.Header, m.Params)
	if err != nil {
		return nil, err
	}
	return &MsgCreateClientResponse{ClientId: id}, nil
}

func (s msgServer) UpdateClient(ctx context.Context, m *MsgUpdateClient) (*MsgUpdateClientResponse, error) {
	if err := s.k.UpdateClient(ctx, m.ClientId, &m.Header); err != nil {
		return nil, err
	}
	return &MsgUpdateClientResponse{}, nil
}

func (s msgServer) RegisterCounterparty(ctx context.Context, m *MsgRegisterCounterparty) (*MsgRegisterCounterpartyResponse, error) {
	c, err := s.k.client(ctx, m.ClientId)
	if err != nil {
		return nil, err
	}
	if c.Creator != m.Creator {
		return nil, ErrNotCreator.Wrapf("%s may not register client %s's counterparty; its creator %s may", m.Creator, m.ClientId, c.Creator)
	}
	if c.CounterpartyClientId != "" {
		return nil, ErrCounterpartyRegistered.Wrapf("client %s's counterparty is already %s", m.ClientId, c.CounterpartyClientId)
	}
	c.CounterpartyClientId = m.CounterpartyClientId
	if err := s.k.Clients.Set(ctx, c.ClientId, c); err != nil {
		return nil, err
	}
	runtime.Unwrap(ctx).EventManager().Emit(EventTypeRegisterCounterparty, AttrClientID, c.ClientId, AttrCounterparty, c.CounterpartyClientId)
	return &MsgRegisterCounterpartyResponse{}, nil
}

func (s msgServer) SubmitMisbehaviour(ctx context.Context, m *MsgSubmitMisbehaviour) (*MsgSubmitMisbehaviourResponse, error) {
	if err := s.k.SubmitMisbehaviour(ctx, m.ClientId, &m.Header_1, &m.Header_2); err != nil {
		return nil, err
	}
	return &MsgSubmitMisbehaviourResponse{}, nil
}

func (s msgServer) RecoverClient(ctx context.Context, m *MsgRecoverClient) (*MsgRecoverClientResponse, error) {
	if err := s.k.RecoverClient(ctx, m.Authority, m.SubjectClientId, m.SubstituteClientId); err != nil {
		return nil, err
	}
	return &MsgRecoverClientResponse{}, nil
}

func (s msgServer) Transfer(ctx context.Context, m *MsgTransfer) (*MsgTransferResponse, error) {
	seq, err := s.k.Transfer(ctx, m)
	if err != nil {
		return nil, err
	}
	return &MsgTransferResponse{Sequence: seq}, nil
}

func (s msgServer) RecvPacket(ctx context.Context, m *MsgRecvPacket) (*MsgRecvPacketResponse, error) {
	if _, err := s.k.RecvPacket(ctx, &m.Packet, m.ProofCommitment, m.ProofHeight); err != nil {
		return nil, err
	}
	return &MsgRecvPacketResponse{}, nil
}

func (s msgServer) Acknowledgement(ctx context.Context, m *MsgAcknowledgement) (*MsgAcknowledgementResponse, error) {
	if err := s.k.Acknowledge(ctx, &m.Packet, &m.Acknowledgement, m.ProofAcked, m.ProofHeight); err != nil {
		return nil, err
	}
	return &MsgAcknowledgementResponse{}, nil
}

func (s msgServer) Timeout(ctx context.Context, m *MsgTimeout) (*MsgTimeoutResponse, error) {
	if err := s.k.Timeout(ctx, &m.Packet, m.ProofUnreceived, m.ProofHeight); err != nil {
		return nil, err
	}
	return &MsgTimeoutResponse{}, nil
}
