package permissions

import (
	"fmt"

	"github.com/selfchain/selfchain/crypto"
	"github.com/selfchain/selfchain/types"
)

const (
	// DefaultDepositDenom is the native token's base denomination.
	DefaultDepositDenom          = "uself"
	DefaultMinDeposit            = 1_000_000
	DefaultMaxPrunePerBlock      = 100
	DefaultMaxExecMsgs           = 8
	MaxPrunePerBlock             = 10_000 // hard cap on the param: bounded EndBlock work
	MaxExecMsgs                  = 16     // hard cap on the param and on MsgExec.msgs
	MaxInnerMsgBytes             = 64 << 10
	MaxAppScopes, MaxGrantScopes = 16, 16
	MaxAppKeys                   = 4
)

func DefaultParams() Params {
	return Params{
		MinDeposit:       types.Coins{types.NewCoin(DefaultDepositDenom, DefaultMinDeposit)},
		MaxPrunePerBlock: DefaultMaxPrunePerBlock,
		MaxExecMsgs:      DefaultMaxExecMsgs,
	}
}

func (p Params) Validate() error {
	if err := p.MinDeposit.Validate(); err != nil {
		return fmt.Errorf("min_deposit: %w", err)
	}
	if p.MaxPrunePerBlock == 0 || p.MaxPrunePerBlock > MaxPrunePerBlock {
		return fmt.Errorf("max_prune_per_block: %d is not in 1..%d", p.MaxPrunePerBlock, MaxPrunePerBlock)
	}
	if p.MaxExecMsgs == 0 || p.MaxExecMsgs > MaxExecMsgs {
		return fmt.Errorf("max_exec_msgs: %d is not in 1..%d", p.MaxExecMsgs, MaxExecMsgs)
	}
	if p.Authority != "" {
		if _, err := crypto.AddressFromBech32(p.Authority); err != nil {
			return fmt.Errorf("authority: %w", err)
		}
	}
	return nil
}
