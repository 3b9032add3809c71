package backup

import "github.com/selfchain/selfchain/app/runtime"

// Errors of codespace "backup". Codes are never reused; add new ones at the end.
var (
	ErrAgreementNotFound = runtime.RegisterError(ModuleName, 2, "agreement not found")
	ErrHolderNotFound    = runtime.RegisterError(ModuleName, 3, "holder node not registered")
	ErrHolderExpired     = runtime.RegisterError(ModuleName, 4, "holder node expired")
	ErrNoCapability      = runtime.RegisterError(ModuleName, 5, "holder node offers no backup capacity")
	ErrOverCapacity      = runtime.RegisterError(ModuleName, 6, "quota over the holder's free capacity")
	ErrSelfAgreement     = runtime.RegisterError(ModuleName, 7, "agreement with oneself")
	ErrTooManyAgreements = runtime.RegisterError(ModuleName, 8, "too many open agreements")
	ErrNotOwner          = runtime.RegisterError(ModuleName, 9, "signer is not the agreement's owner")
	ErrNotHolder         = runtime.RegisterError(ModuleName, 10, "signer is not the agreement's holder")
	ErrWrongStatus       = runtime.RegisterError(ModuleName, 11, "agreement is not in a status that allows this")
	ErrWrongRevision     = runtime.RegisterError(ModuleName, 12, "revision is not the current one + 1")
	ErrOverQuota         = runtime.RegisterError(ModuleName, 13, "manifest larger than the quota")
	ErrInvalidManifest   = runtime.RegisterError(ModuleName, 14, "invalid manifest")
	ErrNoChallenge       = runtime.RegisterError(ModuleName, 15, "no open challenge")
	ErrWrongChunk        = runtime.RegisterError(ModuleName, 16, "proof for another chunk than the challenged one")
	ErrInvalidProof      = runtime.RegisterError(ModuleName, 17, "storage proof does not verify")
	ErrInvalidTerms      = runtime.RegisterError(ModuleName, 18, "invalid agreement terms")
	ErrCollateral        = runtime.RegisterError(ModuleName, 19, "collateral below the proposal's")
	ErrProofTooLate      = runtime.RegisterError(ModuleName, 20, "proof after the challenge window")
	ErrNotParty          = runtime.RegisterError(ModuleName, 21, "signer is neither owner nor holder")
	ErrLeafNotInManifest = runtime.RegisterError(ModuleName, 22, "chunk leaf and manifest path do not lead to the manifest root")
	ErrSegmentNotInChunk = runtime.RegisterError(ModuleName, 23, "segment and segment path do not lead to the chunk's segment root")
)
