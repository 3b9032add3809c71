package poai

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"

	"cosmossdk.io/collections"
	abci "github.com/cometbft/cometbft/abci/types"

	"github.com/selfchain/selfchain/app/runtime"
	"github.com/selfchain/selfchain/crypto"
	"github.com/selfchain/selfchain/types"
)

func DefaultGenesis() GenesisState { return GenesisState{Params: DefaultParams()} }

// Validate checks the genesis state; errors name the offending field path.
func (gs GenesisState) Validate() error {
	if err := gs.Params.Validate(); err != nil {
		return fmt.Errorf("params.%w", err)
	}
	if len(gs.Validators) > MaxValidatorRecords {
		return fmt.Errorf("validators: %d entries, at most %d", len(gs.Validators), MaxValidatorRecords)
	}
	ops, cons := map[string]int{}, map[string]int{}
	var staked, owed uint64 // each term is at most 2^62 and each sum is checked at 2^62: no wrap
	for i, v := range gs.Validators {
		op, err := crypto.AddressFromBech32(v.OperatorAddress)
		if err != nil {
			return fmt.Errorf("validators[%d].operator_address: %v", i, err)
		}
		if !gs.Params.OperatorAllowed(op.String()) {
			return fmt.Errorf("validators[%d].operator_address: %s is not on params.allowed_operators: on a permissioned chain every validator's operator must be listed", i, v.OperatorAddress)
		}
		if j, dup := ops[string(op)]; dup {
			return fmt.Errorf("validators[%d].operator_address: %s is already validators[%d]", i, v.OperatorAddress, j)
		}
		ops[string(op)] = i
		pk, err := ValidateConsensusKey(v.ConsensusKey)
		if err != nil {
			return fmt.Errorf("validators[%d].consensus_key: %w", i, err)
		}
		if err := checkKeyProofShape(pk.Type(), v.ConsensusKeyProof); err != nil {
			return fmt.Errorf("validators[%d].consensus_key_proof: %w", i, err)
		}
		if len(v.ConsensusAddress) > 0 && !bytes.Equal(v.ConsensusAddress, pk.Address()) {
			return fmt.Errorf("validators[%d].consensus_address: %X is not the address of its key (%X)", i, v.ConsensusAddress, pk.Address())
		}
		if j, dup := cons[string(pk.Address())]; dup {
			return fmt.Errorf("validators[%d].consensus_key: already validators[%d]'s", i, j)
		}
		cons[string(pk.Address())] = i
		if v.SelfStake > 1<<62 {
			return fmt.Errorf("validators[%d].self_stake: above 2^62", i)
		}
		if staked += v.SelfStake; staked > MaxTotalStake {
			return fmt.Errorf("validators[%d].self_stake: the validators' stake sums past %d", i, uint64(MaxTotalStake))
		}
		if v.OutstandingRewards > MaxTotalStake {
			return fmt.Errorf("validators[%d].outstanding_rewards: above %d", i, uint64(MaxTotalStake))
		}
		if owed += v.OutstandingRewards; owed > MaxTotalStake {
			return fmt.Errorf("validators[%d].outstanding_rewards: the outstanding rewards sum past %d", i, uint64(MaxTotalStake))
		}
		if !v.Jailed && !v.Tombstoned && v.SelfStake < gs.Params.MinSelfStake {
			return fmt.Errorf("validators[%d].self_stake: %d is below params.min_self_stake %d", i, v.SelfStake, gs.Params.MinSelfStake)
		}
		if err := validateModel(v.ModelName, v.ModelHash, false); err != nil {
			return fmt.Errorf("validators[%d].%v", i, err)
		}
		if err := validateMoniker(v.Moniker); err != nil {
			return fmt.Errorf("validators[%d].%v", i, err)
		}
		if err := validateCommission(v.Commission); err != nil {
			return fmt.Errorf("validators[%d].%v", i, err)
		}
		if v.Reputation > PPM || v.AgreementAvg > PPM || v.SignedAvg > PPM || v.Penalty > PPM {
			return fmt.Errorf("validators[%d]: reputation fields are ppm (at most %d)", i, PPM)
		}
	}
	if len(gs.UsedConsensusAddresses) > MaxUsedConsensusAddresses {
		return fmt.Errorf("used_consensus_addresses: %d entries, at most %d", len(gs.UsedConsensusAddresses), MaxUsedConsensusAddresses)
	}
	used := map[string]int{}
	for i, a := range gs.UsedConsensusAddresses {
		if len(a) != ConsAddrLen {
			return fmt.Errorf("used_consensus_addresses[%d]: %d bytes, a consensus address is %d", i, len(a), ConsAddrLen)
		}
		if j, dup := used[string(a)]; dup {
			return fmt.Errorf("used_consensus_addresses[%d]: %X is already used_consensus_addresses[%d]", i, a, j)
		}
		used[string(a)] = i
	}
	if err := validateLastPowers(gs.LastPowers); err != nil {
		return err
	}
	if err := validateHistory(gs.History, ops); err != nil {
		return err
	}
	if len(gs.Unbonding) > MaxValidatorRecords*MaxUnbondingEntries {
		return fmt.Errorf("unbonding: %d entries, at most %d", len(gs.Unbonding), MaxValidatorRecords*MaxUnbondingEntries)
	}
	perOp := map[string]int{}
	for i, e := range gs.Unbonding {
		op, err := crypto.AddressFromBech32(e.OperatorAddress)
		if err != nil {
			return fmt.Errorf("unbonding[%d].operator_address: %v", i, err)
		}
		if e.Amount == 0 || e.Amount > 1<<62 {
			return fmt.Errorf("unbonding[%d].amount: %d is not in 1..2^62", i, e.Amount)
		}
		if staked += e.Amount; staked > MaxTotalStake {
			return fmt.Errorf("unbonding[%d].amount: validators' stake plus unbonding entries sum past %d", i, uint64(MaxTotalStake))
		}
		if perOp[string(op)]++; perOp[string(op)] > MaxUnbondingEntries {
			return fmt.Errorf("unbonding[%d]: more than %d entries for %s", i, MaxUnbondingEntries, e.OperatorAddress)
		}
	}
	limited := map[string]int{}
	for i, r := range gs.RateLimits {
		addr, err := crypto.AddressFromBech32(r.Address)
		if err != nil {
			return fmt.Errorf("rate_limits[%d].address: %v", i, err)
		}
		if j, dup := limited[string(addr)]; dup {
			return fmt.Errorf("rate_limits[%d].address: %s is already rate_limits[%d]", i, r.Address, j)
		}
		limited[string(addr)] = i
		if r.Until <= 0 {
			return fmt.Errorf("rate_limits[%d].until: %d is not a height", i, r.Until)
		}
	}
	type fkey struct {
		h int64
		i uint32
	}
	seen := map[fkey]int{}
	for i, f := range gs.Flagged {
		if j, dup := seen[fkey{f.Height, f.Index}]; dup {
			return fmt.Errorf("flagged[%d]: (height %d, index %d) is already flagged[%d]", i, f.Height, f.Index, j)
		}
		seen[fkey{f.Height, f.Index}] = i
		if f.Risk > 1000 {
			return fmt.Errorf("flagged[%d].risk: %d is above 1000", i, f.Risk)
		}
		if f.Sender != "" {
			if _, err := crypto.AddressFromBech32(f.Sender); err != nil {
				return fmt.Errorf("flagged[%d].sender: %v", i, err)
			}
		}
	}
	return nil
}

