package vectortest_test

import (
	"testing"

	"github.com/shopmuse/shopmuse/vector"
	"github.com/shopmuse/shopmuse/vector/vectortest"
)

func TestBruteForce(t *testing.T) {
	vectortest.Run(t, func(t *testing.T, dim int) vector.Index { return vectortest.NewBruteForce(dim) })
}
