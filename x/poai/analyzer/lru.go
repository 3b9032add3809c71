package analyzer

import "container/list"

// lru is a capped map that evicts the least recently used key: the analyzer's
// history must not grow with the chain.
type lru[V any] struct {
	cap   int
	order *list.List // front = most recent; elements hold *entry[V]
	items map[string]*list.Element
}

type entry[V any] struct {
	key string
	val V
}

func newLRU[V any](capacity int) *lru[V] {
	if capacity < 1 {
		capacity = 1
	}
	return &lru[V]{cap: capacity, order: list.New(), items: make(map[string]*list.Element, min(capacity, 1<<16))}
}

// get returns the value for key and marks it recently used.
func (c *lru[V]) get(key string) (V, bool) {
	if el, ok := c.items[key]; ok {
		c.order.MoveToFront(el)
		return el.Value.(*entry[V]).val, true
	}
	var zero V
	return zero, false
}

// put stores v for key, evicting the least recently used key when full.
func (c *lru[V]) put(key string, v V) {
	if el, ok := c.items[key]; ok {
		el.Value.(*entry[V]).val = v
		c.order.MoveToFront(el)
		return
	}
	if c.order.Len() >= c.cap {
		old := c.order.Back()
		c.order.Remove(old)
		delete(c.items, old.Value.(*entry[V]).key)
	}
	c.items[key] = c.order.PushFront(&entry[V]{key: key, val: v})
}

func (c *lru[V]) len() int { return c.order.Len() }
