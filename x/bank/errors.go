package bank

import "github.com/selfchain/selfchain/app/runtime"

// Errors of codespace "bank". Codes are never reused; add new ones at the end.
var (
	ErrSendDisabled        = runtime.RegisterError(ModuleName, 2, "sends are disabled")
	ErrTooManyOutputs      = runtime.RegisterError(ModuleName, 3, "too many multi-send outputs")
	ErrInputOutputMismatch = runtime.RegisterError(ModuleName, 4, "sum of inputs does not equal sum of outputs")
)
