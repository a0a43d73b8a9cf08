package bus_test

import (
	"context"
	"strings"
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

// Replicas that disagree on the lease TTL would overlap: the second one to
// start with another TTL is refused, naming the setting.
func TestReplicasMustAgreeOnTheLeaseTTL(t *testing.T) {
	url := natstest.URL(t)
	stream := natstest.Stream(t, url)
	connect(t, url, stream, "a") // 1.5 s
	b, err := bus.Connect(context.Background(), bus.Config{URLs: url, Stream: stream, Replica: "b", LeaseTTL: 30 * time.Second})
	if err == nil {
		b.Close()
		t.Fatal("a replica with another lease TTL joined")
	}
	if !strings.Contains(err.Error(), "SHOPMUSE_LEASE_TTL") {
		t.Fatalf("error %v does not name SHOPMUSE_LEASE_TTL", err)
	}
}
