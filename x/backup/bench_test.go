package backup_test

import (
	"bytes"
	"cmp"
	"context"
	"encoding/binary"
	"encoding/json"
	"os"
	"runtime/pprof"
	"strconv"
	"syscall"
	"testing"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"
	"github.com/cometbft/cometbft/crypto/merkle"
	dbm "github.com/cosmos/cosmos-db"

	"github.com/selfchain/selfchain/app"
	"github.com/selfchain/selfchain/app/runtime"
	"github.com/selfchain/selfchain/app/tx"
	"github.com/selfchain/selfchain/testutil"
	"github.com/selfchain/selfchain/types"
	"github.com/selfchain/selfchain/x/backup"
)

// proofBench is a genesis of n active agreements held by one account, each with
// an open challenge, and the blocks of txs answering all of them.
type proofBench struct {
	genesis json.RawMessage
	holder  *testutil.Account
	txs     [][]byte
}

// newProofBench: every agreement stores the same manifest of 65,536 chunks of
// 64 KiB (a 4 GiB backup: manifest paths of 16 hashes, segment paths of 6), so
// each proof is a full-size one; challenges pick their chunk and seed at random.
func newProofBench(b testing.TB, n int) *proofBench {
	const chunks, chunkSize = 1 << 16, 64 << 10
	cipher := make([]byte, chunkSize)
	for i := range cipher {
		cipher[i] = byte(i * 7)
	}
	leaf, err := backup.ChunkLeafOf(cipher)
	if err != nil {
		b.Fatal(err)
	}
	leaves := make([][]byte, chunks)
	for i := range leaves {
		leaves[i] = leaf
	}
	root, leafProofs := merkle.ProofsFromByteSlices(leaves)
	segs := backup.Segments(cipher)
	_, segProofs := merkle.ProofsFromByteSlices(segs)

	holder := testutil.NewAccount(1)
	owners := make([]*testutil.Account, (n+999)/1000)
	for i := range owners {
		owners[i] = testutil.NewAccount(10 + i)
	}
	p := backup.DefaultParams()
	p.MaxAgreementsPerOwner, p.MaxAgreementsPerHolder, p.ChallengeInterval, p.ProofWindow = 1_000, 10_000, 1<<20, 1_000
	gs := backup.GenesisState{Params: p, NextAgreementId: uint64(n) + 1}
	var msgs []runtime.Msg
	node := "00112233445566778899aabbccddeeff00112233"
	for i := range n {
		id := uint64(i + 1)
		var seed [32]byte
		binary.BigEndian.PutUint64(seed[:], id*0x9E3779B97F4A7C15)
		idx := binary.BigEndian.Uint64(seed[:]) % chunks
		gs.Agreements = append(gs.Agreements, backup.Agreement{
			Id: id, Owner: owners[i/1000].Addr.String(), HolderNodeId: node, Holder: holder.Addr.String(), QuotaBytes: 8 << 30,
			PricePerEpoch: types.NewCoin(denom, 1), Escrow: types.NewCoin(denom, 100), Collateral: types.NewCoin(denom, 100),
			NoticeEpochs: 1, Status: backup.STATUS_ACTIVE, Root: root, ChunkCount: chunks, TotalBytes: chunks * chunkSize,
			Revision: 1, ProposedHeight: 1, AcceptedHeight: 1, NextPaymentHeight: 1 << 30,
			Paid: types.NewCoin(denom, 0), Slashed: types.NewCoin(denom, 0),
		})
		gs.Challenges = append(gs.Challenges, backup.Challenge{AgreementId: id, ChunkIndex: idx, Seed: seed[:], Revision: 1, IssuedHeight: 0, DeadlineHeight: 1_000,
			Root: root, ChunkCount: chunks, Holder: holder.Addr.String(), HolderNodeId: node})
		si := backup.SegmentIndex(seed[:], chunkSize)
		msgs = append(msgs, &backup.MsgProveStorage{Holder: holder.Addr.String(), AgreementId: id, ChunkIndex: idx,
			ChunkLeaf: leaf, Segment: segs[si], SegmentPath: segProofs[si].Aunts, ManifestPath: leafProofs[idx].Aunts})
	}
	gs.HolderStats = []backup.HolderStatsEntry{{NodeId: node, Stats: backup.HolderStats{OpenAgreements: uint32(n), UsedBytes: uint64(n) * 8 << 30}}}
	state := map[string]json.RawMessage{}
	if err := json.Unmarshal(testutil.GenesisAppState(append([]*testutil.Account{holder}, owners...), 1_000_000_000), &state); err != nil {
		b.Fatal(err)
	}
	bz, err := runtime.MarshalGenesis(&gs)
	if err != nil {
		b.Fatal(err)
	}
	state[backup.ModuleName] = bz
	genesis, _ := json.Marshal(state)
	pb := &proofBench{genesis: genesis, holder: holder}
	for i := 0; i < len(msgs); i += tx.MaxMsgsPerTx {
		pb.txs = append(pb.txs, testutil.SignTx(holder, testutil.TxOpts{Gas: 100_000_000}, msgs[i:min(i+tx.MaxMsgsPerTx, len(msgs))]...))
	}
	return pb
}

