package onchain

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/selfchain/selfchain/app/runtime"
	"github.com/selfchain/selfchain/app/tx"
	"github.com/selfchain/selfchain/client"
	"github.com/selfchain/selfchain/x/backup"
)

// Node is Chain over a node's RPC: queries through x/backup's query
// service, messages signed and broadcast like every CLI tx (the factory's
// gas and fee settings), one at a time so sequences never collide.
type Node struct {
	Client  *client.Client
	Factory client.Factory // Accounts must be set
	Signer  tx.Signer      // the owner (agent) or the holder's operator (daemon); nil for read-only use
	Timeout time.Duration  // how long to wait for a tx to be committed

	mu sync.Mutex
}

func (n *Node) q() backup.QueryClient { return backup.NewQueryClient(n.Client) }

func fromProto(a backup.Agreement) Agreement {
	return Agreement{ID: a.Id, Owner: a.Owner, Holder: a.HolderNodeId, Status: strings.ToLower(strings.TrimPrefix(a.Status.String(), "STATUS_")),
		Quota: a.QuotaBytes, Revision: a.Revision, Root: a.Root, ChunkCount: a.ChunkCount, TotalBytes: a.TotalBytes,
		EndHeight: a.EndHeight, Slashed: slashedString(a),
		Price: a.PricePerEpoch, Escrow: a.Escrow, Collateral: a.Collateral, NoticeEpochs: a.NoticeEpochs}
}

func slashedString(a backup.Agreement) string {
	if a.Slashed.Amount.IsZero() {
		return ""
	}
	return a.Slashed.String()
}

func (n *Node) Agreement(ctx context.Context, id uint64) (Agreement, error) {
	r, err := n.q().Agreement(ctx, &backup.QueryAgreementRequest{Id: id})
	if err != nil {
		return Agreement{}, agreementErr(id, err)
	}
	out := fromProto(r.Agreement)
	if out.Status == StatusFailed { // say why: max_misses missed challenges in a row
		if p, err := n.q().Params(ctx, &backup.QueryParamsRequest{}); err == nil {
			out.MaxMisses = p.Params.MaxMisses
		}
	}
	return out, nil
}

// agreementErr maps the module's registered "agreement not found" answer to
// ErrNotFound by its codespace and code (the holder answers 404 for it);
// every other failure (node down, another error whose text happens to say
// "not found") stays what it was.
func agreementErr(id uint64, err error) error {
	var qe *client.QueryError
	if errors.As(err, &qe) && qe.Codespace == backup.ErrAgreementNotFound.Codespace() && qe.Code == backup.ErrAgreementNotFound.Code() {
		return fmt.Errorf("agreement %d: %w (the chain has no such agreement)", id, ErrNotFound)
	}
	return err
}

func (n *Node) HolderAgreements(ctx context.Context, holder string) ([]Agreement, error) {
	r, err := n.q().Holder(ctx, &backup.QueryHolderRequest{NodeId: holder})
	if err != nil {
		return nil, err
	}
	return fromProtos(r.Agreements), nil
}

// fromProtos converts a query's agreements.
func fromProtos(as []backup.Agreement) []Agreement {
	out := make([]Agreement, len(as))
	for i, a := range as {
		out[i] = fromProto(a)
	}
	return out
}

func (n *Node) Challenges(ctx context.Context, holder string) ([]Challenge, error) {
	as, err := n.HolderAgreements(ctx, holder)
	if err != nil {
		return nil, err
	}
	var out []Challenge
	for _, a := range as {
		if !a.Storing() {
			continue
		}
		r, err := n.q().Challenges(ctx, &backup.QueryChallengesRequest{AgreementId: a.ID})
		if err != nil {
			return nil, err
		}
		for _, c := range r.Challenges {
			out = append(out, Challenge{AgreementID: c.AgreementId, ChunkIndex: c.ChunkIndex, Seed: c.Seed, Deadline: c.DeadlineHeight})
		}
	}
	return out, nil
}

func (n *Node) ProveStorage(ctx context.Context, p Proof) error {
	return n.send(ctx, &backup.MsgProveStorage{Holder: n.Signer.PubKey().Address().String(), AgreementId: p.AgreementID, ChunkIndex: p.ChunkIndex,
		ChunkLeaf: p.ChunkLeaf, Segment: p.Segment, SegmentPath: p.SegmentPath, ManifestPath: p.ManifestPath})
}

func (n *Node) CommitManifest(ctx context.Context, m Manifest) error {
	return n.send(ctx, &backup.MsgCommitManifest{Owner: n.Signer.PubKey().Address().String(), AgreementId: m.AgreementID, Revision: m.Revision,
		Root: m.Root, ChunkCount: m.ChunkCount, TotalBytes: m.TotalBytes})
}

func (n *Node) send(ctx context.Context, m runtime.Msg) error {
	_, err := n.sendResult(ctx, m)
	return err
}

// sendResult signs, broadcasts and waits for m; the result carries its events.
func (n *Node) sendResult(ctx context.Context, m runtime.Msg) (*client.TxResult, error) {
	if n.Signer == nil {
		return nil, fmt.Errorf("no signing key: pass --from")
	}
	if err := m.ValidateBasic(); err != nil {
		return nil, err
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	plan, err := n.Factory.Prepare(ctx, n.Client, n.Signer, m)
	if err != nil {
		return nil, err
	}
	bz, err := plan.Sign(n.Signer)
	if err != nil {
		return nil, err
	}
	timeout := n.Timeout
	if timeout == 0 {
		timeout = 30 * time.Second
	}
	res, err := n.Client.BroadcastWithTimeout(ctx, bz, true, timeout)
	if err != nil {
		return nil, err
	}
	return res, res.Err()
}
