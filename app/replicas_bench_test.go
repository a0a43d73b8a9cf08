package app

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/shopmuse/shopmuse/bus"
	"github.com/shopmuse/shopmuse/internal/natstest"
	"github.com/shopmuse/shopmuse/shop"
)

// BenchmarkReplicaFreshness measures how long a write acknowledged by
// replica a takes to be applied on replica b: from before a's
// RecordInteractions call to b's applying the change, over 1,000 events,
// written back to back (burst) or one every 5 ms (paced, 200/s). It
// reports the p50 and p99 in milliseconds.
//
//	SHOPMUSE_TEST_NATS=nats://127.0.0.1:4222 go test -run '^$' -bench ReplicaFreshness -benchtime 1x ./app
func BenchmarkReplicaFreshness(b *testing.B) {
	for _, be := range []struct {
		name string
		open func(testing.TB) backend
	}{
		{"memory", func(t testing.TB) backend {
			st := sharedStore(t)
			return backend{use: func(c *Config) { c.OpenedStore = st }, pending: st.pending}
		}},
		{"postgres", postgresBackend},
	} {
		b.Run(be.name+"/burst", func(b *testing.B) { benchFreshness(b, be.open, 0) })
		b.Run(be.name+"/paced-200-per-s", func(b *testing.B) { benchFreshness(b, be.open, 5*time.Millisecond) })
	}
}

func benchFreshness(b *testing.B, open func(testing.TB) backend, pace time.Duration) {
	url := natstest.URL(b)
	const events = 1000
	for range b.N {
		b.StopTimer()
		st := open(b)
		bc := bus.Config{URLs: url, Stream: natstest.Stream(b, url)}
		ra := startReplica(b, st, bc, "a", nil)
		rb := startReplica(b, st, bc, "b", nil)
		ctx := context.Background()
		var ps []shop.ProductInput
		for i := range 50 {
			ps = append(ps, shop.ProductInput{ID: fmt.Sprintf("p%02d", i), Title: fmt.Sprintf("商品%d", i), Category: "数码/手机",
				Price: &shop.MoneyInput{Amount: shop.Decimal(100)}})
		}
		if _, errs, err := ra.UpsertProducts(ctx, ps); err != nil || errs != nil {
			b.Fatal(err, errs)
		}
		var us []shop.UserInput
		for i := range 100 {
			us = append(us, shop.UserInput{ID: fmt.Sprintf("u%03d", i)})
		}
		if _, errs, err := ra.UpsertUsers(ctx, us); err != nil || errs != nil {
			b.Fatal(err, errs)
		}
		var mu sync.Mutex
		sent := map[string]time.Time{}
		var lat []time.Duration
		done := make(chan struct{})
		hook := func(c bus.Change, applied time.Time) {
			if c.Kind != "interactions" {
				return
			}
			var its []shop.Interaction
			if json.Unmarshal(c.Payload, &its) != nil {
				return
			}
			mu.Lock()
			defer mu.Unlock()
			for _, it := range its {
				if t0, ok := sent[it.UserID+"/"+it.ProductID]; ok {
					lat = append(lat, applied.Sub(t0))
					if len(lat) == events {
						close(done)
					}
				}
			}
		}
		rb.rep.onApply.Store(&hook)
		b.StartTimer()
		base := time.Now().Add(-time.Hour)
		tick := time.NewTicker(max(pace, time.Microsecond))
		defer tick.Stop()
		for i := range events {
			if pace > 0 {
				<-tick.C
			}
			user, product := fmt.Sprintf("u%03d", i%100), fmt.Sprintf("p%02d", i/100*5+i%5)
			mu.Lock()
			sent[user+"/"+product] = time.Now()
			mu.Unlock()
			at := base.Add(time.Duration(i) * time.Second)
			if _, errs, err := ra.RecordInteractions(ctx, []shop.InteractionInput{{UserID: user, ProductID: product,
				Kind: shop.KindView, OccurredAt: &at}}); err != nil || errs != nil {
				b.Fatal(err, errs)
			}
		}
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			mu.Lock()
			b.Fatalf("only %d of %d events reached b", len(lat), events)
		}
		b.StopTimer()
		mu.Lock()
		slices.Sort(lat)
		p50, p99 := lat[len(lat)/2], lat[len(lat)*99/100]
		mu.Unlock()
		b.ReportMetric(float64(p50.Microseconds())/1000, "p50-ms")
		b.ReportMetric(float64(p99.Microseconds())/1000, "p99-ms")
		b.ReportMetric(float64(lat[len(lat)-1].Microseconds())/1000, "max-ms")
		ra.stop()
		rb.stop()
	}
}
