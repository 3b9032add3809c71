package sdk

import (
	"fmt"

	"github.com/selfchain/selfchain/instance/wire"
)

// Error is every error the SDK returns about the instance's answer: a stable Code
// (the wire.Code* constants), a Message a developer can act on, and the Cause
// when the error started below the protocol (network, TLS, decoding).
type Error struct {
	Code    string
	Message string
	Status  int // HTTP status; 0 when the request never got an answer
	// RequestID is set with CodePending: the user approves it with `selfinstance approve <id>`.
	RequestID uint64
	// Decision is x/permissions' decision when the chain's state refused (e.g. DECISION_NO_GRANT).
	Decision string
	Cause    error
}

func (e *Error) Error() string {
	s := e.Code + ": " + e.Message
	if e.RequestID != 0 {
		s += fmt.Sprintf(" (request %d)", e.RequestID)
	}
	if e.Cause != nil {
		s += ": " + e.Cause.Error()
	}
	return s
}

func (e *Error) Unwrap() error { return e.Cause }

// Is matches errors by Code, so errors.Is(err, sdk.ErrPending) works.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code && t.Message == ""
}

// Sentinels to match with errors.Is.
var (
	ErrPending       = &Error{Code: wire.CodePending}
	ErrDenied        = &Error{Code: wire.CodeDenied}
	ErrApproved      = &Error{Code: wire.CodeApproved}
	ErrForbidden     = &Error{Code: wire.CodeForbidden}
	ErrNotFound      = &Error{Code: wire.CodeNotFound}
	ErrQuotaExceeded = &Error{Code: wire.CodeQuotaExceeded}
	ErrRateLimited   = &Error{Code: wire.CodeRateLimited}
	ErrTooLarge      = &Error{Code: wire.CodeTooLarge}
	// ErrSharedReadOnly: a write or delete in another app's namespace (sharing is read-only).
	ErrSharedReadOnly = &Error{Code: wire.CodeSharedReadOnly}
)

// Codes of errors the SDK itself raises.
const (
	CodeTransport = "transport" // the instance could not be reached
	CodeTLSKey    = "tls_key"   // the instance's TLS key is not the one registered on chain
	CodeDiscovery = "discovery" // the owner has no usable instance in x/registry
	CodeDecode    = "decode"    // the answer does not decode
	CodeSign      = "sign"      // the app key failed to sign
	// CodeInvalidArgument: an argument the SDK refuses before sending (e.g. a malformed app id).
	CodeInvalidArgument = "invalid_argument"
	// CodeNamespace: a shared read was answered from another namespace than the one
	// asked for (a gateway older than cross-app sharing ignores ?app=); not used.
	CodeNamespace = "namespace"
)

func sdkErr(code, msg string, cause error) *Error {
	return &Error{Code: code, Message: msg, Cause: cause}
}
