package upgrade

import "github.com/selfchain/selfchain/app/runtime"

// Errors of codespace "upgrade". Codes are never reused; add new ones at the end.
var (
	ErrNotAuthority   = runtime.RegisterError(ModuleName, 2, "signer is not the upgrade authority")
	ErrInvalidPlan    = runtime.RegisterError(ModuleName, 3, "invalid upgrade plan")
	ErrPlanInPast     = runtime.RegisterError(ModuleName, 4, "upgrade height is not in the future")
	ErrAlreadyApplied = runtime.RegisterError(ModuleName, 5, "upgrade already applied")
	ErrInfoTooLarge   = runtime.RegisterError(ModuleName, 6, "upgrade info too large")
	ErrNoPlan         = runtime.RegisterError(ModuleName, 7, "no upgrade planned")
)
