// Package dashboard serves every chain under a constellation home in a
// browser: the fleet with each chain's verdict (constellation's own judge), one
// chain's blocks, validators, flagged txs, nodes and bridges, actions for the
// owner behind a token, and usage per chain per day for billing.
//
// Pages are rendered from a cache that one poller refreshes every Poll
// interval, so page loads cost no node calls and many viewers cost no more
// than one.
package dashboard

import (
	"context"
	"crypto/rand"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/selfchain/selfchain/constellation"
)

//go:embed templates/*.html static/*
var assets embed.FS

// Options configure a Server.
type Options struct {
	Home  string        // the constellation home: every chain under it is served
	Token string        // actions need it; NewToken makes one
	Poll  time.Duration // how often each chain's status is collected (default 2 s)
	// Selfchaind and Self are what the start action runs (constellation.UpOptions).
	Selfchaind string
	Self       string
	Logf       func(format string, args ...any) // nil: log.Printf
}

// DefaultPoll is how often chains are collected when Options.Poll is 0.
const DefaultPoll = 2 * time.Second

// Server is the dashboard: the cache, its poller and the HTTP handlers.
type Server struct {
	opts  Options
	tmpl  *template.Template
	audit *auditLog
	usage *usageBook
	mux   *http.ServeMux

	mu     sync.RWMutex
	chains map[string]*chainView // by chain name
	order  []string              // chain names, sorted
	busy   map[string]bool       // chains being collected now
	// actionMu serialises actions: stop and start of one chain must not interleave.
	actionMu sync.Mutex
}

// NewToken is a random login token (32 hex characters).
func NewToken() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// dataDir is where the dashboard keeps its files under the home: a dot
// folder, so `constellation list` does not take it for a chain.
func dataDir(home string) string { return filepath.Join(home, ".dashboard") }

// New makes a server for opts.Home. Call Poll once (or Run) before serving so
// the first page has data.
func New(opts Options) (*Server, error) {
	if opts.Home == "" {
		return nil, errors.New("dashboard: no constellation home")
	}
	if len(opts.Token) < 16 {
		return nil, errors.New("dashboard: the login token must be at least 16 characters")
	}
	if opts.Poll <= 0 {
		opts.Poll = DefaultPoll
	}
	if opts.Logf == nil {
		opts.Logf = log.Printf
	}
	if err := os.MkdirAll(dataDir(opts.Home), 0o700); err != nil {
		return nil, err
	}
	tmpl, err := template.New("").Funcs(funcs).ParseFS(assets, "templates/*.html")
	if err != nil {
		return nil, err
	}
	usage, err := openUsage(filepath.Join(dataDir(opts.Home), "usage.json"))
	if err != nil {
		return nil, err
	}
	s := &Server{opts: opts, tmpl: tmpl, usage: usage, chains: map[string]*chainView{}, busy: map[string]bool{},
		audit: &auditLog{path: filepath.Join(dataDir(opts.Home), "audit.log")}}
	s.routes()
	return s, nil
}

// AuditPath is the audit log's file.
func (s *Server) AuditPath() string { return s.audit.path }

// Handler serves the dashboard.
func (s *Server) Handler() http.Handler { return s.mux }

// Run polls every chain each Poll interval until ctx ends. Each chain is
// collected on its own: a chain whose nodes are slow to answer (frozen, or
// overloaded) delays its own row, not the fleet's; a chain still being
// collected from the last tick is skipped.
func (s *Server) Run(ctx context.Context) {
	t := time.NewTicker(s.opts.Poll)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			s.poll(ctx, false)
		}
	}
}

// Poll collects every chain under the home once into the cache, meters their
// usage, and returns when all are done.
func (s *Server) Poll(ctx context.Context) { s.poll(ctx, true) }

func (s *Server) poll(ctx context.Context, wait bool) {
	chains, errs := constellation.List(s.opts.Home)
	for _, err := range errs {
		s.opts.Logf("dashboard: %v", err)
	}
	s.mu.Lock()
	present := make(map[string]bool, len(chains))
	s.order = s.order[:0]
	for _, c := range chains {
		present[c.Spec.Name] = true
		s.order = append(s.order, c.Spec.Name)
	}
	for name := range s.chains {
		if !present[name] { // removed with `constellation rm`
			delete(s.chains, name)
		}
	}
	var todo []*constellation.Chain
	for _, c := range chains {
		if !s.busy[c.Spec.Name] {
			s.busy[c.Spec.Name] = true
			todo = append(todo, c)
		}
	}
	s.mu.Unlock()
	var wg sync.WaitGroup
	for _, c := range todo {
		wg.Go(func() {
			name := c.Spec.Name
			v := collectChain(ctx, c, s.view(name), s.opts.Poll, s.usage)
			if err := s.usage.save(); err != nil {
				s.opts.Logf("dashboard: save usage: %v", err)
			}
			s.mu.Lock()
			if slices.Contains(s.order, name) {
				s.chains[name] = v
			}
			delete(s.busy, name)
			s.mu.Unlock()
		})
	}
	if wait {
		wg.Wait()
	}
}

// view is the cached view of one chain, or nil.
func (s *Server) view(name string) *chainView {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.chains[name]
}

// fleet is every cached chain, by name.
func (s *Server) fleet() []*chainView {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]*chainView, 0, len(s.order))
	for _, n := range s.order {
		if v := s.chains[n]; v != nil { // nil until its first collection ends
			out = append(out, v)
		}
	}
	return out
}

func (s *Server) routes() {
	m := http.NewServeMux()
	static, _ := fs.Sub(assets, "static")
	m.Handle("GET /static/", http.StripPrefix("/static/", http.FileServerFS(static)))
	m.HandleFunc("GET /{$}", s.fleetPage)
	m.HandleFunc("GET /chains/{chain}", s.chainPage)
	m.HandleFunc("GET /chains/{chain}/nodes/{node}", s.nodePage)
	m.HandleFunc("GET /chains/{chain}/validators/{val}", s.validatorPage)
	m.HandleFunc("GET /chains/{chain}/bridges/{cp}", s.bridgePage)
	m.HandleFunc("GET /api/fleet", s.fleetJSON)
	m.HandleFunc("GET /api/chains/{chain}", s.chainJSON)
	m.HandleFunc("GET /usage", s.usagePage)
	m.HandleFunc("GET /usage.csv", s.usageCSV)
	m.HandleFunc("GET /usage.json", s.usageJSON)
	m.HandleFunc("GET /login", s.loginPage)
	m.HandleFunc("POST /login", s.login)
	m.HandleFunc("POST /logout", s.logout)
	m.HandleFunc("GET /audit", s.auditPage)
	m.HandleFunc("POST /chains/{chain}/actions/{action}", s.action)
	m.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		s.fail(w, r, http.StatusNotFound, fmt.Sprintf("no page %s: the fleet is at /", r.URL.Path))
	})
	s.mux = m
}
