package hnsw

import (
	"testing"

	"github.com/shopmuse/shopmuse/vector"
	"github.com/shopmuse/shopmuse/vector/vectortest"
)

// TestConformance runs the suite every vector.Index must pass (it closes
// the indexes itself). The suite checks answers against an exact scan; one
// linking worker keeps the graph, and so the test, the same on every run
// (parallel linking of a batch builds a slightly different graph each time,
// and on about one run in six missed one of 25 hits).
func TestConformance(t *testing.T) {
	vectortest.Run(t, func(t *testing.T, dim int) vector.Index {
		x, err := New(dim, Options{Workers: 1})
		if err != nil {
			t.Fatal(err)
		}
		return x
	})
}
