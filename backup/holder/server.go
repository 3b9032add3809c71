// Package holder is the backup holder daemon: it stores owners' sealed
// chunks in its own pebble database, serves them only to the agreement's
// owner, and answers the chain's storage challenges by itself.
package holder

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/selfchain/selfchain/backup/onchain"
	"github.com/selfchain/selfchain/backup/wire"
	"github.com/selfchain/selfchain/x/backup"
)

// Config configures a holder daemon.
type Config struct {
	NodeID string        // this holder's node id in x/registry
	Chain  onchain.Chain // agreements, challenges, proofs
	Store  *Store
	Logger *slog.Logger
	// AgreementTTL is how long an agreement read from the chain is trusted
	// before it is read again (status and quota changes take this long).
	AgreementTTL time.Duration
	Now          func() time.Time // for tests; time.Now by default
}

// Server is the holder's HTTP API and challenge answerer.
type Server struct {
	cfg     Config
	log     *slog.Logger
	now     func() time.Time
	started time.Time
	metrics *metrics

	mu     sync.Mutex
	agrs   map[uint64]cachedAgreement
	nonces map[string]int64  // nonce -> request time, pruned past the skew window
	grants map[[32]byte]bool // verified session grants
	pruned time.Time         // when nonces were last pruned
}

type cachedAgreement struct {
	a  onchain.Agreement
	at time.Time
}

// NewServer returns a holder server.
func NewServer(cfg Config) *Server {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.AgreementTTL == 0 {
		cfg.AgreementTTL = 5 * time.Second
	}
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	s := &Server{cfg: cfg, log: cfg.Logger, now: now, started: now(), metrics: newMetrics(),
		agrs: map[uint64]cachedAgreement{}, nonces: map[string]int64{}, grants: map[[32]byte]bool{}}
	if used, err := cfg.Store.TotalUsed(); err == nil {
		s.metrics.bytesHeld.Set(float64(used))
	}
	return s
}

// Registry is the server's Prometheus registry.
func (s *Server) Registry() *prometheus.Registry { return s.metrics.reg }

// Handler is the HTTP API:
//
//	PUT  /v1/agreements/{id}/chunks/{chunk}?kind=data|snapshot   store a chunk
//	GET  /v1/agreements/{id}/chunks/{chunk}                      fetch a chunk
//	GET  /v1/agreements/{id}/chunks                              inventory (wire.Entry list)
//	PUT  /v1/agreements/{id}/manifest                            announce a sorted id list; returns its root
//	GET  /v1/agreements/{id}/manifest?root=<hex>                 an announced list with leaves (wire.Entry list)
//	GET  /metrics                                                Prometheus
//
// Every /v1 request must be signed by the agreement owner's account key.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("PUT /v1/agreements/{agreement}/chunks/{chunk}", s.owned(s.putChunk, true))
	mux.HandleFunc("GET /v1/agreements/{agreement}/chunks/{chunk}", s.owned(s.getChunk, false))
	mux.HandleFunc("GET /v1/agreements/{agreement}/chunks", s.owned(s.inventory, false))
	mux.HandleFunc("PUT /v1/agreements/{agreement}/manifest", s.owned(s.putManifest, false))
	mux.HandleFunc("GET /v1/agreements/{agreement}/manifest", s.owned(s.getManifest, false))
	mux.Handle("GET /metrics", promhttp.HandlerFor(s.metrics.reg, promhttp.HandlerOpts{}))
	return mux
}

// maxBody bounds a request body: a chunk, or a manifest id list.
const maxBody = backup.MaxChunkSize + 1

// ownedHandler serves an authenticated request; digest is the body's signed
// digest (for a chunk upload, its leaf).
type ownedHandler func(w http.ResponseWriter, r *http.Request, a onchain.Agreement, body, digest []byte)

