package server

import (
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/selfchain/selfchain/crypto"
	"github.com/selfchain/selfchain/x/poai"
	"github.com/selfchain/selfchain/x/poai/voteext"
)

// setPoAIFlagThreshold edits genesis.json's app_state.poai.params.flag_threshold.
func setPoAIFlagThreshold(t *testing.T, home string, threshold uint32) {
	t.Helper()
	path := GenesisPath(home)
	bz, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var gen map[string]json.RawMessage
	var appState map[string]json.RawMessage
	var poaiGen map[string]json.RawMessage
	var params map[string]json.RawMessage
	if err := json.Unmarshal(bz, &gen); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(gen["app_state"], &appState); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(appState["poai"], &poaiGen); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(poaiGen["params"], &params); err != nil {
		t.Fatal(err)
	}
	params["flag_threshold"], _ = json.Marshal(threshold)
	poaiGen["params"], _ = json.Marshal(params)
	appState["poai"], _ = json.Marshal(poaiGen)
	gen["app_state"], _ = json.Marshal(appState)
	out, _ := json.MarshalIndent(gen, "", "  ")
	if err := os.WriteFile(path, out, 0o600); err != nil {
		t.Fatal(err)
	}
}

// A real in-process CometBFT node made by init (one ML-DSA-65 validator, which init
// also lists as the PoAI genesis validator; vote extensions from height 1) with
// nothing but app.toml's default analyzer: CometBFT signs the app's extensions, the
// proposer injects each extended commit (1 of 1 power signs), ProcessProposal
// accepts it, and FinalizeBlock feeds x/poai's keeper — a tx scored above the
// (lowered) flag threshold is flagged and its sender rate-limited by the ante.
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
	// The built-in model gives a first transfer to a never-seen account a fan-out
	// risk of 20: a threshold of 10 flags it.
	setPoAIFlagThreshold(t, home, 10)
	pub, err := ShowValidator(home)
	if err != nil {
		t.Fatal(err)
	}

	_, c := startedNode(t, home)
	ctx := context.Background()
	send := func() []byte { return signedSend(t, c, faucet, rcpt.PubKey().Address(), "5uself") }
	res, err := c.Broadcast(ctx, send(), true)
	if err != nil || !res.OK() {
		t.Fatalf("tx not committed: %+v %v", res, err)
	}
	txHeight := res.Height
	// Block txHeight is scored in the extensions of txHeight+1, aggregated in txHeight+2.
	waitHeight(t, c, txHeight+3)

	// Every block from height 2 carries the injected extended commit first, signed by
	// the one validator (all the power).
	for h := int64(2); h <= txHeight+2; h++ {
		b, err := c.RPC().Block(ctx, &h)
		if err != nil {
			t.Fatal(err)
		}
		if len(b.Block.Txs) == 0 || !voteext.IsInjectedTx(b.Block.Txs[0]) {
			t.Fatalf("block %d does not start with the injected extended commit", h)
		}
		ec, err := voteext.DecodeInjectedTx(b.Block.Txs[0])
		if err != nil {
			t.Fatal(err)
		}
		if len(ec.Votes) != 1 || string(ec.Votes[0].Validator.Address) != string(pub.Address()) || len(ec.Votes[0].ExtensionSignature) == 0 {
			t.Fatalf("block %d: injected commit %+v", h, ec)
		}
	}

	flagged, err := poai.NewQueryClient(c).FlaggedTxs(ctx, &poai.QueryFlaggedTxsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if len(flagged.Txs) != 1 || flagged.Txs[0].Height != txHeight || flagged.Txs[0].Index != 0 ||
		flagged.Txs[0].Sender != faucet.PubKey().Address().String() || flagged.Txs[0].Risk < 10 {
		t.Fatalf("flagged txs: %+v", flagged.Txs)
	}
	// The flagged sender is rate-limited: its next tx is refused at CheckTx.
	res2, err := c.Broadcast(ctx, send(), false)
	if err == nil && res2.OK() {
		t.Fatalf("a rate-limited sender's tx was accepted: %+v", res2)
	}
	if err == nil && (res2.Codespace != poai.ModuleName || res2.Code != 18) {
		t.Fatalf("want poai/18, got %+v", res2)
	} else if err != nil && !strings.Contains(err.Error(), "rate-limited") {
		t.Fatalf("want a rate-limit refusal, got %v", err)
	}

	// The validator agreed with itself on every block: its reputation stays full.
	vals, err := poai.NewQueryClient(c).Validators(ctx, &poai.QueryValidatorsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if len(vals.Validators) != 1 || vals.Validators[0].AgreementAvg != poai.PPM {
		t.Fatalf("validators: %+v", vals.Validators)
	}
}
