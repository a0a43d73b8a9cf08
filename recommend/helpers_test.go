package recommend

import (
	"context"
	"io"
	"log/slog"
	"math"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/shopmuse/shopmuse/recommend/synth"
	"github.com/shopmuse/shopmuse/shop"
	"github.com/shopmuse/shopmuse/vector"
)

// flatIndex is an exact brute-force vector.Index for tests and benchmarks.
type flatIndex struct {
	mu   sync.RWMutex
	dim  int
	ids  []string
	vecs []float32 // normalised, contiguous
	pl   []vector.Payload
	pos  map[string]int
}

func newFlat(dim int) *flatIndex { return &flatIndex{dim: dim, pos: map[string]int{}} }

func (f *flatIndex) Upsert(_ context.Context, pts []vector.Point) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, p := range pts {
		if len(p.Vector) != f.dim {
			return vector.ErrDimension
		}
		v := normalized(p.Vector)
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

func (f *flatIndex) Delete(_ context.Context, ids []string) error {
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

func (f *flatIndex) Search(_ context.Context, q []float32, k int, filter *shop.ProductFilter) ([]vector.Hit, error) {
	if len(q) != f.dim {
		return nil, vector.ErrDimension
	}
	q = normalized(q)
	if q == nil {
		return nil, nil
	}
	f.mu.RLock()
	defer f.mu.RUnlock()
	h := make([]nbr, 0, k)
	zero := filter.IsZero()
	for i := range f.ids {
		s := dot(q, f.vecs[i*f.dim:(i+1)*f.dim])
		if len(h) == k && s <= h[0].s {
			continue
		}
		if !zero && !f.pl[i].Matches(filter) {
			continue
		}
		h = pushNbr(h, k, nbr{int32(i), s})
	}
	out := make([]vector.Hit, 0, len(h))
	for _, n := range sortedNbrs(h) {
		out = append(out, vector.Hit{ID: f.ids[n.j], Score: n.s})
	}
	return out, nil
}

func (f *flatIndex) Vector(_ context.Context, id string) ([]float32, bool, error) {
	f.mu.RLock()
	defer f.mu.RUnlock()
	i, ok := f.pos[id]
	if !ok {
		return nil, false, nil
	}
	return slices.Clone(f.vecs[i*f.dim : (i+1)*f.dim]), true, nil
}

func (f *flatIndex) Count(context.Context) (int, error) {
	f.mu.RLock()
	defer f.mu.RUnlock()
	return len(f.ids), nil
}
func (f *flatIndex) Dim() int     { return f.dim }
func (f *flatIndex) Close() error { return nil }

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

// synthEngine loads a synthetic shop (optionally only the given events) into
// a new engine with a flat product index.
func synthEngine(tb testing.TB, s *synth.Shop, events []shop.Interaction, mutate func(*Config)) *Engine {
	tb.Helper()
	cfg := DefaultConfig()
	cfg.Now = func() time.Time { return s.Now }
	cfg.Logger = quiet
	if mutate != nil {
		mutate(&cfg)
	}
	idx := newFlat(synth.EmbeddingDim)
	e, err := New(cfg, Deps{Products: idx, Embedder: s.Embedder()})
	if err != nil {
		tb.Fatal(err)
	}
	ctx := context.Background()
	pts := make([]vector.Point, len(s.Products))
	for i := range s.Products {
		pts[i] = vector.Point{ID: s.Products[i].ID, Vector: s.Embeddings[i], Payload: vector.PayloadOf(&s.Products[i])}
	}
	if err := idx.Upsert(ctx, pts); err != nil {
		tb.Fatal(err)
	}
	if err := e.UpsertProducts(s.Products); err != nil {
		tb.Fatal(err)
	}
	if err := e.UpsertUsers(s.Users); err != nil {
		tb.Fatal(err)
	}
	for start := 0; start < len(events); start += 10000 {
		if err := e.LoadInteractions(events[start:min(start+10000, len(events))]); err != nil {
			tb.Fatal(err)
		}
	}
	return e
}

func approx(a, b, tol float64) bool { return math.Abs(a-b) <= tol }