// owned authenticates a request as the agreement owner's before calling h.
// chunk says the body is a chunk, whose signed digest is its leaf.
func (s *Server) owned(h ownedHandler, chunk bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id, err := strconv.ParseUint(r.PathValue("agreement"), 10, 64)
		if err != nil {
			s.reject(w, r, http.StatusBadRequest, "bad_request", "agreement id must be a decimal number")
			return
		}
		auth, err := wire.DecodeAuth(r.Header)
		if err != nil {
			s.reject(w, r, http.StatusUnauthorized, "unsigned", err.Error())
			return
		}
		// Everything that does not need the body is checked before reading
		// it, so a client that is not the owner cannot make the holder
		// read (or hash) a 64 MiB body.
		if code, reason, msg := s.timely(auth); code != 0 {
			s.reject(w, r, code, reason, msg)
			return
		}
		if code, reason, msg := s.granted(auth); code != 0 {
			s.reject(w, r, code, reason, msg)
			return
		}
		a, err := s.agreement(r.Context(), id)
		if errors.Is(err, onchain.ErrNotFound) {
			s.reject(w, r, http.StatusNotFound, "no_agreement", fmt.Sprintf("agreement %d does not exist on the chain: check the id ('selfchaind query backup agreements <owner>' lists an owner's)", id))
			return
		}
		if err != nil {
			s.reject(w, r, http.StatusServiceUnavailable, "chain", "reading the agreement from the chain: "+err.Error())
			return
		}
		if a.Holder != s.cfg.NodeID {
			s.reject(w, r, http.StatusForbidden, "not_holder", fmt.Sprintf("agreement %d is served by %s, not by this holder (%s)", id, a.Holder, s.cfg.NodeID))
			return
		}
		if auth.Account.Address().String() != a.Owner {
			s.reject(w, r, http.StatusForbidden, "not_owner", fmt.Sprintf("key of %s is not the owner of agreement %d", auth.Account.Address(), id))
			return
		}
		if !a.Storing() {
			s.reject(w, r, http.StatusForbidden, "inactive", fmt.Sprintf("agreement %d is %s", id, a.Status))
			return
		}
		body, err := readBody(r.Body, r.ContentLength, maxBody)
		if errors.Is(err, errTooLarge) {
			s.reject(w, r, http.StatusRequestEntityTooLarge, "too_large", fmt.Sprintf("body over %d bytes", backup.MaxChunkSize))
			return
		}
		if err != nil {
			s.reject(w, r, http.StatusBadRequest, "bad_request", "reading the body: "+err.Error())
			return
		}
		digest := wire.BodyDigest(body)
		if chunk {
			if digest, err = backup.ChunkLeafOf(body); err != nil {
				s.reject(w, r, http.StatusBadRequest, "bad_request", "chunk: "+err.Error())
				return
			}
		}
		if !auth.VerifyRequest(r.Method, r.URL.RequestURI(), digest) {
			s.reject(w, r, http.StatusUnauthorized, "bad_signature", "the session signature does not verify for this request")
			return
		}
		if code, reason, msg := s.unseen(auth); code != 0 {
			s.reject(w, r, code, reason, msg)
			return
		}
		h(w, r, a, body, digest)
	}
}

// granted checks the session's grant by the account key, once per session.
func (s *Server) granted(a wire.Auth) (int, string, string) {
	now := s.now()
	if a.Expiry < now.Unix() {
		return http.StatusUnauthorized, "session_expired", "the backup session expired: start a new one"
	}
	if a.Expiry > now.Add(wire.MaxSessionTTL+wire.MaxClockSkew).Unix() {
		return http.StatusUnauthorized, "session_too_long", fmt.Sprintf("a session may last at most %s", wire.MaxSessionTTL)
	}
	h := sha256.New()
	h.Write([]byte(a.Account.Type()))
	h.Write(a.Account.Bytes())
	h.Write(a.Session)
	h.Write(binary.BigEndian.AppendUint64(nil, uint64(a.Expiry)))
	h.Write(a.Grant)
	var k [32]byte
	h.Sum(k[:0])
	s.mu.Lock()
	ok := s.grants[k]
	s.mu.Unlock()
	if ok {
		return 0, "", ""
	}
	if !a.VerifyGrant() {
		return http.StatusUnauthorized, "bad_grant", "the session grant is not signed by the account key it names"
	}
	s.mu.Lock()
	if len(s.grants) >= 4096 {
		clear(s.grants)
	}
	s.grants[k] = true
	s.mu.Unlock()
	return 0, "", ""
}

