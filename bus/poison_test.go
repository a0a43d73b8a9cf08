package bus_test

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/nats-io/nats.go"

	"github.com/shopmuse/shopmuse/bus"
	"github.com/shopmuse/shopmuse/internal/natstest"
)

// Anything can be published on the stream's subjects by whoever reaches
// NATS. A message without the relay's headers, one that makes the handler
// panic and a near-maximum one are each logged, counted and skipped; the
// replica keeps applying what follows.
func TestPoisonMessagesAreCountedAndSkipped(t *testing.T) {
	url := natstest.URL(t)
	stream := natstest.Stream(t, url)
	a := connect(t, url, stream, "a")
	nc, err := nats.Connect(url)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	var got collector
	var malformedCalls atomic.Int32
	cons := a.NewConsumer(0, func(ctx context.Context, c bus.Change) error {
		switch string(c.Payload) {
		case "panic":
			panic("a handler bug meets a malformed change")
		case "malformed":
			malformedCalls.Add(1)
			return fmt.Errorf("decode: %w: bad JSON", bus.ErrMalformed)
		}
		return got.apply(ctx, c)
	})
	done := make(chan struct{})
	go func() { defer close(done); cons.Run(ctx) }()

	publish := func(subject string, data []byte, hdr map[string]string) {
		t.Helper()
		m := nats.NewMsg(subject)
		m.Data = data
		for k, v := range hdr {
			m.Header.Set(k, v)
		}
		if err := nc.PublishMsg(m); err != nil {
			t.Fatal(err)
		}
	}
	publish(stream+".interactions", []byte("\x00\xff not json"), nil)                                         // no headers
	publish(stream+".interactions", []byte("[]"), map[string]string{"Shopmuse-Seq": "x"})                     // bad seq
	publish(stream+".products", []byte("panic"), map[string]string{"Shopmuse-Seq": "7"})                      // handler panics
	publish(stream+".products", []byte(strings.Repeat("[", 900<<10)), map[string]string{"Shopmuse-Seq": "8"}) // huge
	publish(stream+".products", []byte("malformed"), map[string]string{"Shopmuse-Seq": "9"})                  // not retried
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}
	ob := &memOutbox{}
	ob.add("products", `["p1"]`)
	if _, err := a.NewRelay(ob).Relay(ctx); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the good change after the poison", func() bool {
		for _, c := range got.seqs() {
			if c == 1 {
				return true
			}
		}
		return false
	})
	// The huge one is well-formed to the consumer: the handler gets it.
	if n := cons.Failed(); n != 4 {
		t.Fatalf("Failed() = %d, want 4 (two undecodable, one panic, one malformed)", n)
	}
	if n := malformedCalls.Load(); n != 1 {
		t.Fatalf("a change the Handler called malformed was tried %d times, want 1", n)
	}
	cancel()
	<-done
}
