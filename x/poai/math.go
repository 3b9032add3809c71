package poai

import "math/bits"

// PPM is the fixed-point unit of every ratio in this module (parts per million):
// reputation, agreement, commission, slash fractions. No floats anywhere.
const PPM = 1_000_000

// mulDiv returns a*b/c rounded down, exactly (128-bit intermediate). c must be
// > 0; the result saturates at MaxUint64 when it would not fit.
func mulDiv(a, b, c uint64) uint64 {
	hi, lo := bits.Mul64(a, b)
	if hi >= c {
		return ^uint64(0)
	}
	q, _ := bits.Div64(hi, lo, c)
	return q
}

// ema folds one observation (ppm) into a moving average (ppm) with smoothing
// alpha (ppm), rounding toward the observation: the average always moves when
// they differ, so a run of perfect blocks reaches exactly PPM (and of misses, 0).
func ema(prev, obs, alpha uint32) uint32 {
	prev, obs, alpha = min(prev, PPM), min(obs, PPM), min(alpha, PPM)
	num := uint64(prev)*uint64(PPM-alpha) + uint64(obs)*uint64(alpha)
	v := num / PPM
	if obs > prev && num%PPM != 0 {
		v++
	}
	return uint32(min(v, PPM))
}

// clipAgreement is the Yuma-consensus clip applied to one block's agreement: in
// Bittensor each validator's weight is clipped to the stake-weighted consensus, so
// exaggeration earns nothing; here agreement already measures distance to the
// stake-weighted median, and a block whose agreement falls below kappa earns 0
// (an outlier gets no partial credit for being "somewhat" close).
func clipAgreement(agreement, kappa uint32) uint32 {
	agreement = min(agreement, PPM)
	if agreement < kappa {
		return 0
	}
	return agreement
}

// computeReputation combines the two moving averages by the params weights and
// subtracts the penalty, floored at 0.
func computeReputation(agreementAvg, signedAvg, penalty uint32, p Params) uint32 {
	base := (uint64(min(agreementAvg, PPM))*uint64(p.AgreementWeight) + uint64(min(signedAvg, PPM))*uint64(p.SignedWeight)) / PPM
	if uint64(penalty) >= base {
		return 0
	}
	return uint32(base - uint64(penalty))
}

// weightOf is stake × reputation (reputation in ppm).
func weightOf(stake uint64, reputation uint32) uint64 {
	return mulDiv(stake, uint64(min(reputation, PPM)), PPM)
}

// fraction returns amount × ppm / PPM rounded down.
func fraction(amount uint64, ppm uint32) uint64 { return mulDiv(amount, uint64(min(ppm, PPM)), PPM) }

// addPenalty adds to a penalty, saturating at PPM.
func addPenalty(p, add uint32) uint32 { return uint32(min(uint64(p)+uint64(add), PPM)) }

// PowerReduction is how many bond-denom units make one unit of CometBFT voting
// power (1 SELF = 10^6 uself = 1 power, as in the Cosmos SDK).
const PowerReduction = 1_000_000

// MaxPowerPerValidator keeps the total far below CometBFT's MaxTotalVotingPower
// (MaxInt64/8) even with MaxValidatorRecords validators.
const MaxPowerPerValidator = int64(1) << 40

// powerOf is the CometBFT voting power of stake.
func powerOf(stake uint64) int64 {
	return min(int64(stake/PowerReduction), MaxPowerPerValidator)
}
