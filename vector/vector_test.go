package vector

import (
	"errors"
	"math"
	"strings"
	"testing"
)

func TestPointValidate(t *testing.T) {
	ok := Point{ID: "p1", Vector: []float32{1, 0, 0}}
	if err := ok.Validate(3); err != nil {
		t.Errorf("valid point: %v", err)
	}
	zero := Point{ID: "p0", Vector: []float32{0, 0, 0}}
	if err := zero.Validate(3); err != nil {
		t.Errorf("a zero vector is valid (it matches nothing): %v", err)
	}
	cases := []struct {
		p       Point
		want    string
		wantDim bool
	}{
		{Point{Vector: []float32{1, 0, 0}}, "empty ID", false},
		{Point{ID: "p2", Vector: []float32{1, 0}}, `ID "p2": vector has 2 values, index has 3`, true},
		{Point{ID: "p3", Vector: []float32{1, float32(math.NaN()), 0}}, `ID "p3": value 1 is NaN`, false},
		{Point{ID: "p4", Vector: []float32{1, 0, float32(math.Inf(-1))}}, `ID "p4": value 2 is -Inf`, false},
	}
	for _, c := range cases {
		err := c.p.Validate(3)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: error %v, want it to contain %q", c.p, err, c.want)
		}
		if got := errors.Is(err, ErrDimension); got != c.wantDim {
			t.Errorf("%+v: errors.Is(err, ErrDimension) = %v, want %v", c.p, got, c.wantDim)
		}
	}
}

func TestNonFinite(t *testing.T) {
	if j := NonFinite([]float32{1, 2, 3}); j != -1 {
		t.Errorf("finite vector: %d, want -1", j)
	}
	if j := NonFinite([]float32{1, float32(math.Inf(1)), float32(math.NaN())}); j != 1 {
		t.Errorf("first non-finite at %d, want 1", j)
	}
}
