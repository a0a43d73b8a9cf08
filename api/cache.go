package api

import (
	"container/list"
	"context"
	"sync"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
)

// Byte budgets of the parsed-query and persisted-query caches. An entry
// count bounded nothing: a thousand 8 MB queries are 8 GB.
const (
	QueryCacheBytes = 32 << 20
	APQCacheBytes   = 8 << 20
	// astBytesPerQueryByte estimates a parsed document's heap size from its
	// text: measured at 10–20× for typical queries; the estimate errs high.
	astBytesPerQueryByte = 24
)

// ByteLRU is a least-recently-used cache bounded by an estimate of the
// bytes its entries hold. It implements gqlgen's graphql.Cache.
type ByteLRU[T any] struct {
	max  int64
	size func(key string, v T) int64

	mu    sync.Mutex
	used  int64
	ll    *list.List
	items map[string]*list.Element
}

type lruEntry[T any] struct {
	key  string
	v    T
	size int64
}

var _ graphql.Cache[string] = (*ByteLRU[string])(nil)

// NewByteLRU returns a cache of at most max bytes, entries weighed by size.
func NewByteLRU[T any](max int64, size func(key string, v T) int64) *ByteLRU[T] {
	return &ByteLRU[T]{max: max, size: size, ll: list.New(), items: map[string]*list.Element{}}
}

// NewQueryCache is the parsed-query cache: keyed by query text.
func NewQueryCache(max int64) *ByteLRU[*ast.QueryDocument] {
	return NewByteLRU(max, func(k string, _ *ast.QueryDocument) int64 { return int64(len(k))*(1+astBytesPerQueryByte) + 256 })
}

// NewAPQCache is the persisted-query cache: hash to query text.
func NewAPQCache(max int64) *ByteLRU[string] {
	return NewByteLRU(max, func(k, v string) int64 { return int64(len(k)+len(v)) + 64 })
}

func (c *ByteLRU[T]) Get(_ context.Context, key string) (T, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.items[key]; ok {
		c.ll.MoveToFront(e)
		return e.Value.(*lruEntry[T]).v, true
	}
	var zero T
	return zero, false
}

// Add caches v unless it alone would take over an eighth of the budget (one
// huge query must not flush everyone else's), evicting the least recently
// used entries to make room.
func (c *ByteLRU[T]) Add(_ context.Context, key string, v T) {
	size := c.size(key, v)
	if size > c.max/8 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.items[key]; ok {
		old := e.Value.(*lruEntry[T])
		c.used += size - old.size
		old.v, old.size = v, size
		c.ll.MoveToFront(e)
	} else {
		c.items[key] = c.ll.PushFront(&lruEntry[T]{key: key, v: v, size: size})
		c.used += size
	}
	for c.used > c.max {
		e := c.ll.Back()
		ent := e.Value.(*lruEntry[T])
		c.ll.Remove(e)
		delete(c.items, ent.key)
		c.used -= ent.size
	}
}

// Bytes is the estimated size of what is cached.
func (c *ByteLRU[T]) Bytes() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.used
}
