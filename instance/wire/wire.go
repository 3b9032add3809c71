// Package wire is the gateway's wire protocol, shared by the gateway (package
// instance) and the SDKs: header names, the bytes an app signs, error codes and
// the JSON bodies. docs/INSTANCE.md describes the same protocol for other SDKs.
package wire

import (
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"strings"
)

// Headers of a signed request.
const (
	HeaderApp       = "X-Self-App"       // the app id registered in x/permissions
	HeaderKey       = "X-Self-Key"       // the app key: "<type>:<base64 std key bytes>"
	HeaderNonce     = "X-Self-Nonce"     // session creation: the nonce from /v1/auth/nonce
	HeaderSeq       = "X-Self-Seq"       // session requests: the request's sequence number (1, 2, ...)
	HeaderTimestamp = "X-Self-Timestamp" // unix seconds when the app signed
	HeaderSignature = "X-Self-Signature" // base64 std signature over SignBytes
	HeaderSession   = "Authorization"    // "Self <session token>" on session requests
	HeaderVersion   = "X-Self-Version"   // storage: the version of the value returned or written
	// HeaderNamespace is on answers from another app's namespace (QueryApp): the
	// app whose data it is, so a client can tell a shared read from its own.
	HeaderNamespace = "X-Self-Namespace"
)

// QueryApp is the storage query parameter naming another app's namespace to read
// ("GET /v1/storage/notes/a?app=diary"): a query, not a header, because the path
// and raw query are signed and headers are not.
const QueryApp = "app"

// SessionScheme prefixes the session token in the Authorization header.
const SessionScheme = "Self "

// Paths of the API.
const (
	PathNonce   = "/v1/auth/nonce"
	PathSession = "/v1/auth/session"
	PathChat    = "/v1/ai/chat"
	PathStorage = "/v1/storage/" // + key; GET PathStorage (no key) lists
	PathInfo    = "/v1/info"
)

// SignDomain separates the gateway's sign bytes from every other use of an app key.
const SignDomain = "selfinstance/v1"

// MaxClockSkew is how far a request's timestamp may be from the gateway's clock (seconds).
const MaxClockSkew = 120

// SignBytes is what an app signs for one request: the domain, the instance owner
// (so a request for alice's instance is worthless at bob's), the nonce (session
// creation) or "<session id>/<seq>" (session requests), the method, the path with
// its raw query, the hex SHA-256 of the body and the timestamp, one per line.
func SignBytes(owner, nonce, method, pathAndQuery string, body []byte, timestamp int64) []byte {
	h := sha256.Sum256(body)
	return []byte(strings.Join([]string{
		SignDomain, owner, nonce, method, pathAndQuery, hex.EncodeToString(h[:]), strconv.FormatInt(timestamp, 10),
	}, "\n"))
}

// AppendSessionSignBytes appends SignBytes(owner, SessionNonce(sessionID, seq),
// method, pathAndQuery, body, timestamp) to dst without building the parts as
// strings: the gateway does this for every request, into a reused buffer.
func AppendSessionSignBytes(dst []byte, owner, sessionID string, seq uint64, method, pathAndQuery string, body []byte, timestamp int64) []byte {
	h := sha256.Sum256(body)
	dst = append(dst, SignDomain...)
	dst = append(append(dst, '\n'), owner...)
	dst = append(append(dst, '\n'), sessionID...)
	dst = strconv.AppendUint(append(dst, '/'), seq, 10)
	dst = append(append(dst, '\n'), method...)
	dst = append(append(dst, '\n'), pathAndQuery...)
	dst = hex.AppendEncode(append(dst, '\n'), h[:])
	return strconv.AppendInt(append(dst, '\n'), timestamp, 10)
}

// SessionNonce is the nonce field of SignBytes for request seq of a session.
func SessionNonce(sessionID string, seq uint64) string {
	return sessionID + "/" + strconv.FormatUint(seq, 10)
}

// Error is the JSON body of every non-2xx answer: {"error": {...}}.
type Error struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	// RequestID is set with CodePending, CodeApproved and CodeDenied: the request's id.
	RequestID uint64 `json:"request_id,omitempty"`
	// Decision is x/permissions' decision name when the chain's state refused.
	Decision string `json:"decision,omitempty"`
}

