// Package testutil builds apps, accounts and signed txs for tests and benchmarks.
package testutil

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"testing"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"
	dbm "github.com/cosmos/cosmos-db"
	gogogrpc "github.com/cosmos/gogoproto/grpc"
	"github.com/cosmos/gogoproto/proto"
	"google.golang.org/grpc"

	"github.com/selfchain/selfchain/app"
	"github.com/selfchain/selfchain/app/runtime"
	"github.com/selfchain/selfchain/app/tx"
	"github.com/selfchain/selfchain/client"
	"github.com/selfchain/selfchain/crypto"
	"github.com/selfchain/selfchain/types"
	"github.com/selfchain/selfchain/x/auth"
	"github.com/selfchain/selfchain/x/bank"
)

const (
	ChainID = "selfchain-test-1"
	Denom   = app.BondDenom
)

// Account is a test key with the account number and next sequence the chain expects.
type Account struct {
	Key  crypto.PrivKey
	Addr crypto.Address
	Num  uint64
	Seq  uint64
}

// NewAccount derives a deterministic ed25519 account from i.
func NewAccount(i int) *Account { return NewAccountOfType(i, crypto.KeyTypeEd25519) }

// NewAccountOfType derives a deterministic account of any registered key type from i.
func NewAccountOfType(i int, keyType string) *Account {
	seed := sha256.Sum256(binary.BigEndian.AppendUint64([]byte("selfchain-test-account/"+keyType), uint64(i)))
	s, ok := crypto.Scheme(keyType)
	if !ok {
		panic("unknown key type " + keyType)
	}
	k, err := s.PrivKeyFromSeed(seed[:])
	if err != nil {
		panic(err)
	}
	return &Account{Key: k, Addr: k.PubKey().Address()}
}

// GenesisAppState funds each account with balance uself and registers it in auth
// (account numbers 0..n-1, in order).
func GenesisAppState(accs []*Account, balance uint64) json.RawMessage {
	state := app.DefaultGenesisAppState()
	var ag auth.GenesisState
	mustJSON(runtime.UnmarshalGenesis(state[auth.ModuleName], &ag))
	var bg bank.GenesisState
	mustJSON(runtime.UnmarshalGenesis(state[bank.ModuleName], &bg))
	for i, a := range accs {
		a.Num = uint64(i)
		ag.Accounts = append(ag.Accounts, auth.GenesisAccount{Address: a.Addr.String(), AccountNumber: a.Num})
		bg.Balances = append(bg.Balances, bank.Balance{Address: a.Addr.String(), Coins: types.Coins{types.NewCoin(Denom, balance)}})
	}
	state[auth.ModuleName] = marshalJSON(&ag)
	state[bank.ModuleName] = marshalJSON(&bg)
	bz, err := json.Marshal(state)
	mustJSON(err)
	return bz
}

// TestApp drives an app through ABCI directly: InitChain, FinalizeBlock, Commit.
type TestApp struct {
	*app.App
	TB     testing.TB
	DB     dbm.DB
	Height int64
	Time   time.Time
	// Rules checks every InitChain and NextBlock response as CometBFT would.
	Rules *CometBFTRules
	// Blocks records every block NextBlock ran: Replay runs them on another app.
	Blocks []Block
}

// Block is a committed block as NextBlock ran it, with the app hash it produced.
type Block struct {
	Time    time.Time
	Txs     [][]byte
	AppHash []byte
}

// Config is the app config tests use: no minimum gas price unless a test sets one.
func Config() app.Config {
	c := app.DefaultConfig()
	c.MinGasPrices = ""
	c.State.DBBackend = "memdb"
	return c
}

// NewTestApp opens an app on db (memdb when nil) and runs InitChain with appState.
func NewTestApp(tb testing.TB, db dbm.DB, cfg app.Config, appState json.RawMessage) *TestApp {
	tb.Helper()
	return NewTestAppOnChain(tb, ChainID, db, cfg, appState)
}

