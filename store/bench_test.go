package store

import (
	"fmt"
	"testing"
	"time"

	"github.com/shopmuse/shopmuse/shop"
)

// seedBench makes a store on disk (as the service runs it, with fsync per
// commit) holding nProducts products and nUsers users.
func seedBench(b *testing.B, nProducts, nUsers int) *Badger {
	b.Helper()
	s, err := Open(b.TempDir(), Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	for start := 0; start < nProducts; start += shop.MaxBatch {
		var in []shop.ProductInput
		for i := start; i < min(start+shop.MaxBatch, nProducts); i++ {
			in = append(in, product(fmt.Sprintf("p%06d", i), "数码/手机", shop.Decimal(100*i)))
		}
		mustProducts(b, s, in...)
	}
	var ids []string
	for i := range nUsers {
		ids = append(ids, fmt.Sprintf("u%05d", i))
	}
	for start := 0; start < len(ids); start += shop.MaxBatch {
		mustUsers(b, s, ids[start:min(start+shop.MaxBatch, len(ids))]...)
	}
	return s
}

// BenchmarkIngestBatch1000 measures store-level interaction ingest in batches
// of 1,000 events; events/s is the figure to compare.
func BenchmarkIngestBatch1000(b *testing.B) {
	s := seedBench(b, 10000, 2000)
	base := time.Now().Add(-24 * time.Hour)
	batch := make([]shop.Interaction, shop.MaxBatch)
	b.ResetTimer()
	n := 0
	for b.Loop() {
		for i := range batch {
			batch[i] = shop.Interaction{UserID: fmt.Sprintf("u%05d", (n*7)%2000), ProductID: fmt.Sprintf("p%06d", (n*13)%10000),
				Kind: shop.InteractionKinds[n%5], OccurredAt: base.Add(time.Duration(n) * time.Millisecond)}
			n++
		}
		res, uerrs, err := s.RecordInteractions(ctx, batch, "input")
		if err != nil || uerrs != nil || len(res.Recorded) != len(batch) {
			b.Fatal(err, uerrs, len(res.Recorded))
		}
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkProductLookup measures a single product(id) read.
func BenchmarkProductLookup(b *testing.B) {
	s := seedBench(b, 10000, 0)
	i := 0
	for b.Loop() {
		p, err := s.Product(ctx, fmt.Sprintf("p%06d", (i*7919)%10000))
		if err != nil || p == nil {
			b.Fatal(err)
		}
		i++
	}
}