// validateLastPowers checks an exported validator set: valid keys, each once,
// powers CometBFT accepts.
func validateLastPowers(lps []LastPower) error {
	if len(lps) > MaxValidatorRecords {
		return fmt.Errorf("last_powers: %d entries, at most %d", len(lps), MaxValidatorRecords)
	}
	seen := map[string]int{}
	for i, lp := range lps {
		pk, err := ValidateConsensusKey(lp.ConsensusKey)
		if err != nil {
			return fmt.Errorf("last_powers[%d].consensus_key: %w", i, err)
		}
		if j, dup := seen[string(pk.Address())]; dup {
			return fmt.Errorf("last_powers[%d].consensus_key: already last_powers[%d]'s", i, j)
		}
		seen[string(pk.Address())] = i
		if lp.Power <= 0 || lp.Power > MaxPowerPerValidator {
			return fmt.Errorf("last_powers[%d].power: %d is not in 1..%d", i, lp.Power, MaxPowerPerValidator)
		}
	}
	return nil
}

// validateHistory checks exported reputation history: each entry of a genesis
// validator (ops: operator bytes -> index), in its ring, once.
func validateHistory(hist []HistoryEntry, ops map[string]int) error {
	if len(hist) > MaxValidatorRecords*ReputationHistoryLen {
		return fmt.Errorf("history: %d entries, at most %d", len(hist), MaxValidatorRecords*ReputationHistoryLen)
	}
	type slot struct {
		op string
		n  uint64
	}
	seen := map[slot]int{}
	for i, e := range hist {
		op, err := crypto.AddressFromBech32(e.OperatorAddress)
		if err != nil {
			return fmt.Errorf("history[%d].operator_address: %v", i, err)
		}
		if _, ok := ops[string(op)]; !ok {
			return fmt.Errorf("history[%d].operator_address: %s is not a genesis validator", i, e.OperatorAddress)
		}
		if e.Slot >= ReputationHistoryLen {
			return fmt.Errorf("history[%d].slot: %d, a ring has %d slots", i, e.Slot, ReputationHistoryLen)
		}
		if j, dup := seen[slot{string(op), e.Slot}]; dup {
			return fmt.Errorf("history[%d]: slot %d of %s is already history[%d]", i, e.Slot, e.OperatorAddress, j)
		}
		seen[slot{string(op), e.Slot}] = i
	}
	return nil
}

