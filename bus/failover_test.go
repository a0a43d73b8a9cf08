package bus_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/shopmuse/shopmuse/bus"
	"github.com/shopmuse/shopmuse/internal/natstest"
)

// These run NATS in the test process (nats-server as a library), so they
// need no service.

func TestFailedPublishLosesNothing(t *testing.T) {
	srv := natstest.StartServer(t)
	a := connect(t, srv.URL(), "shopmuse", "a")
	ob := &memOutbox{}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ob.add("products", `["p1"]`)
	relay := a.NewRelay(ob)
	if _, err := relay.Relay(ctx); err != nil {
		t.Fatal(err)
	}
	srv.Stop()
	ob.add("products", `["p2"]`)
	ob.add("users", `["u1"]`)
	if n, err := relay.Relay(ctx); err == nil || n != 0 {
		t.Fatalf("relay with NATS down: published %d, err %v; want 0 and an error", n, err)
	}
	if n := ob.pending(); n != 2 {
		t.Fatalf("%d changes pending, want 2", n)
	}
	srv.Start()
	var got collector
	go a.NewConsumer(0, got.apply).Run(ctx)
	waitFor(t, "the relay to succeed", func() bool { n, err := relay.Relay(ctx); return err == nil && n == 2 })
	waitFor(t, "three changes", func() bool { return len(got.seqs()) == 3 })
	if s := got.seqs(); !slices.Equal(s, []int64{1, 2, 3}) {
		t.Fatalf("applied %v", s)
	}
}

func TestClusterNodeLoss(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a 3-node JetStream cluster")
	}
	c := natstest.StartCluster(t, 3)
	urls := c.URLs()
	cfg := func(replica string) bus.Config {
		return bus.Config{URLs: urls, Stream: "shopmuse", Replicas: 3, Replica: replica, LeaseTTL: 1500 * time.Millisecond}
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	a, err := bus.Connect(ctx, cfg("a"))
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := bus.Connect(ctx, cfg("b"))
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	ob := &memOutbox{}
	var got collector
	go b.NewConsumer(0, got.apply).Run(ctx)
	relay := a.NewRelay(ob)
	publish := func(from, to int) {
		for i := from; i < to; i++ {
			ob.add("products", fmt.Sprintf(`["p%d"]`, i))
		}
		// Retried as the sweep would: while the cluster elects new leaders
		// a publish may fail, and its rows stay pending.
		waitFor(t, "the relay", func() bool { _, err := relay.Relay(ctx); return err == nil && ob.pending() == 0 })
	}
	publish(0, 50)
	waitFor(t, "50 changes", func() bool { return len(got.seqs()) == 50 })
	_, releaseLease, ok, err := a.TryLease(ctx, "trainer")
	if err != nil || !ok {
		t.Fatalf("lease before the loss: %v %v", ok, err)
	}
	defer releaseLease()

	// Stop the stream's leader: the harder case.
	leader := 0
	for i, s := range c.Servers {
		if s.JetStreamIsStreamLeader("$G", "shopmuse") {
			leader = i
		}
	}
	c.Servers[leader].Shutdown()
	c.Servers[leader].WaitForShutdown()

	publish(50, 100)
	waitFor(t, "100 changes after a node loss", func() bool { return len(got.seqs()) == 100 })
	// Across the failover a batch may be published again around rows the
	// new leader already stored: order may differ, each row arrives once.
	want := make([]int64, 100)
	for i := range want {
		want[i] = int64(i + 1)
	}
	s := got.seqs()
	slices.Sort(s)
	if !slices.Equal(s, want) {
		t.Fatalf("applied %d changes, some twice or missing", len(s))
	}
	// Leases still work on the remaining two nodes.
	if _, _, ok, err := b.TryLease(ctx, "trainer"); ok {
		t.Fatalf("b took a's lease after a node loss (err %v)", err)
	}
	var took bool
	waitFor(t, "a lease on the surviving nodes", func() bool {
		_, rel, ok, _ := b.TryLease(ctx, "sweep")
		if ok {
			took = true
			rel()
		}
		return took
	})
}
