package poai

import (
	"context"
	"fmt"

	"github.com/selfchain/selfchain/app/runtime"
	"github.com/selfchain/selfchain/crypto"
	"github.com/selfchain/selfchain/types"
)

// msgServer handles poai's messages. Like every module's, its handlers do not
// call ValidateBasic: every route to a handler ran it first (runtime.MsgRouter's
// rule; docs/ARCHITECTURE.md, Transactions).
type msgServer struct{ k Keeper }

var _ MsgServer = msgServer{}

func NewMsgServer(k Keeper) MsgServer { return msgServer{k: k} }

// CreateValidator registers a candidate: checks first, then moves the self-stake
// into the bonded pool. It joins the active set at the next epoch end.
func (s msgServer) CreateValidator(ctx context.Context, msg *MsgCreateValidator) (*MsgCreateValidatorResponse, error) {
	p, err := s.k.GetParams(ctx)
	if err != nil {
		return nil, err
	}
	op, err := crypto.AddressFromBech32(msg.OperatorAddress)
	if err != nil {
		return nil, validateAddress("operator_address", msg.OperatorAddress)
	}
	// Permissioned admission first: a stranger learns nothing else about the chain.
	if !p.OperatorAllowed(op.String()) {
		return nil, ErrOperatorNotAllowed.Wrapf("%s is not on allowed_operators (%d operators): only the params authority %s can add it, with MsgUpdateParams",
			op, len(p.AllowedOperators), p.Authority)
	}
	// The key goes to CometBFT, where a bad one halts the chain: checked where it
	// is stored, like params (ValidateBasic checked it too, before routing).
	pk, err := ValidateConsensusKey(msg.ConsensusKey)
	if err != nil {
		return nil, err
	}
	if err := checkStake(p, msg.SelfStake); err != nil {
		return nil, err
	}
	if err := s.k.checkKeyTypeAllowed(ctx, pk.Type()); err != nil {
		return nil, err
	}
	if msg.SelfStake.Amount.Uint64() < p.MinSelfStake {
		return nil, ErrSelfStakeTooLow.Wrapf("self_stake %s is below min_self_stake %d%s", msg.SelfStake, p.MinSelfStake, p.BondDenom)
	}
	if _, found, err := s.k.GetValidator(ctx, op); err != nil {
		return nil, err
	} else if found {
		return nil, ErrValidatorExists.Wrapf("%s already operates a validator: use edit-validator or bond", msg.OperatorAddress)
	}
	consAddr := []byte(pk.Address())
	if err := s.k.checkConsensusAddressUnused(ctx, consAddr); err != nil {
		return nil, err
	}
	// Proof of possession: only the key's holder registers it, for this operator on this chain.
	rctx := runtime.Unwrap(ctx)
	rctx.GasMeter().ConsumeGas(KeyProofGas(pk.Type()), "consensus key check and proof")
	if err := VerifyKeyProof(pk, rctx.ChainID(), op, msg.ConsensusKeyProof); err != nil {
		return nil, err
	}
	count, err := getOr(ctx, s.k.ValidatorCount, 0)
	if err != nil {
		return nil, err
	}
	if count >= MaxValidatorRecords {
		return nil, ErrTooManyValidators.Wrapf("%d validators are registered, the most this chain keeps", count)
	}
	if err := s.k.bank.SendCoins(ctx, op, BondedPool, types.Coins{msg.SelfStake}); err != nil {
		return nil, err
	}
	v := newValidator(msg.OperatorAddress, ConsensusKeyFromPubKey(pk), consAddr, msg.SelfStake.Amount.Uint64(),
		msg.ModelName, msg.ModelHash, msg.Commission, msg.Moniker, p)
	if err := s.k.addValidator(ctx, v, msg.ConsensusKeyProof); err != nil {
		return nil, err
	}
	rctx.EventManager().Emit("poai_create_validator", "operator", msg.OperatorAddress,
		"consensus_address", fmt.Sprintf("%X", consAddr), "self_stake", msg.SelfStake.String(), "model", msg.ModelName)
	return &MsgCreateValidatorResponse{}, nil
}

// newValidator starts a candidate at full reputation (no evidence against it
// yet): a new validator must be able to win a seat, as Bittensor's immunity period allows.
func newValidator(operator string, ck ConsensusKey, consAddr []byte, stake uint64, model string, hash []byte, commission uint32, moniker string, p Params) Validator {
	v := Validator{
		OperatorAddress: operator, ConsensusKey: ck, ConsensusAddress: consAddr, SelfStake: stake,
		ModelName: model, ModelHash: hash, Commission: commission, Moniker: moniker,
		Status: STATUS_UNBONDED, AgreementAvg: PPM, SignedAvg: PPM,
	}
	v.Reputation = computeReputation(v.AgreementAvg, v.SignedAvg, v.Penalty, p)
	return v
}

