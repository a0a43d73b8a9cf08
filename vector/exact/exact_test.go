package exact_test

import (
	"testing"

	"github.com/shopmuse/shopmuse/vector"
	"github.com/shopmuse/shopmuse/vector/exact"
	"github.com/shopmuse/shopmuse/vector/vectortest"
)

func TestConformance(t *testing.T) {
	vectortest.Run(t, func(t *testing.T, dim int) vector.Index { return exact.New(dim) })
}