// ConsAddrLen is the length of a CometBFT consensus address.
const ConsAddrLen = 20

// MaxUsedConsensusAddresses bounds genesis' used_consensus_addresses (besides the
// validators' own): CometBFT's genesis sets are far smaller.
const MaxUsedConsensusAddresses = 100_000

// ValidateKeyProofs verifies every genesis validator's proof of possession of
// its consensus key for chainID (the genesis chain id). Validate must have
// passed. About one signature verification per validator.
func (gs GenesisState) ValidateKeyProofs(chainID string) error {
	for i, v := range gs.Validators {
		pk, err := PubKeyFromConsensusKey(v.ConsensusKey)
		if err != nil {
			return fmt.Errorf("validators[%d].consensus_key: %w", i, err)
		}
		op, err := crypto.AddressFromBech32(v.OperatorAddress)
		if err != nil {
			return fmt.Errorf("validators[%d].operator_address: %v", i, err)
		}
		if err := VerifyKeyProof(pk, chainID, op, v.ConsensusKeyProof); err != nil {
			return fmt.Errorf("validators[%d].consensus_key_proof: %w", i, err)
		}
	}
	return nil
}

// ValidateGenesisKeyProofs is ValidateKeyProofs on genesis JSON (app_state.poai)
// for the genesis chain id; a missing section is the default genesis (no
// validators). The section must have passed its own validation.
func ValidateGenesisKeyProofs(chainID string, raw json.RawMessage) error {
	if len(raw) == 0 {
		return nil
	}
	var gs GenesisState
	if err := runtime.UnmarshalGenesis(raw, &gs); err != nil {
		return err
	}
	return gs.ValidateKeyProofs(chainID)
}

