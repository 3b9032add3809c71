package backup_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/selfchain/selfchain/x/backup"
	"github.com/selfchain/selfchain/x/registry"
)

func (e *env) registryNode(id string) *registry.QueryNodeResponse {
	e.t.Helper()
	res, err := registry.NewQueryClient(e.ta).Node(context.Background(), &registry.QueryNodeRequest{NodeId: id})
	require.NoError(e.t, err)
	return res
}

// A missed then answered challenge shows in x/registry's node query: the
// counters are x/backup's, read when the query runs.
func TestRegistryNodeShowsBackupReliability(t *testing.T) {
	p := testParams()
	e := newEnv(t, p)
	require.Nil(t, e.registryNode(e.holderNode).BackupReliability, "a node that never held a backup has no record")

	d := newDataset(t, 5, 8)
	id := e.activeAgreement(d)
	r := e.registryNode(e.holderNode).BackupReliability
	require.Equal(t, &registry.BackupReliability{ScorePpm: 1_000_000, OpenAgreements: 1}, r, "not challenged yet")

	e.advanceTo(nextChallengeHeight(p, e.ta.Height))
	ch, open := e.challenge(id)
	require.True(t, open)
	e.advanceTo(ch.DeadlineHeight) // the window closes unanswered: one miss
	r = e.registryNode(e.holderNode).BackupReliability
	require.Equal(t, &registry.BackupReliability{Missed: 1, ScorePpm: 0, OpenAgreements: 1}, r)

	ch, open = e.challenge(id)
	require.True(t, open, "containment asks again")
	e.ok(e.holder, d.prove(t, e.holder, ch))
	r = e.registryNode(e.holderNode).BackupReliability
	require.Equal(t, &registry.BackupReliability{Answered: 1, Missed: 1, ScorePpm: 500_000, OpenAgreements: 1}, r)
	require.Equal(t, backup.Reliability(e.holderStats(e.holderNode)), r, "the same counters as query backup holder")

	// Nodes without backups stay without a record; the by-key query shares the answer.
	require.Nil(t, e.registryNode(e.otherNode).BackupReliability)
}

func TestReliabilityScore(t *testing.T) {
	for _, c := range []struct {
		answered, missed uint64
		want             uint32
	}{
		{0, 0, 1_000_000}, {1, 0, 1_000_000}, {0, 5, 0}, {2, 1, 666_666}, {999_999, 1, 999_999},
		{1 << 63, 1 << 63, 500_000}, {^uint64(0), 0, 1_000_000}, {^uint64(0), ^uint64(0), 500_000},
	} {
		got := backup.Reliability(backup.HolderStats{ProofsAnswered: c.answered, ProofsMissed: c.missed}).ScorePpm
		require.Equal(t, c.want, got, "answered %d missed %d", c.answered, c.missed)
	}
}
