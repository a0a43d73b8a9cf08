package app

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"testing"

	"github.com/shopmuse/shopmuse/assistant"
	"github.com/shopmuse/shopmuse/shop"
)

// Two replicas over one store (no bus: each one's index is only what it
// read itself) cannot both fill a product's last Q&A place: the caps are
// checked in the write's turn, against an index reloaded when the other
// replica wrote since. A place freed on one replica is free on the other.
func TestQACapsHoldAcrossReplicas(t *testing.T) {
	backends(t, func(t *testing.T, be backend) {
		ctx := context.Background()
		replica := func(name string) *App {
			cfg := Config{Data: t.TempDir(), Replica: name, Logger: slog.New(quiet())}
			be.use(&cfg)
			a, err := Open(ctx, cfg)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { a.Close() })
			return a
		}
		a, b := replica("a"), replica("b")
		upsertCups(t, a, "p1")
		entry := func(id string) []assistant.QA {
			return []assistant.QA{{ID: id, ProductID: "p1", Question: "能装开水吗", Answer: "可以。"}}
		}
		var full []assistant.QA
		for i := range MaxQAsPerProduct - 2 {
			full = append(full, entry(fmt.Sprintf("q%03d", i))...)
		}
		if _, errs, err := a.UpsertProductQAs(ctx, full); err != nil || errs != nil {
			t.Fatal(err, errs)
		}
		if err := b.ReloadQAs(ctx); err != nil {
			t.Fatal(err)
		}
		// One place left after this: each replica's index says two.
		if _, errs, err := a.UpsertProductQAs(ctx, entry("a1")); err != nil || errs != nil {
			t.Fatal(err, errs)
		}
		// Both take the last place at once: one wins.
		var wg sync.WaitGroup
		errs := make([][]shop.UserError, 2)
		for i, r := range []*App{a, b} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				var err error
				if _, errs[i], err = r.UpsertProductQAs(ctx, entry(fmt.Sprintf("last-%d", i))); err != nil {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		if (errs[0] == nil) == (errs[1] == nil) {
			t.Fatalf("both or neither took the last place: %v", errs)
		}
		for _, e := range errs {
			if e != nil && (len(e) != 1 || e[0].Code != shop.CodeTooLarge) {
				t.Fatalf("refusal: %v", e)
			}
		}
		// Stale by one more: refused too.
		if _, errs, err := b.UpsertProductQAs(ctx, entry("b2")); err != nil || len(errs) != 1 || errs[0].Code != shop.CodeTooLarge {
			t.Fatalf("a write past the cap: %v %v", errs, err)
		}
		if n := len(storedQAs(t, a)); n != MaxQAsPerProduct {
			t.Fatalf("%d entries stored for one product, at most %d allowed", n, MaxQAsPerProduct)
		}
		// A deletes one; B, which has not reloaded, may use the place.
		if deleted, _, err := a.DeleteProductQAs(ctx, []string{"a1"}); err != nil || len(deleted) != 1 {
			t.Fatal(deleted, err)
		}
		if _, errs, err := b.UpsertProductQAs(ctx, entry("b3")); err != nil || errs != nil {
			t.Fatalf("a place freed on the other replica: %v %v", errs, err)
		}
		if n := len(storedQAs(t, a)); n != MaxQAsPerProduct || len(b.ProductQAs("p1")) != MaxQAsPerProduct {
			t.Fatalf("%d stored, %d in b's index", n, len(b.ProductQAs("p1")))
		}
	})
}
