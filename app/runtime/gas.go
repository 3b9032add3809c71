package runtime

import (
	"fmt"
	"math"
)

// Gas is a unit of execution cost.
type Gas = uint64

// InfiniteGas is the limit of meters that never run out (block hooks, genesis).
const InfiniteGas = math.MaxUint64

// OutOfGasPanic is what ConsumeGas panics with; the tx runner recovers it into ErrOutOfGas.
// A panic (not an error) because store iterators cannot return errors mid-iteration.
type OutOfGasPanic struct{ Descriptor string }

// GasMeter counts gas against a limit. Not safe for concurrent use (one per tx).
type GasMeter struct {
	limit    Gas
	consumed Gas
}

func NewGasMeter(limit Gas) *GasMeter { return &GasMeter{limit: limit} }

func (g *GasMeter) Limit() Gas     { return g.limit }
func (g *GasMeter) Consumed() Gas  { return g.consumed }
func (g *GasMeter) Remaining() Gas { return g.limit - min(g.consumed, g.limit) }

// ConsumeGas adds amount; past the limit it panics with OutOfGasPanic.
func (g *GasMeter) ConsumeGas(amount Gas, descriptor string) {
	sum := g.consumed + amount
	if sum < g.consumed { // overflow
		g.consumed = math.MaxUint64
		panic(OutOfGasPanic{Descriptor: descriptor})
	}
	g.consumed = sum
	if g.consumed > g.limit {
		panic(OutOfGasPanic{Descriptor: descriptor})
	}
}

func (g *GasMeter) String() string { return fmt.Sprintf("gas %d/%d", g.consumed, g.limit) }

// GasConfig prices store access (the Cosmos SDK's KVGasConfig values).
type GasConfig struct {
	HasCost, DeleteCost             Gas
	ReadCostFlat, ReadCostPerByte   Gas
	WriteCostFlat, WriteCostPerByte Gas
	IterNextCostFlat                Gas
}

func DefaultGasConfig() GasConfig {
	return GasConfig{
		HasCost: 1000, DeleteCost: 1000,
		ReadCostFlat: 1000, ReadCostPerByte: 3,
		WriteCostFlat: 2000, WriteCostPerByte: 30,
		IterNextCostFlat: 30,
	}
}
