package upgrade

import "context"

// msgServer handles x/upgrade's messages; every route to it ran ValidateBasic first.
type msgServer struct{ k Keeper }

var _ MsgServer = msgServer{}

func NewMsgServer(k Keeper) MsgServer { return msgServer{k: k} }

func (s msgServer) SoftwareUpgrade(ctx context.Context, m *MsgSoftwareUpgrade) (*MsgSoftwareUpgradeResponse, error) {
	if err := s.k.ScheduleUpgrade(ctx, m.Authority, m.Plan); err != nil {
		return nil, err
	}
	return &MsgSoftwareUpgradeResponse{}, nil
}

func (s msgServer) CancelUpgrade(ctx context.Context, m *MsgCancelUpgrade) (*MsgCancelUpgradeResponse, error) {
	if err := s.k.CancelUpgrade(ctx, m.Authority); err != nil {
		return nil, err
	}
	return &MsgCancelUpgradeResponse{}, nil
}
