package poai

import (
	"fmt"

	"github.com/selfchain/selfchain/crypto"
	"github.com/selfchain/selfchain/types"
)

// Hard limits, state independent: params must stay inside them.
const (
	MaxActiveValidators = 1000
	MaxWindow           = 10_000
	MaxEpochLength      = 1_000_000
	MaxPeriod           = 10_000_000
	// MaxAllowedOperators bounds allowed_operators: params are read every block,
	// so the list stays small (1,000 addresses is ~46 KB), and a permissioned chain
	// needs no more admitted operators than the largest active set.
	MaxAllowedOperators = MaxActiveValidators
)

// DefaultAuthority is the module address of a governance module that does not
// exist yet: by default nobody can change params until genesis names a real
// authority (documented in docs/modules/poai.md).
var DefaultAuthority = crypto.ModuleAddress("gov")

func DefaultParams() Params {
	return Params{
		MaxValidators:           100,
		MinValidators:           1,
		EpochLength:             100,
		MinSelfStake:            PowerReduction,
		BondDenom:               "uself",
		EmaAlpha:                100_000,
		AgreementWeight:         700_000,
		SignedWeight:            300_000,
		ClipThreshold:           500_000,
		DowntimePenalty:         100_000,
		FlagThreshold:           800,
		RateLimitWindow:         100,
		SlashFractionDoubleSign: 50_000,
		SlashFractionDowntime:   100,
		DowntimeWindow:          100,
		MaxMissedBlocks:         50,
		JailDuration:            600,
		UnbondingPeriod:         20_000,
		InflationPerBlock:       1_000_000,
		Authority:               DefaultAuthority.String(),
		FlaggedRetention:        100_000,
		ScoreWindow:             DefaultScoreWindow,
	}
}

// Validate names the bad field.
func (p Params) Validate() error {
	switch {
	case p.MaxValidators == 0 || p.MaxValidators > MaxActiveValidators:
		return fmt.Errorf("max_validators: %d is not in 1..%d", p.MaxValidators, MaxActiveValidators)
	case p.MinValidators == 0 || p.MinValidators > p.MaxValidators:
		return fmt.Errorf("min_validators: %d is not in 1..max_validators (%d)", p.MinValidators, p.MaxValidators)
	case p.EpochLength <= 0 || p.EpochLength > MaxEpochLength:
		return fmt.Errorf("epoch_length: %d is not in 1..%d", p.EpochLength, MaxEpochLength)
	case p.MinSelfStake < PowerReduction:
		return fmt.Errorf("min_self_stake: %d is below one unit of voting power (%d)", p.MinSelfStake, PowerReduction)
	case types.ValidateDenom(p.BondDenom) != nil:
		return fmt.Errorf("bond_denom: %v", types.ValidateDenom(p.BondDenom))
	case p.EmaAlpha == 0 || p.EmaAlpha > PPM:
		return fmt.Errorf("ema_alpha: %d is not in 1..%d", p.EmaAlpha, PPM)
	case uint64(p.AgreementWeight)+uint64(p.SignedWeight) != PPM:
		return fmt.Errorf("agreement_weight + signed_weight: %d + %d must be %d", p.AgreementWeight, p.SignedWeight, PPM)
	case p.ClipThreshold > PPM:
		return fmt.Errorf("clip_threshold: %d is above %d", p.ClipThreshold, PPM)
	case p.DowntimePenalty > PPM:
		return fmt.Errorf("downtime_penalty: %d is above %d", p.DowntimePenalty, PPM)
	case p.ScoreWindow < 1 || p.ScoreWindow > MaxScoreWindow:
		return fmt.Errorf("score_window: %d is not in 1..%d blocks", p.ScoreWindow, MaxScoreWindow)
	case p.FlagThreshold == 0 || p.FlagThreshold > 1000:
		return fmt.Errorf("flag_threshold: %d is not in 1..1000", p.FlagThreshold)
	case p.RateLimitWindow < 0 || p.RateLimitWindow > MaxPeriod:
		return fmt.Errorf("rate_limit_window: %d is not in 0..%d", p.RateLimitWindow, MaxPeriod)
	case p.SlashFractionDoubleSign > PPM:
		return fmt.Errorf("slash_fraction_double_sign: %d is above %d", p.SlashFractionDoubleSign, PPM)
	case p.SlashFractionDowntime > PPM:
		return fmt.Errorf("slash_fraction_downtime: %d is above %d", p.SlashFractionDowntime, PPM)
	case p.DowntimeWindow <= 0 || p.DowntimeWindow > MaxWindow:
		return fmt.Errorf("downtime_window: %d is not in 1..%d", p.DowntimeWindow, MaxWindow)
	case p.MaxMissedBlocks < 0 || p.MaxMissedBlocks >= p.DowntimeWindow:
		return fmt.Errorf("max_missed_blocks: %d is not in 0..downtime_window-1 (%d)", p.MaxMissedBlocks, p.DowntimeWindow-1)
	case p.JailDuration < 0 || p.JailDuration > MaxPeriod:
		return fmt.Errorf("jail_duration: %d is not in 0..%d", p.JailDuration, MaxPeriod)
	case p.UnbondingPeriod < 0 || p.UnbondingPeriod > MaxPeriod:
		return fmt.Errorf("unbonding_period: %d is not in 0..%d", p.UnbondingPeriod, MaxPeriod)
	case p.FlaggedRetention <= 0 || p.FlaggedRetention > MaxPeriod:
		return fmt.Errorf("flagged_retention: %d is not in 1..%d", p.FlaggedRetention, MaxPeriod)
	}
	if _, err := crypto.AddressFromBech32(p.Authority); err != nil {
		return fmt.Errorf("authority: %v", err)
	}
	return validateAllowedOperators(p.AllowedOperators)
}

// validateAllowedOperators: at most MaxAllowedOperators entries, each an account
// address in its canonical (lowercase bech32) spelling, none twice. Canonical
// spelling makes membership a plain string comparison and gives each operator
// one entry.
func validateAllowedOperators(list []string) error {
	if len(list) > MaxAllowedOperators {
		return fmt.Errorf("allowed_operators: %d entries, at most %d", len(list), MaxAllowedOperators)
	}
	seen := make(map[string]int, len(list))
	for i, s := range list {
		if len(s) > maxAddressLen {
			return fmt.Errorf("allowed_operators[%d]: %d characters, an address has at most %d", i, len(s), maxAddressLen)
		}
		addr, err := crypto.AddressFromBech32(s)
		if err != nil {
			return fmt.Errorf("allowed_operators[%d]: %v", i, err)
		}
		if canon := addr.String(); canon != s {
			return fmt.Errorf("allowed_operators[%d]: write %q as %q (lowercase)", i, s, canon)
		}
		if j, dup := seen[s]; dup {
			return fmt.Errorf("allowed_operators[%d]: %s is already allowed_operators[%d]", i, s, j)
		}
		seen[s] = i
	}
	return nil
}

// maxAddressLen is more than any bech32 account address here needs (a 20-byte
// address with a prefix of up to 83 characters); checked before decoding.
const maxAddressLen = 128

// OperatorAllowed reports whether operator (canonical bech32) may create a
// validator: always when allowed_operators is empty (open admission, the SELF
// main chain), else only when listed.
func (p Params) OperatorAllowed(operator string) bool {
	if len(p.AllowedOperators) == 0 {
		return true
	}
	for _, a := range p.AllowedOperators {
		if a == operator {
			return true
		}
	}
	return false
}
