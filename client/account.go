package client

import (
	"context"
	"fmt"

	"github.com/selfchain/selfchain/crypto"
	"github.com/selfchain/selfchain/x/auth"
)

// Query paths of the modules this package reads directly.
const (
	PathAuthAccount = "/selfchain.auth.v1.Query/Account"
	PathSimulate    = "/app/simulate"
)

// AccountInfo returns what a signer needs: account number, next sequence, and
// whether the chain already stores the account's public key (if not, the tx
// must carry it). An address the chain has never seen is an error: it has no
// account until it receives funds.
func (c *Client) AccountInfo(ctx context.Context, addr crypto.Address) (number, sequence uint64, hasPubKey bool, err error) {
	var resp auth.QueryAccountResponse
	err = c.Query(ctx, PathAuthAccount, &auth.QueryAccountRequest{Address: addr.String()}, &resp)
	if IsNotFound(err) {
		return 0, 0, false, fmt.Errorf("account %s not found on chain: it must receive funds first", addr)
	}
	if err != nil {
		return 0, 0, false, err
	}
	a := resp.Account
	return a.AccountNumber, a.Sequence, a.PublicKey != nil && len(a.PublicKey.Key) > 0, nil
}
