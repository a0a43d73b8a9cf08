package recommend

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/shopmuse/shopmuse/recommend/synth"
)

// The benchmark shop: 50k users, 100k products, 1M interactions (override
// with SHOPMUSE_BENCH_SCALE=0.1 for a quick run).
var (
	benchOnce sync.Once
	benchData *synth.Shop
)

func benchShop(b *testing.B) *synth.Shop {
	benchOnce.Do(func() {
		scale := 1.0
		if v, err := strconv.ParseFloat(os.Getenv("SHOPMUSE_BENCH_SCALE"), 64); err == nil && v > 0 {
			scale = v
		}
		t := time.Now()
		benchData = synth.Generate(int(50000*scale), int(100000*scale), int(1000000*scale), 42)
		b.Logf("generated %d users, %d products, %d interactions in %v",
			len(benchData.Users), len(benchData.Products), len(benchData.Interactions), time.Since(t))
	})
	return benchData
}

func heapMB() float64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return float64(ms.HeapAlloc) / (1 << 20)
}

// BenchmarkTrain measures a full training run (item-CF + eALS, or BPR with
// -bench=Train/bpr) on the benchmark shop.
func BenchmarkTrain(b *testing.B) {
	s := benchShop(b)
	// eals-v1 is the baseline in the same run: the first release's eALS
	// (32 factors, a fixed reg 0.01, C0 100, alpha 1). eals-fixed-weights
	// is eals without the fit of the blend weights (Config.AutoTune, on
	// in eals as in the service; the others train without it).
	for _, name := range []string{AlgoEALS, "eals-fixed-weights", "eals-v1", AlgoBPR} {
		b.Run(name, func(b *testing.B) {
			e := synthEngine(b, s, s.Interactions, func(c *Config) {
				switch name {
				case AlgoEALS:
					c.AutoTune = true
				case "eals-fixed-weights":
					c.AutoTune = false
				case "eals-v1":
					c.MF.Factors, c.MF.Reg, c.MF.RegExponent, c.MF.C0, c.MF.Alpha = 32, 0.01, 0, 100, 1
				case AlgoBPR:
					c.MF.Algorithm, c.MF.Reg = AlgoBPR, 0
				}
			})
			ctx := context.Background()
			var rep TrainingReport
			cpu0 := cpuTime()
			for b.Loop() {
				var err error
				if rep, err = e.Train(ctx); err != nil {
					b.Fatal(err)
				}
			}
			for _, m := range rep.Models {
				if m.Name == "blend" {
					b.Logf("blend %s", m.Details)
				}
				b.ReportMetric(m.Duration.Seconds(), m.Name+"-s")
				b.ReportMetric(float64(m.Size)/(1<<20), m.Name+"-MB")
			}
			b.ReportMetric(rep.Duration.Seconds(), "total-s")
			b.ReportMetric((cpuTime()-cpu0).Seconds()/float64(b.N), "cpu-s")
		})
	}
}

// BenchmarkRecommend measures Recommend(N=20) for random users of the
// trained benchmark shop and reports latency percentiles and the heap.
func BenchmarkRecommend(b *testing.B) {
	s := benchShop(b)
	before := heapMB()
	t0 := time.Now()
	e := synthEngine(b, s, s.Interactions, nil)
	b.Logf("loaded the shop into the engine in %v", time.Since(t0))
	loaded := heapMB()
	if _, err := e.Train(context.Background()); err != nil {
		b.Fatal(err)
	}
	trained := heapMB()
	ctx := context.Background()
	r := rand.New(rand.NewPCG(1, 1))
	for range 50 { // warm caches (popular lists, interest embeddings)
		if _, err := e.Recommend(ctx, Request{UserID: s.Users[r.IntN(len(s.Users))].ID, N: 20}); err != nil {
			b.Fatal(err)
		}
	}
	var lat []time.Duration
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		u := s.Users[r.IntN(len(s.Users))].ID
		t := time.Now()
		recs, err := e.Recommend(ctx, Request{UserID: u, N: 20})
		lat = append(lat, time.Since(t))
		if err != nil || len(recs) != 20 {
			b.Fatalf("%s: %d recs, %v", u, len(recs), err)
		}
	}
	b.StopTimer()
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
	// After the loop: ResetTimer drops metrics reported before it.
	b.ReportMetric(loaded-before, "heap-load-MB")
	b.ReportMetric(trained-before, "heap-trained-MB")
}

// BenchmarkAddInteractions measures the real-time ingest path per event.
func BenchmarkAddInteractions(b *testing.B) {
	s := benchShop(b)
	half := len(s.Interactions) / 2
	e := synthEngine(b, s, s.Interactions[:half], nil)
	if _, err := e.Train(context.Background()); err != nil {
		b.Fatal(err)
	}
	rest := s.Interactions[half:]
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if err := e.AddInteractions(rest[i%len(rest) : i%len(rest)+1]); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

// BenchmarkCompareModels trains on a per-user time split of the benchmark
// shop and reports NDCG@10 and Recall@10 of popularity, item-CF, eALS, BPR
// and the blend on a sample of 2000 test users.
func BenchmarkCompareModels(b *testing.B) {
	s := benchShop(b)
	sp := SplitInteractions(s.Interactions, SplitByTime, 0.2, 1)
	ctx := context.Background()
	for b.Loop() {
		for _, algo := range []string{AlgoEALS, AlgoBPR} {
			e := synthEngine(b, s, sp.Train, func(c *Config) { c.MF.Algorithm = algo })
			rep, err := e.Train(ctx)
			if err != nil {
				b.Fatal(err)
			}
			b.Logf("%s training: %v", algo, rep.Duration)
			names := []string{RetrieverMF}
			if algo == AlgoEALS {
				names = []string{"popularity", RetrieverPopular, RetrieverItemCF, RetrieverContent, RetrieverMF, "blend"}
			}
			for _, n := range names {
				r, err := e.Ranker(n)
				if err != nil {
					b.Fatal(err)
				}
				m, err := Evaluate(ctx, r, sp, 10, len(s.Products), 2000)
				if err != nil {
					b.Fatal(err)
				}
				label := n
				if n == RetrieverMF {
					label = algo
				}
				b.Logf("%-10s %s", label, m)
				b.ReportMetric(m.NDCG, fmt.Sprintf("%s-NDCG@10", label))
				b.ReportMetric(m.Recall, fmt.Sprintf("%s-Recall@10", label))
			}
		}
	}
}
