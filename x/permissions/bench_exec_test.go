package permissions_test

import (
	runtime2 "runtime"
	"syscall"
	"testing"
	"time"

	gogotypes "github.com/cosmos/gogoproto/types"
	"github.com/selfchain/selfchain/app/runtime"
	"github.com/selfchain/selfchain/app/store"
	"github.com/selfchain/selfchain/testutil"
	"github.com/selfchain/selfchain/types"
	"github.com/selfchain/selfchain/x/bank"
	"github.com/selfchain/selfchain/x/permissions"
)

// BenchmarkBlockSend compares, in block execution (FinalizeBlock + Commit on
// pebbledb, signatures already verified by CheckTx as on a node that saw the txs),
// blocks of 2,000 direct bank sends from 1,000 users with blocks of 2,000 MsgExec
// txs in which one app executes the same sends for the same users under their
// grants. The two chains run alternately, block by block, so load on a shared
// machine hits both alike; exec/direct is the ratio of their block times (the
// issue's budget: ≤ 1.3). Besides wall time it reports the process CPU time
// (user+sys, getrusage) of the timed part, which other processes' load on a busy
// machine disturbs less: exec/direct-cpu.
func BenchmarkBlockSend(b *testing.B) {
	direct, exec := newSendBench(b, false), newSendBench(b, true)
	var tDirect, tExec, cDirect, cExec time.Duration
	for b.Loop() {
		w, c := direct.block(b)
		tDirect, cDirect = tDirect+w, cDirect+c
		w, c = exec.block(b)
		tExec, cExec = tExec+w, cExec+c
	}
	n := float64(b.N * sendBenchPerBlock)
	b.ReportMetric(n/tDirect.Seconds(), "direct-tx/s")
	b.ReportMetric(n/tExec.Seconds(), "exec-tx/s")
	b.ReportMetric(float64(tExec)/float64(tDirect), "exec/direct")
	b.ReportMetric(float64(cExec)/float64(cDirect), "exec/direct-cpu")
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

const sendBenchUsers, sendBenchPerBlock = 1000, 2000

type sendBench struct {
	ta      *testutil.TestApp
	users   []*testutil.Account
	owner   *testutil.Account
	viaExec bool
}

func newSendBench(b *testing.B, viaExec bool) *sendBench {
	users := make([]*testutil.Account, sendBenchUsers+1)
	for i := range users {
		users[i] = testutil.NewAccount(i)
	}
	owner := users[sendBenchUsers]
	users = users[:sendBenchUsers]
	cfg := testutil.Config()
	cfg.State.DBBackend = "pebbledb"
	db, err := store.OpenDB("pebbledb", "application", b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	ta := testutil.NewTestApp(b, db, cfg, testutil.GenesisAppState(append(append([]*testutil.Account(nil), users...), owner), 1_000_000_000))
	b.Cleanup(func() { _ = ta.Close() })
	ta.NextBlock()
	mustOK := func(txs ...[]byte) {
		b.Helper()
		for _, r := range ta.NextBlock(txs...).TxResults {
			if r.Code != 0 {
				b.Fatalf("setup tx: %s", r.Log)
			}
		}
	}
	if viaExec {
		pub := owner.Key.PubKey()
		mustOK(testutil.SignTx(owner, testutil.TxOpts{}, &permissions.MsgRegisterApp{Owner: owner.Addr.String(), Id: "bench-app", Name: "Bench",
			PubKeys: []types.PubKey{{Type: pub.Type(), Key: pub.Bytes()}}, Scopes: []string{"bank:send"},
			Deposit: types.Coins{types.NewCoin(testutil.Denom, permissions.DefaultMinDeposit)}}))
		var txs [][]byte
		for _, u := range users {
			txs = append(txs, testutil.SignTx(u, testutil.TxOpts{}, &permissions.MsgGrant{User: u.Addr.String(), AppId: "bench-app",
				Scopes: []string{"bank:send"}, ExpiryHeight: 1 << 40, SpendLimit: types.Coins{types.NewCoin(testutil.Denom, 1_000_000)}}))
		}
		mustOK(txs...)
	}
	return &sendBench{ta: ta, users: users, owner: owner, viaExec: viaExec}
}

// block builds, admits (CheckTx) and then times one block of sends (wall, CPU).
func (s *sendBench) block(b *testing.B) (time.Duration, time.Duration) {
	b.StopTimer()
	defer b.StartTimer()
	txs := make([][]byte, sendBenchPerBlock)
	for i := range txs {
		from, to := s.users[i%sendBenchUsers], s.users[(i*7+1)%sendBenchUsers]
		send := &bank.MsgSend{FromAddress: from.Addr.String(), ToAddress: to.Addr.String(), Amount: types.Coins{types.NewCoin(testutil.Denom, 1)}}
		if s.viaExec {
			exec := &permissions.MsgExec{Grantee: s.owner.Addr.String(), User: from.Addr.String(), AppId: "bench-app",
				Msgs: []*gogotypes.Any{anyOf(b, send)}}
			txs[i] = testutil.SignTx(s.owner, testutil.TxOpts{Fee: coins(1), OmitPubKey: true}, exec)
		} else {
			txs[i] = testutil.SignTx(from, testutil.TxOpts{Fee: coins(1), OmitPubKey: from.Seq > 0}, runtime.Msg(send))
		}
	}
	for _, bz := range txs {
		s.ta.CheckTx(bz)
	}
	runtime2.GC() // the garbage of building txs is not the block's
	start, cpu0 := time.Now(), cpuTime()
	res := s.ta.NextBlock(txs...)
	d, c := time.Since(start), cpuTime()-cpu0
	for _, r := range res.TxResults {
		if r.Code != 0 {
			b.Fatalf("tx failed: %d %s", r.Code, r.Log)
		}
	}
	return d, c
}
