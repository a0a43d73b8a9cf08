package hnsw

import (
	"testing"

	"github.com/shopmuse/shopmuse/vector"
	"github.com/shopmuse/shopmuse/vector/vectortest"
)

// TestConformance runs the suite every vector.Index must pass (it closes
// the indexes itself).
func TestConformance(t *testing.T) {
	vectortest.Run(t, func(t *testing.T, dim int) vector.Index {
		x, err := New(dim, Options{})
		if err != nil {
			t.Fatal(err)
		}
		return x
	})
}
