package seal

import "errors"

// Errors a caller can test with errors.Is. Most are returned wrapped with a
// detail ("seal: malformed envelope: chunk size 12 out of range ...").
var (
	// ErrWrongRecipient: the envelope names another key id. Checked before
	// any KEM work, so trying every key of a keyring is cheap.
	ErrWrongRecipient = errors.New("seal: envelope is for a different key")
	// ErrUnsupportedVersion: an envelope version or suite this code does not
	// know (a newer format, most likely).
	ErrUnsupportedVersion = errors.New("seal: unsupported envelope version")
	// ErrMalformed: bytes that cannot be an envelope (bad magic, a field out
	// of range, data after the final chunk).
	ErrMalformed = errors.New("seal: malformed envelope")
	// ErrAuthentication: the envelope was altered, or the associated data
	// differs from what it was sealed with.
	ErrAuthentication = errors.New("seal: authentication failed")
	// ErrTruncated: the input ended before the final chunk did.
	ErrTruncated = errors.New("seal: envelope truncated")
	// ErrInvalidKey: bytes or text that are not a key of this suite.
	ErrInvalidKey = errors.New("seal: invalid key")
)
