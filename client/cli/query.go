package cli

import (
	"fmt"
	"strings"

	"github.com/cosmos/gogoproto/proto"
	"github.com/spf13/cobra"

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

// QueryOnce runs one ABCI query against --node.
func QueryOnce(cmd *cobra.Command, path string, req, resp proto.Message) error {
	c, err := NewClient(cmd)
	if err != nil {
		return err
	}
	return c.Query(cmd.Context(), path, req, resp)
}
