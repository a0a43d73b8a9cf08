package neural

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/shopmuse/shopmuse/recommend/synth"
)

var (
	benchOnce  sync.Once
	benchWorld *world
)

// benchData is the synth shop of the measurement (5000 users, 3000 items,
// ~200k events → ~68k distinct training pairs), built once.
func benchData() *world {
	benchOnce.Do(func() { benchWorld = synthSplit(synth.Generate(5000, 3000, 200000, 1), 0.2) })
	return benchWorld
}

// BenchmarkTrainEpoch times one epoch (negative sampling included) with the
// default model: go test -run - -bench TrainEpoch ./recommend/neural/
func BenchmarkTrainEpoch(b *testing.B) {
	w := benchData()
	for _, workers := range []int{1, 2} {
		b.Run(fmt.Sprintf("workers=%d", workers), func(b *testing.B) {
			cfg := DefaultConfig()
			cfg.Epochs, cfg.Workers = 1, workers
			samples := len(w.train) * (1 + cfg.Negatives)
			for b.Loop() {
				if _, err := Train(context.Background(), w.train, w.nUsers, w.nItems, cfg); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(samples)*float64(b.N)/b.Elapsed().Seconds(), "samples/s")
		})
	}
}

// BenchmarkScoreAll scores the whole 3000-item catalogue for one user.
func BenchmarkScoreAll(b *testing.B) {
	w := benchData()
	cfg := DefaultConfig()
	cfg.Epochs = 1
	m, err := Train(context.Background(), w.train, w.nUsers, w.nItems, cfg)
	if err != nil {
		b.Fatal(err)
	}
	out := make([]float32, m.Items())
	u := int32(0)
	b.ReportAllocs()
	for b.Loop() {
		m.ScoreAll(u, out)
		u = (u + 1) % int32(m.Users())
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(m.Items()), "ns/item")
}
