package instance

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/selfchain/selfchain/instance/wire"
	"github.com/selfchain/selfchain/x/permissions"
)

// Server is the gateway.
type Server struct {
	cfg   Config
	quota int64
	chain *Chain
	db    *DB
	auth  *authState
	llm   *http.Client

	rlMu sync.Mutex
	rl   map[string]*bucket
}

// NewServer builds the gateway on an open database and a following light client.
func NewServer(cfg Config, chain *Chain, db *DB) (*Server, error) {
	q, err := cfg.Quota()
	if err != nil {
		return nil, err
	}
	tr := &http.Transport{
		DialContext:           (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
		ResponseHeaderTimeout: cfg.LLMTimeout.Duration,
		MaxIdleConnsPerHost:   16,
	}
	auth := newAuthState(db)
	if err := auth.load(); err != nil {
		return nil, err
	}
	return &Server{cfg: cfg, quota: q, chain: chain, db: db, auth: auth, llm: &http.Client{Transport: tr}, rl: map[string]*bucket{}}, nil
}

// Handler is the gateway's HTTP API.
func (s *Server) Handler() http.Handler {
	m := http.NewServeMux()
	m.HandleFunc("GET "+wire.PathInfo, s.info)
	m.HandleFunc("POST "+wire.PathNonce, s.nonce)
	m.HandleFunc("POST "+wire.PathSession, s.createSession)
	m.HandleFunc("POST "+wire.PathChat, s.chat)
	// Storage paths bypass the mux, which would redirect "a/../b" to a cleaned
	// path: the gateway refuses such keys itself (bad_key) instead.
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, wire.PathStorage) || strings.HasPrefix(r.URL.EscapedPath(), wire.PathStorage) {
			s.storage(w, r)
			return
		}
		m.ServeHTTP(w, r)
	})
}

// Serve serves the API over TLS on ln until ctx ends.
func (s *Server) Serve(ctx context.Context, ln net.Listener, tc *tls.Config) error {
	hs := &http.Server{Handler: s.Handler(), TLSConfig: tc, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute,
		MaxHeaderBytes: 64 << 10}
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = hs.Shutdown(sctx)
	}()
	err := hs.Serve(tls.NewListener(ln, tc))
	if errors.Is(err, http.ErrServerClosed) {
		// Serve returns at once; the requests still running finish (and queue
		// their audit entries) before the caller closes the database. Then the
		// sessions' windows are saved: a restart continues them.
		<-stopped
		if err := s.auth.save(); err != nil {
			return fmt.Errorf("save sessions (they end with this run): %w", err)
		}
		return nil
	}
	return err
}

// Content types, shared by every answer (net/http only reads them).
var (
	contentJSON  = []string{"application/json"}
	contentOctet = []string{"application/octet-stream"}
)

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header()["Content-Type"] = contentJSON
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// respBufs recycles the bodies writePut builds.
var respBufs = sync.Pool{New: func() any { b := make([]byte, 0, 256); return &b }}

// writePut answers a storage write with wire.PutResponse{key, version}: the same
// bytes json.Encoder writes, built without reflection for the hottest answer.
// A key that JSON would escape (StorageKey admits none) goes through writeJSON.
func writePut(w http.ResponseWriter, key string, version uint64) {
	for i := 0; i < len(key); i++ {
		if c := key[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			writeJSON(w, http.StatusOK, wire.PutResponse{Key: key, Version: version})
			return
		}
	}
	bp := respBufs.Get().(*[]byte)
	b := append((*bp)[:0], `{"key":"`...)
	b = append(b, key...)
	b = append(b, `","version":`...)
	b = strconv.AppendUint(b, version, 10)
	b = append(b, "}\n"...)
	w.Header()["Content-Type"] = contentJSON
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(b)
	*bp = b[:0]
	respBufs.Put(bp)
}

func writeErr(w http.ResponseWriter, e *apiError) {
	if e.code == wire.CodeApproved {
		w.Header().Set("Retry-After", "1")
	}
	writeJSON(w, e.status, wire.ErrorBody{Error: wire.Error{Code: e.code, Message: e.msg, RequestID: e.requestID, Decision: e.decision}})
}

