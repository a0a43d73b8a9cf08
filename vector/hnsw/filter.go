package hnsw

import (
	"encoding/json"
	"math/bits"
	"sync"

	"github.com/shopmuse/shopmuse/shop"
)

// filterCacheSize is how many filters keep their match sets. Shop traffic
// repeats a few filters (a category page, "in stock") far more than it
// varies them.
const filterCacheSize = 16

// filterCache remembers, per filter, the bitset of live nodes that match it:
// evaluating a filter against every payload costs a few milliseconds per
// 100k points, far more than the search that follows. An entry is valid for
// one graph at one version; any write bumps the version. It plays the part
// of Qdrant's payload indexes, and like them gives the planner an exact
// match count instead of an estimate.
type filterCache struct {
	mu      sync.Mutex
	tick    uint64
	entries []*matchSet
}

type matchSet struct {
	key     string
	g       *graph
	version uint64
	bits    []uint64
	count   int
	used    uint64
}

func (s *matchSet) has(u uint32) bool { return s.bits[u>>6]&(1<<(u&63)) != 0 }

// matches returns the match set of filter on g; the caller holds the Index
// read lock, so g's nodes and version are stable.
func (c *filterCache) matches(g *graph, f *shop.ProductFilter) *matchSet {
	keyBytes, err := json.Marshal(f)
	key := string(keyBytes)
	if err == nil {
		c.mu.Lock()
		c.tick++
		for _, e := range c.entries {
			if e.key == key && e.g == g && e.version == g.version {
				e.used = c.tick
				c.mu.Unlock()
				return e
			}
		}
		c.mu.Unlock()
	}
	s := &matchSet{key: key, g: g, version: g.version, bits: make([]uint64, (g.n+63)/64)}
	for u := range g.n {
		if g.state[u] == stateLive && g.payloads[u].Matches(f) {
			s.bits[u>>6] |= 1 << (u & 63)
			s.count++
		}
	}
	if err != nil {
		return s
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.tick++
	s.used = c.tick
	// Replace a stale entry, else grow, else evict the least recently used.
	for i, e := range c.entries {
		if e.g != g || e.version != g.version {
			c.entries[i] = s
			return s
		}
	}
	if len(c.entries) < filterCacheSize {
		c.entries = append(c.entries, s)
		return s
	}
	lru := 0
	for i, e := range c.entries {
		if e.used < c.entries[lru].used {
			lru = i
		}
	}
	c.entries[lru] = s
	return s
}

// scan is the exact filtered search: every matching point is scored. The
// matches lie scattered through memory, so ids are taken in batches whose
// vectors are touched before any is scored, letting the cache misses overlap
// (see unvisited).
func (g *graph) scan(s *searcher, q []float32, k int, m *matchSet) []cand {
	s.top = s.top[:0]
	batch := s.nb[:0]
	var sink float32
	flush := func() {
		for _, u := range batch {
			off := int(u) * g.stride
			sink += g.vecs[off] + g.vecs[off+g.stride/2]
		}
		for _, u := range batch {
			d := g.dist(q, u)
			if len(s.top) < k {
				s.top.push(cand{d, u})
			} else if d < s.top[0].d {
				s.top.pop()
				s.top.push(cand{d, u})
			}
		}
		batch = batch[:0]
	}
	for w, word := range m.bits {
		for word != 0 {
			batch = append(batch, uint32(w*64+bits.TrailingZeros64(word)))
			word &= word - 1
		}
		if len(batch) >= 32 {
			flush()
		}
	}
	flush()
	s.nb = batch
	s.sink += sink
	return s.sortedTop()
}
