package backup

import (
	"context"
	"encoding/binary"
	"fmt"
	"slices"
	"strings"
	"sync"

	"google.golang.org/protobuf/encoding/protowire"

	"github.com/selfchain/selfchain/app/runtime"
)

// Holder counters are written once a block per holder, not once a proof: a
// block of 10,000 proofs to one holder used to decode, encode and meter the
// same HolderStats record 10,000 times.
//
// A proof executed by FinalizeBlock answers its challenge in place
// (answered_height = the block's height) and notes the agreement id in the
// keeper's answeredLog. EndBlock first reads back every noted challenge, counts
// those that state says were answered at this height per holder node, and adds
// them to proofs_answered in node-id order. The log is only a hint and may hold
// more than what counts: a tx that failed after its proof (a later message, out
// of gas) leaves an id whose stored challenge is not answered at this height,
// and a retried proof is noted twice (ids are deduplicated). A challenge
// answered and then cancelled in the same block (a new manifest) is counted as
// it is cancelled (settleAnswered). So the counters depend on state alone,
// never on what this node's memory holds, and equal what a per-proof write gave.

// answeredLog is the agreement ids whose challenges FinalizeBlock answered in
// the block at height; BeginBlock resets it, EndBlock takes it. Safe for
// concurrent use (queries and CheckTx never write it).
type answeredLog struct {
	mu     sync.Mutex
	height int64
	taken  bool // EndBlock counted the block's proofs: later cancels count nothing
	ids    []uint64
}

func (l *answeredLog) reset(h int64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.height, l.taken, l.ids = h, false, l.ids[:0]
}

func (l *answeredLog) note(h int64, id uint64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.height != h { // no BeginBlock ran (keeper tests): start the height here
		l.height, l.taken, l.ids = h, false, l.ids[:0]
	}
	l.ids = append(l.ids, id)
}

// take returns the ids noted at height h, sorted and deduplicated, and marks
// the height counted.
func (l *answeredLog) take(h int64) []uint64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	var ids []uint64
	if l.height == h && !l.taken {
		ids = slices.Clone(l.ids)
		slices.Sort(ids)
		ids = slices.Compact(ids)
	}
	l.height, l.taken, l.ids = h, true, l.ids[:0]
	return ids
}

// pending reports whether proofs answered at height h are still to be counted by EndBlock.
func (l *answeredLog) pending(h int64) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.height == h && !l.taken
}

// defersStats reports whether a proof executed in ctx leaves its holder's
// counter to EndBlock: in FinalizeBlock. At genesis (no EndBlock follows in the
// same block) it writes the counter at once; in simulation and admission the
// state is thrown away, so it writes nothing and its gas is FinalizeBlock's.
func defersStats(ctx context.Context) bool {
	return runtime.Unwrap(ctx).Mode() == runtime.ModeFinalize
}

// addAnswered adds n answered proofs to node's counters.
func (k Keeper) addAnswered(ctx context.Context, node string, n uint64) error {
	st, err := k.holderStats(ctx, node)
	if err != nil {
		return err
	}
	st.ProofsAnswered += n
	return k.HolderStats.Set(ctx, node, st)
}

// flushAnswered is EndBlock's first step: one write per holder whose proofs
// this block answered.
func (k Keeper) flushAnswered(ctx context.Context, h int64) error {
	ids := k.answered.take(h)
	if len(ids) == 0 {
		return nil
	}
	type tally struct {
		node string
		n    uint64
	}
	var tallies []tally
	at := map[string]int{} // lookups only, never ranged over
	kv := k.store.OpenKVStore(ctx)
	key := append(challengesPrefix.Bytes(), make([]byte, 8)...)
	for _, id := range ids {
		binary.BigEndian.PutUint64(key[len(key)-8:], id) // collections.Uint64Key's encoding
		bz, err := kv.Get(key)
		if err != nil {
			return err
		}
		if bz == nil {
			continue // cancelled in this block (counted then) or never answered
		}
		answered, node, err := answeredBy(bz)
		if err != nil {
			return fmt.Errorf("backup: challenge %d: %w", id, err) // corrupted state
		}
		if answered != h {
			continue // its tx failed after the proof
		}
		i, ok := at[string(node)]
		if !ok {
			i = len(tallies)
			at[string(node)] = i
			tallies = append(tallies, tally{node: string(node)})
		}
		tallies[i].n++
	}
	slices.SortFunc(tallies, func(a, b tally) int { return strings.Compare(a.node, b.node) })
	for _, t := range tallies {
		if err := k.addAnswered(ctx, t.node, t.n); err != nil {
			return err
		}
	}
	return nil
}

// answeredBy reads a stored Challenge's answered_height (field 12) and
// holder_node_id (field 11) without decoding the rest: EndBlock reads back
// every challenge a block answered, thousands of them. Where Challenge.Unmarshal
// also accepts the bytes, the two agree (FuzzAnsweredBy); stored records are
// Challenge.Marshal's.
func answeredBy(bz []byte) (answered int64, node []byte, err error) {
	for len(bz) > 0 {
		num, typ, n := protowire.ConsumeTag(bz)
		if n < 0 {
			return 0, nil, protowire.ParseError(n)
		}
		bz = bz[n:]
		switch {
		case num == 11 && typ == protowire.BytesType:
			node, n = protowire.ConsumeBytes(bz)
		case num == 12 && typ == protowire.VarintType:
			var v uint64
			v, n = protowire.ConsumeVarint(bz)
			answered = int64(v)
		default:
			n = protowire.ConsumeFieldValue(num, typ, bz)
		}
		if n < 0 {
			return 0, nil, protowire.ParseError(n)
		}
		bz = bz[n:]
	}
	return answered, node, nil
}

// settleAnswered counts ch's proof now if it was answered in this block and is
// about to be removed before EndBlock could count it.
func (k Keeper) settleAnswered(ctx context.Context, ch Challenge) error {
	h := runtime.Unwrap(ctx).BlockHeight()
	if ch.AnsweredHeight == 0 || ch.AnsweredHeight != h || !defersStats(ctx) || !k.answered.pending(h) {
		return nil
	}
	return k.addAnswered(ctx, ch.HolderNodeId, 1)
}
