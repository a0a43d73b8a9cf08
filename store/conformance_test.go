package store_test

import (
	"testing"
	"time"

	"github.com/shopmuse/shopmuse/store"
	"github.com/shopmuse/shopmuse/store/storetest"
)

func TestBadgerConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T, now func() time.Time) store.Store {
		s, err := store.Open("", store.Options{InMemory: true, Now: now})
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}

// On disk (synced commits), writers on one counter collide far more than
// in memory: with 16 quick retries a fifth of 64 clicks on one product at
// once failed.
func TestBadgerOnDiskHotCounters(t *testing.T) {
	storetest.HotCounters(t, func(t *testing.T, now func() time.Time) store.Store {
		s, err := store.Open(t.TempDir(), store.Options{Now: now})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	})
}