// NewTestAppOnChain is NewTestApp with another chain id (two-chain tests; sign its
// txs with TxOpts.ChainID).
func NewTestAppOnChain(tb testing.TB, chainID string, db dbm.DB, cfg app.Config, appState json.RawMessage) *TestApp {
	tb.Helper()
	if db == nil {
		db = dbm.NewMemDB()
	}
	a, err := app.New(nil, db, cfg)
	if err != nil {
		tb.Fatalf("app.New: %v", err)
	}
	ta := &TestApp{App: a, TB: tb, DB: db, Time: time.Unix(1_700_000_000, 0).UTC(), Rules: NewCometBFTRules()}
	res, err := a.InitChain(context.Background(), &abci.RequestInitChain{
		ChainId: chainID, InitialHeight: 1, Time: ta.Time, AppStateBytes: appState,
	})
	if err != nil {
		tb.Fatalf("InitChain: %v", err)
	}
	if err := ta.Rules.InitChain(res); err != nil {
		tb.Fatalf("InitChain response CometBFT would refuse: %v", err)
	}
	return ta
}

// NextBlock finalizes and commits a block of txs, returning FinalizeBlock's response.
func (ta *TestApp) NextBlock(txs ...[]byte) *abci.ResponseFinalizeBlock {
	ta.TB.Helper()
	ta.Height++
	ta.Time = ta.Time.Add(time.Second)
	req := &abci.RequestFinalizeBlock{Height: ta.Height, Time: ta.Time, Txs: txs, ProposerAddress: make([]byte, 20)}
	res, err := ta.FinalizeBlock(context.Background(), req)
	if err != nil {
		ta.TB.Fatalf("FinalizeBlock %d: %v", ta.Height, err)
	}
	ta.CheckFinalize(req, res)
	if _, err := ta.Commit(context.Background(), &abci.RequestCommit{}); err != nil {
		ta.TB.Fatalf("Commit %d: %v", ta.Height, err)
	}
	ta.Blocks = append(ta.Blocks, Block{Time: ta.Time, Txs: txs, AppHash: ta.LastCommitID().Hash})
	return res
}

// Replay runs blocks on ta (fresh from the same genesis) and fails the test at the
// first height whose app hash differs: the determinism check of consensus-path changes.
func (ta *TestApp) Replay(blocks []Block) {
	ta.TB.Helper()
	for i, b := range blocks {
		ta.Time = b.Time.Add(-time.Second) // NextBlock adds the second back
		ta.NextBlock(b.Txs...)
		if got := ta.LastCommitID().Hash; !bytes.Equal(got, b.AppHash) {
			ta.TB.Fatalf("replayed block %d (height %d): app hash %X, the original run had %X", i, ta.Height, got, b.AppHash)
		}
	}
}

// CheckFinalize fails the test when CometBFT would refuse res (see CometBFTRules).
func (ta *TestApp) CheckFinalize(req *abci.RequestFinalizeBlock, res *abci.ResponseFinalizeBlock) {
	ta.TB.Helper()
	if err := ta.Rules.FinalizeBlock(req, res); err != nil {
		ta.TB.Fatalf("FinalizeBlock %d: a response CometBFT would refuse: %v", req.Height, err)
	}
}

// CheckTx runs a tx through CheckTx.
func (ta *TestApp) CheckTx(bz []byte) *abci.ResponseCheckTx {
	ta.TB.Helper()
	res, err := ta.App.CheckTx(context.Background(), &abci.RequestCheckTx{Tx: bz, Type: abci.CheckTxType_New})
	if err != nil {
		ta.TB.Fatalf("CheckTx: %v", err)
	}
	return res
}

// Balance reads a committed balance through the bank query service.
func (ta *TestApp) Balance(addr crypto.Address, denom string) types.Int {
	ta.TB.Helper()
	res, err := bank.NewQueryClient(ta).Balance(context.Background(), &bank.QueryBalanceRequest{Address: addr.String(), Denom: denom})
	if err != nil {
		ta.TB.Fatalf("balance of %s: %v", addr, err)
	}
	return res.Balance.Amount
}

// TestApp is a gRPC ClientConn over the app's own Query, as client.Client is over a
// node's RPC: tests use the modules' generated clients, with the same call options
// (client.AtHeight, client.Prove) and errors (*client.QueryError),
//
//	res, err := bank.NewQueryClient(ta).Balance(ctx, req)
var _ gogogrpc.ClientConn = (*TestApp)(nil)

// Invoke runs a query method (its path, e.g. /selfchain.bank.v1.Query/Balance) on the app.
func (ta *TestApp) Invoke(ctx context.Context, method string, req, reply any, opts ...grpc.CallOption) error {
	return client.ABCIQuerier(ta.Query).Invoke(ctx, method, req, reply, opts...)
}