// readBody reads at most max bytes of the body.
func readBody(r *http.Request, max int64) ([]byte, *apiError) {
	if n := r.ContentLength; n >= 0 && n <= max {
		// The common case: the length is known (net/http's body reader stops
		// there), so one exact allocation instead of ReadAll's growing ones.
		b := make([]byte, n)
		if _, err := io.ReadFull(r.Body, b); err != nil {
			return nil, errf(http.StatusBadRequest, wire.CodeBadRequest, "read body: %v", err)
		}
		return b, nil
	}
	b, err := io.ReadAll(io.LimitReader(r.Body, max+1))
	if err != nil {
		return nil, errf(http.StatusBadRequest, wire.CodeBadRequest, "read body: %v", err)
	}
	if int64(len(b)) > max {
		return nil, errf(http.StatusRequestEntityTooLarge, wire.CodeTooLarge, "body over %d bytes", max)
	}
	return b, nil
}

func (s *Server) info(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, wire.InfoResponse{Owner: s.cfg.OwnerAddress, ChainID: s.cfg.ChainID, Height: s.chain.Height()})
}

func (s *Server) nonce(w http.ResponseWriter, r *http.Request) {
	app := r.Header.Get(wire.HeaderApp)
	if err := permissions.ValidateAppID(app); err != nil {
		writeErr(w, errf(http.StatusBadRequest, wire.CodeBadRequest, "%s: %v", wire.HeaderApp, err))
		return
	}
	// Nonces cost nothing to ask for, so they are limited per client address: a
	// stranger naming an app cannot use up that app's own budget.
	host, _, _ := net.SplitHostPort(r.RemoteAddr)
	if e := s.limit("nonce@" + host); e != nil {
		writeErr(w, e)
		return
	}
	n, exp, e := s.auth.newNonce(app)
	if e != nil {
		writeErr(w, e)
		return
	}
	writeJSON(w, http.StatusOK, wire.NonceResponse{Nonce: n, ExpiresAt: exp.Unix()})
}

// audit records one decision; the log is the user's record, so a failure to write is loud.
func (s *Server) audit(r *http.Request, app, key, scope string, e *apiError, reason string) {
	s.auditIn(r, app, "", key, scope, e, reason)
}

// auditIn is audit of a request in another app's namespace ns ("" = app's own).
func (s *Server) auditIn(r *http.Request, app, ns, key, scope string, e *apiError, reason string) {
	if err := s.db.Audit(s.auditEntry(r, app, ns, key, scope, e, reason)); err != nil {
		println("selfinstance: audit log write failed:", err.Error())
	}
}

// auditEntry is the audit log's entry for a decision (see auditIn).
func (s *Server) auditEntry(r *http.Request, app, ns, key, scope string, e *apiError, reason string) AuditEntry {
	res := "allowed"
	if e != nil {
		res, reason = e.code, e.msg
	}
	path := r.URL.Path
	if len(path) > 256 {
		path = path[:256]
	}
	return AuditEntry{Time: time.Now().Unix(), App: app, Namespace: ns, AppKey: key, Method: r.Method, Path: path,
		Scope: scope, Result: res, Reason: reason, Height: s.chain.Height()}
}

// records returns the proven records of app, or a chain_unverified error.
func (s *Server) records(ctx context.Context, app string) (*Records, *apiError) {
	rec, err := s.chain.Records(ctx, app)
	if err != nil {
		return nil, errf(http.StatusServiceUnavailable, wire.CodeChainUnverified, "could not prove the permission state: %v", err)
	}
	if rec.App == nil {
		return nil, &apiError{status: http.StatusForbidden, code: wire.CodeNoSuchApp, msg: "no app " + app + " is registered in x/permissions", decision: permissions.DECISION_NO_SUCH_APP.String()}
	}
	return rec, nil
}

