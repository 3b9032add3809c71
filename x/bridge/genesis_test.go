package bridge_test

import (
	"context"
	"encoding/json"
	"testing"

	abci "github.com/cometbft/cometbft/abci/types"
	dbm "github.com/cosmos/cosmos-db"
	"github.com/stretchr/testify/require"

	"github.com/selfchain/selfchain/app"
	"github.com/selfchain/selfchain/app/runtime"
	"github.com/selfchain/selfchain/testutil"
	"github.com/selfchain/selfchain/types"
	"github.com/selfchain/selfchain/x/bridge"
)

// An export carries the vouchers' traces with their balances: a chain started
// from it still names each voucher's origin. Its clients are not carried.
func TestExportCarriesDenomTraces(t *testing.T) {
	self := newTestChain(t, "self-1", 4, "ed25519")
	acme := newTestChain(t, "acme-1", 4, "ml_dsa_65")
	selfClient, acmeClient := link(self, acme)
	self.ok(self.alice, &bridge.MsgTransfer{Sender: self.alice.Addr.String(), SourceClient: selfClient, Receiver: acme.bob.Addr.String(), Token: types.NewCoin(testutil.Denom, 1_000)})
	relayAll(self, acme, selfClient)
	voucher := bridge.DenomTrace{Path: "transfer/" + acmeClient, BaseDenom: testutil.Denom}.VoucherDenom()

	var state map[string]json.RawMessage
	exp, err := acme.ta.Export(0)
	require.NoError(t, err)
	require.NoError(t, app.ValidateGenesisAppState("acme-1", exp.AppState))
	a, err := app.New(nil, dbm.NewMemDB(), testutil.Config())
	require.NoError(t, err)
	t.Cleanup(func() { _ = a.Close() })
	_, err = a.InitChain(context.Background(), &abci.RequestInitChain{ChainId: "acme-1", InitialHeight: exp.Height + 1, Time: acme.ta.Time, AppStateBytes: exp.AppState})
	require.NoError(t, err)
	ta := &testutil.TestApp{App: a, TB: t, Height: exp.Height, Time: acme.ta.Time, Rules: testutil.NewCometBFTRules()}
	ta.NextBlock()
	require.Equal(t, "1000", ta.Balance(acme.bob.Addr, voucher).String())
	tr, err := bridge.NewQueryClient(ta).DenomTrace(context.Background(), &bridge.QueryDenomTraceRequest{Denom: voucher})
	require.NoError(t, err)
	require.Equal(t, "transfer/"+acmeClient, tr.Trace.Path)
	cl, err := bridge.NewQueryClient(ta).Clients(context.Background(), &bridge.QueryClientsRequest{})
	require.NoError(t, err)
	require.Empty(t, cl.Clients, "clients are not exported")
	// New clients get new numbers: none is named like one the vouchers' traces name.
	var gs bridge.GenesisState
	require.NoError(t, json.Unmarshal(exp.AppState, &state))
	require.NoError(t, runtime.UnmarshalGenesis(state[bridge.ModuleName], &gs))
	require.Equal(t, uint64(1), gs.NextClientSequence)
}

func TestGenesisRefusesBadDenomTraces(t *testing.T) {
	ok := bridge.DenomTrace{Path: "transfer/client-0", BaseDenom: "uself"}
	for _, tc := range []struct {
		traces []bridge.DenomTrace
		want   string
	}{
		{[]bridge.DenomTrace{{BaseDenom: "uself"}}, "denom_traces[0].path: empty"},
		{[]bridge.DenomTrace{{Path: "transfer/client-0", BaseDenom: ""}}, "denom_traces[0].base_denom"},
		{[]bridge.DenomTrace{{Path: "nowhere", BaseDenom: "uself"}}, "is not a trace of port/client hops"},
		{[]bridge.DenomTrace{ok, ok}, "denom_traces[1]: already denom_traces[0]"},
	} {
		gs := bridge.DefaultGenesis()
		gs.DenomTraces = tc.traces
		require.ErrorContains(t, gs.Validate(), tc.want)
	}
	gs := bridge.DefaultGenesis()
	gs.DenomTraces = []bridge.DenomTrace{ok, {Path: "transfer/client-1/transfer/client-0", BaseDenom: "uacme"}}
	require.NoError(t, gs.Validate())
}