// InitGenesis writes params and validators. A fresh genesis (validators with
// zero reputation fields, as `selfchaind genesis add-validator` writes them) gets
// full starting averages. The bonded pool is topped up (minted) to the validators'
// total self-stake, so a hand-written genesis needs no matching bank balance and
// an exported one (whose pool already holds the stake) mints nothing.
func (k Keeper) InitGenesis(ctx context.Context, gs GenesisState) error {
	if err := gs.Validate(); err != nil {
		return err
	}
	if err := gs.ValidateKeyProofs(runtime.Unwrap(ctx).ChainID()); err != nil {
		return err
	}
	if err := k.checkBondDenomMintable(ctx, gs); err != nil {
		return err
	}
	if err := k.Params.Set(ctx, gs.Params); err != nil {
		return err
	}
	var total, owed uint64
	pending := map[string]uint32{}
	for _, e := range gs.Unbonding {
		op, _ := crypto.AddressFromBech32(e.OperatorAddress) // validated above
		if err := k.addUnbonding(ctx, e); err != nil {
			return err
		}
		total += e.Amount
		pending[string(op)]++
	}
	// Stored even when zero: the ante reads it for every tx, and a present key is a
	// cache hit where an absent one is a database miss.
	if err := k.RateLimitCount.Set(ctx, 0); err != nil {
		return err
	}
	for _, r := range gs.RateLimits {
		addr, _ := crypto.AddressFromBech32(r.Address) // validated above
		if err := k.rateLimit(ctx, addr, r.Until); err != nil {
			return err
		}
	}
	for _, f := range gs.Flagged {
		if err := k.Flagged.Set(ctx, collections.Join(f.Height, f.Index), f); err != nil {
			return err
		}
	}
	for _, v := range gs.Validators {
		pk, _ := PubKeyFromConsensusKey(v.ConsensusKey)
		v.ConsensusAddress = pk.Address()
		if v.AgreementAvg == 0 && v.SignedAvg == 0 && v.Penalty == 0 && !v.Tombstoned {
			v.AgreementAvg, v.SignedAvg = PPM, PPM
		}
		v.Reputation = computeReputation(v.AgreementAvg, v.SignedAvg, v.Penalty, gs.Params)
		if v.Status == STATUS_UNSPECIFIED {
			v.Status = STATUS_UNBONDED
		}
		total += v.SelfStake
		owed += v.OutstandingRewards
		op, _ := crypto.AddressFromBech32(v.OperatorAddress)
		v.UnbondingEntries = pending[string(op)]
		if err := k.addValidator(ctx, v, v.ConsensusKeyProof); err != nil {
			return err
		}
	}
	for _, a := range gs.UsedConsensusAddresses {
		if err := k.UsedConsAddrs.Set(ctx, a); err != nil {
			return err
		}
	}
	for _, e := range gs.History {
		op, _ := crypto.AddressFromBech32(e.OperatorAddress) // validated above
		if err := k.History.Set(ctx, collections.Join([]byte(op), e.Slot), e.Record); err != nil {
			return err
		}
	}
	// An exported set: InitialValidatorUpdates hands it to CometBFT as it is.
	for _, lp := range gs.LastPowers {
		pk, _ := PubKeyFromConsensusKey(lp.ConsensusKey) // validated above
		if err := k.LastPowers.Set(ctx, pk.Address(), lp); err != nil {
			return err
		}
		if err := k.UsedConsAddrs.Set(ctx, pk.Address()); err != nil {
			return err
		}
	}
	if owed > 0 {
		if err := k.Owed.Set(ctx, owed); err != nil {
			return err
		}
	}
	if total > 0 {
		have, err := k.bank.GetBalance(ctx, BondedPool, gs.Params.BondDenom)
		if err != nil {
			return err
		}
		if have.IsUint64() && have.Uint64() < total {
			if err := k.bank.MintCoins(ctx, BondedPool, types.Coins{types.NewCoin(gs.Params.BondDenom, total-have.Uint64())}); err != nil {
				return err
			}
		}
	}
	h := runtime.Unwrap(ctx).BlockHeight()
	if h < 1 {
		h = 1
	}
	return k.Epoch.Set(ctx, EpochInfo{StartHeight: h, NextEpochHeight: h - 1 + gs.Params.EpochLength})
}