// BenchmarkFinalizeBlock10kProofs times FinalizeBlock of one block carrying
// 10,000 storage proofs (313 txs of at most 32 proofs, one holder), each
// checked against its agreement's open challenge. "warm" is a node's path:
// every tx went through CheckTx (signatures verified once) and the proposal
// through ProcessProposal (txs decoded once); "cold": FinalizeBlock alone
// decodes the txs and verifies their signatures. cpu-ms/block is the process's
// CPU time over the call (wall time on a busy shared machine says little).
//
// ProcessProposal also starts loading the IAVL paths the block will write on the
// other core (store.MultiStore.Prefetch), which FinalizeBlock stops if it is still
// running (what is left the flush loads itself): ms/block is FinalizeBlock alone, pp+fb-ms/block and pp+fb-cpu-ms/block the pair.
// On a node the prevote and precommit rounds separate the two; BENCH_PP_GAP (a
// duration) sleeps that long between them; by default FinalizeBlock follows at
// once. BACKUP_BENCH_NO_PREFETCH=1 turns the prefetch off.
func BenchmarkFinalizeBlock10kProofs(b *testing.B) {
	pb := newProofBench(b, 10_000)
	var bytes int
	for _, t := range pb.txs {
		bytes += len(t)
	}
	for _, warm := range []bool{true, false} {
		b.Run(map[bool]string{true: "warm", false: "cold"}[warm], func(b *testing.B) {
			var total, cpu, pair, pairCPU time.Duration
			gap, err := time.ParseDuration(cmp.Or(os.Getenv("BENCH_PP_GAP"), "0s"))
			if err != nil {
				b.Fatalf("BENCH_PP_GAP: %v", err)
			}
			for range b.N {
				a, t0 := pb.start(b, benchConfig(b))
				// Block 1 empty: CheckTx needs a committed block.
				if _, err := a.FinalizeBlock(context.Background(), &abci.RequestFinalizeBlock{Height: 1, Time: t0.Add(time.Second), Hash: blockHash(1), ProposerAddress: make([]byte, 20)}); err != nil {
					b.Fatal(err)
				}
				if _, err := a.Commit(context.Background(), &abci.RequestCommit{}); err != nil {
					b.Fatal(err)
				}
				if warm {
					for _, t := range pb.txs {
						if res, err := a.CheckTx(context.Background(), &abci.RequestCheckTx{Tx: t}); err != nil || res.Code != 0 {
							b.Fatalf("CheckTx: %v %v", err, res.Log)
						}
					}
				}
				req := &abci.RequestFinalizeBlock{Height: 2, Time: t0.Add(2 * time.Second), Txs: pb.txs, Hash: blockHash(2), ProposerAddress: make([]byte, 20)}
				ppCPU0, ppStart := cpuTime(), time.Now()
				if warm { // as on a node: the proposal was checked (and its txs decoded) before it is decided
					pp, err := a.ProcessProposal(context.Background(), &abci.RequestProcessProposal{Height: req.Height, Time: req.Time, Txs: req.Txs, Hash: req.Hash, ProposerAddress: req.ProposerAddress})
					if err != nil || pp.Status != abci.ResponseProcessProposal_ACCEPT {
						b.Fatalf("ProcessProposal: %v %v", err, pp)
					}
				}
				ppTime := time.Since(ppStart)
				if warm && gap > 0 {
					time.Sleep(gap)
				}
				checks := a.BackupKeeper.ProofChecks()
				cpu0 := cpuTime()
				start := time.Now()
				var res *abci.ResponseFinalizeBlock
				// Labelled (with the goroutines it starts) for -cpuprofile: pprof -tagfocus block=finalize.
				pprof.Do(context.Background(), pprof.Labels("block", "finalize"), func(ctx context.Context) {
					res, err = a.FinalizeBlock(ctx, req)
				})
				fbTime, fbCPU := time.Since(start), cpuTime()-cpu0
				total += fbTime
				cpu += fbCPU
				pair += ppTime + fbTime
				pairCPU += cpuTime() - ppCPU0 // with a gap: also what the prefetch did during it
				if err != nil {
					b.Fatal(err)
				}
				for i, r := range res.TxResults {
					if r.Code != 0 {
						b.Fatalf("tx %d: %s", i, r.Log)
					}
				}
				// A block of proofs this node admitted hashes no Merkle path again.
				if n := a.BackupKeeper.ProofChecks() - checks; warm && n != 0 {
					b.Fatalf("FinalizeBlock checked %d admitted proofs again", n)
				}
				_ = a.Close()
			}
			b.ReportMetric(float64(total.Milliseconds())/float64(b.N), "ms/block")
			b.ReportMetric(float64(cpu.Milliseconds())/float64(b.N), "cpu-ms/block")
			if warm {
				b.ReportMetric(float64(pair.Milliseconds())/float64(b.N), "pp+fb-ms/block")
				b.ReportMetric(float64(pairCPU.Milliseconds())/float64(b.N), "pp+fb-cpu-ms/block")
			}
			b.ReportMetric(float64(bytes)/float64(len(pb.txs)*tx.MaxMsgsPerTx), "bytes/proof")
			b.ReportMetric(0, "ns/op")
		})
	}
}

