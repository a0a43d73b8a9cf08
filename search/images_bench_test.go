package search

import (
	"math/rand/v2"
	"testing"

	"github.com/shopmuse/shopmuse/shop"
	"github.com/shopmuse/shopmuse/vector"
	"github.com/shopmuse/shopmuse/vector/hnsw"
)

// BenchmarkSimilar compares similarProducts over the demo catalogue
// without image vectors (text) and with a 512-d image vector per product
// (images): the cost of the second signal, as a ratio in one run.
func BenchmarkSimilar(b *testing.B) {
	st := demoStore(b)
	s := openService(b, st)
	var ids []string
	var pts []vector.Point
	r := rand.New(rand.NewPCG(1, 2))
	if err := st.EachProduct(ctx, func(p *shop.Product) error {
		v := make([]float32, 512)
		for i := range v {
			v[i] = float32(r.NormFloat64())
		}
		ids = append(ids, p.ID)
		pts = append(pts, vector.Point{ID: p.ID, Vector: v, Payload: vector.PayloadOf(p)})
		return nil
	}); err != nil {
		b.Fatal(err)
	}
	run := func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			if _, _, err := s.Similar(ctx, ids[i%len(ids)], 10, nil); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.Run("text", run)
	img, err := hnsw.New(512, hnsw.Options{})
	if err != nil {
		b.Fatal(err)
	}
	if err := img.Upsert(ctx, pts); err != nil {
		b.Fatal(err)
	}
	s.SetImages(img, 0.5)
	b.Run("images", run)
}
