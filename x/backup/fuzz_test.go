package backup_test

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/selfchain/selfchain/testutil"
	"github.com/selfchain/selfchain/x/backup"
)

// FuzzMsgProveStorageDecode: no bytes panic the decoder or ValidateBasic, and
// an accepted message survives a round trip unchanged.
func FuzzMsgProveStorageDecode(f *testing.F) {
	d := newDataset(f, 20, 9)
	good := d.prove(f, testutil.NewAccount(1), backup.Challenge{AgreementId: 1, ChunkIndex: 4, Seed: make([]byte, 32)})
	bz, _ := good.Marshal()
	f.Add(bz)
	f.Add([]byte{0x0a, 0x00, 0x22, 0x01, 0x00})
	f.Fuzz(func(t *testing.T, bz []byte) {
		var m backup.MsgProveStorage
		if m.Unmarshal(bz) != nil || m.ValidateBasic() != nil {
			return
		}
		again, err := m.Marshal()
		require.NoError(t, err)
		var n backup.MsgProveStorage
		require.NoError(t, n.Unmarshal(again))
		require.Equal(t, m.Proof(), n.Proof())
		_ = m.Proof().Verify(make([]byte, 32), 10, m.ChunkIndex%10, []byte("seed")) // only hashing: never panics
	})
}

// FuzzMsgCommitManifestDecode: no bytes panic the decoder or ValidateBasic; an
// accepted manifest has a 32-byte root and chunks of at most MaxChunkSize.
func FuzzMsgCommitManifestDecode(f *testing.F) {
	good := newDataset(f, 21, 4).commit(testutil.NewAccount(0), 1, 1)
	bz, _ := good.Marshal()
	f.Add(bz)
	f.Add([]byte{0x28, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01})
	f.Fuzz(func(t *testing.T, bz []byte) {
		var m backup.MsgCommitManifest
		if m.Unmarshal(bz) != nil || m.ValidateBasic() != nil {
			return
		}
		if len(m.Root) != 32 || m.ChunkCount == 0 || m.TotalBytes < m.ChunkCount || m.TotalBytes/m.ChunkCount > backup.MaxChunkSize {
			t.Fatalf("accepted %+v", m)
		}
	})
}

// FuzzProveStorageHandling: proofs mutated by the fuzzer, delivered in real
// blocks against an open challenge, never panic the node, and only the genuine
// proof is accepted.
func FuzzProveStorageHandling(f *testing.F) {
	p := testParams()
	p.ChallengeInterval, p.ProofWindow, p.EpochBlocks = 20, 1<<30, 1<<30
	e := newEnv(f, p)
	d := newDataset(f, 22, 12)
	id := e.activeAgreement(d)
	e.advanceTo(nextChallengeHeight(p, e.ta.Height))
	ch, open := e.challenge(id)
	require.True(f, open)
	good := d.prove(f, e.holder, ch)
	f.Add(uint64(0), []byte{}, []byte{}, []byte{}, []byte{}, uint8(0))
	f.Add(uint64(1), []byte{1}, []byte{0, 0, 1}, []byte{}, []byte{2}, uint8(3))
	f.Fuzz(func(t *testing.T, index uint64, leafX, segX, pathX, manX []byte, drop uint8) {
		e.t, e.ta.TB = t, t // helpers report to this input's test
		xor := func(b, x []byte) []byte {
			out := append([]byte{}, b...)
			for i := range x {
				if i < len(out) {
					out[i] ^= x[i]
				} else {
					out = append(out, x[i])
				}
			}
			return out
		}
		xorPath := func(path [][]byte, x []byte) [][]byte {
			out := make([][]byte, len(path))
			for i := range path {
				out[i] = append([]byte{}, path[i]...)
			}
			if len(out) > 0 && len(x) > 0 {
				out[int(x[0])%len(out)] = xor(out[int(x[0])%len(out)], x[1:])
			}
			if drop%5 == 1 && len(out) > 0 {
				out = out[:len(out)-1]
			}
			return out
		}
		m := &backup.MsgProveStorage{Holder: good.Holder, AgreementId: id, ChunkIndex: good.ChunkIndex ^ index,
			ChunkLeaf: xor(good.ChunkLeaf, leafX), Segment: xor(good.Segment, segX),
			SegmentPath: xorPath(good.SegmentPath, pathX), ManifestPath: xorPath(good.ManifestPath, manX)}
		r, _ := e.deliver(e.holder, m)
		if r.Code != 0 {
			e.holder.Seq = e.seq(e.holder) // refused before the ante: the sequence is unused
			return
		}
		same := m.ChunkIndex == good.ChunkIndex && bytes.Equal(m.ChunkLeaf, good.ChunkLeaf) && bytes.Equal(m.Segment, good.Segment) &&
			len(m.SegmentPath) == len(good.SegmentPath) && len(m.ManifestPath) == len(good.ManifestPath)
		for i := range m.SegmentPath {
			same = same && bytes.Equal(m.SegmentPath[i], good.SegmentPath[i])
		}
		for i := range m.ManifestPath {
			same = same && bytes.Equal(m.ManifestPath[i], good.ManifestPath[i])
		}
		if !same {
			t.Fatalf("accepted a proof that is not the genuine one: %+v", m)
		}
	})
}

// FuzzCommitManifestHandling: manifests with fuzzed fields, delivered in real
// blocks by the owner, never panic; an accepted one is the next revision within the quota.
func FuzzCommitManifestHandling(f *testing.F) {
	p := testParams()
	p.ChallengeInterval, p.EpochBlocks = 1<<20, 1<<30 // the agreement stays active however many inputs run
	e := newEnv(f, p)
	id := e.activeAgreement(newDataset(f, 23, 3))
	f.Add(uint64(2), []byte("0123456789abcdef0123456789abcdef"), uint64(3), uint64(4096))
	f.Add(uint64(0), []byte{}, uint64(0), uint64(0))
	f.Fuzz(func(t *testing.T, rev uint64, root []byte, count, total uint64) {
		e.t, e.ta.TB = t, t
		before := e.agreement(id)
		r, _ := e.deliver(e.owner, &backup.MsgCommitManifest{Owner: e.owner.Addr.String(), AgreementId: id, Revision: rev, Root: root, ChunkCount: count, TotalBytes: total})
		if r.Code != 0 {
			e.owner.Seq = e.seq(e.owner)
			return
		}
		a := e.agreement(id)
		if a.Revision != before.Revision+1 || a.TotalBytes > a.QuotaBytes || !bytes.Equal(a.Root, root) {
			t.Fatalf("accepted revision %d (was %d), %d bytes of quota %d", a.Revision, before.Revision, a.TotalBytes, a.QuotaBytes)
		}
	})
}
