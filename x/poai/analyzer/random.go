package analyzer

import (
	"context"
	"math/rand/v2"
)

// Random is the TEST-ONLY dishonest analyzer: uniform random risks. It exists so
// that a network test can run a validator whose scores disagree with everyone
// else's and watch its reputation fall.
type Random struct{ r *rand.Rand }

// NewRandom seeds a random analyzer (seed 0: a fixed default seed).
func NewRandom(seed uint64) *Random { return &Random{r: rand.New(rand.NewPCG(seed, 0x5e1f))} }

func (*Random) ModelID() string { return "random-test-only" }

func (a *Random) Analyze(_ context.Context, b Block) (Report, error) {
	risks := make([]uint32, len(b.Txs))
	for i := range risks {
		risks[i] = uint32(a.r.IntN(MaxRisk + 1))
	}
	return Report{Height: b.Height, BlockHash: b.Hash, ModelID: a.ModelID(), Risks: risks}, nil
}