// InitialValidatorUpdates makes the genesis validators CometBFT's initial set
// (InitChain's response): every unjailed validator with stake for at least one
// unit of power, by stake then consensus address, at most max_validators. When
// there are none, the validators CometBFT's genesis.json names (reqVals) are
// recorded as the current set instead, so later epochs can replace them, and nil
// is returned (CometBFT keeps its own).
func (k Keeper) InitialValidatorUpdates(ctx context.Context, reqVals []abci.ValidatorUpdate) ([]abci.ValidatorUpdate, error) {
	p, err := k.GetParams(ctx)
	if err != nil {
		return nil, err
	}
	if exported, err := k.exportedSetUpdates(ctx); err != nil || len(exported) > 0 {
		return exported, err
	}
	var cands []Validator
	err = k.Validators.Walk(ctx, nil, func(_ []byte, v Validator) (bool, error) {
		// A key type CometBFT's consensus params exclude would be refused in a later
		// EndBlock's validator updates (a consensus failure): refuse the genesis instead.
		if err := k.checkKeyTypeAllowed(ctx, v.ConsensusKey.Type); err != nil {
			return true, fmt.Errorf("validator %s: %w", v.OperatorAddress, err)
		}
		if !v.Jailed && !v.Tombstoned && powerOf(v.SelfStake) > 0 {
			cands = append(cands, v)
		}
		return false, nil
	})
	if err != nil {
		return nil, err
	}
	sort.Slice(cands, func(i, j int) bool {
		if cands[i].SelfStake != cands[j].SelfStake {
			return cands[i].SelfStake > cands[j].SelfStake
		}
		return bytes.Compare(cands[i].ConsensusAddress, cands[j].ConsensusAddress) < 0
	})
	if len(cands) > int(p.MaxValidators) {
		cands = cands[:p.MaxValidators]
	}
	ep, err := k.Epoch.Get(ctx)
	if err != nil {
		return nil, err
	}
	if len(cands) == 0 {
		for _, u := range reqVals {
			pk, err := PubKeyFromProtoKey(u)
			if err != nil {
				return nil, err
			}
			if err := k.LastPowers.Set(ctx, pk.Address(), LastPower{ConsensusKey: ConsensusKeyFromPubKey(pk), Power: u.Power}); err != nil {
				return nil, err
			}
			if err := k.UsedConsAddrs.Set(ctx, pk.Address()); err != nil {
				return nil, err
			}
			ep.TotalPower += u.Power
			ep.ActiveValidators++
		}
		return nil, k.Epoch.Set(ctx, ep)
	}
	updates := make([]abci.ValidatorUpdate, 0, len(cands))
	for _, v := range cands {
		power := powerOf(v.SelfStake)
		u, err := validatorUpdate(v.ConsensusKey, power)
		if err != nil {
			return nil, err
		}
		updates = append(updates, u)
		if err := k.LastPowers.Set(ctx, v.ConsensusAddress, LastPower{ConsensusKey: v.ConsensusKey, Power: power}); err != nil {
			return nil, err
		}
		v.Status = STATUS_BONDED
		if err := k.setValidator(ctx, v); err != nil {
			return nil, err
		}
		ep.TotalPower += power
		ep.ActiveValidators++
	}
	return updates, k.Epoch.Set(ctx, ep)
}

