package app_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	cmtcfg "github.com/cometbft/cometbft/config"
	cmttypes "github.com/cometbft/cometbft/types"
	"github.com/stretchr/testify/require"

	"github.com/selfchain/selfchain/client"
	"github.com/selfchain/selfchain/crypto"
	"github.com/selfchain/selfchain/testutil"
	"github.com/selfchain/selfchain/testutil/network"
	"github.com/selfchain/selfchain/x/bank"
)

// A real node whose mempool holds many blocks' worth of txs, most of the bytes
// default hybrid-key txs (~3.5 KB), keeps producing full blocks and commits every
// tx. Before PrepareProposal counted txs as CometBFT does (ComputeProtoSizeForTxs:
// the bytes plus ~3 bytes of framing each), a full block plus the injected extended
// commit overshot CometBFT's data budget whenever the room left by the last tx was
// under ~3 bytes per tx in the block, and the consensus goroutine died
// ("transaction data size exceeds maximum"). In a 4 MiB block of ~1,150 hybrid txs
// that is almost every full block; here a small block.max_bytes keeps the test to
// seconds, and the short ed25519 sends among the hybrid ones keep the room left by
// the last tx small, so the old rule failed within the first few full blocks.
// Both mempools: the bug was found with CometBFT's (which hands PrepareProposal
// its txs), and the app's builds its proposal with the same count.
func TestNodeKeepsProducingBlocksUnderHybridFlood(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a node, twice")
	}
	for _, mp := range []string{cmtcfg.MempoolTypeFlood, cmtcfg.MempoolTypeApp} {
		t.Run(mp, func(t *testing.T) { testNodeUnderHybridFlood(t, mp) })
	}
}

func testNodeUnderHybridFlood(t *testing.T, mempoolType string) {
	const (
		hybridSenders = 10
		ed25519Sender = 40
		perSender     = 20 // 200 hybrid (~700 KB) and 800 ed25519 (~150 KB) txs
		maxBytes      = 64 << 10
	)
	var senders []*testutil.Account
	for i := 0; i < hybridSenders; i++ {
		senders = append(senders, testutil.NewAccountOfType(i, crypto.KeyTypeHybrid))
	}
	for i := 0; i < ed25519Sender; i++ {
		senders = append(senders, testutil.NewAccount(i))
	}
	rcpt := testutil.NewAccount(1000)
	net := network.New(t, network.Config{
		Validators: []network.ValidatorConfig{{ModifyCometConfig: func(c *cmtcfg.Config) { c.Mempool.Type = mempoolType }}},
		Accounts:   append(append([]*testutil.Account(nil), senders...), rcpt),
		ModifyGenesisDoc: func(gen *cmttypes.GenesisDoc) error {
			gen.ConsensusParams.Block.MaxBytes = maxBytes
			gen.ConsensusParams.Evidence.MaxBytes = maxBytes / 8
			return nil
		},
	})
	require.NoError(t, net.WaitForHeight(2, 60*time.Second))

	// Sign everything first, then submit from five workers (each sender's txs in
	// sequence order), faster than 250 ms blocks of 64 KiB drain them.
	signed := make([][][]byte, len(senders))
	for i, a := range senders {
		for j := 0; j < perSender; j++ {
			// Like a wallet: only an account's first tx carries its public key.
			signed[i] = append(signed[i], testutil.Send(a, rcpt.Addr, 1, testutil.TxOpts{Gas: 400_000, OmitPubKey: j > 0}))
		}
	}
	start, err := net.Height(0)
	require.NoError(t, err)
	const workers = 5
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for j := 0; j < perSender; j++ {
				for i := w; i < len(senders); i += workers { // hybrid and ed25519 senders mixed
					res, err := net.BroadcastTx(0, signed[i][j], false)
					if err == nil && res.Code != 0 {
						err = fmt.Errorf("CheckTx code %d: %s", res.Code, res.Log)
					}
					if err != nil {
						errs <- err
						return
					}
				}
			}
		}(w)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}

	// Every tx commits (the recipient is paid once per tx) and the chain goes on.
	c := net.Nodes[0].Client
	want := network.DefaultAccountBalance + uint64(len(senders)*perSender)
	lastHeight, lastProgress := start, time.Now()
	for {
		got := balanceOf(t, c, rcpt.Addr)
		if got == want {
			break
		}
		h, err := net.Height(0)
		require.NoError(t, err)
		if h > lastHeight {
			lastHeight, lastProgress = h, time.Now()
		}
		require.Less(t, time.Since(lastProgress), 15*time.Second, "HALTED at height %d: the recipient has %d, want %d; node log:\n%s", lastHeight, got, want, net.LogTail(0, 20))
		time.Sleep(200 * time.Millisecond)
	}
	end, err := net.WaitForNextBlocks(3, 30*time.Second)
	require.NoError(t, err, "the chain stopped after the flood; node log:\n%s", net.LogTail(0, 20))

	// The flood did fill blocks to CometBFT's data budget, several times.
	budget := cmttypes.MaxDataBytes(maxBytes, 0, 1)
	full := 0
	for h := start + 1; h <= end; h++ {
		b, err := net.Nodes[0].RPC.Block(context.Background(), &h)
		require.NoError(t, err)
		size := cmttypes.ComputeProtoSizeForTxs(b.Block.Txs)
		require.LessOrEqual(t, size, budget)
		if size > budget-4000 { // not even one more hybrid tx would fit
			full++
		}
	}
	require.GreaterOrEqual(t, full, 5, "the flood filled several blocks")
}

func balanceOf(t *testing.T, c *client.Client, addr crypto.Address) uint64 {
	t.Helper()
	res, err := bank.NewQueryClient(c).Balance(context.Background(), &bank.QueryBalanceRequest{Address: addr.String(), Denom: testutil.Denom})
	require.NoError(t, err)
	return res.Balance.Amount.Uint64()
}