// createSession authenticates an app by a signature over a fresh nonce and opens a
// session when the user's proven grant covers every asked scope; otherwise it
// records a pending authorization request for the user.
func (s *Server) createSession(w http.ResponseWriter, r *http.Request) {
	app := r.Header.Get(wire.HeaderApp)
	var keyName, scopeList string
	e := func() *apiError {
		if err := permissions.ValidateAppID(app); err != nil {
			return errf(http.StatusBadRequest, wire.CodeBadRequest, "%s: %v", wire.HeaderApp, err)
		}
		body, e := readBody(r, 64<<10)
		if e != nil {
			return e
		}
		pk, err := ParseKey(r.Header.Get(wire.HeaderKey))
		if err != nil {
			return errf(http.StatusBadRequest, wire.CodeBadRequest, "%v", err)
		}
		keyName = keyID(pk)
		ts, e := checkTimestamp(r.Header.Get(wire.HeaderTimestamp))
		if e != nil {
			return e
		}
		n := r.Header.Get(wire.HeaderNonce)
		if e := verifySig(pk, wire.SignBytes(s.cfg.OwnerAddress, n, r.Method, r.URL.RequestURI(), body, ts), r.Header.Get(wire.HeaderSignature)); e != nil {
			return e
		}
		if e := s.auth.takeNonce(n, app); e != nil {
			return e
		}
		if e := s.limit(app); e != nil {
			return e
		}
		scopes, e := parseSessionRequest(body)
		if e != nil {
			return e
		}
		scopeList = strings.Join(scopes, " ")
		rec, e := s.records(r.Context(), app)
		if e != nil {
			return e
		}
		if !rec.HasKey(pk) {
			return errf(http.StatusUnauthorized, wire.CodeUnknownKey, "key %s is not registered for app %s on chain (x/permissions app pub_keys)", keyName, app)
		}
		var missing bool
		for _, sc := range scopes {
			want, _ := permissions.ParseScope(sc)
			switch d, reason := rec.Decide(want, time.Now()); d {
			case permissions.DECISION_ALLOWED:
			case permissions.DECISION_NO_GRANT, permissions.DECISION_SCOPE_NOT_GRANTED:
				missing = true
			default:
				return &apiError{status: http.StatusForbidden, code: wire.CodeForbidden, msg: reason, decision: d.String()}
			}
		}
		if missing {
			req, err := s.db.RecordRequest(app, scopes, r.Header.Get(wire.HeaderKey))
			if err != nil {
				return errf(http.StatusTooManyRequests, wire.CodeRateLimited, "%v", err)
			}
			switch req.Status {
			case StatusDenied:
				return &apiError{status: http.StatusForbidden, code: wire.CodeDenied, msg: "the user denied this request", requestID: req.ID}
			case StatusApproved:
				return &apiError{status: http.StatusServiceUnavailable, code: wire.CodeApproved, requestID: req.ID,
					msg: "approved, waiting for the grant's block to be proven (retry in ~1 s)"}
			}
			return &apiError{status: http.StatusForbidden, code: wire.CodePending,
				msg: "the user has not granted these scopes yet: they can approve request with `selfinstance approve`; retry after", requestID: req.ID}
		}
		sess, tok, e := s.auth.newSession(app, pk, s.cfg.SessionTTL.Duration)
		if e != nil {
			return e
		}
		writeJSON(w, http.StatusOK, wire.SessionResponse{Session: tok, ExpiresAt: sess.expires.Unix(), Scopes: scopes, Height: rec.Height})
		return nil
	}()
	s.audit(r, app, keyName, scopeList, e, "session opened")
	if e != nil {
		writeErr(w, e)
	}
}

// maxSessionScopes bounds the scopes one session asks for.
const maxSessionScopes = 16