// addValidator stores a new validator (the IndexedMap indexes its consensus
// address), records
// that address as used for good and keeps its proof of possession apart from
// the record (the record's consensus_key_proof stays empty).
func (k Keeper) addValidator(ctx context.Context, v Validator, proof []byte) error {
	count, err := getOr(ctx, k.ValidatorCount, 0)
	if err != nil {
		return err
	}
	v.ConsensusKeyProof = nil
	if err := k.setValidator(ctx, v); err != nil {
		return err
	}
	if err := k.UsedConsAddrs.Set(ctx, v.ConsensusAddress); err != nil {
		return err
	}
	if len(proof) > 0 {
		if err := k.KeyProofs.Set(ctx, v.ConsensusAddress, proof); err != nil {
			return err
		}
	}
	return k.ValidatorCount.Set(ctx, count+1)
}

func checkStake(p Params, c types.Coin) error {
	if c.Denom != p.BondDenom {
		return ErrWrongDenom.Wrapf("%s: stake must be in %s", c, p.BondDenom)
	}
	return nil
}

// operatorValidator loads the signer's validator or explains that it has none.
func (s msgServer) operatorValidator(ctx context.Context, operator string) (Validator, error) {
	op, err := crypto.AddressFromBech32(operator)
	if err != nil {
		return Validator{}, validateAddress("operator_address", operator)
	}
	v, found, err := s.k.GetValidator(ctx, op)
	if err != nil {
		return Validator{}, err
	}
	if !found {
		return Validator{}, ErrValidatorNotFound.Wrapf("%s operates no validator: create one with `selfchaind tx poai create-validator`", operator)
	}
	return v, nil
}

func (s msgServer) EditValidator(ctx context.Context, msg *MsgEditValidator) (*MsgEditValidatorResponse, error) {
	v, err := s.operatorValidator(ctx, msg.OperatorAddress)
	if err != nil {
		return nil, err
	}
	if msg.ModelName != "" {
		v.ModelName = msg.ModelName
	}
	if len(msg.ModelHash) > 0 {
		v.ModelHash = msg.ModelHash
	}
	if msg.Moniker != "" {
		v.Moniker = msg.Moniker
	}
	v.Commission = msg.Commission
	if err := s.k.setValidator(ctx, v); err != nil {
		return nil, err
	}
	return &MsgEditValidatorResponse{}, nil
}

func (s msgServer) Bond(ctx context.Context, msg *MsgBond) (*MsgBondResponse, error) {
	p, err := s.k.GetParams(ctx)
	if err != nil {
		return nil, err
	}
	if err := checkStake(p, msg.Amount); err != nil {
		return nil, err
	}
	v, err := s.operatorValidator(ctx, msg.OperatorAddress)
	if err != nil {
		return nil, err
	}
	if v.Tombstoned {
		return nil, ErrTombstoned.Wrap("a tombstoned validator can never return: unbond its stake instead")
	}
	amt := msg.Amount.Amount.Uint64()
	if v.SelfStake+amt > 1<<62 {
		return nil, ErrInvalidAmount.Wrap("self-stake would pass 2^62")
	}
	if err := s.k.bank.SendCoins(ctx, operatorOf(v), BondedPool, types.Coins{msg.Amount}); err != nil {
		return nil, err
	}
	v.SelfStake += amt
	if err := s.k.setValidator(ctx, v); err != nil {
		return nil, err
	}
	return &MsgBondResponse{}, nil
}

// Unbond moves stake into the unbonding queue; it is paid out unbonding_period
// blocks later. Voting power follows at the next epoch end.
func (s msgServer) Unbond(ctx context.Context, msg *MsgUnbond) (*MsgUnbondResponse, error) {
	p, err := s.k.GetParams(ctx)
	if err != nil {
		return nil, err
	}
	if err := checkStake(p, msg.Amount); err != nil {
		return nil, err
	}
	v, err := s.operatorValidator(ctx, msg.OperatorAddress)
	if err != nil {
		return nil, err
	}
	amt := msg.Amount.Amount.Uint64()
	if amt > v.SelfStake {
		return nil, ErrInsufficientStake.Wrapf("unbonding %s but the self-stake is %d%s", msg.Amount, v.SelfStake, p.BondDenom)
	}
	if v.UnbondingEntries >= MaxUnbondingEntries {
		return nil, ErrTooManyUnbondings.Wrapf("%d unbondings are in progress, at most %d: wait for one to complete", v.UnbondingEntries, MaxUnbondingEntries)
	}
	h := runtime.Unwrap(ctx).BlockHeight()
	done := h + p.UnbondingPeriod
	entry := UnbondingEntry{OperatorAddress: v.OperatorAddress, Amount: amt, CreationHeight: h, CompletionHeight: done}
	if err := s.k.addUnbonding(ctx, entry); err != nil {
		return nil, err
	}
	v.SelfStake -= amt
	v.UnbondingEntries++
	if err := s.k.setValidator(ctx, v); err != nil {
		return nil, err
	}
	runtime.Unwrap(ctx).EventManager().Emit("poai_unbond", "operator", v.OperatorAddress, "amount", msg.Amount.String(),
		"completion_height", fmt.Sprint(done))
	return &MsgUnbondResponse{CompletionHeight: done}, nil
}

