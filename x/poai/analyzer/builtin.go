package analyzer

import (
	"context"
	"fmt"
	"math/bits"
)

// BuiltinModelID names the built-in model in vote extensions; bump the suffix when
// the scoring rules change, so aggregated scores can be told apart.
const BuiltinModelID = "builtin-stat-v1"

// BuiltinConfig bounds the built-in model's memory.
type BuiltinConfig struct {
	MaxSenders  int // per-sender histories kept (LRU)
	MaxAccounts int // accounts remembered as "seen" (LRU)
}

// DefaultBuiltinConfig keeps ~50k sender histories and ~500k seen accounts: a few
// tens of MB at most.
func DefaultBuiltinConfig() BuiltinConfig {
	return BuiltinConfig{MaxSenders: 50_000, MaxAccounts: 500_000}
}

// Builtin is the default analyzer: a deterministic statistical model of
// transaction patterns, integer math only. Given the same sequence of blocks it
// gives the same scores, so honest validators running it agree exactly; two nodes
// differ only if one restarted (its history starts empty) or evicted history.
//
// A tx's risk is the sum of four capped components:
//   - rate:      the sender's txs in this block plus its decayed per-block rate,
//     above rateFree per block (bursts, spam);
//   - amount:    the z-score of log2(amount) against the sender's own history
//     (a sender that suddenly moves far more, or far less, than usual);
//   - fan-out:   recipients never seen before on chain (sweeping funds out to
//     fresh addresses);
//   - failures:  this tx failed, and the sender's recent failure ratio (probing).
type Builtin struct {
	senders *lru[*senderStats]
	seen    *lru[struct{}]
}

type senderStats struct {
	rate8 uint32 // moving average of txs per block, x8 fixed point: rate8' = rate8*7/8 + txs
	lastH int64  // last height this sender was seen (for decay)
	// log2-amount moments: x = log2(amount) in 1/256 units (0..16384)
	n, sum, sumSq int64
	txs, fails    uint32 // decayed (halved when txs reaches 1024)
}

// Component caps and thresholds; their sum may exceed MaxRisk and is clamped.
const (
	rateFree      = 4   // txs per block a sender may send without risk
	rateStep      = 40  // risk per tx beyond rateFree
	rateCap       = 300 //
	zFree         = 250 // z-score x100 below which an amount is unremarkable
	amountCap     = 350
	amountMinN    = 3  // history needed before the z-score counts
	minStd        = 64 // floor of the std-dev (1/4 of a doubling), x = 1/256 log2
	newAcctFirst  = 20 // one fresh recipient is normal (a new user)
	newAcctStep   = 60 // each further fresh recipient in the same tx
	fanoutCap     = 300
	failedTx      = 150
	failRatioCap  = 200
	failRatioMinN = 3
	maxMoments    = 1 << 16 // moments are halved past this many samples (bounded, recency-weighted)
)

// NewBuiltin builds the built-in model.
func NewBuiltin(c BuiltinConfig) *Builtin {
	d := DefaultBuiltinConfig()
	if c.MaxSenders <= 0 {
		c.MaxSenders = d.MaxSenders
	}
	if c.MaxAccounts <= 0 {
		c.MaxAccounts = d.MaxAccounts
	}
	return &Builtin{senders: newLRU[*senderStats](c.MaxSenders), seen: newLRU[struct{}](c.MaxAccounts)}
}

func (*Builtin) ModelID() string { return BuiltinModelID }

// Analyze scores every tx against the history before this block, then learns
// from the block (in tx order).
func (m *Builtin) Analyze(_ context.Context, b Block) (Report, error) {
	return Report{Height: b.Height, BlockHash: b.Hash, ModelID: BuiltinModelID, Risks: m.score(b)}, nil
}

func (m *Builtin) score(b Block) []uint32 {
	// Txs per sender in this block: bursts count even for a sender never seen before.
	inBlock := make(map[string]uint32, len(b.Txs))
	for i := range b.Txs {
		inBlock[string(b.Txs[i].Sender)]++
	}
	risks := make([]uint32, len(b.Txs))
	for i := range b.Txs {
		t := &b.Txs[i]
		st, _ := m.senders.get(string(t.Sender))
		var r int64
		r += rateRisk(st, inBlock[string(t.Sender)], b.Height)
		r += amountRisk(st, t)
		r += m.fanoutRisk(t)
		r += failureRisk(st, t)
		risks[i] = clampRisk(r)
	}
	for i := range b.Txs {
		m.learn(&b.Txs[i], inBlock[string(b.Txs[i].Sender)], b.Height)
	}
	return risks
}

// rateRisk looks at the larger of the sender's txs in this block and its average
// per block (an exponential moving average, 7/8 decay per block).
func rateRisk(st *senderStats, inBlock uint32, h int64) int64 {
	rate := int64(inBlock)
	if st != nil {
		rate = max(rate, int64(decay(st.rate8, h-st.lastH)/8))
	}
	excess := rate - rateFree
	if excess <= 0 {
		return 0
	}
	return min(excess*rateStep, rateCap)
}

// decay applies 7/8 per block elapsed (zero after 64 blocks).
func decay(v uint32, blocks int64) uint32 {
	if blocks >= 64 {
		return 0
	}
	for ; blocks > 0 && v > 0; blocks-- {
		v = v * 7 / 8
	}
	return v
}

