package server

import (
	"context"
	"testing"

	"github.com/selfchain/selfchain/app"
	"github.com/selfchain/selfchain/app/runtime"
	"github.com/selfchain/selfchain/app/tx"
	"github.com/selfchain/selfchain/client"
	"github.com/selfchain/selfchain/crypto"
	"github.com/selfchain/selfchain/x/bank"
	"github.com/selfchain/selfchain/x/poai/voteext"
	"github.com/selfchain/selfchain/x/poai/voteext/voteexttest"
)

// A real in-process CometBFT node (ML-DSA-65 validator key, vote extensions enabled
// from height 1 by init) with PoAI on: CometBFT signs the app's extensions, the
// proposer injects each extended commit, ProcessProposal accepts it, and
// FinalizeBlock hands the keeper the block's txs, the medians and the agreement.
func TestNodeWithPoAIVoteExtensions(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a node")
	}
	home := t.TempDir()
	if err := InitHome(home, "node0", "selfchain-poai-1", ConsensusKeyMlDsa65); err != nil {
		t.Fatal(err)
	}
	faucet, _ := crypto.GenerateKey(crypto.KeyTypeEd25519)
	rcpt, _ := crypto.GenerateKey(crypto.KeyTypeEd25519)
	if err := AddGenesisAccount(GenesisPath(home), faucet.PubKey().Address(), mustCoins(t, "1000000000uself"), false); err != nil {
		t.Fatal(err)
	}
	pub, err := ShowValidator(home)
	if err != nil {
		t.Fatal(err)
	}
	st := voteexttest.NewState()
	st.Keys[string(pub.Address())] = pub

	opts := append(testNodeOptions(t), WithAppHook(func(a *app.App) error { return a.EnablePoAI(st) }))
	n, err := Start(context.Background(), home, nil, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = n.Stop() })
	c, err := client.New(n.RPCAddress())
	if err != nil {
		t.Fatal(err)
	}
	waitHeight(t, c, 2)
	f := client.Factory{Gas: 200_000, GasPrices: "0.001uself"}
	signer := tx.KeySigner{Key: faucet}
	send := &bank.MsgSend{FromAddress: faucet.PubKey().Address().String(), ToAddress: rcpt.PubKey().Address().String(), Amount: mustCoins(t, "5uself")}
	plan, err := f.Prepare(context.Background(), c, signer, []runtime.Msg{send}...)
	if err != nil {
		t.Fatal(err)
	}
	bz, _ := plan.Sign(signer)
	res, err := c.Broadcast(context.Background(), bz, true)
	if err != nil || !res.OK() {
		t.Fatalf("tx not committed: %+v %v", res, err)
	}
	txHeight := res.Height
	waitHeight(t, c, txHeight+3)
	if err := n.Stop(); err != nil {
		t.Fatal(err)
	}

	if got := st.BlockTxs[txHeight]; len(got) != 1 || string(got[0].Sender) != string(faucet.PubKey().Address()) {
		t.Fatalf("block %d txs recorded: %+v", txHeight, got)
	}
	// Block txHeight is scored in the extensions of txHeight+1, aggregated in txHeight+2.
	risks := st.Risks[txHeight]
	if len(risks) != 1 || risks[0].Index != 0 {
		t.Fatalf("risks of block %d: %+v", txHeight, risks)
	}
	for h := int64(1); h <= txHeight; h++ {
		sig := st.Agreements[h]
		if len(sig) != 1 || !sig[0].Scored || sig[0].Agreement != voteext.PPM || string(sig[0].ConsAddress) != string(pub.Address()) {
			t.Fatalf("agreement for scored height %d: %+v", h, sig)
		}
	}
}