// timely rejects requests outside the clock window. Requests dated before
// this process started are refused too: the nonce memory does not survive a
// restart, so neither may the requests it would have caught.
func (s *Server) timely(a wire.Auth) (int, string, string) {
	now := s.now().UnixNano()
	skew := int64(wire.MaxClockSkew)
	if a.Time < now-skew || a.Time > now+skew {
		return http.StatusUnauthorized, "stale", fmt.Sprintf("request time is more than %s from the holder's clock", wire.MaxClockSkew)
	}
	if a.Time < s.started.UnixNano() {
		return http.StatusUnauthorized, "stale", "request is older than this holder process; sign it again"
	}
	return 0, "", ""
}

// unseen records a verified request's nonce and refuses one seen before.
// Nonces older than the clock window are pruned (at most once a second):
// timely already refuses their requests.
func (s *Server) unseen(a wire.Auth) (int, string, string) {
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, seen := s.nonces[a.Nonce]; seen {
		return http.StatusUnauthorized, "replay", "nonce already used: this request was replayed"
	}
	if now.Sub(s.pruned) > time.Second {
		cut := now.Add(-wire.MaxClockSkew).UnixNano()
		for n, t := range s.nonces {
			if t < cut {
				delete(s.nonces, n)
			}
		}
		s.pruned = now
	}
	s.nonces[a.Nonce] = a.Time
	return 0, "", ""
}

func (s *Server) reject(w http.ResponseWriter, r *http.Request, code int, reason, msg string) {
	s.metrics.rejected.WithLabelValues(reason).Inc()
	s.log.Warn("backup request rejected", "status", code, "reason", reason, "method", r.Method, "path", r.URL.Path, "remote", r.RemoteAddr, "err", msg)
	http.Error(w, msg, code)
}

// agreement reads an agreement, cached for AgreementTTL.
func (s *Server) agreement(ctx context.Context, id uint64) (onchain.Agreement, error) {
	s.mu.Lock()
	c, ok := s.agrs[id]
	s.mu.Unlock()
	if ok && s.now().Sub(c.at) < s.cfg.AgreementTTL {
		return c.a, nil
	}
	a, err := s.cfg.Chain.Agreement(ctx, id)
	if err != nil {
		return a, err
	}
	s.mu.Lock()
	s.agrs[id] = cachedAgreement{a, s.now()}
	s.mu.Unlock()
	return a, nil
}

func (s *Server) putChunk(w http.ResponseWriter, r *http.Request, a onchain.Agreement, body, leaf []byte) {
	id, err := wire.ParseID(r.PathValue("chunk"))
	if err != nil {
		s.reject(w, r, http.StatusBadRequest, "bad_request", err.Error())
		return
	}
	kind, err := wire.ParseKind(r.URL.Query().Get("kind"))
	if err != nil {
		s.reject(w, r, http.StatusBadRequest, "bad_request", err.Error())
		return
	}
	added, err := s.cfg.Store.Put(a.ID, id, kind, body, leaf, a.Quota)
	switch {
	case errors.Is(err, ErrQuota):
		s.reject(w, r, http.StatusRequestEntityTooLarge, "quota", fmt.Sprintf("agreement %d: %v", a.ID, err))
		return
	case err != nil:
		s.fail(w, err)
		return
	}
	s.metrics.bytesHeld.Add(float64(added))
	s.metrics.chunksStored.Inc()
	_, _ = w.Write(leaf)
}

