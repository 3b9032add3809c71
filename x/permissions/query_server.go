package permissions

import (
	"bytes"
	"context"

	"cosmossdk.io/collections"

	"github.com/selfchain/selfchain/app/runtime"
	"github.com/selfchain/selfchain/crypto"
	"github.com/selfchain/selfchain/types/query"
)

// MaxPageSize bounds every list query; 0 in a request means this.
const MaxPageSize = 100

type queryServer struct{ k Keeper }

var _ QueryServer = queryServer{}

func NewQueryServer(k Keeper) QueryServer { return queryServer{k: k} }

func (q queryServer) Params(ctx context.Context, _ *QueryParamsRequest) (*QueryParamsResponse, error) {
	p, err := q.k.GetParams(ctx)
	if err != nil {
		return nil, err
	}
	return &QueryParamsResponse{Params: p}, nil
}

func (q queryServer) App(ctx context.Context, req *QueryAppRequest) (*QueryAppResponse, error) {
	if err := ValidateAppID(req.Id); err != nil {
		return nil, err
	}
	app, found, err := q.k.GetApp(ctx, req.Id)
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, runtime.ErrNotFound.Wrapf("app %q", req.Id)
	}
	return &QueryAppResponse{App: app}, nil
}

func pageSize(p *query.PageRequest) (int, error) {
	limit := p.GetLimit()
	if limit > MaxPageSize {
		return 0, runtime.ErrInvalidRequest.Wrapf("pagination.limit %d: at most %d", limit, MaxPageSize)
	}
	if limit == 0 {
		return MaxPageSize, nil
	}
	return int(limit), nil
}

// Page keys are what the last entry of a page is keyed by: an app id (Apps,
// GrantsByUser) or a user's raw address (GrantsByApp). A key of any other shape was
// not handed out by this query; it is refused before it reaches a range.

// appIDPageKey decodes the key of a list ordered by app id ("" for the first page).
func appIDPageKey(p *query.PageRequest) (string, error) {
	key := p.GetKey()
	if len(key) == 0 {
		return "", nil
	}
	if ValidateAppID(string(key)) != nil {
		return "", runtime.ErrInvalidRequest.Wrap("pagination.key: not a next_key of this query (want an app id)")
	}
	return string(key), nil
}

// userPageKey decodes the key of a list ordered by user address (nil for the first page).
func userPageKey(p *query.PageRequest) (crypto.Address, error) {
	key := p.GetKey()
	if len(key) == 0 {
		return nil, nil
	}
	if len(key) != crypto.AddressLen {
		return nil, runtime.ErrInvalidRequest.Wrapf("pagination.key: not a next_key of this query (want a %d-byte address)", crypto.AddressLen)
	}
	return crypto.Address(key), nil
}

func (q queryServer) Apps(ctx context.Context, req *QueryAppsRequest) (*QueryAppsResponse, error) {
	n, err := pageSize(req.GetPagination())
	if err != nil {
		return nil, err
	}
	after, err := appIDPageKey(req.GetPagination())
	if err != nil {
		return nil, err
	}
	rng := new(collections.Range[string])
	if after != "" {
		rng = rng.StartExclusive(after)
	}
	res := &QueryAppsResponse{Pagination: &query.PageResponse{}}
	err = q.k.Apps.Walk(ctx, rng, func(id string, a App) (bool, error) {
		if len(res.Apps) == n {
			res.Pagination.NextKey = []byte(res.Apps[n-1].Id)
			return true, nil
		}
		res.Apps = append(res.Apps, a)
		return false, nil
	})
	return res, err
}

func (q queryServer) Grant(ctx context.Context, req *QueryGrantRequest) (*QueryGrantResponse, error) {
	user, err := crypto.AddressFromBech32(req.User)
	if err != nil {
		return nil, runtime.ErrInvalidAddress.Wrapf("user: %v", err)
	}
	if err := ValidateAppID(req.AppId); err != nil {
		return nil, err
	}
	g, found, err := q.k.GetGrant(ctx, user, req.AppId)
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, runtime.ErrNotFound.Wrapf("no grant from %s to app %q", req.User, req.AppId)
	}
	return &QueryGrantResponse{Grant: g}, nil
}

func (q queryServer) GrantsByUser(ctx context.Context, req *QueryGrantsByUserRequest) (*QueryGrantsResponse, error) {
	user, err := crypto.AddressFromBech32(req.User)
	if err != nil {
		return nil, runtime.ErrInvalidAddress.Wrapf("user: %v", err)
	}
	n, err := pageSize(req.Pagination)
	if err != nil {
		return nil, err
	}
	after, err := appIDPageKey(req.Pagination)
	if err != nil {
		return nil, err
	}
	rng := collections.NewPrefixedPairRange[[]byte, string](user)
	if after != "" {
		rng = rng.StartExclusive(after)
	}
	res := &QueryGrantsResponse{Pagination: &query.PageResponse{}}
	err = q.k.Grants.Walk(ctx, rng, func(_ grantKey, g Grant) (bool, error) {
		if len(res.Grants) == n {
			res.Pagination.NextKey = []byte(res.Grants[n-1].AppId)
			return true, nil
		}
		res.Grants = append(res.Grants, g)
		return false, nil
	})
	return res, err
}

