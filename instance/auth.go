package instance

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/selfchain/selfchain/crypto"
	"github.com/selfchain/selfchain/instance/wire"
)

// Limits of the authentication state an unauthenticated client can create.
const (
	nonceTTL    = 60 * time.Second
	maxNonces   = 10000
	maxSessions = 10000
	// Out-of-order sequence numbers are accepted within this window: an app
	// with many requests in flight on a loaded machine sends some late (64 was
	// too few at 16 in flight with the CPU shared).
	seqWindow = 1024
)

// apiError is an error answer: HTTP status, wire code, a message a developer can act on.
type apiError struct {
	status    int
	code      string
	msg       string
	requestID uint64
	decision  string
}

func (e *apiError) Error() string { return e.code + ": " + e.msg }

func errf(status int, code, format string, args ...any) *apiError {
	return &apiError{status: status, code: code, msg: fmt.Sprintf(format, args...)}
}

type nonce struct {
	app     string
	expires time.Time
}

// session is an authenticated app, bound to the key that created it: every
// request on it must be signed by that key, so the token alone is worthless.
type session struct {
	hash    [32]byte // SHA-256 of the token: the token itself is kept nowhere
	app     string
	key     crypto.PubKey
	keyName string      // keyID(key), for the audit log
	verify  sigVerifier // newSigVerifier(key)
	expires time.Time

	mu     sync.Mutex
	high   uint64                 // highest sequence number accepted
	seen   [seqWindow / 64]uint64 // bit n%seqWindow: n was accepted, for n in (high-seqWindow, high]
	frozen bool                   // the window was saved at a clean stop: accept nothing more
}

// accept records seq, refusing one already used or older than the window.
func (s *session) accept(seq uint64) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case seq == 0 || s.frozen:
		return false
	case seq > s.high:
		// Forget the numbers that leave the window: their bits are reused by
		// high+1 .. seq.
		if seq-s.high >= seqWindow {
			s.seen = [seqWindow / 64]uint64{}
		} else {
			for n := s.high + 1; n < seq; n++ {
				s.seen[n%seqWindow/64] &^= 1 << (n % 64)
			}
		}
		s.high = seq
	case s.high-seq >= seqWindow:
		return false
	case s.seen[seq%seqWindow/64]&(1<<(seq%64)) != 0:
		return false
	}
	s.seen[seq%seqWindow/64] |= 1 << (seq % 64)
	return true
}

// authState holds nonces (memory) and sessions (memory, kept in db so a clean
// restart does not end them; see session_store.go).
type authState struct {
	mu       sync.Mutex
	nonces   map[string]nonce
	sessions map[[32]byte]*session
	db       *DB
	opened   int // sessions opened by this run, for pruneEvery
}

// pruneEvery: every this many new sessions the expired rows are deleted, so a
// long run does not pile them up (start and clean stop prune them too).
const pruneEvery = 256

func newAuthState(db *DB) *authState {
	return &authState{nonces: map[string]nonce{}, sessions: map[[32]byte]*session{}, db: db}
}

func tokenHash(tok string) [32]byte { return sha256.Sum256([]byte(tok)) }

