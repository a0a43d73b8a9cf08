package main

import (
	"context"
	"fmt"
	"sort"
	"testing"
	"time"

	"github.com/shopmuse/shopmuse/app"
	"github.com/shopmuse/shopmuse/internal/pgtest"
	"github.com/shopmuse/shopmuse/shop"
)

// storeBackends names each backend's SHOPMUSE_STORE for a benchmark; the
// PostgreSQL one gets a fresh database (skipped without SHOPMUSE_TEST_PG).
var storeBackends = []struct {
	name string
	env  func(b *testing.B) string
}{
	{"badger", func(*testing.B) string { return "badger" }},
	{"postgres", func(b *testing.B) string { return pgtest.NewDatabase(b) }},
}

// BenchmarkIngestThroughApp records interactions through app in batches of
// 1,000 (5,000 products, 1,000 users), on each backend, and reports
// events/s: the target is 10,000/s on PostgreSQL.
func BenchmarkIngestThroughApp(b *testing.B) {
	for _, be := range storeBackends {
		b.Run(be.name, func(b *testing.B) {
			_, a := benchHandler(b, map[string]string{"SHOPMUSE_DEMO": "off", "SHOPMUSE_STORE": be.env(b), "SHOPMUSE_TRAIN_AFTER": "0"})
			ctx := context.Background()
			for start := 0; start < 5000; start += 1000 {
				var ps []shop.ProductInput
				for i := start; i < start+1000; i++ {
					ps = append(ps, shop.ProductInput{ID: fmt.Sprintf("p%05d", i), Title: fmt.Sprintf("商品%d", i),
						Category: "数码/手机", Price: &shop.MoneyInput{Amount: 9900}})
				}
				if _, errs, err := a.UpsertProducts(ctx, ps); err != nil || errs != nil {
					b.Fatal(err, errs)
				}
			}
			var us []shop.UserInput
			for i := range 1000 {
				us = append(us, shop.UserInput{ID: fmt.Sprintf("u%04d", i)})
			}
			if _, errs, err := a.UpsertUsers(ctx, us); err != nil || errs != nil {
				b.Fatal(err, errs)
			}
			base := time.Now().Add(-48 * time.Hour)
			n := 0
			for b.Loop() {
				in := make([]shop.InteractionInput, 1000)
				for i := range in {
					at := base.Add(time.Duration(n) * time.Millisecond)
					in[i] = shop.InteractionInput{UserID: fmt.Sprintf("u%04d", (n*7)%1000), ProductID: fmt.Sprintf("p%05d", (n*13)%5000),
						Kind: shop.KindView, OccurredAt: &at}
					n++
				}
				res, errs, err := a.RecordInteractions(ctx, in)
				if err != nil || errs != nil || len(res.Recorded) != 1000 {
					b.Fatalf("recorded %d: %v %v", len(res.Recorded), err, errs)
				}
			}
			b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "events/s")
		})
	}
}

// BenchmarkRecommendationsByStore serves recommendations(first: 20) from a
// Badger-backed and a PostgreSQL-backed service on the demo shop,
// alternating, and reports both p50 latencies and their ratio (the
// target: PostgreSQL at most 1.2× Badger, since reads come from memory).
func BenchmarkRecommendationsByStore(b *testing.B) {
	pg := storeBackends[1].env(b)
	hb, ab := benchHandler(b, map[string]string{"SHOPMUSE_RATE_LIMIT": "0", "SHOPMUSE_TRAIN_AFTER": "0"})
	hp, ap := benchHandler(b, map[string]string{"SHOPMUSE_RATE_LIMIT": "0", "SHOPMUSE_TRAIN_AFTER": "0", "SHOPMUSE_STORE": pg})
	for _, a := range []*app.App{ab, ap} {
		if _, err := a.Train(context.Background()); err != nil {
			b.Fatal(err)
		}
	}
	const q = `query($u: ID!) { recommendations(userID: $u, first: 20) { score product { id title price { amount } } reasons { kind message } } }`
	users := make([]string, 72)
	for i := range users {
		users[i] = fmt.Sprintf("u%03d", i+1)
	}
	for _, u := range users { // warm both, as a running shop would be
		query(b, hb, q, map[string]any{"u": u})
		query(b, hp, q, map[string]any{"u": u})
	}
	var tb, tp []time.Duration
	i := 0
	for b.Loop() {
		u := users[i%len(users)]
		i++
		start := time.Now()
		query(b, hb, q, map[string]any{"u": u})
		tb = append(tb, time.Since(start))
		start = time.Now()
		query(b, hp, q, map[string]any{"u": u})
		tp = append(tp, time.Since(start))
	}
	p50 := func(d []time.Duration) float64 {
		sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
		return float64(d[len(d)/2].Microseconds())
	}
	b.ReportMetric(p50(tb), "badger-p50-µs")
	b.ReportMetric(p50(tp), "postgres-p50-µs")
	b.ReportMetric(p50(tp)/p50(tb), "postgres/badger")
}
