package cli

import (
	"context"
	"fmt"
	"strings"

	abci "github.com/cometbft/cometbft/abci/types"
	gogogrpc "github.com/cosmos/gogoproto/grpc"

	"github.com/spf13/cobra"

	"github.com/selfchain/selfchain/client"
	"github.com/selfchain/selfchain/crypto"
)

// ResolveAddress accepts a bech32 address, or the name of a key in the keyring.
func ResolveAddress(cmd *cobra.Command, s string) (crypto.Address, error) {
	addr, err := crypto.AddressFromBech32(s)
	if err == nil {
		return addr, nil
	}
	// Something shaped like an address is reported as one; only a plain name is looked up.
	if strings.HasPrefix(strings.ToLower(s), crypto.GetBech32Prefix()+"1") {
		return nil, err
	}
	if kr, kerr := OpenKeyring(cmd); kerr == nil {
		if rec, kerr := kr.Get(s); kerr == nil {
			return rec.Address, nil
		}
	}
	return nil, fmt.Errorf("%w (and no key named %q in the %q keyring)", err, s, Settings(cmd).GetString(FlagKeyringBackend))
}

// QueryClient is a module's generated query client (pass its NewQueryClient) on
// the --node connection:
//
//	resp, err := cli.QueryClient(cmd, bank.NewQueryClient).Balance(cmd.Context(), req)
//
// A bad --node is the error of the first call.
func QueryClient[Q any](cmd *cobra.Command, newQueryClient func(gogogrpc.ClientConn) Q) Q {
	c, err := NewClient(cmd)
	if err != nil {
		return newQueryClient(client.ABCIQuerier(func(context.Context, *abci.RequestQuery) (*abci.ResponseQuery, error) {
			return nil, err
		}))
	}
	return newQueryClient(c)
}
