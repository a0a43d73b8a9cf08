package hnsw

import (
	"math/rand/v2"
	"testing"
)

func benchDot(b *testing.B, f func(a, b []float32) float32, dim int) {
	r := rand.New(rand.NewPCG(1, 2))
	x, y := make([]float32, dim), make([]float32, dim)
	for i := range x {
		x[i], y[i] = r.Float32(), r.Float32()
	}
	var s float32
	for b.Loop() {
		s += f(x, y)
	}
	_ = s
}

func BenchmarkDotGo128(b *testing.B)  { benchDot(b, dotGo, 128) }
func BenchmarkDotVek128(b *testing.B) { benchDot(b, dotVek, 128) }
