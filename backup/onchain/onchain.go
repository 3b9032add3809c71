// Package onchain is the narrow view of x/backup that the holder daemon and
// the backup agent need: read an agreement, list a holder's open
// challenges, answer one, commit a manifest. The libraries depend on this
// interface only; the node adapter implements it with queries and signed
// transactions, and Memory implements x/backup's rules in process for
// unit tests of the off-chain code.
package onchain

import (
	"context"
	"errors"

	"github.com/selfchain/selfchain/types"
)

// Agreement statuses, as x/backup names them.
const (
	StatusProposed = "proposed"
	StatusActive   = "active"
	StatusEnding   = "ending"
	StatusEnded    = "ended"
	StatusFailed   = "failed"
	StatusRejected = "rejected"
)

// Agreement is what the off-chain side reads of an agreement.
type Agreement struct {
	ID         uint64
	Owner      string // bech32 account address
	Holder     string // holder node id (x/registry)
	Status     string
	Quota      uint64 // bytes of ciphertext
	Revision   uint64
	Root       []byte // manifest root of the current revision (nil before the first)
	ChunkCount uint64
	TotalBytes uint64
	// EndHeight: when ending, the height it ends; when closed, the height it closed.
	EndHeight int64
	// Slashed is the holder's collateral paid to the owner when it failed ("" otherwise).
	Slashed string
	// MaxMisses is how many missed challenges in a row fail an agreement
	// (x/backup's max_misses); set for failed agreements, to say why.
	MaxMisses uint32
	// The terms: price per epoch, what is left of the escrow, the collateral
	// asked (proposed) or locked (accepted), the notice in epochs.
	Price, Escrow, Collateral types.Coin
	NoticeEpochs              uint64
}

// Storing reports whether the holder should accept and keep data for it.
func (a Agreement) Storing() bool { return a.Status == StatusActive || a.Status == StatusEnding }

// Challenge asks a holder to prove it holds one chunk of an agreement.
type Challenge struct {
	AgreementID uint64
	ChunkIndex  uint64
	Seed        []byte
	Deadline    int64 // last height a proof is accepted at
}

// Proof answers a challenge (MsgProveStorage's fields).
type Proof struct {
	Holder       string
	AgreementID  uint64
	ChunkIndex   uint64
	ChunkLeaf    []byte
	Segment      []byte
	SegmentPath  [][]byte
	ManifestPath [][]byte
}

// Manifest is a new revision an owner commits (MsgCommitManifest's fields).
type Manifest struct {
	AgreementID uint64
	Revision    uint64
	Root        []byte
	ChunkCount  uint64
	TotalBytes  uint64
}

// ErrNotFound is returned for an unknown agreement.
var ErrNotFound = errors.New("agreement not found")

// Chain is everything the holder daemon and the agent do on chain.
type Chain interface {
	Agreement(ctx context.Context, id uint64) (Agreement, error)
	// HolderAgreements lists the agreements a holder node serves.
	HolderAgreements(ctx context.Context, holder string) ([]Agreement, error)
	// Challenges lists a holder node's open challenges.
	Challenges(ctx context.Context, holder string) ([]Challenge, error)
	// ProveStorage submits a proof, signed by the holder node's operator.
	ProveStorage(ctx context.Context, p Proof) error
	// CommitManifest moves an agreement to a new revision, signed by its owner.
	CommitManifest(ctx context.Context, m Manifest) error
}
