package instance

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"
	"time"

	dbm "github.com/cometbft/cometbft-db"
	cmtlog "github.com/cometbft/cometbft/libs/log"
	"github.com/cometbft/cometbft/light"
	"github.com/cometbft/cometbft/light/provider"
	lighthttp "github.com/cometbft/cometbft/light/provider/http"
	lightdb "github.com/cometbft/cometbft/light/store/db"
	cmttypes "github.com/cometbft/cometbft/types"

	"github.com/selfchain/selfchain/client"
	"github.com/selfchain/selfchain/crypto"
	"github.com/selfchain/selfchain/x/permissions"
)

// staleAfter: with no newer verified header for this long the gateway refuses to
// decide (chain_unverified) rather than decide on old state, so a revoke cannot
// be outrun by cutting the gateway off from the chain.
const staleAfter = 30 * time.Second

// Records are the x/permissions records a decision rests on, proven at Height
// (the state after block Height, committed by the verified header Height+1).
type Records struct {
	Height int64
	App    *permissions.App
	Grant  *permissions.Grant
	Killed bool
}

// Decide is permissions.Decide on the proven records for a request now.
func (r *Records) Decide(want permissions.Scope, now time.Time) (permissions.Decision, string) {
	return permissions.Decide(r.App, r.Killed, r.Grant, want, permissions.NextBlockHeight(r.Height), now.Unix())
}

// HasKey reports whether pk is one of the app's registered request-signing keys.
func (r *Records) HasKey(pk crypto.PubKey) bool {
	if r.App == nil {
		return false
	}
	for _, k := range r.App.PubKeys {
		if k.Type == pk.Type() && string(k.Key) == string(pk.Bytes()) {
			return true
		}
	}
	return false
}

// Chain follows the chain with a CometBFT light client and proves the owner's
// permission records against the app hashes of the headers it verified.
type Chain struct {
	owner string
	cl    *client.Client
	lc    *light.Client
	ldb   dbm.DB
	query client.ABCIQuerier // the node's ABCI query: trusted for nothing

	mu       sync.Mutex
	latest   *cmttypes.LightBlock
	verified time.Time // when latest was last confirmed current
	cache    map[string]*Records
}

// TrustRoot reads the header the light client will trust from the node at init.
func TrustRoot(ctx context.Context, node string) (chainID string, height int64, hash string, err error) {
	cl, err := client.New(node)
	if err != nil {
		return "", 0, "", err
	}
	st, err := cl.Status(ctx)
	if err != nil {
		return "", 0, "", fmt.Errorf("node %s: %w", node, err)
	}
	h := st.SyncInfo.LatestBlockHeight
	cm, err := cl.RPC().Commit(ctx, &h)
	if err != nil {
		return "", 0, "", err
	}
	return st.NodeInfo.Network, h, hex.EncodeToString(cm.SignedHeader.Hash()), nil
}

// NewChain starts a light client from the configured trust root.
func NewChain(ctx context.Context, home string, c Config) (*Chain, error) {
	hash, err := hex.DecodeString(c.TrustHash)
	if err != nil {
		return nil, fmt.Errorf("trust_hash: %w", err)
	}
	cl, err := client.New(c.Node)
	if err != nil {
		return nil, err
	}
	primary, err := lighthttp.New(c.ChainID, c.Node)
	if err != nil {
		return nil, err
	}
	witness, err := lighthttp.New(c.ChainID, c.Node)
	if err != nil {
		return nil, err
	}
	// The verified headers persist in <home>/light.db, so a restart continues from
	// the last one verified (the trust period runs from it), not from init's root.
	ldb, err := dbm.NewDB("light", dbm.GoLevelDBBackend, home)
	if err != nil {
		return nil, fmt.Errorf("open the light client's store: %w", err)
	}
	st := lightdb.New(ldb, c.ChainID)
	opts := []light.Option{light.SkippingVerification(light.DefaultTrustLevel), light.Logger(cmtlog.NewNopLogger())}
	var lc *light.Client
	if last, _ := st.LastLightBlockHeight(); last >= c.TrustHeight {
		lc, err = light.NewClientFromTrustedStore(c.ChainID, c.TrustPeriod.Duration, primary, []provider.Provider{witness}, st, opts...)
	} else {
		lc, err = light.NewClient(ctx, c.ChainID, light.TrustOptions{Period: c.TrustPeriod.Duration, Height: c.TrustHeight, Hash: hash},
			primary, []provider.Provider{witness}, st, opts...)
	}
	if err != nil {
		ldb.Close()
		return nil, fmt.Errorf("light client from trust root %d: %w", c.TrustHeight, err)
	}
	ch := &Chain{owner: c.OwnerAddress, cl: cl, lc: lc, ldb: ldb, query: cl.ABCIQuery, cache: map[string]*Records{}}
	if err := ch.update(ctx); err != nil {
		ldb.Close()
		return nil, err
	}
	return ch, nil
}

