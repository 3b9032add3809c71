package poai

import "github.com/selfchain/selfchain/app/runtime"

// Errors of codespace "poai". Codes are never reused; add new ones at the end.
var (
	ErrValidatorNotFound   = runtime.RegisterError(ModuleName, 2, "validator not found")
	ErrValidatorExists     = runtime.RegisterError(ModuleName, 3, "operator already has a validator")
	ErrConsensusKeyInUse   = runtime.RegisterError(ModuleName, 4, "consensus key already used by a validator, past or present")
	ErrInvalidConsensusKey = runtime.RegisterError(ModuleName, 5, "invalid consensus key encoding")
	ErrSelfStakeTooLow     = runtime.RegisterError(ModuleName, 6, "self-stake below the minimum")
	ErrWrongDenom          = runtime.RegisterError(ModuleName, 7, "wrong denomination: stake is in the bond denom")
	ErrNotAuthority        = runtime.RegisterError(ModuleName, 8, "signer is not the params authority")
	ErrInvalidParams       = runtime.RegisterError(ModuleName, 9, "invalid params")
	ErrInvalidCommission   = runtime.RegisterError(ModuleName, 10, "invalid commission")
	ErrInvalidModel        = runtime.RegisterError(ModuleName, 11, "invalid AI model description")
	ErrNotJailed           = runtime.RegisterError(ModuleName, 12, "validator is not jailed")
	ErrStillJailed         = runtime.RegisterError(ModuleName, 13, "validator is still jailed")
	ErrTombstoned          = runtime.RegisterError(ModuleName, 14, "validator is tombstoned")
	ErrInsufficientStake   = runtime.RegisterError(ModuleName, 15, "not enough stake")
	ErrTooManyUnbondings   = runtime.RegisterError(ModuleName, 16, "too many unbonding entries")
	ErrNoRewards           = runtime.RegisterError(ModuleName, 17, "no rewards to withdraw")
	ErrRateLimited         = runtime.RegisterError(ModuleName, 18, "sender is rate-limited: a recent tx was flagged by the AI risk analysis")
	ErrTooManyValidators   = runtime.RegisterError(ModuleName, 19, "too many validators registered")
	ErrInvalidAmount       = runtime.RegisterError(ModuleName, 20, "invalid amount")
	ErrInvalidMoniker      = runtime.RegisterError(ModuleName, 21, "invalid moniker")
	ErrOperatorNotAllowed  = runtime.RegisterError(ModuleName, 22, "operator is not allowed to create a validator on this permissioned chain")
	// Consensus keys (ValidateConsensusKey, VerifyKeyProof); code 5 is the bad encoding.
	ErrSmallOrderConsensusKey     = runtime.RegisterError(ModuleName, 23, "consensus key is a small-order point: anyone could sign for it")
	ErrConsensusKeyTypeNotAllowed = runtime.RegisterError(ModuleName, 24, "consensus key type not allowed")
	ErrMissingKeyProof            = runtime.RegisterError(ModuleName, 25, "missing proof of possession of the consensus key")
	ErrInvalidKeyProof            = runtime.RegisterError(ModuleName, 26, "proof of possession of the consensus key does not verify")
)