// load restores the sessions saved at the last clean stop.
func (a *authState) load() error {
	now := time.Now()
	rows, err := a.db.LoadSessions(now)
	if err != nil {
		return fmt.Errorf("load sessions: %w", err)
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, r := range rows {
		pk, err := crypto.PubKeyFromTyped(r.keyType, r.key)
		if err != nil || r.check() != nil {
			continue // not a session this gateway made: dropped (LoadSessions marked it unsaved)
		}
		s := &session{app: r.app, key: pk, keyName: keyID(pk), verify: newSigVerifier(pk), expires: time.Unix(0, r.expires), high: r.high}
		copy(s.hash[:], r.hash)
		for i := range s.seen {
			if len(r.seen) == seqWindow/8 {
				s.seen[i] = binary.BigEndian.Uint64(r.seen[i*8:])
			}
		}
		a.sessions[s.hash] = s
	}
	return nil
}

// save stores the sequence windows of the live sessions at a clean stop. The
// sessions accept no request after it (one would be missing from the saved window).
func (a *authState) save() error {
	now := time.Now()
	a.mu.Lock()
	rows := make([]sessionRow, 0, len(a.sessions))
	for _, s := range a.sessions {
		if now.After(s.expires) {
			continue
		}
		s.mu.Lock()
		s.frozen = true
		seen := make([]byte, 0, seqWindow/8)
		for _, w := range s.seen {
			seen = binary.BigEndian.AppendUint64(seen, w)
		}
		rows = append(rows, sessionRow{hash: s.hash[:], high: s.high, seen: seen})
		s.mu.Unlock()
	}
	a.mu.Unlock()
	return a.db.SaveWindows(rows, now)
}

func randomToken() string {
	var b [32]byte
	_, _ = rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

func (a *authState) newNonce(app string) (string, time.Time, *apiError) {
	a.mu.Lock()
	defer a.mu.Unlock()
	now := time.Now()
	if len(a.nonces) >= maxNonces {
		for k, n := range a.nonces {
			if now.After(n.expires) {
				delete(a.nonces, k)
			}
		}
		if len(a.nonces) >= maxNonces {
			return "", now, errf(http.StatusTooManyRequests, wire.CodeRateLimited, "too many outstanding nonces: retry in a minute")
		}
	}
	n := randomToken()
	a.nonces[n] = nonce{app: app, expires: now.Add(nonceTTL)}
	return n, now.Add(nonceTTL), nil
}

// takeNonce consumes n for app.
func (a *authState) takeNonce(n, app string) *apiError {
	a.mu.Lock()
	defer a.mu.Unlock()
	e, ok := a.nonces[n]
	if !ok || e.app != app || time.Now().After(e.expires) {
		return errf(http.StatusUnauthorized, wire.CodeBadNonce, "nonce unknown, used, expired or issued to another app: get a fresh one from POST %s", wire.PathNonce)
	}
	delete(a.nonces, n)
	return nil
}

// newSession opens a session and returns it with its token.
func (a *authState) newSession(app string, key crypto.PubKey, ttl time.Duration) (*session, string, *apiError) {
	now := time.Now()
	if e := a.room(now); e != nil {
		return nil, "", e
	}
	tok := randomToken()
	s := &session{hash: tokenHash(tok), app: app, key: key, keyName: keyID(key), verify: newSigVerifier(key), expires: now.Add(ttl)}
	// Stored before it is answered (outside the lock: lookups do not wait for the disk).
	if err := a.db.SaveSession(sessionRow{hash: s.hash[:], app: app, keyType: key.Type(), key: key.Bytes(), expires: s.expires.UnixNano()}); err != nil {
		return nil, "", errf(http.StatusInternalServerError, wire.CodeInternal, "store the session: %v", err)
	}
	a.mu.Lock()
	a.sessions[s.hash] = s
	a.opened++
	prune := a.opened%pruneEvery == 0
	a.mu.Unlock()
	if prune {
		if err := a.db.PruneSessions(now); err != nil {
			fmt.Fprintf(os.Stderr, "selfinstance: prune expired sessions: %v\n", err)
		}
	}
	return s, tok, nil
}

// room makes room for a session by forgetting expired ones (their rows go at
// the next clean stop or start), or refuses when maxSessions are live.
func (a *authState) room(now time.Time) *apiError {
	a.mu.Lock()
	defer a.mu.Unlock()
	if len(a.sessions) >= maxSessions {
		for k, s := range a.sessions {
			if now.After(s.expires) {
				delete(a.sessions, k)
			}
		}
		if len(a.sessions) >= maxSessions {
			return errf(http.StatusTooManyRequests, wire.CodeRateLimited, "too many open sessions: retry later")
		}
	}
	return nil
}

// session finds the live session of token tok.
func (a *authState) session(tok string) *session {
	h := tokenHash(tok)
	a.mu.Lock()
	defer a.mu.Unlock()
	s := a.sessions[h]
	if s != nil && time.Now().After(s.expires) {
		delete(a.sessions, h)
		return nil
	}
	return s
}

// ParseKey parses the X-Self-Key header: "<type>:<base64 key>".
func ParseKey(h string) (crypto.PubKey, error) {
	typ, b64, ok := strings.Cut(h, ":")
	if !ok || len(h) > 8192 {
		return nil, fmt.Errorf("%s: want <type>:<base64 key>", wire.HeaderKey)
	}
	raw, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", wire.HeaderKey, err)
	}
	return crypto.PubKeyFromTyped(typ, raw)
}

// keyID is a short, stable name of a key for the audit log.
func keyID(pk crypto.PubKey) string {
	if pk == nil {
		return ""
	}
	return pk.Type() + ":" + hex.EncodeToString(pk.Address())[:16]
}

// checkTimestamp parses the timestamp header and refuses one off by more than the skew.
func checkTimestamp(h string) (int64, *apiError) {
	ts, err := strconv.ParseInt(h, 10, 64)
	if err != nil {
		return 0, errf(http.StatusBadRequest, wire.CodeBadRequest, "%s: want unix seconds", wire.HeaderTimestamp)
	}
	if d := time.Now().Unix() - ts; d > wire.MaxClockSkew || d < -wire.MaxClockSkew {
		return 0, errf(http.StatusUnauthorized, wire.CodeClockSkew, "timestamp is %d s from the instance's clock (at most %d): fix the clock", d, wire.MaxClockSkew)
	}
	return ts, nil
}

func verifySig(pk crypto.PubKey, msg []byte, sigB64 string) *apiError {
	return verifyWith(pk.VerifySignature, msg, sigB64)
}
