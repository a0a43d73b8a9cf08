package app

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shopmuse/shopmuse/demo"
	"github.com/shopmuse/shopmuse/shop"
	"github.com/shopmuse/shopmuse/store"
)

// bothEmpty is a store on which the next two IsEmpty calls each return
// only once both were made: two replicas starting at once on a new store.
type bothEmpty struct {
	store.Store
	armed atomic.Bool
	wg    sync.WaitGroup
}

func (s *bothEmpty) IsEmpty() (bool, error) {
	empty, err := s.Store.IsEmpty()
	if s.armed.Load() {
		s.wg.Done()
		s.wg.Wait()
	}
	return empty, err
}

// Two replicas starting at once on a new store load the demo shop once,
// though each found the store empty (their demo shops a second or more
// apart, so two loads would not deduplicate).
func TestTwoReplicasLoadTheDemoOnce(t *testing.T) {
	ctx := context.Background()
	base := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	var tick atomic.Int64
	// Each reading of the clock is a second later than the one before.
	clock := func() time.Time { return base.Add(time.Duration(tick.Add(1)) * time.Second) }
	bst, err := store.Open("", store.Options{InMemory: true, Now: clock, Logger: slog.New(quiet())})
	if err != nil {
		t.Fatal(err)
	}
	defer bst.Close()
	st := &bothEmpty{Store: bst}
	var apps []*App
	for _, name := range []string{"a", "b"} {
		a, err := Open(ctx, Config{Data: t.TempDir(), OpenedStore: st, Replica: name, Logger: slog.New(quiet())})
		if err != nil {
			t.Fatal(err)
		}
		defer a.Close()
		apps = append(apps, a)
	}
	st.wg.Add(2)
	st.armed.Store(true)
	var wg sync.WaitGroup
	for _, a := range apps {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := a.loadDemo(ctx); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	n, err := bst.CountEvents(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if want := len(demo.Generate(base).Interactions); n != want {
		t.Fatalf("%d events after two replicas loaded the demo shop at once, want %d (one load)", n, want)
	}
}

// failingUpserts is a store whose product upserts fail while failing is set.
type failingUpserts struct {
	store.Store
	failing atomic.Bool
}

func (s *failingUpserts) UpsertProducts(ctx context.Context, ps []shop.Product) ([]shop.Product, error) {
	if s.failing.Load() {
		return nil, errors.New("the database went away")
	}
	return s.Store.UpsertProducts(ctx, ps)
}

// A replica that claimed the demo shop and died before writing any of it
// does not keep every later start from loading it: a claim standing long
// on a store still empty is taken over; a recent one is left to its
// replica. A load that fails before its first write gives the claim back.
func TestDemoClaimOfADeadReplicaOrAFailedLoadIsNotForever(t *testing.T) {
	ctx := context.Background()
	bst, err := store.Open("", store.Options{InMemory: true, Logger: slog.New(quiet())})
	if err != nil {
		t.Fatal(err)
	}
	defer bst.Close()
	st := &failingUpserts{Store: bst}
	a, err := Open(ctx, Config{Data: t.TempDir(), OpenedStore: st, Replica: "a", Logger: slog.New(quiet())})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	events := func() int {
		t.Helper()
		n, err := bst.CountEvents(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	claim := func(at time.Time) {
		t.Helper()
		if err := bst.PutBlob(ctx, "meta", "demo-loaded", []byte("loading since "+at.UTC().Format(time.RFC3339)+" by ghost")); err != nil {
			t.Fatal(err)
		}
	}
	// A claim a minute old: its replica may still be loading.
	claim(time.Now().Add(-time.Minute))
	if err := a.loadDemo(ctx); err != nil {
		t.Fatal(err)
	}
	if n := events(); n != 0 {
		t.Fatalf("%d events: a replica loaded the demo shop another had just claimed", n)
	}
	// A load that fails before writing anything gives its claim back.
	claim(time.Now().Add(-time.Hour))
	st.failing.Store(true)
	if err := a.loadDemo(ctx); err == nil {
		t.Fatal("a load whose upserts failed succeeded")
	}
	st.failing.Store(false)
	if b, ok, err := bst.GetBlob(ctx, "meta", "demo-loaded"); err != nil || ok {
		t.Fatalf("a load that wrote nothing kept its claim %q (%v)", b, err)
	}
	// The next start (or the one after a dead replica's claim) loads it.
	claim(time.Now().Add(-time.Hour))
	if err := a.loadDemo(ctx); err != nil {
		t.Fatal(err)
	}
	if n, want := events(), len(demo.Generate(time.Now()).Interactions); n != want {
		t.Fatalf("%d events after taking over an hour-old claim on an empty store, want %d", n, want)
	}
	if b, _, _ := bst.GetBlob(ctx, "meta", "demo-loaded"); strings.HasPrefix(string(b), "loading") {
		t.Fatalf("the marker after a load is still a claim: %q", b)
	}
}
