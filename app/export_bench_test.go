package app_test

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/selfchain/selfchain/app"
	"github.com/selfchain/selfchain/app/runtime"
	"github.com/selfchain/selfchain/crypto"
	"github.com/selfchain/selfchain/testutil"
	"github.com/selfchain/selfchain/types"
	"github.com/selfchain/selfchain/x/auth"
	"github.com/selfchain/selfchain/x/bank"
)

// BenchmarkExport100kAccounts exports a state of 100,000 funded accounts (one
// export per iteration), as `selfchaind export` does after opening the node:
//
//	go test ./app -run '^$' -bench Export100k -benchtime 3x
func BenchmarkExport100kAccounts(b *testing.B) {
	const n = 100_000
	state := app.DefaultGenesisAppState()
	var ag auth.GenesisState
	require.NoError(b, runtime.UnmarshalGenesis(state[auth.ModuleName], &ag))
	var bg bank.GenesisState
	require.NoError(b, runtime.UnmarshalGenesis(state[bank.ModuleName], &bg))
	for i := range n {
		h := sha256.Sum256(binary.BigEndian.AppendUint64(nil, uint64(i)))
		addr := crypto.Address(h[:20]).String()
		ag.Accounts = append(ag.Accounts, auth.GenesisAccount{Address: addr, AccountNumber: uint64(i)})
		bg.Balances = append(bg.Balances, bank.Balance{Address: addr, Coins: types.Coins{types.NewCoin(testutil.Denom, 1_000_000)}})
	}
	var err error
	state[auth.ModuleName], err = runtime.MarshalGenesis(&ag)
	require.NoError(b, err)
	state[bank.ModuleName], err = runtime.MarshalGenesis(&bg)
	require.NoError(b, err)
	bz, err := json.Marshal(state)
	require.NoError(b, err)
	ta := testutil.NewTestApp(b, nil, testutil.Config(), bz)
	b.Cleanup(func() { _ = ta.Close() })
	ta.NextBlock()

	b.ResetTimer()
	var size int
	for range b.N {
		exp, err := ta.Export(0)
		require.NoError(b, err)
		size = len(exp.AppState)
	}
	b.ReportMetric(float64(size)/1e6, "MB")
}
