package bridge

import "github.com/selfchain/selfchain/app/runtime"

// Errors of codespace "bridge". Codes are never reused; add new ones at the end.
var (
	ErrClientNotFound            = runtime.RegisterError(ModuleName, 2, "client not found")
	ErrConsensusStateNotFound    = runtime.RegisterError(ModuleName, 3, "consensus state not found")
	ErrInvalidHeader             = runtime.RegisterError(ModuleName, 4, "invalid header")
	ErrHeaderExpired             = runtime.RegisterError(ModuleName, 5, "header expired")
	ErrInvalidClientParams       = runtime.RegisterError(ModuleName, 6, "invalid client parameters")
	ErrClientFrozen              = runtime.RegisterError(ModuleName, 7, "client frozen")
	ErrClientExpired             = runtime.RegisterError(ModuleName, 8, "client expired")
	ErrUntrustedValidators       = runtime.RegisterError(ModuleName, 9, "not enough trusted voting power signed")
	ErrTooManyValidators         = runtime.RegisterError(ModuleName, 10, "validator set too large")
	ErrNoMisbehaviour            = runtime.RegisterError(ModuleName, 11, "headers do not conflict")
	ErrNotAuthority              = runtime.RegisterError(ModuleName, 12, "signer is not the authority")
	ErrInvalidRecovery           = runtime.RegisterError(ModuleName, 13, "invalid client recovery")
	ErrNotCreator                = runtime.RegisterError(ModuleName, 14, "signer did not create the client")
	ErrCounterpartyRegistered    = runtime.RegisterError(ModuleName, 15, "counterparty already registered")
	ErrCounterpartyNotRegistered = runtime.RegisterError(ModuleName, 16, "counterparty not registered")
	ErrInvalidPacket             = runtime.RegisterError(ModuleName, 17, "invalid packet")
	ErrInvalidTimeout            = runtime.RegisterError(ModuleName, 18, "invalid timeout")
	ErrPacketTimedOut            = runtime.RegisterError(ModuleName, 19, "packet timed out")
	ErrAlreadyReceived           = runtime.RegisterError(ModuleName, 20, "packet already received")
	ErrInvalidProof              = runtime.RegisterError(ModuleName, 21, "invalid proof")
	ErrPacketNotPending          = runtime.RegisterError(ModuleName, 22, "packet not pending")
	ErrInvalidAcknowledgement    = runtime.RegisterError(ModuleName, 23, "invalid acknowledgement")
	ErrTimeoutNotReached         = runtime.RegisterError(ModuleName, 24, "timeout not reached")
	ErrUnknownPort               = runtime.RegisterError(ModuleName, 25, "unknown port")
	ErrUnknownVoucher            = runtime.RegisterError(ModuleName, 26, "unknown voucher denom")
)
