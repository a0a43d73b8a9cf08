package bus_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/shopmuse/shopmuse/bus"
	"github.com/shopmuse/shopmuse/internal/natstest"
)

// memOutbox is an outbox in memory, as the PostgreSQL store keeps one.
type memOutbox struct {
	mu        sync.Mutex
	rows      []bus.Change
	published map[int64]bool
}

func (o *memOutbox) add(kind string, payload string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.rows = append(o.rows, bus.Change{Seq: int64(len(o.rows) + 1), Kind: kind, Payload: []byte(payload), At: time.Now()})
}

func (o *memOutbox) PendingChanges(_ context.Context, after int64, limit int) ([]bus.Change, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	var out []bus.Change
	for _, c := range o.rows {
		if c.Seq > after && !o.published[c.Seq] && len(out) < limit {
			out = append(out, c)
		}
	}
	return out, nil
}

func (o *memOutbox) MarkPublished(_ context.Context, upTo int64) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.published == nil {
		o.published = map[int64]bool{}
	}
	for _, c := range o.rows {
		if c.Seq <= upTo {
			o.published[c.Seq] = true
		}
	}
	return nil
}

func (o *memOutbox) pending() int {
	cs, _ := o.PendingChanges(context.Background(), 0, 1<<30)
	return len(cs)
}

func connect(t *testing.T, urls, stream, replica string) *bus.Bus {
	t.Helper()
	b, err := bus.Connect(context.Background(), bus.Config{URLs: urls, Stream: stream, Replica: replica,
		LeaseTTL: 1500 * time.Millisecond, Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Close)
	return b
}

// collector gathers applied changes.
type collector struct {
	mu sync.Mutex
	cs []bus.Change
}

func (c *collector) apply(_ context.Context, ch bus.Change) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.cs = append(c.cs, ch)
	return nil
}

func (c *collector) seqs() []int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []int64
	for _, ch := range c.cs {
		out = append(out, ch.Seq)
	}
	return out
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestRelayPublishesOnceAndConsumersApply(t *testing.T) {
	url := natstest.URL(t)
	stream := natstest.Stream(t, url)
	a, b := connect(t, url, stream, "a"), connect(t, url, stream, "b")
	ob := &memOutbox{}
	ob.add("interactions", `[{"userID":"u1"}]`)
	ob.add("products", `["p1","p2"]`)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var got collector
	cons := b.NewConsumer(0, got.apply)
	done := make(chan struct{})
	go func() { defer close(done); cons.Run(ctx) }()

	// Two relays over one outbox publish the same rows; the stream keeps
	// each once.
	r1, r2 := a.NewRelay(ob), b.NewRelay(ob)
	var wg sync.WaitGroup
	for _, r := range []*bus.Relay{r1, r2} {
		wg.Add(1)
		go func() { defer wg.Done(); r.Relay(ctx) }()
	}
	wg.Wait()
	if n := ob.pending(); n != 0 {
		t.Fatalf("%d changes still pending after the relay", n)
	}
	waitFor(t, "two changes", func() bool { return len(got.seqs()) >= 2 })
	// A re-publish (crash before MarkPublished) is deduplicated too.
	ob.published = nil
	if _, err := r1.Relay(ctx); err != nil {
		t.Fatal(err)
	}
	ob.add("user.erased", `"u1"`)
	r1.Notify()
	go r1.Run(ctx)
	waitFor(t, "three changes", func() bool { return len(got.seqs()) >= 3 })
	time.Sleep(200 * time.Millisecond)
	if s := got.seqs(); !slices.Equal(s, []int64{1, 2, 3}) {
		t.Fatalf("applied %v, want [1 2 3] once each", s)
	}
	got.mu.Lock()
	c := got.cs[2]
	got.mu.Unlock()
	if c.Kind != "user.erased" || string(c.Payload) != `"u1"` || c.At.IsZero() {
		t.Fatalf("change 3 = %+v", c)
	}
	if !cons.CaughtUp() {
		t.Fatal("consumer not caught up")
	}
	cancel()
	<-done
}

func TestConsumerStartsAfterPosition(t *testing.T) {
	url := natstest.URL(t)
	stream := natstest.Stream(t, url)
	a := connect(t, url, stream, "a")
	ob := &memOutbox{}
	ob.add("products", `["p1"]`)
	ob.add("products", `["p2"]`)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if _, err := a.NewRelay(ob).Relay(ctx); err != nil {
		t.Fatal(err)
	}
	last, err := a.LastSeq(ctx)
	if err != nil || last != 2 {
		t.Fatalf("LastSeq = %d, %v; want 2", last, err)
	}
	// A replica that replayed the store after position 2 was read.
	var got collector
	cons := a.NewConsumer(last, got.apply)
	go cons.Run(ctx)
	waitFor(t, "caught up", cons.CaughtUp)
	ob.add("products", `["p3"]`)
	if _, err := a.NewRelay(ob).Relay(ctx); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "change 3", func() bool { return len(got.seqs()) == 1 })
	if s := got.seqs(); s[0] != 3 {
		t.Fatalf("applied %v, want only [3]", s)
	}
}

