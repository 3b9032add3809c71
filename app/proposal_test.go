package app_test

import (
	"context"
	"math/rand"
	"sort"
	"strings"
	"testing"

	abci "github.com/cometbft/cometbft/abci/types"
	cmttypes "github.com/cometbft/cometbft/types"
	"github.com/stretchr/testify/require"

	"github.com/selfchain/selfchain/app/runtime"
	"github.com/selfchain/selfchain/app/tx"
	"github.com/selfchain/selfchain/crypto"
	"github.com/selfchain/selfchain/testutil"
	"github.com/selfchain/selfchain/types"
	"github.com/selfchain/selfchain/x/bank"
	"github.com/selfchain/selfchain/x/poai/voteext"
	"github.com/selfchain/selfchain/x/poai/voteext/voteexttest"
)

// Property: whatever the mempool hands PrepareProposal (valid txs, garbage,
// truncated txs, in any order, under any byte budget), ProcessProposal accepts the
// proposal it builds, and the proposal respects the budget.
func TestPrepareProposalIsAlwaysAccepted(t *testing.T) {
	ta, accs := newApp(t, 4)
	r := rand.New(rand.NewSource(7))
	for round := 0; round < 200; round++ {
		var txs [][]byte
		for i := r.Intn(30); i > 0; i-- {
			switch r.Intn(4) {
			case 0:
				junk := make([]byte, r.Intn(300))
				r.Read(junk)
				txs = append(txs, junk)
			case 1:
				bz := testutil.Send(accs[r.Intn(4)], accs[r.Intn(4)].Addr, 1, testutil.TxOpts{})
				txs = append(txs, bz[:r.Intn(len(bz))])
			default:
				txs = append(txs, testutil.Send(accs[r.Intn(4)], accs[r.Intn(4)].Addr, 1, testutil.TxOpts{}))
			}
		}
		budget := int64(r.Intn(4000))
		prep, err := ta.PrepareProposal(context.Background(), &abci.RequestPrepareProposal{Txs: txs, MaxTxBytes: budget, Height: ta.Height + 1})
		require.NoError(t, err)
		require.NoError(t, cmttypes.ToTxs(prep.Txs).Validate(budget), "round %d", round)
		proc, err := ta.ProcessProposal(context.Background(), &abci.RequestProcessProposal{Txs: prep.Txs, Height: ta.Height + 1})
		require.NoError(t, err)
		require.Equal(t, abci.ResponseProcessProposal_ACCEPT, proc.Status, "round %d", round)
	}

	// And ProcessProposal does reject a proposal carrying a tx that cannot decode.
	proc, err := ta.ProcessProposal(context.Background(), &abci.RequestProcessProposal{Txs: [][]byte{{0xde, 0xad}}, Height: ta.Height + 1})
	require.NoError(t, err)
	require.Equal(t, abci.ResponseProcessProposal_REJECT, proc.Status)
}

// proposalTxPool is signed txs from ~100 B to the largest a tx gets (32 multi-sends
// of 256 outputs, ~700 KB), with every account key type, SLH-DSA and its hybrid
// included, so the varint length prefix CometBFT counts takes 1, 2 and 3 bytes.
func proposalTxPool(t *testing.T) [][]byte {
	t.Helper()
	var pool [][]byte
	for i, kt := range []string{crypto.KeyTypeEd25519, crypto.KeyTypeMLDSA65, crypto.KeyTypeHybrid, crypto.KeyTypeSLHDSA, crypto.KeyTypeHybridSLH} {
		from := testutil.NewAccountOfType(i, kt)
		to := testutil.NewAccount(50 + i).Addr
		pool = append(pool, testutil.Send(from, to, 1, testutil.TxOpts{}))
		if kt == crypto.KeyTypeSLHDSA || kt == crypto.KeyTypeHybridSLH {
			continue // ~0.5 s a signature: one tx each is enough
		}
		pool = append(pool,
			testutil.Send(from, to, 1, testutil.TxOpts{OmitPubKey: true}),
			testutil.Send(from, to, 1, testutil.TxOpts{Memo: strings.Repeat("m", 1+i*200)}),
			testutil.Send(from, to, 1, testutil.TxOpts{OmitPubKey: true, Memo: strings.Repeat("x", 1024)}))
	}
	from := testutil.NewAccountOfType(9, crypto.KeyTypeHybrid)
	for _, shape := range [][2]int{{1, 5}, {1, 60}, {2, 256}, {8, 256}, {32, 256}} {
		msgs := make([]runtime.Msg, shape[0])
		for m := range msgs {
			ms := &bank.MsgMultiSend{Input: bank.Input{Address: from.Addr.String(), Coins: types.Coins{types.NewCoin(testutil.Denom, uint64(shape[1]))}}}
			for o := 0; o < shape[1]; o++ {
				ms.Outputs = append(ms.Outputs, bank.Output{Address: testutil.NewAccount(1000 + o).Addr.String(), Coins: types.Coins{types.NewCoin(testutil.Denom, 1)}})
			}
			msgs[m] = ms
		}
		pool = append(pool, testutil.SignTx(from, testutil.TxOpts{Gas: 1 << 40}, msgs...))
	}
	return pool
}