// benchConfig is testutil.Config with BACKUP_BENCH_IAVL_CACHE nodes of IAVL
// cache when set (the default, 20,000, holds a fifth of the backup tree here).
// start opens a fresh in-memory app with cfg and the bench's genesis, initialised
// at the returned time.
func (pb *proofBench) start(tb testing.TB, cfg app.Config) (*app.App, time.Time) {
	tb.Helper()
	a, err := app.New(nil, dbm.NewMemDB(), cfg)
	if err != nil {
		tb.Fatal(err)
	}
	t0 := time.Unix(1_700_000_000, 0).UTC()
	if _, err := a.InitChain(context.Background(), &abci.RequestInitChain{ChainId: testutil.ChainID, InitialHeight: 1, Time: t0, AppStateBytes: pb.genesis}); err != nil {
		tb.Fatal(err)
	}
	return a, t0
}

func benchConfig(b testing.TB) app.Config {
	c := testutil.Config()
	c.State.NoWritePrefetch = os.Getenv("BACKUP_BENCH_NO_PREFETCH") != ""
	if v := os.Getenv("BACKUP_BENCH_IAVL_CACHE"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			b.Fatalf("BACKUP_BENCH_IAVL_CACHE: %v", err)
		}
		c.State.IAVLCacheSize = n
	}
	return c
}

