package onchain

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"sync"

	"github.com/selfchain/selfchain/x/backup"
)

// Memory keeps agreements and challenges in process and applies x/backup's
// checks to manifests and proofs (the proof check is x/backup's own
// StorageProof.Verify). For tests of the holder daemon and the agent.
type Memory struct {
	mu         sync.Mutex
	agreements map[uint64]*Agreement
	challenges []Challenge
	Height     int64
	Proved     []Proof // accepted proofs, in order
	Rejected   []error // rejected proofs' errors
}

// NewMemory returns an empty chain.
func NewMemory() *Memory { return &Memory{agreements: map[uint64]*Agreement{}} }

// Put adds or replaces an agreement.
func (m *Memory) Put(a Agreement) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.agreements[a.ID] = &a
}

// Challenge opens a challenge.
func (m *Memory) Challenge(c Challenge) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.challenges = append(m.challenges, c)
}

func (m *Memory) Agreement(_ context.Context, id uint64) (Agreement, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	a, ok := m.agreements[id]
	if !ok {
		return Agreement{}, fmt.Errorf("agreement %d: %w", id, ErrNotFound)
	}
	c := *a
	c.Root = bytes.Clone(a.Root)
	return c, nil
}

func (m *Memory) HolderAgreements(_ context.Context, holder string) ([]Agreement, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []Agreement
	for _, a := range m.agreements {
		if a.Holder == holder {
			out = append(out, *a)
		}
	}
	slices.SortFunc(out, func(a, b Agreement) int { return int(a.ID) - int(b.ID) })
	return out, nil
}

func (m *Memory) Challenges(_ context.Context, holder string) ([]Challenge, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []Challenge
	for _, c := range m.challenges {
		if a := m.agreements[c.AgreementID]; a != nil && a.Holder == holder {
			out = append(out, c)
		}
	}
	return out, nil
}

func (m *Memory) ProveStorage(_ context.Context, p Proof) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for i, c := range m.challenges {
		if c.AgreementID != p.AgreementID || c.ChunkIndex != p.ChunkIndex {
			continue
		}
		a := m.agreements[c.AgreementID]
		sp := backup.StorageProof{ChunkLeaf: p.ChunkLeaf, Segment: p.Segment, SegmentPath: p.SegmentPath, ManifestPath: p.ManifestPath}
		if err := sp.Verify(a.Root, a.ChunkCount, c.ChunkIndex, c.Seed); err != nil {
			m.Rejected = append(m.Rejected, err)
			return err
		}
		m.challenges = slices.Delete(m.challenges, i, i+1)
		m.Proved = append(m.Proved, p)
		return nil
	}
	return fmt.Errorf("no open challenge for agreement %d chunk %d", p.AgreementID, p.ChunkIndex)
}

func (m *Memory) CommitManifest(_ context.Context, man Manifest) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	a, ok := m.agreements[man.AgreementID]
	if !ok {
		return fmt.Errorf("agreement %d: %w", man.AgreementID, ErrNotFound)
	}
	if man.Revision != a.Revision+1 {
		return fmt.Errorf("revision %d: want %d", man.Revision, a.Revision+1)
	}
	if man.TotalBytes > a.Quota {
		return fmt.Errorf("%d bytes over the quota of %d", man.TotalBytes, a.Quota)
	}
	a.Revision, a.Root, a.ChunkCount, a.TotalBytes = man.Revision, bytes.Clone(man.Root), man.ChunkCount, man.TotalBytes
	return nil
}
