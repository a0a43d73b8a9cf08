package recommend

import (
	"context"
	"io"
	"log/slog"
	"math"
	"sync"
	"testing"
	"time"

	"github.com/shopmuse/shopmuse/recommend/synth"
	"github.com/shopmuse/shopmuse/shop"
	"github.com/shopmuse/shopmuse/vector"
	"github.com/shopmuse/shopmuse/vector/exact"
)

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
	// The fit of the blend (Config.AutoTune) adds seconds to every
	// training; autotune_test.go turns it on.
	cfg.AutoTune = false
	if mutate != nil {
		mutate(&cfg)
	}
	idx := exact.New(synth.EmbeddingDim)
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
