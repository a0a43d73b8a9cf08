package hnsw

import (
	"context"
	"math/rand/v2"
	"testing"
)

func TestDebugEf(t *testing.T) {
	const n, dim, k = 4000, 32, 10
	r := rand.New(rand.NewPCG(1, 1))
	data := clustered(r, n, dim, 20)
	queries := clustered(r, 200, dim, 20)
	ids := idsFor(n)
	for _, efc := range []int{100, 200, 400} {
		x := mustNew(t, dim, Options{EfConstruction: efc})
		upsertAll(t, x, ids, data, nil)
		for _, ef := range []int{10, 64, 128, 256} {
			got := 0
			for _, q := range queries {
				hits, _ := x.SearchEf(context.Background(), q, k, ef, nil)
				got += overlap(hits, exact(ids, data, q, k, nil))
			}
			t.Logf("efc=%d ef=%d recall=%.4f %+v", efc, ef, float64(got)/float64(k*len(queries)), x.Stats())
		}
	}
}