// NewStream is not offered: ABCI queries are unary.
func (ta *TestApp) NewStream(ctx context.Context, desc *grpc.StreamDesc, method string, opts ...grpc.CallOption) (grpc.ClientStream, error) {
	return client.ABCIQuerier(ta.Query).NewStream(ctx, desc, method, opts...)
}

type protoMsg interface {
	Marshal() ([]byte, error)
	Unmarshal([]byte) error
}

// MustQuery runs a query method at the latest height and decodes the response into
// res (generated messages), failing the test on any error.
func (ta *TestApp) MustQuery(path string, req, res protoMsg) {
	ta.TB.Helper()
	if err := ta.Invoke(context.Background(), path, req, res); err != nil {
		ta.TB.Fatalf("query %s: %v", path, err)
	}
}

// TxOpts overrides defaults of SignTx.
type TxOpts struct {
	Fee           types.Coins
	Gas           uint64
	Memo          string
	ChainID       string // default ChainID
	OmitPubKey    bool
	TimeoutHeight uint64
}

// SignTx signs msgs by acc at its current sequence and advances the sequence.
func SignTx(acc *Account, o TxOpts, msgs ...runtime.Msg) []byte {
	if o.Gas == 0 {
		o.Gas = 200_000
	}
	if o.ChainID == "" {
		o.ChainID = ChainID
	}
	b := tx.Builder{Msgs: msgs, Memo: o.Memo, Fee: o.Fee, GasLimit: o.Gas, IncludePubKey: !o.OmitPubKey, TimeoutHeight: o.TimeoutHeight}
	bz, err := b.Sign(o.ChainID, acc.Num, acc.Seq, tx.KeySigner{Key: acc.Key})
	if err != nil {
		panic(err)
	}
	acc.Seq++
	return bz
}

// Send builds a signed MsgSend of amount uself from -> to.
func Send(from *Account, to crypto.Address, amount uint64, o TxOpts) []byte {
	return SignTx(from, o, &bank.MsgSend{
		FromAddress: from.Addr.String(), ToAddress: to.String(),
		Amount: types.Coins{types.NewCoin(Denom, amount)},
	})
}

func marshalJSON(m proto.Message) json.RawMessage {
	bz, err := runtime.MarshalGenesis(m)
	mustJSON(err)
	return bz
}

func mustJSON(err error) {
	if err != nil {
		panic(err)
	}
}

// SignBody signs an already-built body (possibly malformed, for bad-input tests).
func SignBody(acc *Account, body tx.TxBody, o TxOpts) []byte {
	bodyBz, _ := body.Marshal()
	auth := AuthInfoOf(acc, o)
	authBz, _ := auth.Marshal()
	return SignRawBytes(acc, bodyBz, authBz, o)
}

// AuthInfoOf is the auth info of a tx by acc at its current sequence, public key
// included (o.Fee and o.Gas, 200,000 by default).
func AuthInfoOf(acc *Account, o TxOpts) tx.AuthInfo {
	if o.Gas == 0 {
		o.Gas = 200_000
	}
	pub := acc.Key.PubKey()
	return tx.AuthInfo{
		SignerInfos: []tx.SignerInfo{{Address: acc.Addr.String(), Sequence: acc.Seq,
			PublicKey: &types.PubKey{Type: pub.Type(), Key: pub.Bytes()}}},
		Fee: tx.Fee{Amount: o.Fee, GasLimit: o.Gas},
	}
}

// SignRawBytes signs body and auth-info bytes exactly as given — possibly not their
// canonical encoding, for tests of the decoder: the signature is valid — with acc's
// key and account number on o.ChainID, and advances acc's sequence.
func SignRawBytes(acc *Account, bodyBz, authBz []byte, o TxOpts) []byte {
	if o.ChainID == "" {
		o.ChainID = ChainID
	}
	signBz, _ := tx.SignBytes(o.ChainID, acc.Num, bodyBz, authBz)
	sig, _ := acc.Key.Sign(signBz)
	acc.Seq++
	raw := tx.TxRaw{BodyBytes: bodyBz, AuthInfoBytes: authBz, Signatures: [][]byte{sig}}
	bz, _ := raw.Marshal()
	return bz
}

// Close closes the app and then its database (the app does not own the DB).
func (ta *TestApp) Close() error {
	err := ta.App.Close()
	if e := ta.DB.Close(); err == nil {
		err = e
	}
	return err
}
