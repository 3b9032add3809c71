package mempool

import (
	"fmt"

	"github.com/selfchain/selfchain/types"
)

// SenderView is what admission needs of a sender's pending txs to judge a tx
// with sequence Seq: read under one lock, without copying the queue, the fees
// summed in memory. Admission then deducts FeesBefore from the committed balance
// once, instead of replaying each pending tx's fee on a branch (a store read and
// write per pending tx, per admitted tx).
type SenderView struct {
	Pending    int           // pending txs from the committed sequence on
	FeesBefore types.Coins   // summed fees of the pending txs before Seq
	PubKey     *types.PubKey // the first public key a pending tx before Seq carries
	Later      int           // pending txs after Seq (a replacement's successors)
	FeesLater  types.Coins   // their summed fees
}

// View reads sender's pending txs from sequence committed on, split around seq
// (stale ones below committed, already in a block, are skipped). A sum of fees
// that overflows is an error (no account can pay it).
func (p *Pool) View(sender string, committed, seq uint64) (SenderView, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	q := p.senders[sender]
	i := 0
	for i < len(q) && q[i].Seq < committed {
		i++
	}
	q = q[i:]
	v := SenderView{Pending: len(q)}
	var err error
	for _, t := range q {
		switch {
		case t.Seq < seq:
			if v.FeesBefore, err = addFees(v.FeesBefore, t.Tx.Fee()); err != nil {
				return v, err
			}
			if v.PubKey == nil {
				v.PubKey = t.Tx.PubKey()
			}
		case t.Seq > seq:
			v.Later++
			if v.FeesLater, err = addFees(v.FeesLater, t.Tx.Fee()); err != nil {
				return v, err
			}
		}
	}
	return v, nil
}

// addFees returns sum + fee. sum is owned by the caller (never a tx's own
// Coins): when both hold the same denoms, the common case, it is added to in
// place, without allocating.
func addFees(sum, fee types.Coins) (types.Coins, error) {
	if len(fee) == 0 {
		return sum, nil
	}
	if sum == nil {
		return append(make(types.Coins, 0, len(fee)), fee...), nil
	}
	if len(sum) == len(fee) {
		same := true
		for i := range fee {
			if sum[i].Denom != fee[i].Denom {
				same = false
				break
			}
		}
		if same {
			for i := range fee {
				a, err := sum[i].Amount.Add(fee[i].Amount)
				if err != nil {
					return nil, fmt.Errorf("pending fees in %s: %w", fee[i].Denom, err)
				}
				sum[i].Amount = a
			}
			return sum, nil
		}
	}
	return sum.Add(fee)
}