// cpuTime is the process's CPU time (user+system, every thread): on a machine
// shared with other work it measures the block's own cost, which wall time does not.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// TestPrefetchKeepsAppHash: a block of storage proofs gives the same app hash
// whether ProcessProposal's prefetch of its written IAVL paths ran (the node's
// path) or not, whether FinalizeBlock stopped it part way or it had finished.
func TestPrefetchKeepsAppHash(t *testing.T) {
	pb := newProofBench(t, 2_000)
	run := func(prefetch bool, gap time.Duration) []byte {
		c := testutil.Config()
		c.State.NoWritePrefetch = !prefetch
		a, t0 := pb.start(t, c)
		defer a.Close()
		var hash []byte
		for h := int64(1); h <= 3; h++ {
			req := &abci.RequestFinalizeBlock{Height: h, Time: t0.Add(time.Duration(h) * time.Second), Hash: blockHash(h), ProposerAddress: make([]byte, 20)}
			if h == 2 {
				req.Txs = pb.txs
			}
			pp, err := a.ProcessProposal(context.Background(), &abci.RequestProcessProposal{Height: req.Height, Time: req.Time, Txs: req.Txs, Hash: req.Hash, ProposerAddress: req.ProposerAddress})
			if err != nil || pp.Status != abci.ResponseProcessProposal_ACCEPT {
				t.Fatalf("ProcessProposal: %v %v", err, pp)
			}
			time.Sleep(gap)
			res, err := a.FinalizeBlock(context.Background(), req)
			if err != nil {
				t.Fatal(err)
			}
			for i, r := range res.TxResults {
				if r.Code != 0 {
					t.Fatalf("height %d tx %d: %s", h, i, r.Log)
				}
			}
			if _, err := a.Commit(context.Background(), &abci.RequestCommit{}); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(res.AppHash, a.LastCommitID().Hash) {
				t.Fatalf("height %d: FinalizeBlock's app hash %X, committed %X", h, res.AppHash, a.LastCommitID().Hash)
			}
			hash = append(hash, res.AppHash...)
		}
		return hash
	}
	plain := run(false, 0)
	if got := run(true, 0); !bytes.Equal(got, plain) { // FinalizeBlock stops the walk part way
		t.Fatalf("app hashes with a prefetch stopped by FinalizeBlock %X, without %X", got, plain)
	}
	if got := run(true, 200*time.Millisecond); !bytes.Equal(got, plain) { // the walk ends first
		t.Fatalf("app hashes with a finished prefetch %X, without %X", got, plain)
	}
}

// TestWriteKeysNameTheChallenge: the key x/backup declares for a storage proof
// (runtime.HasWriteKeys) is the raw store key of the challenge the proof answers.
func TestWriteKeysNameTheChallenge(t *testing.T) {
	pb := newProofBench(t, 3)
	a, t0 := pb.start(t, testutil.Config())
	defer a.Close()
	if _, err := a.FinalizeBlock(context.Background(), &abci.RequestFinalizeBlock{Height: 1, Time: t0, Hash: blockHash(1), ProposerAddress: make([]byte, 20)}); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Commit(context.Background(), &abci.RequestCommit{}); err != nil {
		t.Fatal(err)
	}
	var keys [][]byte
	backup.NewModule(a.BackupKeeper).WriteKeys(&backup.MsgProveStorage{AgreementId: 2}, func(k []byte) { keys = append(keys, k) })
	backup.NewModule(a.BackupKeeper).WriteKeys(&backup.MsgEnd{AgreementId: 2}, func(k []byte) { keys = append(keys, k) })
	if len(keys) != 1 {
		t.Fatalf("%d keys declared, want the proof's one", len(keys))
	}
	res, err := a.Query(context.Background(), &abci.RequestQuery{Path: "/store/backup/key", Data: keys[0]})
	if err != nil || res.Code != 0 {
		t.Fatalf("query: %v %v", err, res.Log)
	}
	var ch backup.Challenge
	if err := ch.Unmarshal(res.Value); err != nil || ch.AgreementId != 2 {
		t.Fatalf("key %X holds %v (%v), want agreement 2's challenge", keys[0], ch, err)
	}
}
