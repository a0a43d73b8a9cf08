//go:build unix

package hnswbench

import (
	"context"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"runtime"
	"slices"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/shopmuse/shopmuse/recommend"
	"github.com/shopmuse/shopmuse/recommend/synth"
	"github.com/shopmuse/shopmuse/vector"
	"github.com/shopmuse/shopmuse/vector/hnsw"
)

// cpuTime is the process's user+system CPU time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func heapMB() float64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return float64(ms.HeapAlloc) / (1 << 20)
}

// BenchmarkServeHNSW: 50k users, 100k products, 1M interactions (scale with
// SHOPMUSE_BENCH_SCALE). It reports the product index build, the training
// run (item-CF, eALS and the MF HNSW index), Recommend(N=20) latency and the
// heap.
func BenchmarkServeHNSW(b *testing.B) {
	scale := 1.0
	if v, err := strconv.ParseFloat(os.Getenv("SHOPMUSE_BENCH_SCALE"), 64); err == nil && v > 0 {
		scale = v
	}
	s := synth.Generate(int(50000*scale), int(100000*scale), int(1000000*scale), 42)
	ctx := context.Background()
	before := heapMB()

	t := time.Now()
	products, err := hnsw.New(synth.EmbeddingDim, hnsw.Options{})
	if err != nil {
		b.Fatal(err)
	}
	pts := make([]vector.Point, len(s.Products))
	for i := range s.Products {
		pts[i] = vector.Point{ID: s.Products[i].ID, Vector: s.Embeddings[i], Payload: vector.PayloadOf(&s.Products[i])}
	}
	for i := 0; i < len(pts); i += 1000 {
		if err := products.Upsert(ctx, pts[i:min(i+1000, len(pts))]); err != nil {
			b.Fatal(err)
		}
	}
	productIndexBuild := time.Since(t)

	cfg := recommend.DefaultConfig()
	cfg.Now = func() time.Time { return s.Now }
	cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	e, err := recommend.New(cfg, recommend.Deps{Products: products, Embedder: s.Embedder(),
		NewIndex: func(dim int) (vector.Index, error) { return hnsw.New(dim, hnsw.Options{}) }})
	if err != nil {
		b.Fatal(err)
	}
	t = time.Now()
	if err := e.UpsertProducts(s.Products); err != nil {
		b.Fatal(err)
	}
	if err := e.UpsertUsers(s.Users); err != nil {
		b.Fatal(err)
	}
	for i := 0; i < len(s.Interactions); i += 10000 {
		if err := e.LoadInteractions(s.Interactions[i:min(i+10000, len(s.Interactions))]); err != nil {
			b.Fatal(err)
		}
	}
	load := time.Since(t)
	loaded := heapMB()
	rep, err := e.Train(ctx)
	if err != nil {
		b.Fatal(err)
	}
	trained := heapMB()
	snap, err := e.Snapshot()
	if err != nil {
		b.Fatal(err)
	}
	t = time.Now()
	if err := e.Restore(ctx, snap); err != nil {
		b.Fatal(err)
	}
	restore := time.Since(t)

	r := rand.New(rand.NewPCG(1, 1))
	for range 50 {
		if _, err := e.Recommend(ctx, recommend.Request{UserID: s.Users[r.IntN(len(s.Users))].ID, N: 20}); err != nil {
			b.Fatal(err)
		}
	}
	var lat []time.Duration
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cpuTime()
	for b.Loop() {
		u := s.Users[r.IntN(len(s.Users))].ID
		t := time.Now()
		recs, err := e.Recommend(ctx, recommend.Request{UserID: u, N: 20})
		lat = append(lat, time.Since(t))
		if err != nil || len(recs) != 20 {
			b.Fatalf("%s: %d recs, %v", u, len(recs), err)
		}
	}
	b.StopTimer()
	// CPU per request says what a request costs whatever else loads the
	// machine; latency percentiles on a shared 2-core box depend on it.
	b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/1000/float64(len(lat)), "cpu-ms/op")
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
	b.ReportMetric(loaded-before, "heap-load-MB")
	b.ReportMetric(trained-before, "heap-trained-MB")
	b.ReportMetric(rep.Duration.Seconds(), "train-s")
	b.Logf("product HNSW build %v; engine load %v; training %v (%+v); snapshot %d bytes, restore %v",
		productIndexBuild, load, rep.Duration, rep.Models, len(snap), restore)
}