// exportedSetUpdates returns the set genesis' last_powers wrote (InitGenesis), in
// consensus-address order, as CometBFT's initial set: the set the exported chain
// had, not one recomputed from stake (the active set is chosen by stake ×
// reputation at epochs, and power moves are capped, so a recomputed set could
// differ). nil when genesis had no last_powers.
func (k Keeper) exportedSetUpdates(ctx context.Context) ([]abci.ValidatorUpdate, error) {
	var updates []abci.ValidatorUpdate
	var total int64
	err := k.LastPowers.Walk(ctx, nil, func(_ []byte, lp LastPower) (bool, error) {
		if err := k.checkKeyTypeAllowed(ctx, lp.ConsensusKey.Type); err != nil {
			return true, fmt.Errorf("last_powers: %w", err)
		}
		u, err := validatorUpdate(lp.ConsensusKey, lp.Power)
		if err != nil {
			return true, err
		}
		updates = append(updates, u)
		total += lp.Power
		return false, nil
	})
	if err != nil || len(updates) == 0 {
		return nil, err
	}
	ep, err := k.Epoch.Get(ctx)
	if err != nil {
		return nil, err
	}
	ep.TotalPower, ep.ActiveValidators = total, uint32(len(updates))
	return updates, k.Epoch.Set(ctx, ep)
}

// ExportGenesis writes params, every validator (by operator address), the
// unbonding queue, rate limits, flagged txs, reputation history and CometBFT's
// current set (last_powers, which a chain started from the export keeps).
// Per-block bookkeeping (the txs of recent blocks, the epoch schedule) is not
// exported: the new chain's first epoch starts at its
// initial height.
func (k Keeper) ExportGenesis(ctx context.Context) (GenesisState, error) {
	p, err := k.GetParams(ctx)
	if err != nil {
		return GenesisState{}, err
	}
	gs := GenesisState{Params: p}
	own := map[string]bool{}
	err = k.Validators.Walk(ctx, nil, func(_ []byte, v Validator) (bool, error) {
		proof, err := k.KeyProofs.Get(ctx, v.ConsensusAddress)
		if err != nil && !errors.Is(err, collections.ErrNotFound) {
			return true, err
		}
		v.ConsensusKeyProof = proof
		gs.Validators = append(gs.Validators, v)
		own[string(v.ConsensusAddress)] = true
		return false, nil
	})
	if err != nil {
		return GenesisState{}, err
	}
	err = k.UsedConsAddrs.Walk(ctx, nil, func(a []byte) (bool, error) {
		if !own[string(a)] {
			gs.UsedConsensusAddresses = append(gs.UsedConsensusAddresses, a)
		}
		return false, nil
	})
	if err != nil {
		return GenesisState{}, err
	}
	err = k.Unbonding.Walk(ctx, nil, func(_ collections.Pair[int64, uint64], e UnbondingEntry) (bool, error) {
		gs.Unbonding = append(gs.Unbonding, e)
		return false, nil
	})
	if err != nil {
		return GenesisState{}, err
	}
	err = k.RateLimits.Walk(ctx, nil, func(addr []byte, until int64) (bool, error) {
		gs.RateLimits = append(gs.RateLimits, RateLimit{Address: crypto.Address(addr).String(), Until: until})
		return false, nil
	})
	if err != nil {
		return GenesisState{}, err
	}
	err = k.Flagged.Walk(ctx, nil, func(_ collections.Pair[int64, uint32], f FlaggedTx) (bool, error) {
		gs.Flagged = append(gs.Flagged, f)
		return false, nil
	})
	if err != nil {
		return GenesisState{}, err
	}
	err = k.LastPowers.Walk(ctx, nil, func(_ []byte, lp LastPower) (bool, error) {
		gs.LastPowers = append(gs.LastPowers, lp)
		return false, nil
	})
	if err != nil {
		return GenesisState{}, err
	}
	err = k.History.Walk(ctx, nil, func(key collections.Pair[[]byte, uint64], r ReputationRecord) (bool, error) {
		gs.History = append(gs.History, HistoryEntry{OperatorAddress: crypto.Address(key.K1()).String(), Slot: key.K2(), Record: r})
		return false, nil
	})
	return gs, err
}

// MaxTotalStake bounds the sum of every validator's self-stake and unbonding
// entries in a genesis (and the sum of outstanding rewards): InitGenesis adds
// them up in uint64 to fund the bonded pool, and a wrapped sum would leave the
// pool short of the stake it must pay back (a failing EndBlock later).
const MaxTotalStake = uint64(1) << 62

