package agent

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"sync/atomic"

	"golang.org/x/sync/errgroup"

	"github.com/selfchain/selfchain/backup/onchain"
	"github.com/selfchain/selfchain/backup/wire"
)

// ReplicateResult summarises a replication to a new agreement.
type ReplicateResult struct {
	Agreement uint64            // the agreement copied to
	Sources   []uint64          // the agreements copied from
	Chunks    int               // chunks in the copied set
	Copied    int64             // chunks uploaded now
	Present   int64             // chunks the new holder already had
	Bytes     int64             // ciphertext bytes uploaded
	Committed *onchain.Manifest // nil when its root did not change
}

// Replicate copies the backup held under the agents' Targets (the healthy
// agreements, in preference order) to the holder of agreement to — a new
// agreement replacing a failed one — without reading or re-chunking the
// source directory: every chunk in the committed manifests of the sources
// is downloaded, checked against the leaf committed on chain and opened
// with the owner's key, uploaded unchanged to the new holder, and the new
// agreement's manifest is committed. Chunks the new holder already has are
// not sent again, so an interrupted replication resumes.
func (a *Agent) Replicate(ctx context.Context, to Target) (*ReplicateResult, error) {
	for _, t := range a.Targets {
		if t.Agreement == to.Agreement {
			return nil, fmt.Errorf("agreement %d is both the one to copy to and one to copy from: name it in --to-agreement only", to.Agreement)
		}
	}
	dst, err := a.openOne(ctx, to)
	if err != nil {
		return nil, fmt.Errorf("agreement %d cannot take the copy: %w", to.Agreement, err)
	}
	srcs, err := a.replicaSources(ctx)
	if err != nil {
		return nil, err
	}
	res := &ReplicateResult{Agreement: to.Agreement}
	for _, s := range srcs {
		res.Sources = append(res.Sources, s.t.Agreement)
	}

	// The set to copy: the union of the sources' committed manifests, in id
	// order; its size is known from the leaves before anything is sent.
	kinds := map[wire.ID]wire.Kind{}
	var ids []wire.ID
	var need uint64
	for _, s := range srcs {
		for id, leaf := range s.leaves {
			if _, ok := kinds[id]; ok {
				continue
			}
			kinds[id] = s.kinds[id]
			ids = append(ids, id)
			if !dst.has(id) {
				need += binary.BigEndian.Uint64(leaf)
			}
		}
	}
	wire.SortIDs(ids)
	res.Chunks = len(ids)
	held, err := a.Repo.Uploaded(to.Agreement)
	if err != nil {
		return nil, err
	}
	var have uint64
	for _, e := range held {
		have += binary.BigEndian.Uint64(e.Leaf)
	}
	if have+need > dst.agr.Quota {
		return nil, fmt.Errorf("the backup needs %d bytes on agreement %d, its quota is %d: propose an agreement with --quota %d or more", have+need, to.Agreement, dst.agr.Quota, have+need)
	}

	var copied, present, sent atomic.Int64
	g, gctx := errgroup.WithContext(ctx)
	jobs := make(chan wire.ID)
	for range a.workers() {
		g.Go(func() error {
			for id := range jobs {
				if dst.has(id) {
					present.Add(1)
					continue
				}
				ct, leaf, _, err := a.fetchChunk(gctx, srcs, id, kinds[id])
				if err != nil {
					return err
				}
				if err := a.upload(gctx, dst, id, kinds[id], ct, leaf); err != nil {
					return err
				}
				copied.Add(1)
				sent.Add(int64(len(ct)))
			}
			return nil
		})
	}
	g.Go(func() error {
		defer close(jobs)
		for _, id := range ids {
			select {
			case jobs <- id:
			case <-gctx.Done():
				return gctx.Err()
			}
		}
		return nil
	})
	if err := g.Wait(); err != nil {
		return nil, err
	}
	res.Copied, res.Present, res.Bytes = copied.Load(), present.Load(), sent.Load()
	if err := a.Repo.Sync(); err != nil {
		return nil, err
	}
	ms, err := a.commit(ctx, []*holderState{dst})
	if err != nil {
		return nil, err
	}
	if len(ms) == 1 {
		res.Committed = &ms[0]
	}
	return res, nil
}

// replicaSources are the targets whose holders still serve (active or
// ending) and whose chunk lists match their on-chain roots.
func (a *Agent) replicaSources(ctx context.Context) ([]*source, error) {
	var out []*source
	var errs []error
	for _, t := range a.Targets {
		s, err := a.source(ctx, t)
		if err == nil && !s.h.agr.Storing() {
			err = fmt.Errorf("it is %s: its holder no longer serves it", s.h.agr.Status)
		}
		if err != nil {
			a.printf("agreement %d: not copied from: %v\n", t.Agreement, err)
			errs = append(errs, fmt.Errorf("agreement %d: %w", t.Agreement, err))
			continue
		}
		out = append(out, s)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no agreement to copy from (name active ones with --agreements): %w", errors.Join(errs...))
	}
	return out, nil
}
