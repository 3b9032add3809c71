package agent

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/selfchain/selfchain/backup/chunker"
	"github.com/selfchain/selfchain/backup/holder"
	"github.com/selfchain/selfchain/backup/onchain"
	"github.com/selfchain/selfchain/backup/repo"
	"github.com/selfchain/selfchain/backup/wire"
)

// Target is one agreement and where its holder daemon listens.
type Target struct {
	Agreement uint64
	URL       string
}

// Agent backs up to, verifies and restores from a set of holders.
type Agent struct {
	Keys    *Keys
	Repo    *repo.Repo
	Chain   onchain.Chain
	Targets []Target  // in preference order (restore tries them in this order)
	Out     io.Writer // progress and warnings; nil for none
	HTTP    *http.Client
	Workers int // chunks sealed and uploaded (or fetched) at once; by default 2×NumCPU for backups (at least 4), NumCPU for restores (at least 2)

	maxManifest int // manifests larger than this are stored as parts (0: repo.MaxPartSize); tests lower it

	mu      sync.Mutex
	session *wire.Session
	chunker *chunker.Chunker // used by the walk only
}

func (a *Agent) workers() int {
	if a.Workers > 0 {
		return a.Workers
	}
	return max(2, runtime.NumCPU())
}

// uploaders is how many chunks a backup seals and uploads at once: twice
// the cores by default, because an upload spends most of its time waiting
// for the holder to hash and fsync the chunk (one at a time, a holder's
// fsyncs alone cap a backup near 130 MiB/s on the reference machine), and
// a few megabytes a chunk keep the agent well inside its memory bound.
func (a *Agent) uploaders() int {
	if a.Workers > 0 {
		return a.Workers
	}
	return max(4, 2*runtime.NumCPU())
}

func (a *Agent) printf(format string, args ...any) {
	if a.Out != nil {
		fmt.Fprintf(a.Out, format, args...)
	}
}

func (a *Agent) client(t Target) (*holder.Client, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.HTTP == nil {
		a.HTTP = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 16}}
	}
	// One session per agent (one account-key signature), renewed well
	// before it ends; a backup longer than that keeps its clients' session.
	if a.session == nil || time.Until(a.session.Expiry()) < time.Hour {
		s, err := wire.NewSession(a.Keys.Sign, time.Now(), 12*time.Hour)
		if err != nil {
			return nil, err
		}
		a.session = s
	}
	return &holder.Client{BaseURL: t.URL, Agreement: t.Agreement, Session: a.session, HTTP: a.HTTP}, nil
}

// holderState is what the agent knows one holder stores.
type holderState struct {
	t      Target
	c      *holder.Client
	agr    onchain.Agreement
	mu     sync.Mutex
	stored map[wire.ID]bool // uploaded by this agent (local records) and present in the holder's inventory
}

func (h *holderState) has(id wire.ID) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.stored[id]
}

func (h *holderState) add(id wire.ID) {
	h.mu.Lock()
	h.stored[id] = true
	h.mu.Unlock()
}

// open reads the agreements and reconciles the local records with what each
// holder says it has: a record the holder lost is dropped (its chunk is
// uploaded again), so an interrupted or damaged backup resumes. An agreement
// that is not active or whose holder does not answer is skipped with a
// warning (one failed holder must not stop the backup to the others); with
// none left it is an error.
func (a *Agent) open(ctx context.Context) ([]*holderState, []string, error) {
	if len(a.Targets) == 0 {
		return nil, nil, fmt.Errorf("no agreements given: name at least one with --agreements")
	}
	var hs []*holderState
	var skipped []string
	for _, t := range a.Targets {
		h, err := a.openOne(ctx, t)
		if err != nil {
			a.printf("skipping agreement %d: %v\n", t.Agreement, err)
			skipped = append(skipped, fmt.Sprintf("agreement %d: %v", t.Agreement, err))
			continue
		}
		hs = append(hs, h)
	}
	if len(hs) == 0 {
		return nil, skipped, fmt.Errorf("no agreement can take the backup: %s", strings.Join(skipped, "; "))
	}
	return hs, skipped, nil
}

func (a *Agent) openOne(ctx context.Context, t Target) (*holderState, error) {
	agr, err := a.Chain.Agreement(ctx, t.Agreement)
	if err != nil {
		return nil, err
	}
	if agr.Owner != a.Keys.Owner {
		return nil, fmt.Errorf("it belongs to %s, not to %s", agr.Owner, a.Keys.Owner)
	}
	if agr.Status != onchain.StatusActive {
		return nil, fmt.Errorf("it is %s: only active agreements take backups", agr.Status)
	}
	c, err := a.client(t)
	if err != nil {
		return nil, err
	}
	h := &holderState{t: t, c: c, agr: agr, stored: map[wire.ID]bool{}}
	inv, err := h.c.Inventory(ctx)
	if err != nil {
		return nil, fmt.Errorf("asking its holder (%s) what it has: %w", t.URL, err)
	}
	there := make(map[wire.ID]string, len(inv))
	for _, e := range inv {
		there[e.ID] = string(e.Leaf)
	}
	local, err := a.Repo.Uploaded(agr.ID)
	if err != nil {
		return nil, err
	}
	dropped := 0
	for _, e := range local {
		if there[e.ID] == string(e.Leaf) {
			h.stored[e.ID] = true
			continue
		}
		if err := a.Repo.DeleteUploaded(agr.ID, e.ID); err != nil {
			return nil, err
		}
		dropped++
	}
	if dropped > 0 {
		a.printf("agreement %d: the holder lacks %d chunk(s) this agent uploaded; they will be uploaded again\n", agr.ID, dropped)
	}
	return h, nil
}
