package registry

import "github.com/selfchain/selfchain/app/runtime"

// Errors of codespace "registry". Codes are never reused; add new ones at the end.
var (
	ErrInvalidEndpoint     = runtime.RegisterError(ModuleName, 2, "invalid endpoint")
	ErrDuplicateKey        = runtime.RegisterError(ModuleName, 3, "key already registered")
	ErrNotOwner            = runtime.RegisterError(ModuleName, 4, "signer does not own the node")
	ErrTooManyNodes        = runtime.RegisterError(ModuleName, 5, "owner runs the maximum number of nodes")
	ErrFieldTooLarge       = runtime.RegisterError(ModuleName, 6, "field too large")
	ErrNodeExpired         = runtime.RegisterError(ModuleName, 7, "node expired")
	ErrSameKey             = runtime.RegisterError(ModuleName, 8, "rotation to the current key")
	ErrNodeNotFound        = runtime.RegisterError(ModuleName, 9, "node not found")
	ErrInvalidKey          = runtime.RegisterError(ModuleName, 10, "invalid public key")
	ErrInvalidTier         = runtime.RegisterError(ModuleName, 11, "invalid service tier")
	ErrRotationInProgress  = runtime.RegisterError(ModuleName, 12, "previous key rotation still in its grace period")
	ErrInvalidField        = runtime.RegisterError(ModuleName, 13, "invalid field")
	ErrInvalidCapabilities = runtime.RegisterError(ModuleName, 14, "invalid capabilities")
	ErrInvalidKeyProof     = runtime.RegisterError(ModuleName, 15, "signing key possession not proven")
	ErrNotNodeKey          = runtime.RegisterError(ModuleName, 16, "signer is not the node's signing key")
)
