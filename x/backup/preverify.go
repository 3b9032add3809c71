package backup

import (
	"context"

	"github.com/selfchain/selfchain/app/runtime"
)

var _ runtime.HasPreVerify = Module{}

// PreVerifies: storage proofs are the one check of this module worth doing
// ahead of execution (~11 µs of hashing each, thousands a block), and only
// when this very proof has not passed already.
func (m Module) PreVerifies(msg runtime.Msg) bool {
	p, ok := msg.(*MsgProveStorage)
	return ok && !m.keeper.proofs.seen(p)
}

// PreVerify checks a storage proof against the challenge open in ctx's state
// (the last committed one; the app runs it when it admits a tx), remembering
// it if it passes. It writes nothing:
// execution re-reads the challenge and reuses the check only if every input
// is the same (proofCache.passed).
func (m Module) PreVerify(ctx context.Context, msg runtime.Msg) {
	p, ok := msg.(*MsgProveStorage)
	if !ok || p.ValidateBasic() != nil {
		return
	}
	k := m.keeper
	ch, err := k.Challenges.Get(ctx, p.AgreementId)
	if err != nil || ch.AnsweredHeight != 0 || ch.Holder != p.Holder || ch.ChunkIndex != p.ChunkIndex {
		return // execution gives the specific error
	}
	k.proofs.count()
	if p.Proof().Verify(ch.Root, ch.ChunkCount, ch.ChunkIndex, ch.Seed) == nil {
		k.proofs.add(&ch, p)
	}
}

// verifyProof is StorageProof.Verify of m's proof against ch, answered from
// the cache when the very same check passed before.
func (k Keeper) verifyProof(ch *Challenge, m *MsgProveStorage) error {
	if k.proofs.passed(ch, m) {
		return nil
	}
	k.proofs.count()
	return m.Proof().Verify(ch.Root, ch.ChunkCount, ch.ChunkIndex, ch.Seed)
}

// ProofChecks is how many storage-proof checks this node computed (not
// answered from its cache of passed checks).
func (k Keeper) ProofChecks() uint64 {
	if k.proofs == nil {
		return 0
	}
	return k.proofs.computed.Load()
}