func (s msgServer) Unjail(ctx context.Context, msg *MsgUnjail) (*MsgUnjailResponse, error) {
	p, err := s.k.GetParams(ctx)
	if err != nil {
		return nil, err
	}
	v, err := s.operatorValidator(ctx, msg.OperatorAddress)
	if err != nil {
		return nil, err
	}
	h := runtime.Unwrap(ctx).BlockHeight()
	switch {
	case v.Tombstoned:
		return nil, ErrTombstoned.Wrap("it double-signed and can never be unjailed")
	case !v.Jailed:
		return nil, ErrNotJailed.Wrapf("%s is not jailed", v.OperatorAddress)
	case h < v.JailedUntil:
		return nil, ErrStillJailed.Wrapf("jailed until height %d; the chain is at %d", v.JailedUntil, h)
	case v.SelfStake < p.MinSelfStake:
		return nil, ErrSelfStakeTooLow.Wrapf("self-stake %d%s is below min_self_stake %d: bond more first", v.SelfStake, p.BondDenom, p.MinSelfStake)
	}
	v.Jailed = false
	v.JailedUntil = 0
	if err := s.k.setValidator(ctx, v); err != nil {
		return nil, err
	}
	return &MsgUnjailResponse{}, nil
}

func (s msgServer) WithdrawRewards(ctx context.Context, msg *MsgWithdrawRewards) (*MsgWithdrawRewardsResponse, error) {
	p, err := s.k.GetParams(ctx)
	if err != nil {
		return nil, err
	}
	v, err := s.operatorValidator(ctx, msg.OperatorAddress)
	if err != nil {
		return nil, err
	}
	amt, err := s.k.withdrawRewards(ctx, &v, p.BondDenom)
	if err != nil {
		return nil, err
	}
	if err := s.k.setValidator(ctx, v); err != nil {
		return nil, err
	}
	return &MsgWithdrawRewardsResponse{Amount: types.NewCoin(p.BondDenom, amt)}, nil
}

func (s msgServer) UpdateParams(ctx context.Context, msg *MsgUpdateParams) (*MsgUpdateParamsResponse, error) {
	p, err := s.k.GetParams(ctx)
	if err != nil {
		return nil, err
	}
	if msg.Authority != p.Authority {
		return nil, ErrNotAuthority.Wrapf("%s may not change params; the authority is %s", msg.Authority, p.Authority)
	}
	// What is stored is checked where it is stored, as every module's SetParams
	// does (ValidateBasic checked it too, before routing).
	if err := msg.Params.Validate(); err != nil {
		return nil, ErrInvalidParams.Wrapf("params.%v", err)
	}
	if msg.Params.BondDenom != p.BondDenom {
		return nil, ErrInvalidParams.Wrap("bond_denom cannot change on a live chain: stake is held in it")
	}
	if err := s.k.checkRegisteredOperatorsAllowed(ctx, msg.Params); err != nil {
		return nil, err
	}
	if err := s.k.checkBlockRoom(ctx, msg.Params); err != nil {
		return nil, err
	}
	if err := s.k.Params.Set(ctx, msg.Params); err != nil {
		return nil, err
	}
	return &MsgUpdateParamsResponse{}, nil
}

// checkRegisteredOperatorsAllowed refuses a non-empty allowed_operators that
// leaves out an operator that already has a validator: the list gates
// create-validator only (it removes nobody), and genesis validation requires
// every validator's operator on a non-empty list, so an exported genesis of
// this chain must stay valid. Work: one pass over the validator records
// (at most MaxValidatorRecords), only when the list is non-empty.
func (k Keeper) checkRegisteredOperatorsAllowed(ctx context.Context, p Params) error {
	if len(p.AllowedOperators) == 0 {
		return nil
	}
	allowed := make(map[string]bool, len(p.AllowedOperators))
	for _, a := range p.AllowedOperators {
		allowed[a] = true
	}
	var missing string
	err := k.Validators.Walk(ctx, nil, func(op []byte, _ Validator) (bool, error) {
		if s := crypto.Address(op).String(); !allowed[s] {
			missing = s
			return true, nil
		}
		return false, nil
	})
	if err != nil {
		return err
	}
	if missing != "" {
		return ErrInvalidParams.Wrapf("allowed_operators leaves out %s, which already operates a validator: "+
			"the list only gates create-validator, so every registered operator must stay on it", missing)
	}
	return nil
}
