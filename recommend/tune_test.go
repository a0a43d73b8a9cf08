package recommend

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/shopmuse/shopmuse/recommend/synth"
)

// TestCompareModels prints the offline comparison; it is slow-ish, so it
// runs only with SHOPMUSE_EVAL set (sizes via the defaults below).
func TestCompareModels(t *testing.T) {
	if os.Getenv("SHOPMUSE_EVAL") == "" {
		t.Skip("set SHOPMUSE_EVAL=1 to run the model comparison")
	}
	s := synth.Generate(5000, 5000, 150000, 1)
	sp := SplitInteractions(s.Interactions, SplitByTime, 0.2, 1)
	ctx := context.Background()
	for _, algo := range []string{AlgoEALS, AlgoBPR} {
		e := synthEngine(t, s, sp.Train, func(c *Config) { c.MF.Algorithm = algo })
		t0 := time.Now()
		rep, err := e.Train(ctx)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s trained in %v: %+v", algo, time.Since(t0), rep.Models)
		names := []string{RetrieverMF}
		if algo == AlgoEALS {
			names = []string{"popularity", RetrieverPopular, RetrieverItemCF, RetrieverMF, RetrieverContent, "blend"}
		}
		for _, n := range names {
			r, err := e.Ranker(n)
			if err != nil {
				t.Fatal(err)
			}
			m, err := Evaluate(ctx, r, sp, 10, len(s.Products), 2000)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%-6s %-10s %s", algo, n, m)
		}
	}
}

// TestTuneMF grid-searches MF hyper-parameters on the synthetic shop (the
// numbers behind DefaultConfig). Set SHOPMUSE_TUNE=1 to run it.
func TestTuneMF(t *testing.T) {
	if os.Getenv("SHOPMUSE_TUNE") == "" {
		t.Skip("set SHOPMUSE_TUNE=1 to run the MF grid search")
	}
	s := synth.Generate(5000, 5000, 150000, 1)
	sp := SplitInteractions(s.Interactions, SplitByTime, 0.2, 1)
	ctx := context.Background()
	e := synthEngine(t, s, sp.Train, nil)
	td, err := e.ds.snapshot(ctx, s.Now.Unix())
	if err != nil {
		t.Fatal(err)
	}
	eval := func(label string, m *mfModel) {
		if err := e.attach(ctx, m); err != nil {
			t.Fatal(err)
		}
		e.models.Store(&models{mf: m})
		r, _ := e.Ranker(RetrieverMF)
		met, err := Evaluate(ctx, r, sp, 10, len(s.Products), 1000)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s %s", label, met)
	}
	for _, c0 := range []float64{10, 30, 100, 300} {
		for _, alpha := range []float64{0.5, 1, 4} {
			for _, omega := range []float64{0, 0.5} {
				cfg := e.cfg.MF
				cfg.C0, cfg.Alpha, cfg.Omega = c0, alpha, omega
				m, err := trainEALS(ctx, td, &cfg, nil)
				if err != nil {
					t.Fatal(err)
				}
				eval(fmt.Sprintf("eALS C0=%v alpha=%v omega=%v", c0, alpha, omega), m)
			}
		}
	}
	for _, lr := range []float64{0.02, 0.05, 0.1} {
		for _, reg := range []float64{0.002, 0.01, 0.05} {
			for _, epochs := range []int{30, 60} {
				cfg := e.cfg.MF
				cfg.LearningRate, cfg.Reg = lr, reg
				m, err := trainBPR(ctx, td, &cfg, epochs, nil)
				if err != nil {
					t.Fatal(err)
				}
				eval(fmt.Sprintf("BPR lr=%v reg=%v epochs=%d", lr, reg, epochs), m)
			}
		}
	}
}

// TestTuneBlend grid-searches the blend weights on a mid-sized synthetic
// shop. Set SHOPMUSE_TUNE=1 to run it.
func TestTuneBlend(t *testing.T) {
	if os.Getenv("SHOPMUSE_TUNE") == "" {
		t.Skip("set SHOPMUSE_TUNE=1 to run the blend grid search")
	}
	s := synth.Generate(10000, 20000, 200000, 42)
	sp := SplitInteractions(s.Interactions, SplitByTime, 0.2, 1)
	ctx := context.Background()
	e := synthEngine(t, s, sp.Train, nil)
	if _, err := e.Train(ctx); err != nil {
		t.Fatal(err)
	}
	run := func(w map[string]float64) {
		e.cfg.Weights = w
		r, _ := e.Ranker("blend")
		m, err := Evaluate(ctx, r, sp, 10, len(s.Products), 1000)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%v %s", w, m)
	}
	run(map[string]float64{RetrieverMF: 1})
	for _, cf := range []float64{0.1, 0.3, 0.6} {
		for _, content := range []float64{0, 0.1} {
			for _, pop := range []float64{0, 0.05} {
				run(map[string]float64{RetrieverSeen: 0.6, RetrieverMF: 1, RetrieverItemCF: cf, RetrieverContent: content,
					RetrieverPopular: pop, RetrieverTrending: pop})
			}
		}
	}
}
