package runtime

import (
	dbm "github.com/cosmos/cosmos-db"

	"github.com/selfchain/selfchain/app/store"
)

// gasKV charges a tx's gas meter for every store access.
type gasKV struct {
	parent store.KVStore
	gas    *GasMeter
	cfg    *GasConfig
}

var _ store.KVStore = gasKV{}

// gasStores keeps one metered context's gasKV per store name (a tx touches a
// handful of stores); KVStore returns a pointer into it, which needs no
// allocation, where returning a gasKV value boxed it anew on every call.
type gasStores struct {
	n     int
	names [6]string
	kvs   [6]gasKV
}

// wrap returns the metering wrapper of store name (parent s) for meter gas and
// config cfg, which are the same for every call on one gasStores.
func (g *gasStores) wrap(name string, s store.KVStore, gas *GasMeter, cfg *GasConfig) store.KVStore {
	if g == nil { // a metered Context built without its With* methods
		return gasKV{parent: s, gas: gas, cfg: cfg}
	}
	for i := 0; i < g.n; i++ {
		if g.names[i] == name {
			return &g.kvs[i]
		}
	}
	if g.n == len(g.names) {
		return gasKV{parent: s, gas: gas, cfg: cfg}
	}
	g.names[g.n], g.kvs[g.n] = name, gasKV{parent: s, gas: gas, cfg: cfg}
	g.n++
	return &g.kvs[g.n-1]
}

func (s gasKV) Get(key []byte) ([]byte, error) {
	s.gas.ConsumeGas(s.cfg.ReadCostFlat, "read flat")
	v, err := s.parent.Get(key)
	s.gas.ConsumeGas(s.cfg.ReadCostPerByte*Gas(len(key)+len(v)), "read per byte")
	return v, err
}

func (s gasKV) Has(key []byte) (bool, error) {
	s.gas.ConsumeGas(s.cfg.HasCost, "has")
	return s.parent.Has(key)
}

func (s gasKV) Set(key, value []byte) error {
	s.gas.ConsumeGas(s.cfg.WriteCostFlat, "write flat")
	s.gas.ConsumeGas(s.cfg.WriteCostPerByte*Gas(len(key)+len(value)), "write per byte")
	return s.parent.Set(key, value)
}

func (s gasKV) Delete(key []byte) error {
	s.gas.ConsumeGas(s.cfg.DeleteCost, "delete")
	return s.parent.Delete(key)
}

func (s gasKV) Iterator(start, end []byte) (dbm.Iterator, error) {
	it, err := s.parent.Iterator(start, end)
	if err != nil {
		return nil, err
	}
	return &gasIterator{Iterator: it, gas: s.gas, cfg: s.cfg}, nil
}

func (s gasKV) ReverseIterator(start, end []byte) (dbm.Iterator, error) {
	it, err := s.parent.ReverseIterator(start, end)
	if err != nil {
		return nil, err
	}
	return &gasIterator{Iterator: it, gas: s.gas, cfg: s.cfg}, nil
}

type gasIterator struct {
	dbm.Iterator
	gas *GasMeter
	cfg *GasConfig
}

func (it *gasIterator) Next() {
	it.gas.ConsumeGas(it.cfg.IterNextCostFlat, "iterator next")
	it.Iterator.Next()
}

func (it *gasIterator) Value() []byte {
	v := it.Iterator.Value()
	it.gas.ConsumeGas(it.cfg.ReadCostPerByte*Gas(len(it.Iterator.Key())+len(v)), "iterator value per byte")
	return v
}
