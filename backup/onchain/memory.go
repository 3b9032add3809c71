package onchain

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"slices"
	"sync"

	"github.com/selfchain/selfchain/types"
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

	nodes      []Candidate
	Owner      string   // the account Propose proposes as
	ProposeErr error    // when set, Propose fails with it
	Accepted   []uint64 // agreements accepted, in order
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

// Market and Acceptor in process: Nodes are the registry's storage nodes
// (Used is computed from the agreements); proposals and acceptances apply
// x/backup's status and capacity rules.

// AddNode registers a candidate holder node.
func (m *Memory) AddNode(c Candidate) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.nodes = append(m.nodes, c)
}

func (m *Memory) Candidates(_ context.Context) ([]Candidate, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := slices.Clone(m.nodes)
	for i := range out {
		out[i].Used = 0
		for _, a := range m.agreements {
			if a.Holder == out[i].NodeID && a.Storing() {
				out[i].Used += a.Quota
			}
		}
	}
	return out, nil
}

func (m *Memory) OwnerAgreements(_ context.Context, owner string) ([]Agreement, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []Agreement
	for _, a := range m.agreements {
		if a.Owner == owner {
			out = append(out, *a)
		}
	}
	slices.SortFunc(out, func(a, b Agreement) int { return cmp.Compare(a.ID, b.ID) })
	return out, nil
}

// Propose records a proposal from Owner (the owner every proposal in a
// Memory is made by).
func (m *Memory) Propose(_ context.Context, node string, t Terms) (uint64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.ProposeErr != nil {
		return 0, m.ProposeErr
	}
	if err := t.Validate(); err != nil {
		return 0, err
	}
	i := slices.IndexFunc(m.nodes, func(c Candidate) bool { return c.NodeID == node })
	if i < 0 {
		return 0, fmt.Errorf("node %s is not registered", node)
	}
	if m.nodes[i].Operator == m.Owner {
		return 0, fmt.Errorf("an agreement with oneself")
	}
	var id uint64
	for k := range m.agreements {
		id = max(id, k)
	}
	id++
	m.agreements[id] = &Agreement{ID: id, Owner: m.Owner, Holder: node, Status: StatusProposed, Quota: t.Quota,
		Price: t.Price, Escrow: t.Escrow, Collateral: t.Collateral, NoticeEpochs: max(t.NoticeEpochs, 1)}
	return id, nil
}

// Accept activates a proposal (as its holder's operator would).
func (m *Memory) Accept(_ context.Context, id uint64, collateral types.Coin) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	a, ok := m.agreements[id]
	if !ok {
		return fmt.Errorf("agreement %d: %w", id, ErrNotFound)
	}
	if a.Status != StatusProposed {
		return fmt.Errorf("agreement %d is %s; only a proposed agreement can be accepted", id, a.Status)
	}
	if !a.Collateral.Amount.IsZero() && (collateral.Denom != a.Collateral.Denom || collateral.Amount.LT(a.Collateral.Amount)) {
		return fmt.Errorf("collateral %s below the proposal's %s", collateral, a.Collateral)
	}
	a.Status, a.Collateral = StatusActive, collateral
	m.Accepted = append(m.Accepted, id)
	return nil
}