// Property (the consumer's rule): for random mempools of mixed tx sizes and byte
// budgets at and around each prefix's exact size, with and without the injected
// extended commit, what PrepareProposal returns passes CometBFT's own check
// (types.Txs.Validate, which counts types.ComputeProtoSizeForTxs), is the longest
// prefix of decodable txs that fits, and is accepted by ProcessProposal. Counting
// raw tx lengths instead (the old rule) fails this within a few rounds.
func TestPrepareProposalFitsCometBFTBudget(t *testing.T) {
	pool := proposalTxPool(t)
	lo, hi := len(pool[0]), len(pool[0])
	for _, bz := range pool {
		lo, hi = min(lo, len(bz)), max(hi, len(bz))
	}
	require.Less(t, lo, 300)
	require.Greater(t, hi, 1<<18, "the pool reaches ~0.5 MB txs (3-byte length prefixes start at 16 KiB)")

	plain, _ := newApp(t, 1)
	accs := poaiAccounts(2)
	set := voteexttest.NewSet(21, []int64{40, 30, 20, 10}, false, true)
	withCommit := newPoAINet(t, accs, set)
	withCommit.block()
	withCommit.vote(nil, nil)
	withCommit.block()
	withCommit.vote(nil, nil)
	inj, err := voteext.EncodeInjectedTx(&withCommit.commit)
	require.NoError(t, err)

	r := rand.New(rand.NewSource(11))
	for _, mode := range []struct {
		name   string
		ta     *testutil.TestApp
		commit abci.ExtendedCommitInfo
		inj    []byte
	}{{"plain", plain, abci.ExtendedCommitInfo{}, nil}, {"injected commit", withCommit.ta, withCommit.commit, inj}} {
		h := mode.ta.Height + 1
		for round := 0; round < 150; round++ {
			var mempool [][]byte
			for i := 1 + r.Intn(40); i > 0; i-- {
				if r.Intn(8) == 0 {
					junk := make([]byte, 100+r.Intn(2000))
					r.Read(junk)
					mempool = append(mempool, junk)
					continue
				}
				mempool = append(mempool, pool[r.Intn(len(pool))])
			}
			// The pool holds several txs of a sender, drawn in random order: the
			// proposal takes each sender's in sequence order (decodeInSenderOrder).
			ordered := senderOrdered(t, mode.ta, mempool)
			// Budgets at the exact CometBFT size of a random prefix of the decodable
			// txs (the injected commit first), give or take a few bytes.
			budget := cmttypes.ComputeProtoSizeForTxs(cmttypes.ToTxs(nonNil(mode.inj)))
			k := r.Intn(len(mempool) + 1)
			for _, bz := range ordered[:k] {
				budget += cmttypes.ComputeProtoSizeForTxs([]cmttypes.Tx{bz})
			}
			budget += int64(r.Intn(9) - 4)
			if budget < 0 {
				budget = 0
			}
			prep, err := mode.ta.PrepareProposal(context.Background(), &abci.RequestPrepareProposal{
				Height: h, Txs: mempool, MaxTxBytes: budget, LocalLastCommit: mode.commit,
			})
			require.NoError(t, err)
			require.NoError(t, cmttypes.ToTxs(prep.Txs).Validate(budget), "%s round %d", mode.name, round)
			require.LessOrEqual(t, cmttypes.ComputeProtoSizeForTxs(cmttypes.ToTxs(prep.Txs)), budget)
			if len(prep.Txs) == 0 && mode.inj != nil {
				require.Greater(t, cmttypes.ComputeProtoSizeForTxs(cmttypes.ToTxs(nonNil(mode.inj))), budget, "empty only when not even the commit fits")
				continue
			}
			// The longest prefix that fits: the next decodable mempool tx would not.
			txs := prep.Txs
			if mode.inj != nil {
				require.Equal(t, mode.inj, txs[0])
				txs = txs[1:]
			}
			used := cmttypes.ComputeProtoSizeForTxs(cmttypes.ToTxs(prep.Txs))
			next := 0
			for _, bz := range ordered {
				if next < len(txs) && string(bz) == string(txs[next]) {
					next++
					continue
				}
				if next < len(txs) {
					continue // junk skipped before the last included tx
				}
				if _, err := tx.Decode(bz, mode.ta.MsgRouter(), 0); err == nil {
					require.Greater(t, used+cmttypes.ComputeProtoSizeForTxs([]cmttypes.Tx{bz}), budget, "%s round %d: a decodable tx that fits was left out", mode.name, round)
					break
				}
			}
			require.Equal(t, len(txs), next, "the proposal's txs are the mempool's, in order (each sender's by sequence)")
			proc, err := mode.ta.ProcessProposal(context.Background(), &abci.RequestProcessProposal{
				Height: h, Txs: prep.Txs, ProposedLastCommit: voteexttest.LastCommit(mode.commit),
			})
			require.NoError(t, err)
			require.Equal(t, abci.ResponseProcessProposal_ACCEPT, proc.Status, "%s round %d", mode.name, round)
		}
	}
}

func nonNil(bz []byte) [][]byte {
	if bz == nil {
		return nil
	}
	return [][]byte{bz}
}

// senderOrdered is mempool with each sender's decodable txs sorted by sequence
// (stable) within the slots they hold; junk stays where it is.
func senderOrdered(t *testing.T, ta *testutil.TestApp, mempool [][]byte) [][]byte {
	t.Helper()
	slots := map[string][]int{}
	seqs := make([]uint64, len(mempool))
	for i, bz := range mempool {
		if d, err := tx.Decode(bz, ta.MsgRouter(), 0); err == nil {
			slots[string(d.Signer)] = append(slots[string(d.Signer)], i)
			seqs[i] = d.Sequence()
		}
	}
	out := append([][]byte(nil), mempool...)
	for _, own := range slots {
		bySeq := append([]int(nil), own...)
		sort.SliceStable(bySeq, func(x, y int) bool { return seqs[bySeq[x]] < seqs[bySeq[y]] })
		for k, i := range own {
			out[i] = mempool[bySeq[k]]
		}
	}
	return out
}
