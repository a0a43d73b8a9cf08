package vector

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

func TestDot(t *testing.T) {
	if got := Dot(nil, nil); got != 0 {
		t.Errorf("Dot(nil, nil) = %v, want 0", got)
	}
	if got := Dot([]float32{}, []float32{}); got != 0 {
		t.Errorf("Dot of empty vectors = %v, want 0", got)
	}
	if got := Dot([]float32{1, 2, 3}, []float32{4, -5, 6}); got != 12 {
		t.Errorf("Dot = %v, want 12", got)
	}
	// Lengths around the SIMD width (8 float32 per AVX2 register) and
	// beyond, against a float64 reference.
	r := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{1, 7, 8, 9, 15, 16, 17, 31, 48, 128, 129} {
		a, b := make([]float32, n), make([]float32, n)
		var want float64
		for i := range a {
			a[i], b[i] = r.Float32()*2-1, r.Float32()*2-1
			want += float64(a[i]) * float64(b[i])
		}
		if got := Dot(a, b); math.Abs(float64(got)-want) > 1e-5*float64(n) {
			t.Errorf("n=%d: Dot = %v, want %v", n, got, want)
		}
	}
}

func TestDotLengthMismatchPanics(t *testing.T) {
	for _, c := range [][2][]float32{{{1, 2}, {1, 2, 3}}, {{}, {1}}, {{1}, nil}} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("Dot of a %d- and a %d-vector did not panic", len(c[0]), len(c[1]))
				}
			}()
			Dot(c[0], c[1])
		}()
	}
}

// dotLoop is the plain Go inner product Dot is measured against, unrolled
// by eight with independent accumulators so the adds don't serialise.
func dotLoop(a, b []float32) float32 {
	n := len(a)
	b = b[:n]
	var s0, s1, s2, s3, s4, s5, s6, s7 float32
	i := 0
	for ; i+8 <= n; i += 8 {
		s0 += a[i] * b[i]
		s1 += a[i+1] * b[i+1]
		s2 += a[i+2] * b[i+2]
		s3 += a[i+3] * b[i+3]
		s4 += a[i+4] * b[i+4]
		s5 += a[i+5] * b[i+5]
		s6 += a[i+6] * b[i+6]
		s7 += a[i+7] * b[i+7]
	}
	for ; i < n; i++ {
		s0 += a[i] * b[i]
	}
	return (s0 + s1) + (s2 + s3) + (s4 + s5) + (s6 + s7)
}

// BenchmarkDot compares Dot with a Go loop at the dimensions shopmuse uses:
// MF factors (48) and product embeddings (128).
func BenchmarkDot(b *testing.B) {
	for _, dim := range []int{16, 32, 48, 64, 96, 128} {
		r := rand.New(rand.NewPCG(1, 2))
		x, y := make([]float32, dim), make([]float32, dim)
		for i := range x {
			x[i], y[i] = r.Float32(), r.Float32()
		}
		for _, f := range []struct {
			name string
			dot  func(a, b []float32) float32
		}{{"vek", Dot}, {"go", dotLoop}} {
			b.Run(fmt.Sprintf("%s/dim=%d", f.name, dim), func(b *testing.B) {
				var s float32
				for b.Loop() {
					s += f.dot(x, y)
				}
				if s == 0 {
					b.Fatal("zero sum of positive products")
				}
			})
		}
	}
}