// Close closes the light client's store.
func (ch *Chain) Close() error { return ch.ldb.Close() }

// Client is the RPC client to the node (for broadcasting and unproven lookups).
func (ch *Chain) Client() *client.Client { return ch.cl }

// update verifies the newest header.
func (ch *Chain) update(ctx context.Context) error {
	lb, err := ch.lc.Update(ctx, time.Now())
	if err != nil {
		return err
	}
	ch.mu.Lock()
	defer ch.mu.Unlock()
	if lb == nil { // nothing newer than what we hold: still current
		if ch.latest == nil {
			if lb, err = ch.lc.TrustedLightBlock(0); err != nil {
				return err
			}
			ch.latest = lb
		}
	} else {
		ch.latest = lb
	}
	ch.verified = time.Now()
	return nil
}

// Follow keeps the light client at the chain's head until ctx ends.
func (ch *Chain) Follow(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			uctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			_ = ch.update(uctx) // a failure shows as staleness
			cancel()
		}
	}
}

// ErrUnverified is returned when the gateway holds no current verified header.
var ErrUnverified = errors.New("no current verified header of the chain")

// head is the latest verified header, if current.
func (ch *Chain) head() (*cmttypes.LightBlock, error) {
	ch.mu.Lock()
	defer ch.mu.Unlock()
	if ch.latest == nil || time.Since(ch.verified) > staleAfter {
		return nil, fmt.Errorf("%w: the light client has not reached the node for %s", ErrUnverified, staleAfter)
	}
	return ch.latest, nil
}

// Height is the proven height of the state decisions are made on.
func (ch *Chain) Height() int64 {
	lb, err := ch.head()
	if err != nil {
		return 0
	}
	return lb.Height - 1
}

// Records returns the owner's records for appID at the latest proven height,
// fetched from the node and proven against the verified app hash (cached per height).
func (ch *Chain) Records(ctx context.Context, appID string) (*Records, error) {
	lb, err := ch.head()
	if err != nil {
		return nil, err
	}
	h := lb.Height - 1
	ch.mu.Lock()
	r := ch.cache[appID]
	ch.mu.Unlock()
	if r != nil && r.Height == h {
		return r, nil
	}
	req := permissions.QueryCheckRequest{User: ch.owner, AppId: appID, Scope: "ai:chat", Time: time.Now().Unix()}
	a, err := permissions.FetchCheck(ctx, ch.query, req, h)
	if err != nil {
		return nil, fmt.Errorf("%w: fetch records at %d: %v", ErrUnverified, h, err)
	}
	if a.Response.Height != h {
		return nil, fmt.Errorf("%w: node answered for height %d, asked %d", ErrUnverified, a.Response.Height, h)
	}
	if _, _, err := permissions.VerifyCheck(lb.AppHash, a); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrUnverified, err)
	}
	app, grant, killed, err := permissions.DecodeRecords(a.Response.AppValue, a.Response.KillSwitchValue, a.Response.GrantValue)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrUnverified, err)
	}
	r = &Records{Height: h, App: app, Grant: grant, Killed: killed}
	ch.mu.Lock()
	if len(ch.cache) > 4096 { // bounded: an app-id flood cannot grow it without limit
		clear(ch.cache)
	}
	ch.cache[appID] = r
	ch.mu.Unlock()
	return r, nil
}
