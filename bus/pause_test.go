package bus_test

import (
	"context"
	"testing"
	"time"

	"github.com/shopmuse/shopmuse/bus"
	"github.com/shopmuse/shopmuse/internal/natstest"
)

// A holder whose renewals stop (the process was stopped longer than the
// TTL) finds its lease gone as soon as it looks, before its renewal loop
// runs again: by then another replica may hold it, and once-only work
// (saving a snapshot) must check first.
func TestAPausedHolderSeesItsLeaseGone(t *testing.T) {
	url := natstest.URL(t)
	stream := natstest.Stream(t, url)
	a, b := connect(t, url, stream, "a"), connect(t, url, stream, "b")
	ctx := context.Background()
	held, release, ok, err := a.TryLease(ctx, "trainer")
	if err != nil || !ok {
		t.Fatal(ok, err)
	}
	pause := make(chan struct{})
	defer bus.SetRenewHook(func() { <-pause })()
	defer release()
	defer close(pause)

	// TTL 1.5 s: past it, the key expires and b takes the lease.
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, relB, okB, err := b.TryLease(ctx, "trainer")
		if err != nil {
			t.Fatal(err)
		}
		if okB {
			defer relB()
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("b never took the lease a stopped renewing")
		}
		time.Sleep(50 * time.Millisecond)
	}
	if held.Err() == nil {
		t.Fatal("b holds the lease and a's context still says a holds it")
	}
}
