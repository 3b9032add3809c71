package registry

import (
	"context"

	"cosmossdk.io/collections"

	"github.com/selfchain/selfchain/app/runtime"
	"github.com/selfchain/selfchain/types/query"
)

// Page bounds of the Nodes query.
const (
	DefaultPageLimit = 50
	MaxPageLimit     = 200
	// MaxScanPerPage bounds the index entries one page reads, whatever the filters:
	// a sparse combination returns a short page and a next_key instead of scanning on.
	MaxScanPerPage = 2_000
)

// cursor kinds: the first byte of a next_key names the index the listing walks.
const cursorAll = "*"

type filter struct {
	model, region string
	tier          Tier
	status        Status
}

func (f filter) matches(e *NodeEntry) bool {
	if f.status != STATUS_UNSPECIFIED && e.Liveness.Status != f.status {
		return false
	}
	if f.region != "" && e.Node.Region != f.region {
		return false
	}
	if f.tier != TIER_UNSPECIFIED && e.Node.Tier != f.tier {
		return false
	}
	if f.model != "" {
		found := false
		for _, m := range e.Node.Capabilities.Models {
			found = found || m == f.model
		}
		return found
	}
	return true
}

// drivers are the indexes a listing with f may walk: every given filter's, except that
// expired nodes are only in the status index.
func (f filter) drivers() []attr {
	var out []attr
	if f.status != STATUS_UNSPECIFIED {
		out = append(out, attr{kindStatus, f.status.String()})
		if f.status == STATUS_EXPIRED {
			return out
		}
	}
	if f.model != "" {
		out = append(out, attr{kindModel, f.model})
	}
	if f.region != "" {
		out = append(out, attr{kindRegion, f.region})
	}
	if f.tier != TIER_UNSPECIFIED {
		out = append(out, attr{kindTier, f.tier.String()})
	}
	return out
}

// Nodes lists nodes matching every given filter, in node-id order. Each filter value
// is an index range sorted by node id; a page intersects those ranges by walking them side
// by side (a merge join), so it reads index entries sequentially and loads only the nodes
// it returns. next_key is the last node id decided, so the next page starts after it.
// Expired nodes are only in the status index: a listing of expired nodes with attribute
// filters walks that index and checks the attributes on each record.
func (s queryServer) Nodes(ctx context.Context, req *QueryNodesRequest) (*QueryNodesResponse, error) {
	if req == nil {
		return nil, runtime.ErrInvalidRequest.Wrap("empty request")
	}
	f, err := parseFilter(req)
	if err != nil {
		return nil, err
	}
	limit := int(req.Pagination.GetLimit())
	if limit == 0 {
		limit = DefaultPageLimit
	}
	if limit > MaxPageLimit {
		return nil, runtime.ErrInvalidRequest.Wrapf("pagination.limit: %d, at most %d", limit, MaxPageLimit)
	}
	drivers := f.drivers()
	kind := cursorJoin
	switch {
	case len(drivers) == 0:
		kind = cursorAll
	case f.status == STATUS_EXPIRED:
		kind = kindStatus
	}
	after := ""
	if key := req.Pagination.GetKey(); len(key) > 0 {
		k, id, err := parseCursor(key)
		if err != nil {
			return nil, err
		}
		if k != kind {
			return nil, runtime.ErrInvalidRequest.Wrap("pagination.key: this next_key belongs to a listing with other filters")
		}
		after = id
	}
	var res *QueryNodesResponse
	switch kind {
	case cursorAll:
		res, err = s.listAll(ctx, f, after, limit)
	case kindStatus:
		res, err = s.listIndex(ctx, f, drivers[0], after, limit)
	default:
		res, err = s.listJoin(ctx, drivers, after, limit)
	}
	if err != nil {
		return nil, err
	}
	res.QuotaBytes, err = s.quotas(ctx, res.Nodes)
	return res, err
}

// quotas is each node's storage quota, so a listing shows what `query registry
// node` shows for one (quota_bytes[i] belongs to nodes[i]).
func (s queryServer) quotas(ctx context.Context, nodes []NodeEntry) ([]uint64, error) {
	p, err := s.k.GetParams(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]uint64, len(nodes))
	for i := range nodes {
		out[i] = p.QuotaBytes(&nodes[i].Node)
	}
	return out, nil
}

// cursorJoin marks a next_key of a merge-join listing.
const cursorJoin = "&"

