package hnsw

import (
	"math"

	"github.com/viterin/vek/vek32"
)

// dotGo is a plain Go inner product, unrolled by eight with independent
// accumulators so the adds don't serialise on one register.
func dotGo(a, b []float32) float32 {
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

// dotVek is vek32's AVX2 kernel (it falls back to Go without AVX2).
func dotVek(a, b []float32) float32 { return vek32.Dot(a, b) }

// normalize scales v in place to unit length; a zero vector stays zero.
func normalize(v []float32) {
	var s float64
	for _, x := range v {
		s += float64(x) * float64(x)
	}
	if s == 0 {
		return
	}
	inv := float32(1 / math.Sqrt(s))
	for i := range v {
		v[i] *= inv
	}
}

// dot is the kernel every distance goes through. vek32's AVX2 assembly
// measured ~17 ns against ~57 ns for dotGo at 128 dimensions on the build
// machine (BenchmarkDot*), so it wins.
func dot(a, b []float32) float32 { return vek32.Dot(a, b) }