// ErrorBody wraps Error on the wire.
type ErrorBody struct {
	Error Error `json:"error"`
}

// Error codes. Never reused: a new condition gets a new code.
const (
	CodeBadRequest   = "bad_request"   // malformed headers or body
	CodeBadSignature = "bad_signature" // the signature does not verify
	CodeUnknownKey   = "unknown_key"   // the key is not registered for the app on chain
	CodeNoSuchApp    = "no_such_app"   // no app with this id on chain
	CodeBadNonce     = "bad_nonce"     // unknown, expired or used nonce
	CodeReplay       = "replay"        // a sequence number already used or too old
	CodeClockSkew    = "clock_skew"    // timestamp too far from the gateway's clock
	CodeBadSession   = "bad_session"   // unknown or expired session, or another key
	CodePending      = "authorization_pending"
	CodeDenied       = "authorization_denied" // the user denied the request
	// CodeApproved: the user approved the request, the gateway has not yet proven
	// the block with the grant; retry in about a second (HTTP 503, Retry-After).
	CodeApproved        = "authorization_approved"
	CodeForbidden       = "forbidden"        // permissions.Decide refused (see decision)
	CodeChainUnverified = "chain_unverified" // the gateway could not prove the state
	CodeBadKey          = "bad_key"          // a storage key that is not a clean path
	CodeNotFound        = "not_found"
	CodeTooLarge        = "too_large"      // value or body over the size limit
	CodeQuotaExceeded   = "quota_exceeded" // the tier's storage quota is used up
	CodeRateLimited     = "rate_limited"
	CodeLLMUnavailable  = "llm_unavailable" // backend down or timed out
	CodeLLMMalformed    = "llm_malformed"   // backend answered something that is not chat completions
	CodeInternal        = "internal"
	// CodeSharedReadOnly: a write or delete in another app's namespace; sharing
	// (storage:read-shared) is read-only.
	CodeSharedReadOnly = "shared_read_only"
)

// NonceResponse is the answer of POST PathNonce.
type NonceResponse struct {
	Nonce     string `json:"nonce"`
	ExpiresAt int64  `json:"expires_at"`
}

// SessionRequest is the body of POST PathSession.
type SessionRequest struct {
	Scopes []string `json:"scopes"`
}

// SessionResponse is the answer of POST PathSession.
type SessionResponse struct {
	Session   string   `json:"session"`
	ExpiresAt int64    `json:"expires_at"`
	Scopes    []string `json:"scopes"`
	Height    int64    `json:"height"` // the proven height the grant was checked at
}

// PutResponse is the answer of PUT PathStorage+key.
type PutResponse struct {
	Key     string `json:"key"`
	Version uint64 `json:"version"`
}

// ListItem is one key of a list answer.
type ListItem struct {
	Key       string `json:"key"`
	Version   uint64 `json:"version"`
	Size      int64  `json:"size"`
	UpdatedAt int64  `json:"updated_at"`
}

// ListResponse is the answer of GET PathStorage?prefix=&cursor=&limit=.
type ListResponse struct {
	Items      []ListItem `json:"items"`
	NextCursor string     `json:"next_cursor,omitempty"`
}

// ChatMessage is an OpenAI chat message.
type ChatMessage struct {
	Role    string `json:"role"`
	Content string `json:"content"`
}

// ChatRequest is the body of POST PathChat: OpenAI chat completions, plus an
// optional stored conversation (needs ai:context) the gateway prepends and extends.
type ChatRequest struct {
	Messages []ChatMessage `json:"messages"`
	Stream   bool          `json:"stream,omitempty"`
	Context  string        `json:"context,omitempty"`
	// MaxTokens and Temperature pass through when set.
	MaxTokens   int      `json:"max_tokens,omitempty"`
	Temperature *float64 `json:"temperature,omitempty"`
}

// InfoResponse is GET PathInfo (no authentication): who owns the instance.
type InfoResponse struct {
	Owner   string `json:"owner"`
	ChainID string `json:"chain_id"`
	Height  int64  `json:"height"`
}
