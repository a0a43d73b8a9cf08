// Package exact is an exact (brute-force) vector.Index: a scan of every
// vector with a size-k heap. The offline evaluation uses it for product
// embeddings so that the content retriever ranks the whole catalogue exactly
// ("full ranking"), with no ANN recall loss mixed into a model comparison;
// tests use it where an approximate index would blur an assertion.
// (vector/vectortest.BruteForce stays separate on purpose: the reference the
// conformance suite checks indexes against shares no code with them.)
package exact

import (
	"context"
	"fmt"
	"math"
	"slices"
	"sync"

	"github.com/shopmuse/shopmuse/internal/topk"
	"github.com/shopmuse/shopmuse/shop"
	"github.com/shopmuse/shopmuse/vector"
)

// Index is an exact vector.Index; safe for concurrent use.
type Index struct {
	mu   sync.RWMutex
	dim  int
	ids  []string
	vecs []float32 // L2-normalised, contiguous
	pl   []vector.Payload
	pos  map[string]int
}

// New returns an empty index of the given dimension.
func New(dim int) *Index { return &Index{dim: dim, pos: map[string]int{}} }

func unit(v []float32) []float32 {
	var n float64
	for _, x := range v {
		n += float64(x) * float64(x)
	}
	if n == 0 {
		return nil
	}
	n = math.Sqrt(n)
	out := make([]float32, len(v))
	for i, x := range v {
		out[i] = float32(float64(x) / n)
	}
	return out
}

func (f *Index) Upsert(_ context.Context, pts []vector.Point) error {
	// A batch with one bad point writes nothing.
	for i := range pts {
		if err := pts[i].Validate(f.dim); err != nil {
			return fmt.Errorf("exact: upsert point %d: %w", i, err)
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, p := range pts {
		v := unit(p.Vector)
		if v == nil {
			v = make([]float32, f.dim)
		}
		if i, ok := f.pos[p.ID]; ok {
			copy(f.vecs[i*f.dim:], v)
			f.pl[i] = p.Payload
			continue
		}
		f.pos[p.ID] = len(f.ids)
		f.ids = append(f.ids, p.ID)
		f.vecs = append(f.vecs, v...)
		f.pl = append(f.pl, p.Payload)
	}
	return nil
}

func (f *Index) Delete(_ context.Context, ids []string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, id := range ids {
		i, ok := f.pos[id]
		if !ok {
			continue
		}
		last := len(f.ids) - 1
		f.ids[i], f.pl[i] = f.ids[last], f.pl[last]
		copy(f.vecs[i*f.dim:(i+1)*f.dim], f.vecs[last*f.dim:])
		f.pos[f.ids[i]] = i
		f.ids, f.pl, f.vecs = f.ids[:last], f.pl[:last], f.vecs[:last*f.dim]
		delete(f.pos, id)
	}
	return nil
}

type hit struct {
	i int
	s float32
}

func (f *Index) Search(_ context.Context, q []float32, k int, filter *shop.ProductFilter) ([]vector.Hit, error) {
	if len(q) != f.dim {
		return nil, vector.ErrDimension
	}
	q = unit(q)
	if q == nil || k <= 0 {
		return nil, nil
	}
	f.mu.RLock()
	defer f.mu.RUnlock()
	// A size-k heap keeps a query O(n log k); ties go to the earlier point.
	top := topk.New(k, func(a, b hit) bool { return a.i > b.i })
	zero := filter.IsZero()
	for i := range f.ids {
		x := hit{i, vector.Dot(q, f.vecs[i*f.dim:(i+1)*f.dim])}
		if !top.Admits(x, float64(x.s)) || (!zero && !f.pl[i].Matches(filter)) {
			continue
		}
		top.Push(x, float64(x.s))
	}
	h := top.Sorted()
	out := make([]vector.Hit, len(h))
	for n, x := range h {
		out[n] = vector.Hit{ID: f.ids[x.i], Score: x.s}
	}
	return out, nil
}

func (f *Index) Vector(_ context.Context, id string) ([]float32, bool, error) {
	f.mu.RLock()
	defer f.mu.RUnlock()
	i, ok := f.pos[id]
	if !ok {
		return nil, false, nil
	}
	return slices.Clone(f.vecs[i*f.dim : (i+1)*f.dim]), true, nil
}

func (f *Index) Count(context.Context) (int, error) {
	f.mu.RLock()
	defer f.mu.RUnlock()
	return len(f.ids), nil
}
func (f *Index) Dim() int     { return f.dim }
func (f *Index) Close() error { return nil }
