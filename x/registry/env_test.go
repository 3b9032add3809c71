package registry_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"testing"

	dbm "github.com/cosmos/cosmos-db"
	"github.com/stretchr/testify/require"

	"github.com/selfchain/selfchain/app/runtime"
	"github.com/selfchain/selfchain/app/store"
	"github.com/selfchain/selfchain/crypto"
	"github.com/selfchain/selfchain/crypto/seal"
	"github.com/selfchain/selfchain/testutil"
	"github.com/selfchain/selfchain/types"
	"github.com/selfchain/selfchain/types/query"
	"github.com/selfchain/selfchain/x/auth"
	"github.com/selfchain/selfchain/x/bank"
	"github.com/selfchain/selfchain/x/registry"
)

type env struct {
	t      testing.TB
	stores store.MemStores
	ctx    *runtime.Context
	bk     bank.Keeper
	k      registry.Keeper
	msgs   registry.MsgServer
	q      registry.QueryServer
}

const denom = registry.DefaultBondDenom

var (
	alice = testutil.Addr(1)
	bob   = testutil.Addr(2)
)

// testParams: small thresholds so liveness tests run over a few blocks.
func testParams() registry.Params {
	p := registry.DefaultParams()
	p.Deposit = types.NewCoin(denom, 100)
	p.MaxNodesPerOwner = 3
	p.StaleAfterBlocks = 5
	p.ExpireAfterBlocks = 10
	p.MaxTransitionsPerBlock = 10
	p.KeyRotationGraceBlocks = 4
	return p
}

// setup: alice and bob hold 10000uself each; the registry has params p; height 1.
func setup(t testing.TB, p registry.Params) *env {
	t.Helper()
	e := &env{t: t, stores: store.MemStores{}}
	e.ctx = testutil.KeeperContext(e.stores, "test-1", 1)
	ak := auth.NewKeeper(runtime.NewKVStoreService(auth.ModuleName))
	e.bk = bank.NewKeeper(runtime.NewKVStoreService(bank.ModuleName), ak)
	e.k = registry.NewKeeper(runtime.NewKVStoreService(registry.ModuleName), e.bk, nil)
	require.NoError(t, ak.InitGenesis(e.ctx, auth.DefaultGenesis()))
	bg := bank.DefaultGenesis()
	bg.Balances = []bank.Balance{
		{Address: alice.String(), Coins: types.Coins{types.NewCoin(denom, 10_000)}},
		{Address: bob.String(), Coins: types.Coins{types.NewCoin(denom, 10_000)}},
	}
	require.NoError(t, e.bk.InitGenesis(e.ctx, bg))
	gs := registry.DefaultGenesis()
	gs.Params = p
	require.NoError(t, e.k.InitGenesis(e.ctx, gs))
	e.msgs, e.q = registry.NewMsgServer(e.k), registry.NewQueryServer(e.k)
	return e
}

// at moves the context to height h (fresh events).
func (e *env) at(h int64) {
	e.ctx = e.ctx.WithHeader(runtime.Header{ChainID: "test-1", Height: h}).WithStores(e.stores).WithEventManager(runtime.NewEventManager())
}

// endBlocks runs EndBlock at each height from..to, leaving the context at to.
func (e *env) endBlocks(from, to int64) {
	for h := from; h <= to; h++ {
		e.at(h)
		require.NoError(e.t, e.k.EndBlock(e.ctx))
	}
}

func signingKey(i int) types.PubKey { return signingKeyOfType(i, crypto.KeyTypeEd25519) }

func signingPrivOfType(i int, keyType string) crypto.PrivKey {
	seed := sha256.Sum256(binary.BigEndian.AppendUint64([]byte("registry-test-sign/"+keyType), uint64(i)))
	s, _ := crypto.Scheme(keyType)
	k, err := s.PrivKeyFromSeed(seed[:])
	if err != nil {
		panic(err)
	}
	return k
}

func signingKeyOfType(i int, keyType string) types.PubKey {
	return types.PubKey{Type: keyType, Key: signingPrivOfType(i, keyType).PubKey().Bytes()}
}

// testChain is the chain id of the keeper tests' context.
const testChain = "test-1"

// proof is node key (i, keyType)'s possession proof for owner on chainID.
func proof(chainID string, owner crypto.Address, i int, keyType string) []byte {
	sig, err := signingPrivOfType(i, keyType).Sign(registry.PossessionSignBytes(chainID, owner, signingKeyOfType(i, keyType)))
	if err != nil {
		panic(err)
	}
	return sig
}

func encKey(i int) []byte {
	seed := sha256.Sum256(binary.BigEndian.AppendUint64([]byte("registry-test-enc/"), uint64(i)))
	return seal.NewKeyFromSeed(seed).Public().Bytes()
}

