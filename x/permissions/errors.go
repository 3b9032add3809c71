package permissions

import "github.com/selfchain/selfchain/app/runtime"

// Errors of codespace "permissions". Codes are never reused; add new ones at the end.
// Every denial of MsgExec has its own code, so a client (and a test) can tell them apart.
var (
	ErrInvalidApp       = runtime.RegisterError(ModuleName, 2, "invalid app")
	ErrAppExists        = runtime.RegisterError(ModuleName, 3, "app id already registered")
	ErrAppNotFound      = runtime.RegisterError(ModuleName, 4, "app not found")
	ErrNotAppOwner      = runtime.RegisterError(ModuleName, 5, "signer is not the app's owner")
	ErrAppSuspended     = runtime.RegisterError(ModuleName, 6, "app is suspended")
	ErrInvalidScope     = runtime.RegisterError(ModuleName, 7, "invalid scope")
	ErrScopeNotDeclared = runtime.RegisterError(ModuleName, 8, "scope not declared by the app")
	ErrDepositTooLow    = runtime.RegisterError(ModuleName, 9, "deposit below the minimum")
	ErrGrantNotFound    = runtime.RegisterError(ModuleName, 10, "no grant from the user to the app")
	ErrGrantExpired     = runtime.RegisterError(ModuleName, 11, "grant expired")
	ErrScopeNotGranted  = runtime.RegisterError(ModuleName, 12, "scope not granted")
	ErrSpendLimit       = runtime.RegisterError(ModuleName, 13, "spend limit exceeded")
	ErrUsesExhausted    = runtime.RegisterError(ModuleName, 14, "grant usage limit reached")
	ErrKillSwitch       = runtime.RegisterError(ModuleName, 15, "user's kill switch is on")
	ErrMsgNotDelegable  = runtime.RegisterError(ModuleName, 16, "message type cannot be executed through a grant")
	ErrInnerSigner      = runtime.RegisterError(ModuleName, 17, "inner message is not signed by the granting user")
	ErrNestedExec       = runtime.RegisterError(ModuleName, 18, "nested MsgExec")
	ErrTooManyInnerMsgs = runtime.RegisterError(ModuleName, 19, "too many inner messages")
	ErrInnerMsgTooLarge = runtime.RegisterError(ModuleName, 20, "inner message too large")
	ErrInvalidExpiry    = runtime.RegisterError(ModuleName, 21, "invalid grant expiry")
	ErrInvalidLimits    = runtime.RegisterError(ModuleName, 22, "invalid grant limits")
	ErrNotAuthorized    = runtime.RegisterError(ModuleName, 23, "not authorized")
	ErrNotGrantee       = runtime.RegisterError(ModuleName, 24, "MsgExec signer is not the app's account")
	ErrTimeUnknown      = runtime.RegisterError(ModuleName, 25, "grant expires by time but no time was given")
	ErrInvalidInnerMsg  = runtime.RegisterError(ModuleName, 26, "invalid inner message")
)

// decisionErrors maps a denial to its error; DECISION_ALLOWED has none.
var decisionErrors = map[Decision]*runtime.Error{
	DECISION_BAD_SCOPE:          ErrInvalidScope,
	DECISION_NO_SUCH_APP:        ErrAppNotFound,
	DECISION_APP_SUSPENDED:      ErrAppSuspended,
	DECISION_KILL_SWITCH:        ErrKillSwitch,
	DECISION_NO_GRANT:           ErrGrantNotFound,
	DECISION_EXPIRED:            ErrGrantExpired,
	DECISION_TIME_UNKNOWN:       ErrTimeUnknown,
	DECISION_USES_EXHAUSTED:     ErrUsesExhausted,
	DECISION_SCOPE_NOT_DECLARED: ErrScopeNotDeclared,
	DECISION_SCOPE_NOT_GRANTED:  ErrScopeNotGranted,
}
