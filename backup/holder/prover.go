package holder

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/selfchain/selfchain/backup/onchain"
	"github.com/selfchain/selfchain/x/backup"
)

// challengeKey identifies a challenge the holder already handled.
type challengeKey struct {
	agreement, chunk uint64
	seed             string
}

// Prover answers challenges and collects garbage after new revisions.
type Prover struct {
	s        *Server
	done     map[challengeKey]bool
	failed   map[challengeKey]bool
	lastRoot map[uint64][]byte
}

// NewProver returns the challenge answerer of s.
func (s *Server) NewProver() *Prover {
	return &Prover{s: s, done: map[challengeKey]bool{}, failed: map[challengeKey]bool{}, lastRoot: map[uint64][]byte{}}
}

// Run polls the chain every interval until ctx ends.
func (p *Prover) Run(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if err := p.Step(ctx); err != nil && ctx.Err() == nil {
			p.s.log.Warn("backup challenge round failed", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Step answers every open challenge not yet handled and collects chunks a
// newly committed revision dropped. It returns the first chain error.
func (p *Prover) Step(ctx context.Context) error {
	s := p.s
	chs, err := s.cfg.Chain.Challenges(ctx, s.cfg.NodeID)
	if err != nil {
		return fmt.Errorf("listing challenges: %w", err)
	}
	open := map[challengeKey]bool{}
	for _, c := range chs {
		k := challengeKey{c.AgreementID, c.ChunkIndex, string(c.Seed)}
		open[k] = true
		if p.done[k] {
			continue
		}
		err := p.answer(ctx, c)
		if err != nil && strings.Contains(err.Error(), "no open challenge") {
			// Closed between listing and answering (a new revision was
			// committed, or the window passed): not this holder's miss.
			p.done[k] = true
			s.log.Info("backup challenge closed before its proof landed", "agreement", c.AgreementID, "chunk", c.ChunkIndex)
			continue
		}
		if err != nil {
			// Retried every round until the chain closes the challenge (a
			// chunk restored meanwhile still answers it); counted once.
			if !p.failed[k] {
				p.failed[k] = true
				s.metrics.missed.Inc()
			}
			s.log.Error("backup challenge not answered", "agreement", c.AgreementID, "chunk", c.ChunkIndex, "err", err)
			continue
		}
		p.done[k] = true
		s.metrics.answered.Inc()
		s.log.Info("backup challenge answered", "agreement", c.AgreementID, "chunk", c.ChunkIndex)
	}
	for k := range p.done { // forget challenges the chain closed
		if !open[k] {
			delete(p.done, k)
		}
	}
	for k := range p.failed {
		if !open[k] {
			delete(p.failed, k)
		}
	}
	return p.collect(ctx)
}

func (p *Prover) answer(ctx context.Context, c onchain.Challenge) error {
	s := p.s
	a, err := s.cfg.Chain.Agreement(ctx, c.AgreementID)
	if err != nil {
		return err
	}
	es, err := s.cfg.Store.Manifest(a.ID, a.Root)
	if err != nil {
		return err
	}
	if c.ChunkIndex >= uint64(len(es)) {
		return fmt.Errorf("chunk index %d beyond the %d chunks of manifest %x", c.ChunkIndex, len(es), a.Root)
	}
	leaves := make([][]byte, len(es))
	for i, e := range es {
		leaves[i] = e.Leaf
	}
	id := es[c.ChunkIndex].ID
	ct, err := s.cfg.Store.Get(a.ID, id)
	if err != nil {
		return fmt.Errorf("chunk %s: %w", id, err)
	}
	sp, err := backup.BuildStorageProof(leaves, c.ChunkIndex, ct, c.Seed)
	if err != nil {
		return err
	}
	// Check locally first: a chunk damaged on disk would otherwise cost a
	// rejected transaction's fee.
	if err := sp.Verify(a.Root, a.ChunkCount, c.ChunkIndex, c.Seed); err != nil {
		return fmt.Errorf("stored chunk %s no longer matches the committed manifest (damaged on disk?): %w", id, err)
	}
	return s.cfg.Chain.ProveStorage(ctx, onchain.Proof{Holder: s.cfg.NodeID, AgreementID: a.ID, ChunkIndex: c.ChunkIndex,
		ChunkLeaf: sp.ChunkLeaf, Segment: sp.Segment, SegmentPath: sp.SegmentPath, ManifestPath: sp.ManifestPath})
}

// collect deletes what a new on-chain revision dropped (see Store.Collect).
func (p *Prover) collect(ctx context.Context) error {
	s := p.s
	as, err := s.cfg.Chain.HolderAgreements(ctx, s.cfg.NodeID)
	if err != nil {
		return fmt.Errorf("listing agreements: %w", err)
	}
	for _, a := range as {
		prev, seen := p.lastRoot[a.ID]
		if seen && !bytes.Equal(prev, a.Root) && len(a.Root) > 0 {
			n, err := s.cfg.Store.Collect(a.ID, prev, a.Root)
			if err != nil {
				s.log.Warn("backup garbage collection failed", "agreement", a.ID, "err", err)
				continue
			}
			if n > 0 {
				s.log.Info("backup chunks dropped by the new revision deleted", "agreement", a.ID, "chunks", n, "revision", a.Revision)
			}
		}
		p.lastRoot[a.ID] = a.Root
	}
	if used, err := s.cfg.Store.TotalUsed(); err == nil {
		s.metrics.bytesHeld.Set(float64(used))
	}
	return nil
}
