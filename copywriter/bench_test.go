package copywriter

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/shopmuse/shopmuse/demo"
	"github.com/shopmuse/shopmuse/shop"
)

// BenchmarkBuiltin measures one built-in Generate call (3 variants, no cache)
// per iteration, cycling through products, personas and channels.
func BenchmarkBuiltin(b *testing.B) {
	w := NewWriter(Config{})
	ps := testProducts()
	personas := DefaultPersonas()
	var reqs []Request
	for i := range ps {
		for _, pe := range personas {
			for _, ch := range Channels {
				reqs = append(reqs, Request{Product: &ps[i], Persona: pe, Channel: ch, Variants: 3})
			}
		}
	}
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		if _, err := w.Generate(ctx, reqs[i%len(reqs)]); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkBuiltinDemo is the latency target of issue 19: one built-in
// Generate call (3 variants, no cache) per iteration over the demo shop ×
// DefaultPersonas × every channel, reporting the median and the 99th
// percentile of single calls (p50-ns/op, p99-ns/op) beside the mean.
func BenchmarkBuiltinDemo(b *testing.B) {
	products := demoProducts(b)
	personas := DefaultPersonas()
	w := NewWriter(Config{})
	var reqs []Request
	for i := range products {
		for _, pe := range personas {
			for _, ch := range Channels {
				reqs = append(reqs, Request{Product: &products[i], Persona: pe, Channel: ch, Variants: EvalVariants})
			}
		}
	}
	ctx := context.Background()
	lat := make([]time.Duration, 0, b.N)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		start := time.Now()
		if _, err := w.Generate(ctx, reqs[i%len(reqs)]); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(start))
	}
	b.StopTimer()
	slices.Sort(lat)
	b.ReportMetric(float64(percentile(lat, 0.50).Nanoseconds()), "p50-ns/op")
	b.ReportMetric(float64(percentile(lat, 0.99).Nanoseconds()), "p99-ns/op")
}

// demoProducts is the demo shop's catalogue as the service stores it.
func demoProducts(tb testing.TB) []shop.Product {
	tb.Helper()
	d := demo.Generate(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	products, errs := shop.NormalizeProducts(d.Products, "demo")
	if errs != nil {
		tb.Fatalf("demo products: %v", errs[0])
	}
	for i := range products {
		products[i].Version = 1
	}
	return products
}
