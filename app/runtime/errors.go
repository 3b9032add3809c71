package runtime

import (
	"errors"
	"fmt"
	"sync"
)

// Error is a registered error: a codespace (the module) and a code unique in it.
// The pair is what a client sees in ABCI responses, so a code is never reused.
type Error struct {
	codespace string
	code      uint32
	desc      string
}

var (
	registryMu sync.Mutex
	registry   = map[string]map[uint32]*Error{}
)

// RegisterError defines an error; it panics on a duplicate (a programming error caught at init).
func RegisterError(codespace string, code uint32, desc string) *Error {
	if code <= 1 {
		panic(fmt.Sprintf("error code %d is reserved (codespace %s)", code, codespace))
	}
	registryMu.Lock()
	defer registryMu.Unlock()
	if registry[codespace] == nil {
		registry[codespace] = map[uint32]*Error{}
	}
	if _, dup := registry[codespace][code]; dup {
		panic(fmt.Sprintf("error code %d registered twice in codespace %s", code, codespace))
	}
	e := &Error{codespace: codespace, code: code, desc: desc}
	registry[codespace][code] = e
	return e
}

func (e *Error) Error() string     { return e.desc }
func (e *Error) Codespace() string { return e.codespace }
func (e *Error) Code() uint32      { return e.code }

// Wrap adds context a person can act on; errors.Is(err, e) still holds.
func (e *Error) Wrap(msg string) error { return &wrapped{msg: msg, cause: e} }

func (e *Error) Wrapf(format string, args ...any) error {
	return &wrapped{msg: fmt.Sprintf(format, args...), cause: e}
}

type wrapped struct {
	msg   string
	cause error
}

func (w *wrapped) Error() string { return w.msg + ": " + w.cause.Error() }
func (w *wrapped) Unwrap() error { return w.cause }

// Wrapf wraps any error (registered or not) with context, keeping its code.
func Wrapf(err error, format string, args ...any) error {
	if err == nil {
		return nil
	}
	return &wrapped{msg: fmt.Sprintf(format, args...), cause: err}
}

// UndefinedCodespace and InternalCode are what an unregistered error maps to:
// its text is hidden from clients because it may be non-deterministic.
const (
	UndefinedCodespace = "undefined"
	InternalCode       = 1
)

// ABCIInfo maps an error to the ABCI (codespace, code, log) triple.
func ABCIInfo(err error) (codespace string, code uint32, log string) {
	if err == nil {
		return "", 0, ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.codespace, e.code, err.Error()
	}
	return UndefinedCodespace, InternalCode, "internal error"
}

// Root errors, shared by every module (codespace "selfchain"). Codes follow the
// Cosmos SDK's root codes where they mean the same thing, so tools and users recognise them.
const RootCodespace = "selfchain"

var (
	ErrTxDecode          = RegisterError(RootCodespace, 2, "tx parse error")
	ErrInvalidSequence   = RegisterError(RootCodespace, 3, "invalid sequence")
	ErrUnauthorized      = RegisterError(RootCodespace, 4, "unauthorized")
	ErrInsufficientFunds = RegisterError(RootCodespace, 5, "insufficient funds")
	ErrUnknownRequest    = RegisterError(RootCodespace, 6, "unknown request")
	ErrInvalidAddress    = RegisterError(RootCodespace, 7, "invalid address")
	ErrInvalidPubKey     = RegisterError(RootCodespace, 8, "invalid pubkey")
	ErrUnknownAddress    = RegisterError(RootCodespace, 9, "unknown address")
	ErrInvalidCoins      = RegisterError(RootCodespace, 10, "invalid coins")
	ErrOutOfGas          = RegisterError(RootCodespace, 11, "out of gas")
	ErrMemoTooLarge      = RegisterError(RootCodespace, 12, "memo too large")
	ErrInsufficientFee   = RegisterError(RootCodespace, 13, "insufficient fee")
	ErrTooManySignatures = RegisterError(RootCodespace, 14, "maximum number of signatures exceeded")
	ErrNoSignatures      = RegisterError(RootCodespace, 15, "no signatures supplied")
	ErrInvalidRequest    = RegisterError(RootCodespace, 18, "invalid request")
	ErrTxTooLarge        = RegisterError(RootCodespace, 21, "tx too large")
	ErrNotFound          = RegisterError(RootCodespace, 22, "not found")
	ErrTxTimeoutHeight   = RegisterError(RootCodespace, 30, "tx timeout height")
	ErrUnknownDenom      = RegisterError(RootCodespace, 31, "unknown denomination")
	ErrTooManyMessages   = RegisterError(RootCodespace, 33, "too many messages")
	ErrPanic             = RegisterError(RootCodespace, 111222, "panic")
	ErrConsensusOnly     = RegisterError(RootCodespace, 40, "consensus-only tx")
	ErrInvalidGenesis    = RegisterError(RootCodespace, 41, "invalid genesis")
	// ErrNonCanonical: signed bytes (a tx's envelope, body, auth info, a message, a
	// message packed in an Any) that are not the canonical encoding of what they
	// decode to: unknown fields, a field given twice, fields out of order, non-minimal
	// or overflowing varints, explicit defaults. The log names the field path.
	ErrNonCanonical = RegisterError(RootCodespace, 42, "non-canonical encoding")
	// ErrGasLimitTooHigh: a tx declaring more gas than the auth param max_tx_gas.
	ErrGasLimitTooHigh = RegisterError(RootCodespace, 43, "gas limit too high")
	// ErrBlockGasLimit: a tx declares more gas than a block may use (block.max_gas).
	ErrBlockGasLimit = RegisterError(RootCodespace, 44, "tx gas exceeds the block gas limit")
	// ErrTxInMempool: the app-side mempool already holds this exact tx.
	ErrTxInMempool = RegisterError(RootCodespace, 45, "tx already in the mempool")
	// ErrReplacementUnderpriced: the app-side mempool holds a tx of the same sender
	// and sequence, and this one does not pay enough more to replace it.
	ErrReplacementUnderpriced = RegisterError(RootCodespace, 46, "replacement fee too low")
	// ErrMempoolFull: the app-side mempool is at its count or byte limit and holds
	// nothing of lower priority to evict. The code is at or above CometBFT's
	// CodeTypeRetry (32000), so CometBFT forgets the tx soon and a resubmission is
	// accepted once there is room.
	ErrMempoolFull = RegisterError(RootCodespace, 32045, "mempool is full")
)
