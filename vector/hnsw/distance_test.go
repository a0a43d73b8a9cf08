package hnsw

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/shopmuse/shopmuse/shop"
	"github.com/shopmuse/shopmuse/vector"
)

// benchIndex is built once for the search benchmarks: 20k clustered 128-d
// points, one in ten tagged "ten" and one in a hundred "one".
var benchIndex = sync.OnceValues(func() (*Index, [][]float32) {
	r := rand.New(rand.NewPCG(9, 9))
	data := clustered(r, 20000, 128, 20)
	x, err := New(128, Options{})
	if err != nil {
		panic(err)
	}
	pts := make([]vector.Point, len(data))
	for i := range data {
		pts[i] = vector.Point{ID: fmt.Sprint(i), Vector: data[i]}
		switch {
		case i%100 == 0:
			pts[i].Payload.Tags = []string{"ten", "one"}
		case i%10 == 0:
			pts[i].Payload.Tags = []string{"ten"}
		}
	}
	if err := x.Upsert(context.Background(), pts); err != nil {
		panic(err)
	}
	return x, clustered(r, 1000, 128, 20)
})

func benchSearch(b *testing.B, ef int, filter *shop.ProductFilter) {
	x, queries := benchIndex()
	ctx := context.Background()
	b.ResetTimer()
	i := 0
	for b.Loop() {
		if _, err := x.SearchEf(ctx, queries[i%len(queries)], 10, ef, filter); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

func BenchmarkSearchEf10(b *testing.B)  { benchSearch(b, 10, nil) }
func BenchmarkSearchEf64(b *testing.B)  { benchSearch(b, 64, nil) }
func BenchmarkSearchEf160(b *testing.B) { benchSearch(b, 160, nil) }
func BenchmarkSearchFilter10pct(b *testing.B) {
	benchSearch(b, 64, &shop.ProductFilter{Tags: []string{"ten"}})
}
func BenchmarkSearchFilter1pct(b *testing.B) {
	benchSearch(b, 64, &shop.ProductFilter{Tags: []string{"one"}})
}