// listJoin intersects the index ranges of drivers (node ids ascending in each).
func (s queryServer) listJoin(ctx context.Context, drivers []attr, after string, limit int) (*QueryNodesResponse, error) {
	its := make([]collections.KeySetIterator[indexKey], len(drivers))
	for i, d := range drivers {
		it, err := s.k.Index.Iterate(ctx, indexRange{d.kind, d.value, after})
		if err != nil {
			return nil, err
		}
		defer it.Close()
		its[i] = it
	}
	head := func(i int) (string, error) {
		k, err := its[i].Key()
		return k.K3(), err
	}
	res := &QueryNodesResponse{Pagination: &query.PageResponse{}}
	scanned := 0
	decided := "" // every id <= decided has been decided (matched or not)
	for {
		// Highest head: no id below it can be in every range.
		var top string
		for i := range its {
			if !its[i].Valid() {
				return res, nil // a range is exhausted: no more matches
			}
			h, err := head(i)
			if err != nil {
				return nil, err
			}
			if h > top {
				top = h
			}
		}
		match := true
		for i := range its {
			for its[i].Valid() {
				h, err := head(i)
				if err != nil {
					return nil, err
				}
				if h >= top {
					match = match && h == top
					break
				}
				if h > decided {
					decided = h
				}
				its[i].Next()
				if scanned++; scanned >= maxScanPerPage {
					res.Pagination.NextKey = cursor(cursorJoin, decided)
					return res, nil
				}
			}
			if !its[i].Valid() {
				return res, nil
			}
		}
		if !match {
			continue
		}
		e, found, err := s.k.GetNode(ctx, top)
		if err != nil {
			return nil, err
		}
		if found {
			res.Nodes = append(res.Nodes, e)
		}
		decided = top
		for i := range its {
			its[i].Next()
		}
		if scanned += len(its); len(res.Nodes) == limit || scanned >= maxScanPerPage {
			for i := range its {
				if !its[i].Valid() {
					return res, nil
				}
			}
			res.Pagination.NextKey = cursor(cursorJoin, decided)
			return res, nil
		}
	}
}

func parseFilter(req *QueryNodesRequest) (filter, error) {
	f := filter{model: req.Model, region: req.Region, tier: req.Tier, status: req.Status}
	if f.model != "" {
		if err := token("model", f.model, MaxModelLen, false); err != nil {
			return f, err
		}
	}
	if f.region != "" {
		if err := token("region", f.region, MaxRegionLen, true); err != nil {
			return f, err
		}
	}
	if _, ok := Tier_name[int32(f.tier)]; !ok {
		return f, ErrInvalidTier.Wrapf("tier %d", int32(f.tier))
	}
	if _, ok := Status_name[int32(f.status)]; !ok {
		return f, runtime.ErrInvalidRequest.Wrapf("status %d: want STATUS_ACTIVE, STATUS_STALE or STATUS_EXPIRED", int32(f.status))
	}
	return f, nil
}

// A cursor is kind || node id.
func parseCursor(b []byte) (kind, id string, err error) {
	if len(b) != 1+2*NodeIDLen || !ValidNodeID(string(b[1:])) {
		return "", "", runtime.ErrInvalidRequest.Wrap("pagination.key: not a next_key of this query")
	}
	return string(b[:1]), string(b[1:]), nil
}

func cursor(kind, id string) []byte { return append([]byte(kind), id...) }

// page collects matches until limit; scanned counts entries read against MaxScanPerPage.
type page struct {
	out     []NodeEntry
	last    string
	scanned int
	limit   int
}

func (p *page) full() bool { return len(p.out) == p.limit || p.scanned == maxScanPerPage }

// maxScanPerPage is MaxScanPerPage; tests lower it.
var maxScanPerPage = MaxScanPerPage

func (s queryServer) listAll(ctx context.Context, f filter, after string, limit int) (*QueryNodesResponse, error) {
	rng := new(collections.Range[string])
	if after != "" {
		rng = rng.StartExclusive(after)
	}
	it, err := s.k.Nodes.Iterate(ctx, rng)
	if err != nil {
		return nil, err
	}
	defer it.Close()
	p := &page{limit: limit}
	for ; it.Valid() && !p.full(); it.Next() {
		kv, err := it.KeyValue()
		if err != nil {
			return nil, err
		}
		p.scanned++
		p.last = kv.Key
		l, err := s.k.Liveness.Get(ctx, kv.Key)
		if err != nil {
			return nil, err
		}
		if e := (NodeEntry{Node: kv.Value, Liveness: l}); f.matches(&e) {
			p.out = append(p.out, e)
		}
	}
	res := &QueryNodesResponse{Nodes: p.out, Pagination: &query.PageResponse{}}
	if it.Valid() {
		res.Pagination.NextKey = cursor(cursorAll, p.last)
	}
	return res, nil
}

// indexRange walks one (kind, value) prefix of the index, after a node id.
type indexRange struct {
	kind, value, after string
}

func (r indexRange) RangeValues() (start, end *collections.RangeKey[indexKey], order collections.Order, err error) {
	prefix := collections.TripleSuperPrefix[string, string, string](r.kind, r.value)
	if r.after != "" {
		start = collections.RangeKeyNext(collections.Join3(r.kind, r.value, r.after))
	} else {
		start = collections.RangeKeyExact(prefix)
	}
	return start, collections.RangeKeyPrefixEnd(prefix), collections.OrderAscending, nil
}

func (s queryServer) listIndex(ctx context.Context, f filter, drv attr, after string, limit int) (*QueryNodesResponse, error) {
	it, err := s.k.Index.Iterate(ctx, indexRange{drv.kind, drv.value, after})
	if err != nil {
		return nil, err
	}
	defer it.Close()
	p := &page{limit: limit}
	for ; it.Valid() && !p.full(); it.Next() {
		key, err := it.Key()
		if err != nil {
			return nil, err
		}
		p.scanned++
		id := key.K3()
		p.last = id
		e, found, err := s.k.GetNode(ctx, id)
		if err != nil {
			return nil, err
		}
		if found && f.matches(&e) {
			p.out = append(p.out, e)
		}
	}
	res := &QueryNodesResponse{Nodes: p.out, Pagination: &query.PageResponse{}}
	if it.Valid() {
		res.Pagination.NextKey = cursor(drv.kind, p.last)
	}
	return res, nil
}