func TestLargeChangesAreSplit(t *testing.T) {
	url := natstest.URL(t)
	stream := natstest.Stream(t, url)
	a := connect(t, url, stream, "a")
	ob := &memOutbox{}
	var ids []string
	for i := range 60000 {
		ids = append(ids, fmt.Sprintf("product-%06d", i))
	}
	payload, _ := json.Marshal(ids) // ~1 MB: over one message's payload
	ob.add("products", string(payload))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var mu sync.Mutex
	var got []string
	parts := 0
	cons := a.NewConsumer(0, func(_ context.Context, c bus.Change) error {
		var part []string
		if err := json.Unmarshal(c.Payload, &part); err != nil {
			return err
		}
		mu.Lock()
		got = append(got, part...)
		parts++
		mu.Unlock()
		return nil
	})
	go cons.Run(ctx)
	if _, err := a.NewRelay(ob).Relay(ctx); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "every ID", func() bool { mu.Lock(); defer mu.Unlock(); return len(got) == len(ids) })
	mu.Lock()
	defer mu.Unlock()
	if !slices.Equal(got, ids) || parts < 2 {
		t.Fatalf("got %d IDs in %d parts; want %d in several", len(got), parts, len(ids))
	}
}

func TestLeaseIsHeldByOneReplica(t *testing.T) {
	url := natstest.URL(t)
	stream := natstest.Stream(t, url)
	a, b := connect(t, url, stream, "a"), connect(t, url, stream, "b")
	ctx := context.Background()
	held, release, ok, err := a.TryLease(ctx, "train")
	if err != nil || !ok {
		t.Fatalf("a: ok=%v err=%v", ok, err)
	}
	if _, _, ok, err := b.TryLease(ctx, "train"); err != nil || ok {
		t.Fatalf("b took a held lease: ok=%v err=%v", ok, err)
	}
	// Renewal keeps it past the TTL.
	time.Sleep(2 * time.Second)
	if held.Err() != nil {
		t.Fatal("lease lost while renewed")
	}
	if h, _ := b.Holder(ctx, "train"); h != "a" {
		t.Fatalf("holder %q, want a", h)
	}
	if _, _, ok, _ := b.TryLease(ctx, "train"); ok {
		t.Fatal("b took a renewed lease")
	}
	release()
	if held.Err() == nil {
		t.Fatal("released lease's context still live")
	}
	_, releaseB, ok, err := b.TryLease(ctx, "train")
	if err != nil || !ok {
		t.Fatalf("b after release: ok=%v err=%v", ok, err)
	}
	defer releaseB()
	if _, _, ok, _ := b.TryLease(ctx, "bad name!"); ok {
		t.Fatal("a lease name with spaces was accepted")
	}
}

func TestLeaseOfADeadHolderExpires(t *testing.T) {
	url := natstest.URL(t)
	stream := natstest.Stream(t, url)
	b := connect(t, url, stream, "b")
	a, err := bus.Connect(context.Background(), bus.Config{URLs: url, Stream: stream, Replica: "a", LeaseTTL: 1500 * time.Millisecond,
		Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, _, ok, _ := a.TryLease(ctx, "campaign.c1"); !ok {
		t.Fatal("a did not take the lease")
	}
	a.Close() // dies without releasing
	start := time.Now()
	var taken bool
	for time.Since(start) < 10*time.Second {
		if _, release, ok, _ := b.TryLease(ctx, "campaign.c1"); ok {
			taken = true
			release()
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if !taken {
		t.Fatal("b never took the dead holder's lease")
	}
	if d := time.Since(start); d < time.Second {
		t.Fatalf("taken after %v: before the TTL", d)
	}
}

func TestHoldRunsWorkOnOneReplicaAndFailsOver(t *testing.T) {
	url := natstest.URL(t)
	stream := natstest.Stream(t, url)
	a, b := connect(t, url, stream, "a"), connect(t, url, stream, "b")
	var mu sync.Mutex
	var running []string
	work := func(name string) func(context.Context) {
		return func(ctx context.Context) {
			mu.Lock()
			running = append(running, name)
			mu.Unlock()
			<-ctx.Done()
			mu.Lock()
			running = slices.DeleteFunc(running, func(s string) bool { return s == name })
			mu.Unlock()
		}
	}
	ctxA, stopA := context.WithCancel(context.Background())
	ctxB, stopB := context.WithCancel(context.Background())
	defer stopB()
	doneA := make(chan struct{})
	go func() { defer close(doneA); a.Hold(ctxA, "trainer", work("a")) }()
	waitFor(t, "a to hold", func() bool { mu.Lock(); defer mu.Unlock(); return len(running) == 1 })
	go b.Hold(ctxB, "trainer", work("b"))
	time.Sleep(2 * time.Second)
	mu.Lock()
	if !slices.Equal(running, []string{"a"}) {
		t.Fatalf("running %v, want only a", running)
	}
	mu.Unlock()
	stopA()
	<-doneA
	waitFor(t, "b to take over", func() bool { mu.Lock(); defer mu.Unlock(); return slices.Equal(running, []string{"b"}) })
}