// MaxGenesisBondSupply bounds the bond denom's supply at genesis (bank balances
// plus what InitGenesis mints into the bonded pool). Inflation adds at most
// 2^64-1 per block, so from 2^255 the supply cannot reach bank's 2^256-1 limit
// within 2^191 blocks: minting inflation in EndBlock never overflows.
var MaxGenesisBondSupply = types.IntFromBytes32([32]byte{0x80})

// checkBondDenomMintable is the cross-module part of genesis validation, read
// through bank (whose genesis runs first): the bond denom must be a denom bank
// knows, or EndBlock's inflation mint, paid unbondings and rewards would fail
// at block 1 with a consensus failure; and its supply must leave room for
// inflation. A keeper built without bank (genesis-only tooling) skips it.
func (k Keeper) checkBondDenomMintable(ctx context.Context, gs GenesisState) error {
	if k.bank == nil {
		return nil
	}
	denom := gs.Params.BondDenom
	known, err := k.bank.HasDenom(ctx, denom)
	if err != nil {
		return err
	}
	if !known {
		return unknownBondDenomError(denom)
	}
	supply, err := k.bank.GetSupply(ctx, denom)
	if err != nil {
		return err
	}
	return checkBondSupply(denom, supply, gs)
}

func unknownBondDenomError(denom string) error {
	return fmt.Errorf("params.bond_denom: %s is not known to bank (app_state.bank.denom_metadata has no entry with base %q): "+
		"add a denom_metadata entry for %s or set poai's bond_denom to a denom bank knows; the chain would halt at block 1 minting inflation in it",
		denom, denom, denom)
}

// checkBondSupply: supply is the bond denom's supply in bank before poai's
// genesis; InitGenesis may mint up to the validators' stake on top of it.
func checkBondSupply(denom string, supply types.Int, gs GenesisState) error {
	var staked uint64 // bounded by Validate (MaxTotalStake)
	for _, v := range gs.Validators {
		staked += v.SelfStake
	}
	for _, e := range gs.Unbonding {
		staked += e.Amount
	}
	total, err := supply.Add(types.NewInt(staked))
	if err != nil || total.Cmp(MaxGenesisBondSupply) > 0 {
		return fmt.Errorf("params.bond_denom: the genesis supply of %s (bank %s plus up to %d of validator stake) is above %s: "+
			"it leaves no room to mint inflation", denom, supply, staked, MaxGenesisBondSupply)
	}
	return nil
}

// BankGenesis is what the genesis check needs of bank's genesis state; the app
// reads it from app_state.bank (x/poai does not decode bank's genesis).
type BankGenesis interface {
	// HasDenom reports whether bank's denom_metadata has an entry with this base.
	HasDenom(denom string) bool
	// Supply is the sum of bank's genesis balances in denom (an error on overflow).
	Supply(denom string) (types.Int, error)
}

// ValidateGenesisWithBank is the same cross-module check on genesis JSON,
// before any store exists (`selfchaind genesis validate`, the app's genesis
// validation): poai's bond denom must have an entry in bank's denom_metadata,
// and its supply (bank's balances) must leave room for inflation. A missing
// poai section means its default genesis; bank is the app's view of bank's
// section. Each section is assumed to have passed its own module's validation.
func ValidateGenesisWithBank(poaiRaw json.RawMessage, bank BankGenesis) error {
	gs := DefaultGenesis()
	if len(poaiRaw) > 0 {
		gs = GenesisState{}
		if err := runtime.UnmarshalGenesis(poaiRaw, &gs); err != nil {
			return err
		}
	}
	denom := gs.Params.BondDenom
	if !bank.HasDenom(denom) {
		return unknownBondDenomError(denom)
	}
	supply, err := bank.Supply(denom)
	if err != nil {
		return err
	}
	return checkBondSupply(denom, supply, gs)
}