// regMsg is a valid registration of node i owned by owner.
func regMsg(owner crypto.Address, i int) *registry.MsgRegisterNode {
	return &registry.MsgRegisterNode{
		Owner:           owner.String(),
		Endpoints:       []string{"node.example.com:26656", "/ip4/203.0.113.7/tcp/4001"},
		SigningKey:      signingKey(i),
		EncryptionKey:   encKey(i),
		Capabilities:    registry.Capabilities{Models: []string{"llama-3.1-8b", "mistral-7b"}, StorageBytes: 1 << 40},
		Tier:            registry.TIER_GROWTH,
		Region:          "eu-west",
		Version:         "v1.2.0",
		SigningKeyProof: proof(testChain, owner, i, crypto.KeyTypeEd25519),
	}
}

// deliver runs a message as the app does: ValidateBasic, then the handler on a branch
// that is written only on success (so a failure changes nothing).
func (e *env) deliver(msg runtime.Msg) error {
	if err := msg.ValidateBasic(); err != nil {
		return err
	}
	h, err := handler(e.msgs, msg)
	if err != nil {
		return err
	}
	snap := e.copyStores()
	if err := h(e.ctx); err != nil {
		e.restore(snap)
		return err
	}
	return nil
}

func handler(s registry.MsgServer, msg runtime.Msg) (func(context.Context) error, error) {
	switch m := msg.(type) {
	case *registry.MsgRegisterNode:
		return func(ctx context.Context) error { _, err := s.RegisterNode(ctx, m); return err }, nil
	case *registry.MsgUpdateNode:
		return func(ctx context.Context) error { _, err := s.UpdateNode(ctx, m); return err }, nil
	case *registry.MsgRotateKeys:
		return func(ctx context.Context) error { _, err := s.RotateKeys(ctx, m); return err }, nil
	case *registry.MsgHeartbeat:
		return func(ctx context.Context) error { _, err := s.Heartbeat(ctx, m); return err }, nil
	case *registry.MsgDeregisterNode:
		return func(ctx context.Context) error { _, err := s.DeregisterNode(ctx, m); return err }, nil
	}
	panic("unknown message")
}

// copyStores snapshots every store (test state is small) so a failed message can be
// rolled back, and so tests can compare raw state.
func (e *env) copyStores() map[string]map[string][]byte {
	out := map[string]map[string][]byte{}
	for name, db := range e.stores {
		m := map[string][]byte{}
		it, err := db.Iterator(nil, nil)
		require.NoError(e.t, err)
		for ; it.Valid(); it.Next() {
			m[string(it.Key())] = bytes.Clone(it.Value())
		}
		require.NoError(e.t, it.Close())
		out[name] = m
	}
	return out
}

func (e *env) restore(snap map[string]map[string][]byte) {
	for name := range e.stores {
		db := dbm.NewMemDB()
		for k, v := range snap[name] {
			require.NoError(e.t, db.Set([]byte(k), v))
		}
		e.stores[name] = db
	}
}

func (e *env) register(owner crypto.Address, i int) string {
	e.t.Helper()
	res, err := e.msgs.RegisterNode(e.ctx, regMsg(owner, i))
	require.NoError(e.t, err)
	return res.NodeId
}

func (e *env) node(id string) registry.NodeEntry {
	e.t.Helper()
	ne, found, err := e.k.GetNode(e.ctx, id)
	require.NoError(e.t, err)
	require.True(e.t, found, "node %s", id)
	return ne
}

func (e *env) balance(a crypto.Address) string {
	v, err := e.bk.GetBalance(e.ctx, a, denom)
	require.NoError(e.t, err)
	return v.String()
}

func (e *env) list(req *registry.QueryNodesRequest) ([]string, []byte) {
	e.t.Helper()
	res, err := e.q.Nodes(e.ctx, req)
	require.NoError(e.t, err)
	var ids []string
	for _, n := range res.Nodes {
		ids = append(ids, n.Node.Id)
	}
	return ids, res.Pagination.GetNextKey()
}

// listAll follows next_key to the end.
func (e *env) listAll(req registry.QueryNodesRequest) []string {
	e.t.Helper()
	var all []string
	for i := 0; ; i++ {
		require.Less(e.t, i, 100_000)
		ids, next := e.list(&req)
		all = append(all, ids...)
		if len(next) == 0 {
			return all
		}
		req.Pagination = &query.PageRequest{Key: next, Limit: req.Pagination.GetLimit()}
	}
}

func coinsOf(n uint64) types.Coins { return testutil.Coins(denom, n) }
