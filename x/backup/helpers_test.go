package backup_test

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"math/rand"
	"strconv"
	"testing"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"
	ics23 "github.com/cosmos/ics23/go"
	"github.com/stretchr/testify/require"

	"github.com/selfchain/selfchain/app/runtime"
	"github.com/selfchain/selfchain/crypto"
	"github.com/selfchain/selfchain/testutil"
	"github.com/selfchain/selfchain/types"
	"github.com/selfchain/selfchain/x/auth"
	"github.com/selfchain/selfchain/x/backup"
	"github.com/selfchain/selfchain/x/registry"
)

// env is an app driven block by block: accounts 0 owner, 1 holder (runs a node
// with 1 GiB of backup capacity), 2 other (a node without storage), 3 spare.
type env struct {
	t                           testing.TB
	ta                          *testutil.TestApp
	owner, holder, other, spare *testutil.Account
	holderNode, otherNode       string
	ownerNode                   string
	reqs                        []*abci.RequestFinalizeBlock // every block, for replays
	hashes                      [][]byte                     // the app hash after each of reqs
	genesis                     json.RawMessage
}

const denom = testutil.Denom

// testParams: epochs of 20 blocks, challenges every 10 blocks, 5-block windows, 3 misses.
func testParams() backup.Params {
	p := backup.DefaultParams()
	p.EpochBlocks, p.ChallengeInterval, p.ProofWindow, p.MaxMisses = 20, 10, 5, 3
	p.SlashFractionBps, p.MaxAgreementsPerOwner, p.MaxAgreementsPerHolder, p.RetainBlocks = 2_500, 3, 4, 1_000
	return p
}

func genesisWith(t testing.TB, accs []*testutil.Account, p backup.Params, reg func(*registry.Params)) json.RawMessage {
	t.Helper()
	state := map[string]json.RawMessage{}
	require.NoError(t, json.Unmarshal(testutil.GenesisAppState(accs, 1_000_000_000), &state))
	if reg != nil {
		rg := registry.DefaultGenesis()
		reg(&rg.Params)
		bz, err := runtime.MarshalGenesis(&rg)
		require.NoError(t, err)
		state[registry.ModuleName] = bz
	}
	gs := backup.DefaultGenesis()
	gs.Params = p
	bz, err := runtime.MarshalGenesis(&gs)
	require.NoError(t, err)
	state[backup.ModuleName] = bz
	out, err := json.Marshal(state)
	require.NoError(t, err)
	return out
}

func newEnv(t testing.TB, p backup.Params) *env { return newEnvWith(t, p, nil) }

// newEnvWith also changes the registry params.
func newEnvWith(t testing.TB, p backup.Params, reg func(*registry.Params)) *env {
	t.Helper()
	accs := []*testutil.Account{testutil.NewAccount(0), testutil.NewAccount(1), testutil.NewAccount(2), testutil.NewAccount(3)}
	e := &env{t: t, owner: accs[0], holder: accs[1], other: accs[2], spare: accs[3], genesis: genesisWith(t, accs, p, reg)}
	e.ta = testutil.NewTestApp(t, nil, testutil.Config(), e.genesis)
	t.Cleanup(func() { _ = e.ta.Close() })
	e.next()
	hm := testutil.RegisterNodeMsg(e.holder.Addr, "holder")
	om := testutil.RegisterNodeMsg(e.other.Addr, "other")
	om.Capabilities.StorageBytes = 0
	wm := testutil.RegisterNodeMsg(e.owner.Addr, "owner")
	e.ok(e.holder, hm)
	e.ok(e.other, om)
	e.ok(e.owner, wm)
	e.holderNode, e.otherNode, e.ownerNode = registry.NodeID(hm.SigningKey), registry.NodeID(om.SigningKey), registry.NodeID(wm.SigningKey)
	return e
}

// blockHash is the stand-in block hash of a height (CometBFT's in a real chain).
func blockHash(h int64) []byte {
	s := sha256.Sum256(binary.BigEndian.AppendUint64([]byte("test block "), uint64(h)))
	return s[:]
}

