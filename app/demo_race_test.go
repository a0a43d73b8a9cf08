package app

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shopmuse/shopmuse/demo"
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
