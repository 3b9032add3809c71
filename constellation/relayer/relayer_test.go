package relayer

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/selfchain/selfchain/app/runtime"
	"github.com/selfchain/selfchain/client"
	"github.com/selfchain/selfchain/x/bridge"
)

func TestSeqRange(t *testing.T) {
	ps := func(seqs ...uint64) []bridge.Packet {
		out := make([]bridge.Packet, len(seqs))
		for i, s := range seqs {
			out[i].Sequence = s
		}
		return out
	}
	require.Equal(t, "", seqRange(nil))
	require.Equal(t, "7", seqRange(ps(7)))
	require.Equal(t, "1-3,7,9-10", seqRange(ps(1, 2, 3, 7, 9, 10)))
}

func goodSide() Side {
	return Side{Name: "acme", ChainID: "acme-1", RPC: "http://127.0.0.1:1", Home: "/tmp/x", KeyringBackend: "test",
		Key: "relayer", GasPrice: "0.001uacme", Denom: "uacme", Prefix: "acme", ClientID: "client-0"}
}

func TestSideValidate(t *testing.T) {
	require.NoError(t, goodSide().Validate())
	for _, tc := range []struct {
		edit func(*Side)
		want string
	}{
		{func(s *Side) { s.ChainID = "" }, "no chain id"},
		{func(s *Side) { s.RPC = "" }, "no RPC address"},
		{func(s *Side) { s.Key = "" }, "no keyring home or relayer key"},
		{func(s *Side) { s.Prefix = "Bad" }, "invalid bech32 prefix"},
		{func(s *Side) { s.ClientID = "7" }, "is not client-<n>"},
		{func(s *Side) { s.KeyringBackend = "os" }, "keyring backend"},
		{func(s *Side) { s.GasPrice = "0.001uself" }, "in the chain's denom uacme"},
	} {
		s := goodSide()
		tc.edit(&s)
		require.ErrorContains(t, s.Validate(), tc.want)
	}
}

// The chain's refusals are recognised by codespace and code, whether they come
// from a simulation (a query error, wrapped by client.Factory) or a tx result.
func TestIsCode(t *testing.T) {
	tx := &TxError{Chain: "acme", Codespace: bridge.ModuleName, Code: bridge.ErrAlreadyReceived.Code(), Log: "packet 3 already received"}
	require.True(t, isCode(fmt.Errorf("deliver: %w", tx), bridge.ErrAlreadyReceived))
	require.False(t, isCode(tx, bridge.ErrPacketTimedOut))
	q := &client.QueryError{Path: "/app/simulate", Codespace: runtime.RootCodespace, Code: runtime.ErrInvalidSequence.Code()}
	require.True(t, isCode(fmt.Errorf("gas estimation failed: %w", q), runtime.ErrInvalidSequence))
	require.False(t, isCode(fmt.Errorf("plain"), runtime.ErrInvalidSequence))
}

// An expired or frozen client is refused with what to do, not retried.
func TestUsable(t *testing.T) {
	c := &chain{Side: goodSide()}
	info := bridge.ClientInfo{Status: bridge.CLIENT_STATUS_ACTIVE}
	require.NoError(t, usable(c, info))
	info.Status = bridge.CLIENT_STATUS_EXPIRED
	require.ErrorContains(t, usable(c, info), "recover-client")
	info.Status = bridge.CLIENT_STATUS_FROZEN
	require.ErrorContains(t, usable(c, info), "frozen")
}
