package app_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"testing"

	abci "github.com/cometbft/cometbft/abci/types"
	gogotypes "github.com/cosmos/gogoproto/types"
	"github.com/spf13/cobra"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"

	"github.com/selfchain/selfchain/app"
	"github.com/selfchain/selfchain/app/runtime"
	"github.com/selfchain/selfchain/testutil"
)

// fooModule is a module as a new x/<name> would write it: its own store, a
// genesis section, a Query service, an end-block hook and CLI commands. It knows
// nothing of the app, and the app is told of it by one line in its module list.
type fooModule struct{}

const fooName = "foo"

var (
	_ runtime.HasGenesis      = fooModule{}
	_ runtime.HasServices     = fooModule{}
	_ runtime.HasEndBlock     = fooModule{}
	_ runtime.HasTxCommand    = fooModule{}
	_ runtime.HasQueryCommand = fooModule{}
)

type fooGenesis struct {
	Greeting string `json:"greeting"`
}

var (
	fooGreetingKey = []byte("greeting")
	fooHeightKey   = []byte("height")
	fooStore       = runtime.NewKVStoreService(fooName)
)

func (fooModule) Name() string             { return fooName }
func (fooModule) ConsensusVersion() uint64 { return 7 }

func (fooModule) DefaultGenesis() json.RawMessage { return json.RawMessage(`{"greeting":"hello"}`) }

func (fooModule) ValidateGenesis(raw json.RawMessage) error {
	var g fooGenesis
	if err := json.Unmarshal(raw, &g); err != nil {
		return err
	}
	if g.Greeting == "" {
		return errors.New("greeting: empty")
	}
	return nil
}

func (fooModule) InitGenesis(ctx context.Context, raw json.RawMessage) error {
	var g fooGenesis
	if err := json.Unmarshal(raw, &g); err != nil {
		return err
	}
	return fooStore.OpenKVStore(ctx).Set(fooGreetingKey, []byte(g.Greeting))
}

func (fooModule) ExportGenesis(ctx context.Context) (json.RawMessage, error) {
	bz, err := fooStore.OpenKVStore(ctx).Get(fooGreetingKey)
	if err != nil {
		return nil, err
	}
	return json.Marshal(fooGenesis{Greeting: string(bz)})
}

func (fooModule) EndBlock(ctx context.Context) ([]abci.ValidatorUpdate, error) {
	h := runtime.Unwrap(ctx).BlockHeight()
	return nil, fooStore.OpenKVStore(ctx).Set(fooHeightKey, []byte(strconv.FormatInt(h, 10)))
}

// RegisterServices registers /selfchain.foo.v1.Query/Greeting, answering the
// stored greeting (what protoc-gen-gocosmos's RegisterQueryServer does).
func (fooModule) RegisterServices(r runtime.Registrars) {
	if r.Query == nil {
		return
	}
	r.Query.RegisterService(&grpc.ServiceDesc{
		ServiceName: "selfchain.foo.v1.Query",
		HandlerType: (*any)(nil),
		Methods: []grpc.MethodDesc{{MethodName: "Greeting", Handler: func(_ any, ctx context.Context, dec func(any) error, _ grpc.UnaryServerInterceptor) (any, error) {
			if err := dec(new(gogotypes.Empty)); err != nil {
				return nil, err
			}
			bz, err := fooStore.OpenKVStore(ctx).Get(fooGreetingKey)
			return &gogotypes.StringValue{Value: string(bz)}, err
		}}},
	}, fooModule{})
}

func (fooModule) GetTxCmd() *cobra.Command { return &cobra.Command{Use: fooName, Short: "foo txs"} }
func (fooModule) GetQueryCmd() *cobra.Command {
	return &cobra.Command{Use: fooName, Short: "foo queries"}
}

// Adding a module is one line in the module list and nothing else: its store
// opens, its genesis section appears, validates and is loaded, its Query service
// routes, its end-block hook runs, and it has CLI commands and a version.
func TestOneLineAddsAModule(t *testing.T) {
	app.SetModuleListForTest(t, func(a *app.App) []runtime.Module {
		return append(app.DefaultModules(a), fooModule{}) // the one line
	})

	// Genesis without a store.
	state := app.DefaultGenesisAppState()
	require.JSONEq(t, `{"greeting":"hello"}`, string(state[fooName]))
	state[fooName] = json.RawMessage(`{"greeting":""}`)
	bad, err := json.Marshal(state)
	require.NoError(t, err)
	require.ErrorContains(t, app.ValidateGenesisAppState(testutil.ChainID, bad), "app_state.foo: greeting: empty")

	// A chain: InitChain loads the section into the module's own store.
	accs := []*testutil.Account{testutil.NewAccount(0), testutil.NewAccount(1)}
	var gen map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(testutil.GenesisAppState(accs, 1_000_000), &gen))
	gen[fooName] = json.RawMessage(`{"greeting":"hi from genesis"}`)
	appState, err := json.Marshal(gen)
	require.NoError(t, err)
	require.NoError(t, app.ValidateGenesisAppState(testutil.ChainID, appState))
	ta := testutil.NewTestApp(t, nil, testutil.Config(), appState)
	defer ta.Close()
	ta.NextBlock(testutil.Send(accs[0], accs[1].Addr, 5, testutil.TxOpts{}))
	ta.NextBlock()

	// Its store is committed (raw store query) and its end-block hook ran.
	raw := func(key []byte) string {
		res, err := ta.Query(context.Background(), &abci.RequestQuery{Path: "/store/foo/key", Data: key})
		require.NoError(t, err)
		require.Zero(t, res.Code, res.Log)
		return string(res.Value)
	}
	require.Equal(t, "hi from genesis", raw(fooGreetingKey))
	require.Equal(t, fmt.Sprint(ta.Height), raw(fooHeightKey))

	// Its Query service routes.
	var got gogotypes.StringValue
	ta.MustQuery("/selfchain.foo.v1.Query/Greeting", &gogotypes.Empty{}, &got)
	require.Equal(t, "hi from genesis", got.Value)

	// The other modules still work beside it.
	require.Equal(t, uint64(1_000_005), ta.Balance(accs[1].Addr, testutil.Denom).Uint64())

	// What the CLI builds its trees and `version --long` from.
	mods := app.Modules()
	require.Equal(t, fooName, mods.Names()[len(mods.Names())-1])
	require.Equal(t, uint64(7), mods.Module(fooName).ConsensusVersion())
	has := func(cmds []*cobra.Command) bool {
		for _, c := range cmds {
			if c.Name() == fooName {
				return true
			}
		}
		return false
	}
	require.True(t, has(mods.TxCommands()), "foo's tx command")
	require.True(t, has(mods.QueryCommands()), "foo's query command")
}