// next finalizes and commits a block of txs with a block hash, recording it.
func (e *env) next(txs ...[]byte) *abci.ResponseFinalizeBlock {
	e.t.Helper()
	ta := e.ta
	ta.Height++
	ta.Time = ta.Time.Add(time.Second)
	req := &abci.RequestFinalizeBlock{Height: ta.Height, Time: ta.Time, Txs: txs, Hash: blockHash(ta.Height), ProposerAddress: make([]byte, 20)}
	res, err := ta.FinalizeBlock(context.Background(), req)
	require.NoError(e.t, err)
	ta.CheckFinalize(req, res)
	_, err = ta.Commit(context.Background(), &abci.RequestCommit{})
	require.NoError(e.t, err)
	e.reqs, e.hashes = append(e.reqs, req), append(e.hashes, res.AppHash)
	return res
}

// advanceTo runs empty blocks until the last committed height is h.
func (e *env) advanceTo(h int64) {
	for e.ta.Height < h {
		e.next()
	}
}

func (e *env) deliver(acc *testutil.Account, msgs ...runtime.Msg) (*abci.ExecTxResult, *abci.ResponseFinalizeBlock) {
	e.t.Helper()
	res := e.next(testutil.SignTx(acc, testutil.TxOpts{Gas: 5_000_000}, msgs...))
	return res.TxResults[0], res
}

func (e *env) ok(acc *testutil.Account, msgs ...runtime.Msg) *abci.ExecTxResult {
	e.t.Helper()
	r, _ := e.deliver(acc, msgs...)
	require.Zero(e.t, r.Code, r.Log)
	return r
}

// fails delivers msgs, requires the error and that the backup store and the
// balances of every account and the module escrow stayed as they were.
func (e *env) fails(acc *testutil.Account, wantErr *runtime.Error, msgs ...runtime.Msg) *abci.ExecTxResult {
	e.t.Helper()
	before, bal := e.backupRoot(), e.balances()
	r, _ := e.deliver(acc, msgs...)
	require.Equal(e.t, wantErr.Codespace(), r.Codespace, r.Log)
	require.Equal(e.t, wantErr.Code(), r.Code, r.Log)
	require.Equal(e.t, before, e.backupRoot(), "a refused backup message changed the backup store")
	require.Equal(e.t, bal, e.balances(), "a refused backup message moved tokens")
	res, err := auth.NewQueryClient(e.ta).Account(context.Background(), &auth.QueryAccountRequest{Address: acc.Addr.String()})
	require.NoError(e.t, err)
	acc.Seq = res.Account.Sequence
	return r
}

func (e *env) balances() []string {
	var out []string
	for _, a := range []crypto.Address{e.owner.Addr, e.holder.Addr, e.other.Addr, e.spare.Addr, backup.Escrow} {
		out = append(out, e.ta.Balance(a, denom).String())
	}
	return out
}

// backupRoot is the root hash of the committed backup tree (from a store proof).
func (e *env) backupRoot() []byte {
	res, err := e.ta.Query(context.Background(), &abci.RequestQuery{Path: "/store/backup/key", Data: []byte{0xff}, Prove: true})
	require.NoError(e.t, err)
	require.Zero(e.t, res.Code, res.Log)
	var sp ics23.CommitmentProof
	require.NoError(e.t, sp.Unmarshal(res.ProofOps.Ops[1].Data))
	return sp.GetExist().Value
}

func (e *env) q() backup.QueryClient { return backup.NewQueryClient(e.ta) }

func (e *env) agreement(id uint64) backup.Agreement {
	e.t.Helper()
	res, err := e.q().Agreement(context.Background(), &backup.QueryAgreementRequest{Id: id})
	require.NoError(e.t, err)
	return res.Agreement
}

func (e *env) challenge(id uint64) (backup.Challenge, bool) {
	e.t.Helper()
	res, err := e.q().Challenges(context.Background(), &backup.QueryChallengesRequest{AgreementId: id})
	require.NoError(e.t, err)
	if len(res.Challenges) == 0 {
		return backup.Challenge{}, false
	}
	return res.Challenges[0], true
}

func (e *env) holderStats(node string) backup.HolderStats {
	e.t.Helper()
	res, err := e.q().Holder(context.Background(), &backup.QueryHolderRequest{NodeId: node})
	require.NoError(e.t, err)
	return res.Stats
}