func (s *Server) getChunk(w http.ResponseWriter, r *http.Request, a onchain.Agreement, _, _ []byte) {
	id, err := wire.ParseID(r.PathValue("chunk"))
	if err != nil {
		s.reject(w, r, http.StatusBadRequest, "bad_request", err.Error())
		return
	}
	ct, n, err := s.cfg.Store.Open(a.ID, id)
	if errors.Is(err, ErrNoChunk) {
		http.Error(w, fmt.Sprintf("chunk %s is not stored for agreement %d", id, a.ID), http.StatusNotFound)
		return
	}
	if err != nil {
		s.fail(w, err)
		return
	}
	defer ct.Close()
	w.Header().Set("Content-Length", strconv.FormatInt(n, 10))
	_, _ = io.Copy(w, ct) // a file: sendfile, no copy through user space
}

func (s *Server) inventory(w http.ResponseWriter, _ *http.Request, a onchain.Agreement, _, _ []byte) {
	es, err := s.cfg.Store.Inventory(a.ID)
	if err != nil {
		s.fail(w, err)
		return
	}
	_, _ = w.Write(wire.EncodeEntries(es))
}

func (s *Server) putManifest(w http.ResponseWriter, r *http.Request, a onchain.Agreement, body, _ []byte) {
	ids, err := wire.DecodeIDs(body)
	if err != nil {
		s.reject(w, r, http.StatusBadRequest, "bad_request", "manifest id list: "+err.Error())
		return
	}
	root, err := s.cfg.Store.SetManifest(a.ID, ids)
	if errors.Is(err, ErrNoChunk) {
		s.reject(w, r, http.StatusConflict, "missing_chunk", err.Error())
		return
	}
	if err != nil {
		s.fail(w, err)
		return
	}
	_, _ = w.Write(root)
}

func (s *Server) getManifest(w http.ResponseWriter, r *http.Request, a onchain.Agreement, _, _ []byte) {
	root, err := parseHex(r.URL.Query().Get("root"))
	if err != nil {
		s.reject(w, r, http.StatusBadRequest, "bad_request", "root: "+err.Error())
		return
	}
	es, err := s.cfg.Store.Manifest(a.ID, root)
	if errors.Is(err, ErrNoChunk) {
		http.Error(w, err.Error(), http.StatusNotFound)
		return
	}
	if err != nil {
		s.fail(w, err)
		return
	}
	_, _ = w.Write(wire.EncodeEntries(es))
}

var errTooLarge = errors.New("body too large")

// readBody reads a body of at most max-1 bytes, in one allocation when the
// length is announced (io.ReadAll's doubling would triple the garbage of a
// megabyte chunk).
func readBody(r io.Reader, length, max int64) ([]byte, error) {
	if length >= max {
		return nil, errTooLarge
	}
	if length >= 0 {
		b := make([]byte, length)
		if _, err := io.ReadFull(r, b); err != nil {
			return nil, err
		}
		return b, nil
	}
	b, err := io.ReadAll(io.LimitReader(r, max))
	if err == nil && int64(len(b)) >= max {
		return nil, errTooLarge
	}
	return b, err
}

func (s *Server) fail(w http.ResponseWriter, err error) {
	s.log.Error("backup holder error", "err", err)
	http.Error(w, "holder error: "+err.Error(), http.StatusInternalServerError)
}

func parseHex(s string) ([]byte, error) {
	if len(s) != 64 || strings.Trim(s, "0123456789abcdef") != "" {
		return nil, errors.New("want 64 lowercase hex characters")
	}
	var b [32]byte
	for i := range b {
		v, _ := strconv.ParseUint(s[2*i:2*i+2], 16, 8)
		b[i] = byte(v)
	}
	return bytes.Clone(b[:]), nil
}
