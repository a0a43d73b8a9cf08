package store

import (
	"sync"

	"github.com/shopmuse/shopmuse/shop"
)

// ProductCache keeps decoded products: serving a recommendation list reads
// twenty products, and decoding their JSON from Badger each time was a tenth
// of the CPU of a request. Writers bump the generation before they commit
// and update or drop entries after; a reader only fills the cache when no
// write happened since it started reading, so a stale product never
// outlives the write that replaced it.
type ProductCache struct {
	mu  sync.RWMutex
	gen uint64
	m   map[string]*shop.Product
	max int
}

// NewProductCache returns a cache of at most max products.
func NewProductCache(max int) *ProductCache {
	return &ProductCache{m: make(map[string]*shop.Product, min(max, 1024)), max: max}
}

// Generation is read before a read of the backend, for Fill.
func (c *ProductCache) Generation() uint64 {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.gen
}

// Get returns a cached product; callers copy it before changing fields.
func (c *ProductCache) Get(id string) (*shop.Product, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	p, ok := c.m[id]
	return p, ok
}

// Fill caches products read at generation gen, unless a write intervened.
func (c *ProductCache) Fill(gen uint64, ps []*shop.Product) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gen != gen {
		return
	}
	for _, p := range ps {
		if p == nil {
			continue
		}
		if len(c.m) >= c.max {
			// Map iteration order is random: this drops an arbitrary entry,
			// a fair enough eviction for a cache in front of a fast store.
			for k := range c.m {
				delete(c.m, k)
				break
			}
		}
		c.m[p.ID] = p
	}
}

// Invalidate is called around every catalogue write: before the commit (so
// concurrent readers do not fill with what is being replaced) and after it.
func (c *ProductCache) Invalidate(ids []string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	for _, id := range ids {
		delete(c.m, id)
	}
}