func (e *env) balance(acc *testutil.Account) uint64 { return e.ta.Balance(acc.Addr, denom).Uint64() }

func coin(n uint64) types.Coin { return types.NewCoin(denom, n) }

func (e *env) propose(quota uint64) *backup.MsgPropose {
	return &backup.MsgPropose{Owner: e.owner.Addr.String(), HolderNodeId: e.holderNode, QuotaBytes: quota,
		PricePerEpoch: coin(100), Escrow: coin(1_000), NoticeEpochs: 2, Collateral: coin(10_000)}
}

// proposeID proposes and returns the new agreement's id (from its event).
func (e *env) proposeID(m *backup.MsgPropose) uint64 {
	e.t.Helper()
	r := e.ok(e.owner, m)
	ids := eventAttrs(r.Events, backup.EventTypePropose, backup.AttrAgreementID)
	require.Len(e.t, ids, 1)
	id, err := strconv.ParseUint(ids[0], 10, 64)
	require.NoError(e.t, err)
	return id
}

// activeAgreement proposes, accepts and commits a manifest of data; it returns the id.
func (e *env) activeAgreement(d *dataset) uint64 {
	e.t.Helper()
	id := e.proposeID(e.propose(1 << 20))
	e.ok(e.holder, &backup.MsgAccept{Holder: e.holder.Addr.String(), AgreementId: id, Collateral: coin(10_000)})
	e.ok(e.owner, d.commit(e.owner, id, 1))
	return id
}

// dataset is a stored backup: chunk ciphertexts and their manifest leaves.
type dataset struct {
	chunks [][]byte
	leaves [][]byte
}

func newDataset(t testing.TB, seed int64, n int) *dataset {
	r := rand.New(rand.NewSource(seed))
	d := &dataset{}
	for i := 0; i < n; i++ {
		c := make([]byte, 1+r.Intn(5*backup.SegmentSize))
		r.Read(c)
		leaf, err := backup.ChunkLeafOf(c)
		require.NoError(t, err)
		d.chunks, d.leaves = append(d.chunks, c), append(d.leaves, leaf)
	}
	return d
}

func (d *dataset) total() uint64 {
	var n uint64
	for _, c := range d.chunks {
		n += uint64(len(c))
	}
	return n
}

func (d *dataset) commit(owner *testutil.Account, id, rev uint64) *backup.MsgCommitManifest {
	return &backup.MsgCommitManifest{Owner: owner.Addr.String(), AgreementId: id, Revision: rev,
		Root: backup.ManifestRoot(d.leaves), ChunkCount: uint64(len(d.chunks)), TotalBytes: d.total()}
}

// prove answers ch as the holder would.
func (d *dataset) prove(t testing.TB, holder *testutil.Account, ch backup.Challenge) *backup.MsgProveStorage {
	p, err := backup.BuildStorageProof(d.leaves, ch.ChunkIndex, d.chunks[ch.ChunkIndex], ch.Seed)
	require.NoError(t, err)
	return &backup.MsgProveStorage{Holder: holder.Addr.String(), AgreementId: ch.AgreementId, ChunkIndex: ch.ChunkIndex,
		ChunkLeaf: p.ChunkLeaf, Segment: p.Segment, SegmentPath: p.SegmentPath, ManifestPath: p.ManifestPath}
}

// eventAttrs lists attribute key of every event of type typ in evs.
func eventAttrs(evs []abci.Event, typ, key string) []string {
	var out []string
	for _, ev := range evs {
		if ev.Type != typ {
			continue
		}
		for _, a := range ev.Attributes {
			if a.Key == key {
				out = append(out, a.Value)
			}
		}
	}
	return out
}

func itoa(n uint64) string { return strconv.FormatUint(n, 10) }

// seq is acc's committed account sequence.
func (e *env) seq(acc *testutil.Account) uint64 {
	res, err := auth.NewQueryClient(e.ta).Account(context.Background(), &auth.QueryAccountRequest{Address: acc.Addr.String()})
	require.NoError(e.t, err)
	return res.Account.Sequence
}
