package postgres

import (
	"context"
	"fmt"
	"log/slog"
	"testing"
	"time"

	"github.com/shopmuse/shopmuse/internal/pgtest"
	"github.com/shopmuse/shopmuse/shop"
)

// BenchmarkIngestBatch1000 is the store-level ingest on PostgreSQL, as
// store.BenchmarkIngestBatch1000 is on Badger: 5,000 products, 1,000
// users, batches of 1,000 views.
func BenchmarkIngestBatch1000(b *testing.B) {
	ctx := context.Background()
	s, err := Open(ctx, pgtest.NewDatabase(b), Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	for start := 0; start < 5000; start += 1000 {
		var in []shop.ProductInput
		for i := start; i < start+1000; i++ {
			in = append(in, shop.ProductInput{ID: fmt.Sprintf("p%05d", i), Title: "t", Category: "c", Price: &shop.MoneyInput{Amount: 100}})
		}
		ps, errs := shop.NormalizeProducts(in, "input")
		if errs != nil {
			b.Fatal(errs)
		}
		if _, err := s.UpsertProducts(ctx, ps); err != nil {
			b.Fatal(err)
		}
	}
	var uin []shop.UserInput
	for i := range 1000 {
		uin = append(uin, shop.UserInput{ID: fmt.Sprintf("u%04d", i)})
	}
	us, errs := shop.NormalizeUsers(uin, "input")
	if errs != nil {
		b.Fatal(errs)
	}
	if _, err := s.UpsertUsers(ctx, us); err != nil {
		b.Fatal(err)
	}
	base := time.Now().Add(-48 * time.Hour)
	n := 0
	for b.Loop() {
		its := make([]shop.Interaction, 1000)
		for i := range its {
			its[i] = shop.Interaction{UserID: fmt.Sprintf("u%04d", (n*7)%1000), ProductID: fmt.Sprintf("p%05d", (n*13)%5000),
				Kind: shop.KindView, OccurredAt: base.Add(time.Duration(n) * time.Millisecond)}
			n++
		}
		res, uerrs, err := s.RecordInteractions(ctx, its, "input")
		if err != nil || uerrs != nil || len(res.Recorded) != 1000 {
			b.Fatal(err, uerrs, len(res.Recorded))
		}
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "events/s")
}
