// Package vectortest holds what every vector.Index implementation is tested
// with: an exact brute-force Index to compare against (and to stand in for a
// real backend in other packages' tests), and Run, the conformance suite.
package vectortest

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"sync"

	"github.com/shopmuse/shopmuse/shop"
	"github.com/shopmuse/shopmuse/vector"
)

// ErrClosed is returned by a BruteForce used after Close.
var ErrClosed = errors.New("vectortest: index closed")

// BruteForce is an exact vector.Index: every search scans every point. It is
// the reference the approximate indexes are measured against, so it favours
// obvious correctness over speed. Safe for concurrent use.
type BruteForce struct {
	dim int

	mu     sync.RWMutex
	points map[string]bruteEntry
	closed bool
}

type bruteEntry struct {
	vec     []float32
	norm    float64
	payload vector.Payload
}

var _ vector.Index = (*BruteForce)(nil)

// NewBruteForce returns an empty index of vectors of length dim.
func NewBruteForce(dim int) *BruteForce {
	if dim <= 0 {
		panic(fmt.Sprintf("vectortest: dimension must be positive, got %d", dim))
	}
	return &BruteForce{dim: dim, points: make(map[string]bruteEntry)}
}

// Dim implements vector.Index.
func (b *BruteForce) Dim() int { return b.dim }

// Upsert implements vector.Index. The whole batch is validated before any
// point is written, so a bad point leaves the index unchanged.
func (b *BruteForce) Upsert(ctx context.Context, points []vector.Point) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	for i := range points {
		if err := points[i].Validate(b.dim); err != nil {
			return fmt.Errorf("vectortest: upsert point %d: %w", i, err)
		}
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return ErrClosed
	}
	for _, p := range points {
		// Copy: callers may reuse their slices after Upsert returns.
		pl := p.Payload
		pl.Tags = slices.Clone(pl.Tags)
		b.points[p.ID] = bruteEntry{vec: slices.Clone(p.Vector), norm: norm(p.Vector), payload: pl}
	}
	return nil
}

// Delete implements vector.Index.
func (b *BruteForce) Delete(ctx context.Context, ids []string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return ErrClosed
	}
	for _, id := range ids {
		delete(b.points, id)
	}
	return nil
}

// Search implements vector.Index. Ties in score are broken by ID so results
// are deterministic.
func (b *BruteForce) Search(ctx context.Context, query []float32, k int, filter *shop.ProductFilter) ([]vector.Hit, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if len(query) != b.dim {
		return nil, fmt.Errorf("vectortest: search: query has %d values, index has %d: %w", len(query), b.dim, vector.ErrDimension)
	}
	if k <= 0 {
		return nil, nil
	}
	qn := norm(query)
	b.mu.RLock()
	defer b.mu.RUnlock()
	if b.closed {
		return nil, ErrClosed
	}
	hits := make([]vector.Hit, 0, min(k, len(b.points)))
	for id, e := range b.points {
		if !e.payload.Matches(filter) {
			continue
		}
		hits = append(hits, vector.Hit{ID: id, Score: cosine(query, qn, e.vec, e.norm)})
	}
	sortHits(hits)
	if len(hits) > k {
		hits = hits[:k]
	}
	return hits, nil
}

// Vector implements vector.Index; it returns the vector exactly as upserted.
func (b *BruteForce) Vector(ctx context.Context, id string) ([]float32, bool, error) {
	if err := ctx.Err(); err != nil {
		return nil, false, err
	}
	b.mu.RLock()
	defer b.mu.RUnlock()
	if b.closed {
		return nil, false, ErrClosed
	}
	e, ok := b.points[id]
	if !ok {
		return nil, false, nil
	}
	return slices.Clone(e.vec), true, nil
}

// Count implements vector.Index.
func (b *BruteForce) Count(ctx context.Context) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	b.mu.RLock()
	defer b.mu.RUnlock()
	if b.closed {
		return 0, ErrClosed
	}
	return len(b.points), nil
}

// Close implements vector.Index. Later calls fail with ErrClosed.
func (b *BruteForce) Close() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.closed = true
	b.points = nil
	return nil
}

// Cosine is the cosine similarity of a and b computed in float64; it is 0
// when either vector is zero, where the angle is undefined.
func Cosine(a, b []float32) float32 {
	return cosine(a, norm(a), b, norm(b))
}

func cosine(a []float32, an float64, b []float32, bn float64) float32 {
	if an == 0 || bn == 0 {
		return 0
	}
	var dot float64
	for i := range a {
		dot += float64(a[i]) * float64(b[i])
	}
	return float32(dot / (an * bn))
}

func norm(v []float32) float64 {
	var s float64
	for _, x := range v {
		s += float64(x) * float64(x)
	}
	return math.Sqrt(s)
}

// sortHits orders hits best first, ties by ID.
func sortHits(hits []vector.Hit) {
	slices.SortFunc(hits, func(a, b vector.Hit) int {
		if c := cmp.Compare(b.Score, a.Score); c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	})
}