// parseSessionRequest decodes and canonicalises a session request's scopes (sorted, unique).
func parseSessionRequest(body []byte) ([]string, *apiError) {
	var req wire.SessionRequest
	dec := json.NewDecoder(strings.NewReader(string(body)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		return nil, errf(http.StatusBadRequest, wire.CodeBadRequest, "session request body: %v", err)
	}
	if len(req.Scopes) == 0 || len(req.Scopes) > maxSessionScopes {
		return nil, errf(http.StatusBadRequest, wire.CodeBadRequest, "scopes: %d given (want 1-%d)", len(req.Scopes), maxSessionScopes)
	}
	out := make([]string, 0, len(req.Scopes))
	for _, sc := range req.Scopes {
		p, err := permissions.ParseScope(sc)
		if err != nil {
			return nil, errf(http.StatusBadRequest, wire.CodeBadRequest, "scope %q: %v", sc, err)
		}
		if p.OnChain() {
			return nil, errf(http.StatusBadRequest, wire.CodeBadRequest, "scope %s acts on chain: apps use MsgExec for it, not the instance", p)
		}
		out = append(out, p.String())
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

// authed is a request authenticated on a session, with the proven records.
type authed struct {
	sess *session
	rec  *Records
	body []byte
	// audited: the request's entry was written with its storage write, in the
	// same transaction (see storeWriter), so the handler must not write another.
	audited bool
}

// authenticate checks a session request: the session, the signature by the
// session's key over this request, a fresh sequence number, the rate limit, and
// that the key is still registered for the app at the proven height.
func (s *Server) authenticate(r *http.Request, maxBody int64) (*authed, *apiError) {
	tok, ok := strings.CutPrefix(r.Header.Get(wire.HeaderSession), wire.SessionScheme)
	if !ok {
		return nil, errf(http.StatusUnauthorized, wire.CodeBadSession, "no session: send %s: %s<token> from POST %s", wire.HeaderSession, wire.SessionScheme, wire.PathSession)
	}
	sess := s.auth.session(tok)
	if sess == nil {
		return nil, errf(http.StatusUnauthorized, wire.CodeBadSession, "session unknown or expired: authenticate again")
	}
	body, e := readBody(r, maxBody)
	if e != nil {
		return &authed{sess: sess}, e
	}
	ts, e := checkTimestamp(r.Header.Get(wire.HeaderTimestamp))
	if e != nil {
		return &authed{sess: sess}, e
	}
	seq, err := parseUint(r.Header.Get(wire.HeaderSeq))
	if err != nil {
		return &authed{sess: sess}, errf(http.StatusBadRequest, wire.CodeBadRequest, "%s: want a positive integer", wire.HeaderSeq)
	}
	mp := signBufs.Get().(*[]byte)
	msg := wire.AppendSessionSignBytes((*mp)[:0], s.cfg.OwnerAddress, tok, seq, r.Method, r.URL.RequestURI(), body, ts)
	e = verifyWith(sess.verify, msg, r.Header.Get(wire.HeaderSignature))
	*mp = msg[:0]
	signBufs.Put(mp)
	if e != nil {
		return &authed{sess: sess}, e
	}
	if !sess.accept(seq) {
		return &authed{sess: sess}, errf(http.StatusUnauthorized, wire.CodeReplay, "sequence number %d was already used or is too old: use a new one", seq)
	}
	if e := s.limit(sess.app); e != nil {
		return &authed{sess: sess}, e
	}
	rec, e := s.records(r.Context(), sess.app)
	if e != nil {
		return &authed{sess: sess}, e
	}
	if !rec.HasKey(sess.key) {
		return &authed{sess: sess}, errf(http.StatusUnauthorized, wire.CodeUnknownKey, "the session's key is no longer registered for app %s", sess.app)
	}
	return &authed{sess: sess, rec: rec, body: body}, nil
}

// signBufs recycles the sign bytes of session requests.
var signBufs = sync.Pool{New: func() any { b := make([]byte, 0, 512); return &b }}

// decide applies permissions.Decide for want on the proven records.
func (a *authed) decide(want permissions.Scope) *apiError {
	d, reason := a.rec.Decide(want, time.Now())
	if d != permissions.DECISION_ALLOWED {
		return &apiError{status: http.StatusForbidden, code: wire.CodeForbidden, msg: reason, decision: d.String()}
	}
	return nil
}

func parseUint(s string) (uint64, error) {
	if s == "" || len(s) > 20 {
		return 0, errors.New("bad")
	}
	var n uint64
	for _, c := range []byte(s) {
		if c < '0' || c > '9' {
			return 0, errors.New("bad")
		}
		d := uint64(c - '0')
		if n > (^uint64(0)-d)/10 {
			return 0, errors.New("overflow")
		}
		n = n*10 + d
	}
	return n, nil
}

// bucket is a token bucket of one app.
type bucket struct {
	tokens float64
	last   time.Time
}

// limit takes a token from app's bucket.
func (s *Server) limit(app string) *apiError {
	s.rlMu.Lock()
	defer s.rlMu.Unlock()
	now := time.Now()
	b := s.rl[app]
	if b == nil {
		if len(s.rl) > 100000 {
			clear(s.rl)
		}
		b = &bucket{tokens: float64(s.cfg.RateBurst), last: now}
		s.rl[app] = b
	}
	b.tokens = min(float64(s.cfg.RateBurst), b.tokens+now.Sub(b.last).Seconds()*float64(s.cfg.RatePerSecond))
	b.last = now
	if b.tokens < 1 {
		return errf(http.StatusTooManyRequests, wire.CodeRateLimited, "%s is over %d requests/s: slow down", app, s.cfg.RatePerSecond)
	}
	b.tokens--
	return nil
}
