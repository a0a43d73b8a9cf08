package app

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/shopmuse/shopmuse/assistant"
	"github.com/shopmuse/shopmuse/shop"
	"github.com/shopmuse/shopmuse/store"
)

// Two replicas over one store (no bus: each one's index is only what it
// read itself) cannot both fill a product's last Q&A place: the caps are
// checked in the write's turn, against an index reloaded when the other
// replica wrote since. A place freed on one replica is free on the other.
func TestQACapsHoldAcrossReplicas(t *testing.T) {
	backends(t, func(t *testing.T, be backend) {
		ctx := context.Background()
		a, b := be.open(t, "a"), be.open(t, "b")
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

// existCountingStore runs hook once, after the nth Exist.
type existCountingStore struct {
	store.Store
	mu   sync.Mutex
	n    int
	hook func()
}

func (s *existCountingStore) Exist(ctx context.Context, products bool, ids []string) ([]bool, error) {
	found, err := s.Store.Exist(ctx, products, ids)
	s.mu.Lock()
	s.n--
	run := s.n == 0
	s.mu.Unlock()
	if run {
		s.hook()
	}
	return found, err
}

// A product deleted on another replica while a Q&A write about it is under
// way takes the write with it: after the write looked the product up, and
// also after it looked again in its turn, just before its swap. No entry
// outlives its product (one used to be written, cited and counted against
// the caps for a product that no longer exists).
func TestQAWriteRacesAProductDelete(t *testing.T) {
	for _, after := range []int{1, 2} {
		t.Run(fmt.Sprint("after Exist ", after), func(t *testing.T) {
			backends(t, func(t *testing.T, be backend) {
				ctx := context.Background()
				a, b := be.open(t, "a"), be.open(t, "b")
				upsertCups(t, a, "p1", "p2")
				base := b.Store
				b.Store = &existCountingStore{Store: base, n: after, hook: func() {
					if _, _, err := a.DeleteProducts(ctx, []string{"p1"}); err != nil {
						t.Error(err)
					}
				}}
				_, errs, err := b.UpsertProductQAs(ctx, []assistant.QA{
					{ID: "q1", ProductID: "p2", Question: "能装开水吗", Answer: "可以。"},
					{ID: "q2", ProductID: "p1", Question: "能装开水吗", Answer: "可以。"},
				})
				b.Store = base
				if err != nil || len(errs) != 1 || errs[0].Code != shop.CodeNotFound || strings.Join(errs[0].Field, ".") != "input.1.productID" {
					t.Fatalf("a write about a product deleted meanwhile: %v %v", errs, err)
				}
				if n := storedQAs(t, a); len(n) != 0 {
					t.Fatalf("stored: %v", n)
				}
				for _, r := range []*App{a, b} {
					if err := r.ReloadQAs(ctx); err != nil {
						t.Fatal(err)
					}
					if len(r.ProductQAs("p1")) != 0 || len(r.ProductQAs("p2")) != 0 {
						t.Fatalf("entries: %v %v", r.ProductQAs("p1"), r.ProductQAs("p2"))
					}
				}
			})
		})
	}
}

// swapRacingStore runs hook once, after the first swap of ns it made.
type swapRacingStore struct {
	store.Store
	ns   string
	once sync.Once
	hook func()
}

func (s *swapRacingStore) PutBlobIf(ctx context.Context, ns, k string, v []byte, version int64, with ...store.Blob) (bool, error) {
	ok, err := s.Store.PutBlobIf(ctx, ns, k, v, version, with...)
	if ok && ns == s.ns {
		s.once.Do(s.hook)
	}
	return ok, err
}

// An entry deleted on one replica and written again at once on another
// stays written: the delete removes the entry in its turn, and nothing of
// it is removed after (its tombstone used to be, by key, after the turn:
// the other replica's new entry went with it).
func TestQADeleteThenRewriteOnAnotherReplica(t *testing.T) {
	backends(t, func(t *testing.T, be backend) {
		ctx := context.Background()
		a, b := be.open(t, "a"), be.open(t, "b")
		upsertCups(t, a, "p1")
		entry := []assistant.QA{{ID: "q1", ProductID: "p1", Question: "能装开水吗", Answer: "可以。"}}
		if _, errs, err := a.UpsertProductQAs(ctx, entry); err != nil || errs != nil {
			t.Fatal(err, errs)
		}
		base := a.Store
		a.Store = &swapRacingStore{Store: base, ns: qaNS, hook: func() {
			if _, errs, err := b.UpsertProductQAs(ctx, entry); err != nil || errs != nil {
				t.Error(err, errs)
			}
		}}
		deleted, _, err := a.DeleteProductQAs(ctx, []string{"q1"})
		a.Store = base
		if err != nil || len(deleted) != 1 {
			t.Fatal(deleted, err)
		}
		if stored := storedQAs(t, a); len(stored) != 1 || len(stored[0].Value) == 0 {
			t.Fatalf("the entry written again: %v", stored)
		}
		for _, r := range []*App{a, b} {
			if err := r.ReloadQAs(ctx); err != nil || len(r.ProductQAs("p1")) != 1 {
				t.Fatalf("entries: %v %v", r.ProductQAs("p1"), err)
			}
		}
	})
}

// A tombstone an earlier version left (an empty entry, its removal cut
// short by a crash) reads as no entry: not listed, not counted against
// the caps, and written over by an entry of its ID.
func TestQALeftoverTombstoneReadsAsNone(t *testing.T) {
	ctx := context.Background()
	a := open(t, t.TempDir(), quiet())
	defer a.Close()
	upsertCups(t, a, "p1")
	if err := a.Store.PutBlob(ctx, qaNS, "q7", []byte{}); err != nil {
		t.Fatal(err)
	}
	if err := a.ReloadQAs(ctx); err != nil {
		t.Fatal(err)
	}
	if qas := a.ProductQAs("p1"); len(qas) != 0 {
		t.Fatalf("a tombstone listed: %v", qas)
	}
	if deleted, _, err := a.DeleteProductQAs(ctx, []string{"q7"}); err != nil || len(deleted) != 0 {
		t.Fatalf("a tombstone deleted: %v %v", deleted, err)
	}
	entry := []assistant.QA{{ID: "q7", ProductID: "p1", Question: "能装开水吗", Answer: "可以。"}}
	if _, errs, err := a.UpsertProductQAs(ctx, entry); err != nil || errs != nil {
		t.Fatal(err, errs)
	}
	if err := a.ReloadQAs(ctx); err != nil || len(a.ProductQAs("p1")) != 1 {
		t.Fatalf("written over a tombstone: %v %v", a.ProductQAs("p1"), err)
	}
}
