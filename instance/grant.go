package instance

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/selfchain/selfchain/app/runtime"
	"github.com/selfchain/selfchain/client"
	"github.com/selfchain/selfchain/crypto/keyring"
	"github.com/selfchain/selfchain/x/auth"
	"github.com/selfchain/selfchain/x/permissions"
)

// SendGrant grants app the scopes (added to what the user already granted it) by
// a MsgGrant signed with the owner's key, valid for the configured grant TTL, and
// waits for it to be committed. It returns the tx hash.
func SendGrant(ctx context.Context, c Config, kr keyring.Keyring, app string, scopes []string) (string, error) {
	cl, err := client.New(c.Node)
	if err != nil {
		return "", err
	}
	all := slices.Clone(scopes)
	if g, err := permissions.NewQueryClient(cl).Grant(ctx, &permissions.QueryGrantRequest{User: c.OwnerAddress, AppId: app}); err == nil {
		all = append(all, g.Grant.Scopes...)
	} else if !client.IsNotFound(err) {
		return "", fmt.Errorf("read the current grant: %w", err)
	}
	slices.Sort(all)
	all = slices.Compact(all)
	msg := &permissions.MsgGrant{User: c.OwnerAddress, AppId: app, Scopes: all, ExpiryTime: time.Now().Add(c.GrantTTL.Duration).Unix()}
	return sendTx(ctx, c, kr, cl, msg)
}

// SendRevoke revokes every scope of app's grant (MsgRevokeAll).
func SendRevoke(ctx context.Context, c Config, kr keyring.Keyring, app string) (string, error) {
	cl, err := client.New(c.Node)
	if err != nil {
		return "", err
	}
	return sendTx(ctx, c, kr, cl, &permissions.MsgRevokeAll{User: c.OwnerAddress, AppId: app})
}

// sendTx signs msg with the owner's key, broadcasts it and waits for its block.
// The owner's key is shared — the gateway's heartbeats, approve and revoke from
// the CLI, the user's own wallet — so an account sequence taken by another tx
// is re-read and the tx signed again, a few times, a block apart.
func sendTx(ctx context.Context, c Config, kr keyring.Keyring, cl *client.Client, msg runtime.Msg) (string, error) {
	return sendTxAs(ctx, c, kr, cl, c.Owner, msg)
}

// sendTxAs is sendTx signed with the keyring's key name.
func sendTxAs(ctx context.Context, c Config, kr keyring.Keyring, cl *client.Client, name string, msg runtime.Msg) (string, error) {
	signer, err := client.NewKeyringSigner(kr, name)
	if err != nil {
		return "", err
	}
	f := client.Factory{ChainID: c.ChainID, GasAuto: true, GasPrices: client.DefaultGasPrices, Accounts: auth.AccountRetriever{}}
	for attempt := 1; ; attempt++ {
		tx, seqTaken, err := sendTxOnce(ctx, f, cl, signer, msg)
		if !seqTaken || attempt == sequenceRetries {
			return tx, err
		}
		select {
		case <-ctx.Done():
			return "", err
		case <-time.After(sequenceRetryWait):
		}
	}
}

// Retries of a tx whose account sequence another tx took.
const (
	sequenceRetries   = 5
	sequenceRetryWait = time.Second
)

// sendTxOnce signs and sends msg; seqTaken reports a refusal for the account
// sequence (by the simulation or by CheckTx).
func sendTxOnce(ctx context.Context, f client.Factory, cl *client.Client, signer *client.KeyringSigner, msg runtime.Msg) (tx string, seqTaken bool, err error) {
	plan, err := f.Prepare(ctx, cl, signer, msg)
	if err != nil {
		return "", isQueryErr(err, runtime.ErrInvalidSequence), err
	}
	bz, err := plan.Sign(signer)
	if err != nil {
		return "", false, err
	}
	res, err := cl.Broadcast(ctx, bz, true)
	if err != nil {
		return "", false, err
	}
	if err := res.Err(); err != nil {
		return "", res.Codespace == runtime.ErrInvalidSequence.Codespace() && res.Code == runtime.ErrInvalidSequence.Code(), err
	}
	return res.TxHash, false, nil
}
