package onchain

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/selfchain/selfchain/types"
	"github.com/selfchain/selfchain/types/query"
	"github.com/selfchain/selfchain/x/backup"
	"github.com/selfchain/selfchain/x/registry"
)

// Candidate listing bounds: the registry is walked a page at a time and at
// most maxCandidates storage nodes are looked at (two queries each), so a
// large directory never turns one repair into thousands of queries.
const (
	candidatePage  = 200
	maxCandidates  = 200
	maxRegistryRun = 50 // pages
)

// Candidates walks x/registry's active nodes and keeps those that advertise
// storage and an endpoint, with their free capacity (x/backup's holder
// stats) and reliability (the registry's backup_reliability).
func (n *Node) Candidates(ctx context.Context) ([]Candidate, error) {
	rq := registry.NewQueryClient(n.Client)
	var out []Candidate
	var key []byte
	for range maxRegistryRun {
		r, err := rq.Nodes(ctx, &registry.QueryNodesRequest{Status: registry.STATUS_ACTIVE, Pagination: &query.PageRequest{Key: key, Limit: candidatePage}})
		if err != nil {
			return nil, fmt.Errorf("listing registry nodes: %w", err)
		}
		for _, e := range r.Nodes {
			nd := e.Node
			if nd.Capabilities.StorageBytes == 0 || len(nd.Endpoints) == 0 {
				continue
			}
			c := Candidate{NodeID: nd.Id, Operator: nd.Owner, URL: endpointURL(nd.Endpoints[0]), Capacity: nd.Capabilities.StorageBytes, ScorePPM: 1_000_000}
			nr, err := rq.Node(ctx, &registry.QueryNodeRequest{NodeId: nd.Id})
			if err != nil { // never rank a node whose record could not be read as a perfect one
				return nil, fmt.Errorf("registry record of node %s: %w", nd.Id, err)
			}
			if br := nr.BackupReliability; br != nil {
				c.ScorePPM, c.Answered, c.Missed, c.Slashed = br.ScorePpm, br.Answered, br.Missed, br.Slashed
			}
			hr, err := n.q().Holder(ctx, &backup.QueryHolderRequest{NodeId: nd.Id})
			if err != nil {
				return nil, fmt.Errorf("holder stats of node %s: %w", nd.Id, err)
			}
			c.Used = hr.Stats.UsedBytes
			out = append(out, c)
			if len(out) == maxCandidates {
				return out, nil
			}
		}
		if r.Pagination == nil || len(r.Pagination.NextKey) == 0 {
			break
		}
		key = r.Pagination.NextKey
	}
	return out, nil
}

// endpointURL makes a registered endpoint a URL (http when it names none).
func endpointURL(ep string) string {
	if !strings.Contains(ep, "://") {
		return "http://" + ep
	}
	return ep
}

func (n *Node) OwnerAgreements(ctx context.Context, owner string) ([]Agreement, error) {
	r, err := n.q().Agreements(ctx, &backup.QueryAgreementsRequest{Owner: owner})
	if err != nil {
		return nil, err
	}
	return fromProtos(r.Agreements), nil
}

// Propose sends MsgPropose and reads the new id from its backup_propose event.
func (n *Node) Propose(ctx context.Context, node string, t Terms) (uint64, error) {
	if n.Signer == nil {
		return 0, fmt.Errorf("no signing key: pass --from")
	}
	res, err := n.sendResult(ctx, &backup.MsgPropose{Owner: n.Signer.PubKey().Address().String(), HolderNodeId: node, QuotaBytes: t.Quota,
		PricePerEpoch: t.Price, Escrow: t.Escrow, NoticeEpochs: max(t.NoticeEpochs, 1), Collateral: t.Collateral})
	if err != nil {
		return 0, err
	}
	for _, e := range res.Events {
		if e.Type != backup.EventTypePropose {
			continue
		}
		for _, at := range e.Attributes {
			if at.Key == backup.AttrAgreementID {
				return strconv.ParseUint(at.Value, 10, 64)
			}
		}
	}
	return 0, fmt.Errorf("tx %s proposed an agreement but its %s event is missing: see 'query backup agreements <owner>'", res.TxHash, backup.EventTypePropose)
}

// Accept sends MsgAccept signed by the holder node's operator.
func (n *Node) Accept(ctx context.Context, id uint64, collateral types.Coin) error {
	if n.Signer == nil {
		return fmt.Errorf("no signing key: pass --from")
	}
	return n.send(ctx, &backup.MsgAccept{Holder: n.Signer.PubKey().Address().String(), AgreementId: id, Collateral: collateral})
}
