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