func (q queryServer) GrantsByApp(ctx context.Context, req *QueryGrantsByAppRequest) (*QueryGrantsResponse, error) {
	if err := ValidateAppID(req.AppId); err != nil {
		return nil, err
	}
	n, err := pageSize(req.Pagination)
	if err != nil {
		return nil, err
	}
	after, err := userPageKey(req.Pagination)
	if err != nil {
		return nil, err
	}
	rng := collections.NewPrefixedPairRange[string, []byte](req.AppId)
	if after != nil {
		rng = rng.StartExclusive(after)
	}
	res := &QueryGrantsResponse{Pagination: &query.PageResponse{}}
	var users [][]byte
	err = q.k.GrantsByApp.Walk(ctx, rng, func(key collections.Pair[string, []byte], _ bool) (bool, error) {
		if len(users) == n {
			res.Pagination.NextKey = bytes.Clone(users[n-1])
			return true, nil
		}
		users = append(users, key.K2())
		return false, nil
	})
	if err != nil {
		return nil, err
	}
	for _, u := range users {
		g, found, err := q.k.GetGrant(ctx, u, req.AppId)
		if err != nil {
			return nil, err
		}
		if found {
			res.Grants = append(res.Grants, g)
		}
	}
	return res, nil
}

// Check answers whether app may use a scope for user in the block after the queried
// height (see Decide), with the raw keys and values of the three records the answer
// rests on, so a client can prove them (/store/permissions/key) and re-derive it.
// A malformed scope or address is an answer (denied, with the reason), not an error:
// a user's instance asks on behalf of untrusted callers.
func (q queryServer) Check(ctx context.Context, req *QueryCheckRequest) (*QueryCheckResponse, error) {
	rctx := runtime.Unwrap(ctx)
	res := &QueryCheckResponse{Height: rctx.BlockHeight()}
	deny := func(d Decision, reason string) (*QueryCheckResponse, error) {
		res.Decision, res.Reason = d, reason
		return res, nil
	}
	want, user, d, reason := ParseCheckRequest(req)
	if d != DECISION_ALLOWED {
		return deny(d, reason)
	}
	rec, err := q.k.checkRecords(ctx, user, req.AppId)
	if err != nil {
		return nil, err
	}
	rec.fill(res)
	d, reason = Decide(rec.app, rec.killed, rec.grant, want, NextBlockHeight(res.Height), req.Time)
	res.Allowed = d == DECISION_ALLOWED
	res.Decision, res.Reason = d, reason
	return res, nil
}

// ParseCheckRequest validates a check request without state. A malformed request
// gets its denial here (the returned Decision is not DECISION_ALLOWED); otherwise it
// returns the wanted scope and the user's address.
func ParseCheckRequest(req *QueryCheckRequest) (Scope, crypto.Address, Decision, string) {
	want, err := CheckScope(req.Scope, req.Resource)
	if err != nil {
		return Scope{}, nil, DECISION_BAD_SCOPE, err.Error()
	}
	user, err := crypto.AddressFromBech32(req.User)
	if err != nil {
		return Scope{}, nil, DECISION_NO_GRANT, "user: " + err.Error()
	}
	if err := ValidateAppID(req.AppId); err != nil {
		return Scope{}, nil, DECISION_NO_SUCH_APP, err.Error()
	}
	if req.Time < 0 {
		return Scope{}, nil, DECISION_TIME_UNKNOWN, "time must not be negative"
	}
	return want, user, DECISION_ALLOWED, ""
}

// CheckScope turns a check's scope and optional separate resource into one strictly
// parsed scope ("storage:read" + "notes/a" = "storage:read:notes/a").
func CheckScope(scope, resource string) (Scope, error) {
	if resource != "" {
		if len(resource) > MaxResourceLen {
			return Scope{}, ErrBadResource
		}
		scope += ":" + resource
	}
	return ParseScope(scope)
}

// checkRecords are the stored records a check rests on, raw and decoded.
type checkRecords struct {
	appKey, appVal, killKey, killVal, grantKey, grantVal []byte
	app                                                  *App
	grant                                                *Grant
	killed                                               bool
}

func (k Keeper) checkRecords(ctx context.Context, user crypto.Address, appID string) (*checkRecords, error) {
	r := &checkRecords{}
	var err error
	if r.appKey, err = AppKey(appID); err != nil {
		return nil, err
	}
	if r.killKey, err = KillSwitchKey(user); err != nil {
		return nil, err
	}
	if r.grantKey, err = GrantKey(user, appID); err != nil {
		return nil, err
	}
	kv := runtime.Unwrap(ctx).KVStore(ModuleName)
	if r.appVal, err = kv.Get(r.appKey); err != nil {
		return nil, err
	}
	if r.killVal, err = kv.Get(r.killKey); err != nil {
		return nil, err
	}
	if r.grantVal, err = kv.Get(r.grantKey); err != nil {
		return nil, err
	}
	r.app, r.grant, r.killed, err = DecodeRecords(r.appVal, r.killVal, r.grantVal)
	return r, err
}

func (r *checkRecords) fill(res *QueryCheckResponse) {
	res.AppKey, res.AppValue = r.appKey, r.appVal
	res.KillSwitchKey, res.KillSwitchValue = r.killKey, r.killVal
	res.GrantKey, res.GrantValue = r.grantKey, r.grantVal
}

// DecodeRecords decodes the stored values behind a check (nil or empty = absent).
func DecodeRecords(appVal, killVal, grantVal []byte) (app *App, grant *Grant, killed bool, err error) {
	if len(appVal) > 0 {
		app = new(App)
		if err := app.Unmarshal(appVal); err != nil {
			return nil, nil, false, err
		}
	}
	if len(grantVal) > 0 {
		grant = new(Grant)
		if err := grant.Unmarshal(grantVal); err != nil {
			return nil, nil, false, err
		}
	}
	if len(killVal) > 0 {
		h, err := collections.Int64Value.Decode(killVal)
		if err != nil {
			return nil, nil, false, err
		}
		killed = h > 0
	}
	return app, grant, killed, nil
}
