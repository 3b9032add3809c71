package tx_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/selfchain/selfchain/app/tx"
	"github.com/selfchain/selfchain/types"
)

func TestGasPricesRoundUpAndCoverAny(t *testing.T) {
	ps, err := tx.ParseGasPrices("0.001uself, 0.25uatom")
	require.NoError(t, err)
	require.Equal(t, "0.25uatom,0.001uself", ps.String())
	require.Equal(t, "200", ps[1].Required(200_000).String())
	require.Equal(t, "1", ps[1].Required(1).String(), "a fraction of a unit rounds up")

	fee, _ := types.ParseCoins("199uself")
	ok, need := ps.Covers(fee, 200_000)
	require.False(t, ok)
	require.Equal(t, "50000uatom or 200uself", need)
	fee, _ = types.ParseCoins("50000uatom")
	ok, _ = ps.Covers(fee, 200_000)
	require.True(t, ok, "one covered denom is enough")

	none, err := tx.ParseGasPrices("")
	require.NoError(t, err)
	ok, _ = none.Covers(nil, 1_000_000)
	require.True(t, ok)

	for _, bad := range []string{"uself", "0.1", "-1uself", "1.0000000000000000001uself", "0.1u$"} {
		_, err := tx.ParseGasPrices(bad)
		require.Error(t, err, bad)
	}
}
