package backup

import (
	"testing"

	"github.com/selfchain/selfchain/app/runtime"
)

// proveStorageGas is the store gas of one good proof (docs/modules/backup.md,
// "Gas of a proof"): a read of the challenge (1,000 + 3 a byte) and its write
// in place (2,000 + 30 a byte of key and record). Version 1 also deleted the
// challenge, set challengeable and read and rewrote the holder's counters:
// 9,475 gas for this proof (measured on its code with this test). The counters
// are now written in EndBlock, which is not metered.
const proveStorageGas = 8_439

func TestProveStorageGas(t *testing.T) {
	ch, m := cachedProof(t)
	k, ctx := proofKeeper(t, ch)
	// A holder with agreements has counters: version 1 read and rewrote them.
	if err := k.HolderStats.Set(ctx, ch.HolderNodeId, HolderStats{OpenAgreements: 3, UsedBytes: 3 << 30, ProofsAnswered: 1_000}); err != nil {
		t.Fatal(err)
	}
	g := runtime.NewGasMeter(1_000_000)
	mctx := ctx.ForTx(ctx.Stores(), runtime.NewEventManager(), g)
	if _, err := NewMsgServer(k).ProveStorage(mctx, cloneMsg(m)); err != nil {
		t.Fatal(err)
	}
	t.Logf("a good proof: %d gas", g.Consumed())
	if g.Consumed() != proveStorageGas {
		t.Fatalf("a good proof costs %d gas, documented %d: update docs/modules/backup.md and this constant", g.Consumed(), proveStorageGas)
	}
}
