package runtime_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	abci "github.com/cometbft/cometbft/abci/types"
	gogotypes "github.com/cosmos/gogoproto/types"
	"github.com/spf13/cobra"
	"github.com/stretchr/testify/require"

	"github.com/selfchain/selfchain/app/runtime"
	"github.com/selfchain/selfchain/types"
	"github.com/selfchain/selfchain/x/bank"
)

func TestABCIInfoKeepsCodeThroughWraps(t *testing.T) {
	err := runtime.Wrapf(runtime.ErrInsufficientFunds.Wrapf("has %d", 3), "message %d", 0)
	space, code, log := runtime.ABCIInfo(err)
	require.Equal(t, runtime.RootCodespace, space)
	require.Equal(t, uint32(5), code)
	require.Equal(t, "message 0: has 3: insufficient funds", log)
	require.True(t, errors.Is(err, runtime.ErrInsufficientFunds))

	// Unregistered errors hide their (possibly non-deterministic) text.
	space, code, log = runtime.ABCIInfo(fmt.Errorf("disk on fire at %p", t))
	require.Equal(t, runtime.UndefinedCodespace, space)
	require.Equal(t, uint32(runtime.InternalCode), code)
	require.Equal(t, "internal error", log)

	require.Panics(t, func() { runtime.RegisterError(runtime.RootCodespace, 5, "again") }, "codes are never reused")
	require.Panics(t, func() { runtime.RegisterError("x", 1, "reserved") })
}

func TestGasMeterPanicsPastLimitAndOnOverflow(t *testing.T) {
	g := runtime.NewGasMeter(100)
	g.ConsumeGas(60, "a")
	require.Equal(t, uint64(40), g.Remaining())
	require.PanicsWithValue(t, runtime.OutOfGasPanic{Descriptor: "b"}, func() { g.ConsumeGas(41, "b") })

	inf := runtime.NewGasMeter(runtime.InfiniteGas)
	inf.ConsumeGas(^uint64(0)-1, "big")
	require.PanicsWithValue(t, runtime.OutOfGasPanic{Descriptor: "wrap"}, func() { inf.ConsumeGas(5, "wrap") })
}

func TestMsgRouterRoutesByTypeURLAndDecodes(t *testing.T) {
	r := runtime.NewMsgRouter()
	bank.RegisterMsgServer(r, bank.NewMsgServer(bank.Keeper{}))
	require.Equal(t, []string{"/selfchain.bank.v1.MsgMultiSend", "/selfchain.bank.v1.MsgSend"}, r.TypeURLs())
	_, ok := r.Handler("/selfchain.bank.v1.MsgSend")
	require.True(t, ok)

	msg := &bank.MsgSend{FromAddress: "a", ToAddress: "b", Amount: types.Coins{types.NewCoin("uself", 9)}}
	bz, err := msg.Marshal()
	require.NoError(t, err)
	decode := func(typeURL string, value []byte) (runtime.Msg, error) {
		return r.DecodeAny("msg", &gogotypes.Any{TypeUrl: typeURL, Value: value})
	}
	got, err := decode("/selfchain.bank.v1.MsgSend", bz)
	require.NoError(t, err)
	require.Equal(t, msg, got)

	_, err = decode("/selfchain.bank.v1.MsgNope", bz)
	require.ErrorIs(t, err, runtime.ErrUnknownRequest)
	_, err = decode("/selfchain.bank.v1.MsgSend", []byte{0xff, 0xff})
	require.ErrorIs(t, err, runtime.ErrTxDecode)

	require.Panics(t, func() { bank.RegisterMsgServer(r, bank.NewMsgServer(bank.Keeper{})) }, "a message type routes once")
}

func TestQueryRouterPaths(t *testing.T) {
	r := runtime.NewQueryRouter()
	bank.RegisterQueryServer(r, bank.NewQueryServer(bank.Keeper{}))
	require.Contains(t, r.Paths(), "/selfchain.bank.v1.Query/Balance")
	h, ok := r.Handler("/selfchain.bank.v1.Query/Balance")
	require.True(t, ok)
	_, err := h(context.Background(), []byte{0xff})
	require.ErrorIs(t, err, runtime.ErrTxDecode, "a malformed request is a decode error, not a panic")
}

func TestEventsAreOrderedAndTyped(t *testing.T) {
	em := runtime.NewEventManager()
	em.Emit("transfer", "sender", "a", "recipient", "b")
	require.NoError(t, em.EmitTyped(&bank.EventTransfer{Sender: "a", Recipient: "b", Amount: "5uself"}))
	evs := em.Events()
	require.Len(t, evs, 2)
	require.Equal(t, "transfer", evs[0].Type)
	require.Equal(t, "selfchain.bank.v1.EventTransfer", evs[1].Type)
	keys := []string{}
	for _, a := range evs[1].Attributes {
		keys = append(keys, a.Key)
	}
	require.Equal(t, []string{"amount", "recipient", "sender"}, keys)
	require.Equal(t, `"5uself"`, evs[1].Attributes[0].Value)
}

type plainModule struct{ name string }

func (m plainModule) Name() string             { return m.name }
func (m plainModule) ConsensusVersion() uint64 { return 1 }

func TestModuleNamesAreUnique(t *testing.T) {
	require.Panics(t, func() { runtime.NewManager(plainModule{"a"}, plainModule{"a"}) }, "module names are unique")
}

type initChainModule struct {
	name string
	vals []abci.ValidatorUpdate
	seen *runtime.ChainGenesis
}

func (m initChainModule) Name() string             { return m.name }
func (m initChainModule) ConsensusVersion() uint64 { return 1 }
func (m initChainModule) InitChain(_ context.Context, g runtime.ChainGenesis) ([]abci.ValidatorUpdate, error) {
	*m.seen = g
	return m.vals, nil
}
func (m initChainModule) GetTxCmd() *cobra.Command { return &cobra.Command{Use: m.name} }

// InitChain hands every HasInitChain module the chain genesis; at most one may
// answer with validators. Names and commands follow the module order.
func TestManagerInitChainAndModuleList(t *testing.T) {
	var seenA, seenB runtime.ChainGenesis
	vals := []abci.ValidatorUpdate{{Power: 1}}
	m := runtime.NewManager(initChainModule{name: "b", seen: &seenB}, initChainModule{name: "a", vals: vals, seen: &seenA})
	g := runtime.ChainGenesis{MaxValidators: 9}
	got, err := m.InitChain(context.Background(), g)
	require.NoError(t, err)
	require.Equal(t, vals, got)
	require.Equal(t, g, seenA)
	require.Equal(t, g, seenB)
	require.Equal(t, []string{"b", "a"}, m.Names())
	cmds := m.TxCommands()
	require.Len(t, cmds, 2)
	require.Equal(t, "b", cmds[0].Name())
	require.Empty(t, m.QueryCommands())

	two := runtime.NewManager(initChainModule{name: "a", vals: vals, seen: &seenA}, initChainModule{name: "b", vals: vals, seen: &seenB})
	_, err = two.InitChain(context.Background(), g)
	require.ErrorContains(t, err, "initial validators from both a and b")
}
