package instance

import (
	"context"
	"errors"
	"testing"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"
	cmttypes "github.com/cometbft/cometbft/types"

	"github.com/selfchain/selfchain/app/runtime"
	"github.com/selfchain/selfchain/testutil"
	"github.com/selfchain/selfchain/types"
	"github.com/selfchain/selfchain/x/permissions"
)

// provenChain is a Chain over an in-process app whose "verified header" is the
// app's real last commit, with q standing in for the RPC node.
func provenChain(t testing.TB, ta *testutil.TestApp, user string, q func(context.Context, *abci.RequestQuery) (*abci.ResponseQuery, error)) *Chain {
	cid := ta.LastCommitID()
	lb := &cmttypes.LightBlock{SignedHeader: &cmttypes.SignedHeader{Header: &cmttypes.Header{Height: cid.Version + 1, AppHash: cid.Hash}}}
	return &Chain{owner: user, query: q, latest: lb, verified: time.Now(), cache: map[string]*Records{}}
}

// TestRecordsCatchALyingNode: the gateway decides only on records proven against
// the verified app hash; a node that forges a grant, hides one, or answers for
// another height is refused (chain_unverified), never believed.
func TestRecordsCatchALyingNode(t *testing.T) {
	user, owner := testutil.NewAccount(0), testutil.NewAccount(1)
	ta := testutil.NewTestApp(t, nil, testutil.Config(), testutil.GenesisAppState([]*testutil.Account{user, owner}, 10_000_000))
	t.Cleanup(func() { _ = ta.Close() })
	ta.NextBlock()
	pub := owner.Key.PubKey()
	run := func(acc *testutil.Account, m runtime.Msg) {
		t.Helper()
		res := ta.NextBlock(testutil.SignTx(acc, testutil.TxOpts{}, m))
		if r := res.TxResults[0]; r.Code != 0 {
			t.Fatalf("tx: %s", r.Log)
		}
	}
	run(owner, &permissions.MsgRegisterApp{Owner: owner.Addr.String(), Id: "notes", Name: "Notes",
		PubKeys: []types.PubKey{{Type: pub.Type(), Key: pub.Bytes()}}, Scopes: []string{"storage:read", "storage:write"},
		Deposit: types.Coins{types.NewCoin(testutil.Denom, permissions.DefaultMinDeposit)}})
	run(user, &permissions.MsgGrant{User: user.Addr.String(), AppId: "notes", Scopes: []string{"storage:read"}, ExpiryHeight: 1_000_000})
	ta.NextBlock() // the state after the grant, committed

	honest := provenChain(t, ta, user.Addr.String(), ta.Query)
	rec, err := honest.Records(context.Background(), "notes")
	if err != nil {
		t.Fatal(err)
	}
	read, write := permissions.Scope{Name: "storage:read"}, permissions.Scope{Name: "storage:write"}
	if d, _ := rec.Decide(read, time.Now()); d != permissions.DECISION_ALLOWED {
		t.Fatalf("honest node, granted scope: %s", d)
	}
	if d, _ := rec.Decide(write, time.Now()); d != permissions.DECISION_SCOPE_NOT_GRANTED {
		t.Fatalf("honest node, ungranted scope: %s", d)
	}
	if !rec.HasKey(pub) || rec.HasKey(user.Key.PubKey()) {
		t.Fatal("app keys are not the registered ones")
	}

	// Lies: widen the grant in the check answer and the raw store answer, drop the
	// grant (claiming absence), or answer from another height.
	lie := func(edit func(req *abci.RequestQuery, res *abci.ResponseQuery)) func(context.Context, *abci.RequestQuery) (*abci.ResponseQuery, error) {
		return func(ctx context.Context, req *abci.RequestQuery) (*abci.ResponseQuery, error) {
			res, err := ta.Query(ctx, req)
			if err == nil {
				edit(req, res)
			}
			return res, err
		}
	}
	widen := func(bz []byte) []byte {
		var g permissions.Grant
		if g.Unmarshal(bz) != nil {
			return bz
		}
		g.Scopes = []string{"storage:read", "storage:write"}
		out, _ := g.Marshal()
		return out
	}
	for name, q := range map[string]func(context.Context, *abci.RequestQuery) (*abci.ResponseQuery, error){
		"grant widened": lie(func(req *abci.RequestQuery, res *abci.ResponseQuery) {
			if req.Path == permissions.StorePath && len(res.Value) > 0 {
				res.Value = widen(res.Value)
			}
			if req.Path != permissions.StorePath {
				var c permissions.QueryCheckResponse
				if c.Unmarshal(res.Value) == nil && len(c.GrantValue) > 0 {
					c.GrantValue = widen(c.GrantValue)
					res.Value, _ = c.Marshal()
				}
			}
		}),
		"proof dropped": lie(func(req *abci.RequestQuery, res *abci.ResponseQuery) {
			if req.Path == permissions.StorePath {
				res.ProofOps = nil
			}
		}),
		"other height": lie(func(req *abci.RequestQuery, res *abci.ResponseQuery) {
			if req.Path != permissions.StorePath {
				var c permissions.QueryCheckResponse
				if c.Unmarshal(res.Value) == nil {
					c.Height--
					res.Value, _ = c.Marshal()
				}
			}
		}),
	} {
		ch := provenChain(t, ta, user.Addr.String(), q)
		if _, err := ch.Records(context.Background(), "notes"); !errors.Is(err, ErrUnverified) {
			t.Errorf("%s: %v", name, err)
		}
	}

	// A header that is too old is not decided on.
	stale := provenChain(t, ta, user.Addr.String(), ta.Query)
	stale.verified = time.Now().Add(-2 * staleAfter)
	if _, err := stale.Records(context.Background(), "notes"); !errors.Is(err, ErrUnverified) {
		t.Errorf("stale header: %v", err)
	}
}