// log2x256 is log2(v) in 1/256 units, integer only (0 for v == 0).
func log2x256(v uint64) int64 {
	if v == 0 {
		return 0
	}
	n := bits.Len64(v) - 1 // integer part
	var frac uint64
	if n >= 8 {
		frac = (v >> (n - 8)) & 0xff
	} else {
		frac = (v << (8 - n)) & 0xff
	}
	return int64(n)*256 + int64(frac)
}

func txAmount(t *TxSummary) (uint64, bool) {
	var total uint64
	for _, tr := range t.Transfers {
		s, c := bits.Add64(total, tr.Amount, 0)
		if c != 0 {
			s = ^uint64(0)
		}
		total = s
	}
	return total, len(t.Transfers) > 0
}

func amountRisk(st *senderStats, t *TxSummary) int64 {
	amt, ok := txAmount(t)
	if !ok || st == nil || st.n < amountMinN {
		return 0
	}
	x := log2x256(amt)
	n := st.n
	// variance x n^2 = n*sumSq - sum^2 (exact in int64: x <= 16384, n <= 2^16)
	varN2 := n*st.sumSq - st.sum*st.sum
	std := isqrt(uint64(max(varN2, 0))) / uint64(n)
	if std < minStd {
		std = minStd
	}
	dev := x*n - st.sum
	if dev < 0 {
		dev = -dev
	}
	z100 := dev * 100 / (n * int64(std))
	if z100 <= zFree {
		return 0
	}
	return min((z100-zFree)/2, amountCap)
}

func (m *Builtin) fanoutRisk(t *TxSummary) int64 {
	fresh := int64(0)
	var counted map[string]struct{}
	for _, tr := range t.Transfers {
		if _, ok := m.seen.get(string(tr.To)); ok {
			continue
		}
		if counted == nil {
			counted = map[string]struct{}{}
		}
		if _, dup := counted[string(tr.To)]; dup {
			continue
		}
		counted[string(tr.To)] = struct{}{}
		fresh++
	}
	if fresh == 0 {
		return 0
	}
	return min(newAcctFirst+(fresh-1)*newAcctStep, fanoutCap)
}

func failureRisk(st *senderStats, t *TxSummary) int64 {
	var r int64
	if !t.Success {
		r += failedTx
	}
	if st != nil && st.txs >= failRatioMinN {
		r += int64(st.fails) * failRatioCap / int64(st.txs)
	}
	return r
}

func (m *Builtin) learn(t *TxSummary, inBlock uint32, h int64) {
	st, ok := m.senders.get(string(t.Sender))
	if !ok {
		st = &senderStats{lastH: h}
		m.senders.put(string(t.Sender), st)
	}
	if st.lastH != h {
		st.rate8 = decay(st.rate8, h-st.lastH) + inBlock
		st.lastH = h
	} else if !ok {
		st.rate8 = inBlock // a new sender: its first block
	}
	if amt, ok := txAmount(t); ok {
		if st.n >= maxMoments {
			st.n, st.sum, st.sumSq = st.n/2, st.sum/2, st.sumSq/2
		}
		x := log2x256(amt)
		st.n++
		st.sum += x
		st.sumSq += x * x
	}
	if st.txs >= 1024 {
		st.txs, st.fails = st.txs/2, st.fails/2
	}
	st.txs++
	if !t.Success {
		st.fails++
	}
	m.seen.put(string(t.Sender), struct{}{})
	for _, tr := range t.Transfers {
		m.seen.put(string(tr.To), struct{}{})
	}
}

// isqrt is the integer square root (floor).
func isqrt(v uint64) uint64 {
	if v < 2 {
		return v
	}
	x := uint64(1) << ((bits.Len64(v) + 1) / 2)
	for {
		y := (x + v/x) / 2
		if y >= x {
			return x
		}
		x = y
	}
}

// SenderHistory is what the built-in model remembers of a sender, in the words a
// prompt uses.
type SenderHistory struct {
	// Txs and Failed are its recent txs and how many failed (halved together past 1,024).
	Txs    uint32 `json:"txs"`
	Failed uint32 `json:"failed"`
	// TxsPerBlock is its moving average of txs per block (x8 fixed point, as "1.250").
	TxsPerBlock string `json:"txs_per_block"`
	// TypicalAmount is the geometric mean of the amounts it moved (base units; 0: none yet).
	TypicalAmount uint64 `json:"typical_amount"`
}

// histories is the history of every sender of b's selected txs as of before b.
func (m *Builtin) histories(b Block) map[string]*SenderHistory {
	out := make(map[string]*SenderHistory, len(b.Selected))
	for _, idx := range b.Selected {
		if int(idx) >= len(b.Txs) {
			continue
		}
		key := string(b.Txs[idx].Sender)
		if _, done := out[key]; done {
			continue
		}
		st, ok := m.senders.get(key)
		if !ok {
			out[key] = nil
			continue
		}
		r := decay(st.rate8, b.Height-st.lastH)
		h := &SenderHistory{Txs: st.txs, Failed: st.fails, TxsPerBlock: fmt.Sprintf("%d.%03d", r/8, r%8*125)}
		if st.n > 0 {
			h.TypicalAmount = exp2x256(st.sum / st.n)
		}
		out[key] = h
	}
	return out
}

// exp2x256 inverts log2x256 (to within its 1/256 resolution).
func exp2x256(x int64) uint64 {
	n := x / 256
	if n >= 64 {
		return ^uint64(0)
	}
	v := uint64(256+x%256) << n
	return v >> 8
}
