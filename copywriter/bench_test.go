package copywriter

import (
	"context"
	"testing"
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
