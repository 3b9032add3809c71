package agent

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"strings"

	"github.com/selfchain/selfchain/backup/wire"
	"github.com/selfchain/selfchain/x/backup"
)

// HolderReport is verify's finding for one agreement.
type HolderReport struct {
	Agreement uint64
	Chunks    int      // in the committed manifest
	Missing   int      // listed by the manifest, absent from the holder's inventory
	Sampled   int      // downloaded and checked
	Bad       []string // sampled chunks that failed, with the reason
	Err       string   // the agreement could not be checked at all
}

// OK reports whether nothing was wrong.
func (r HolderReport) OK() bool { return r.Err == "" && r.Missing == 0 && len(r.Bad) == 0 }

// Verify checks each agreement: its committed root against the chunk list,
// the holder's inventory against that list, and a random fraction (0 to 1)
// of the chunks downloaded, checked against their leaves and decrypted.
func (a *Agent) Verify(ctx context.Context, fraction float64) ([]HolderReport, error) {
	var out []HolderReport
	for _, t := range a.Targets {
		r := HolderReport{Agreement: t.Agreement}
		s, err := a.source(ctx, t)
		if err != nil {
			r.Err = err.Error()
			out = append(out, r)
			continue
		}
		r.Chunks = len(s.leaves)
		inv, err := s.h.c.Inventory(ctx)
		if err != nil {
			r.Err = "inventory: " + err.Error()
			out = append(out, r)
			continue
		}
		have := make(map[wire.ID][]byte, len(inv))
		for _, e := range inv {
			have[e.ID] = e.Leaf
		}
		ids := make([]wire.ID, 0, len(s.leaves))
		for id, leaf := range s.leaves {
			if !bytes.Equal(have[id], leaf) {
				r.Missing++
			}
			ids = append(ids, id)
		}
		wire.SortIDs(ids)
		n := int(fraction*float64(len(ids)) + 0.999999)
		n = min(max(n, 0), len(ids))
		for _, i := range rand.Perm(len(ids))[:n] {
			id := ids[i]
			r.Sampled++
			if err := a.check(ctx, s, id); err != nil {
				r.Bad = append(r.Bad, fmt.Sprintf("%s: %v", id, err))
			}
		}
		a.printf("agreement %d: %d chunks, %d missing, %d sampled, %d bad\n", r.Agreement, r.Chunks, r.Missing, r.Sampled, len(r.Bad))
		out = append(out, r)
	}
	return out, nil
}

func (a *Agent) check(ctx context.Context, s *source, id wire.ID) error {
	ct, err := s.h.c.Get(ctx, id)
	if err != nil {
		return err
	}
	leaf, err := backup.ChunkLeafOf(ct)
	if err != nil {
		return err
	}
	if !bytes.Equal(leaf, s.leaves[id]) {
		return fmt.Errorf("content does not match the committed leaf")
	}
	_, err = a.Keys.OpenChunk(id, s.kinds[id], ct)
	return err
}

// Forget drops a snapshot: the chunks no remaining snapshot uses leave the
// next manifest of every agreement, and each holder deletes them once that
// revision is committed on chain.
func (a *Agent) Forget(ctx context.Context, ref string) (wire.ID, error) {
	info, err := a.Repo.FindSnapshot(ref)
	if err != nil {
		return wire.ID{}, err
	}
	all, err := a.Repo.Snapshots()
	if err != nil {
		return wire.ID{}, err
	}
	live := map[wire.ID]bool{}
	for _, s := range all {
		if s.ID == info.ID {
			continue
		}
		live[s.ID] = true
		for _, id := range s.Snapshot.Parts {
			live[id] = true
		}
		for _, f := range s.Snapshot.Files {
			for _, id := range f.Chunks {
				live[id] = true
			}
		}
	}
	hs, skipped, err := a.open(ctx)
	if err != nil {
		return wire.ID{}, err
	}
	if len(skipped) > 0 {
		return wire.ID{}, fmt.Errorf("forget needs every named agreement (their next manifests drop the snapshot's chunks): %s", strings.Join(skipped, "; "))
	}
	for _, h := range hs {
		es, err := a.Repo.Uploaded(h.agr.ID)
		if err != nil {
			return wire.ID{}, err
		}
		for _, e := range es {
			if !live[e.ID] {
				if err := a.Repo.DeleteUploaded(h.agr.ID, e.ID); err != nil {
					return wire.ID{}, err
				}
			}
		}
	}
	if err := a.Repo.Sync(); err != nil {
		return wire.ID{}, err
	}
	if _, err := a.commit(ctx, hs); err != nil {
		return wire.ID{}, err
	}
	return info.ID, a.Repo.DeleteSnapshot(info.ID)
}
