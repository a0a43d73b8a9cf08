package bandit

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
)

var regretSVG = flag.String("regret-svg", "", "write the standard scenario's regret chart to this file (e.g. ../docs/regret.svg)")

func seeded(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, 42)) }

// meanVar returns the sample mean and variance of n draws.
func meanVar(n int, draw func() float64) (mean, variance float64) {
	var sum, sumSq float64
	for range n {
		x := draw()
		sum += x
		sumSq += x * x
	}
	mean = sum / float64(n)
	return mean, (sumSq - float64(n)*mean*mean) / float64(n-1)
}

func TestGammaRandMoments(t *testing.T) {
	const n = 200000
	for i, a := range []float64{0.05, 0.3, 0.5, 1, 2.5, 30, 5000} {
		r := seeded(uint64(i + 1))
		mean, variance := meanVar(n, func() float64 { return gammaRand(r, a) })
		// Gamma(a,1) has mean a and variance a; the mean's standard error
		// is √(a/n). Variance tolerance is loose because its estimator's
		// spread grows with the excess kurtosis 6/a.
		if se := math.Sqrt(a / n); math.Abs(mean-a) > 5*se {
			t.Errorf("Gamma(%v): mean %v, want %v ± %v", a, mean, a, 5*se)
		}
		tol := 0.05 + 0.5/math.Sqrt(a*n)*math.Sqrt(6/a+2)*5
		if math.Abs(variance/a-1) > tol {
			t.Errorf("Gamma(%v): variance %v, want %v (rel tol %.3f)", a, variance, a, tol)
		}
	}
}

func TestBetaRandMoments(t *testing.T) {
	const n = 200000
	cases := []struct{ a, b float64 }{
		{1, 1}, {0.5, 0.5}, {0.2, 3}, {2, 5}, {3, 97}, {51, 950}, {101, 99901},
	}
	for i, c := range cases {
		r := seeded(uint64(100 + i))
		mean, variance := meanVar(n, func() float64 { return betaRand(r, c.a, c.b) })
		s := c.a + c.b
		wantMean := c.a / s
		wantVar := c.a * c.b / (s * s * (s + 1))
		if se := math.Sqrt(wantVar / n); math.Abs(mean-wantMean) > 5*se {
			t.Errorf("Beta(%v,%v): mean %v, want %v ± %v", c.a, c.b, mean, wantMean, 5*se)
		}
		if math.Abs(variance/wantVar-1) > 0.05 {
			t.Errorf("Beta(%v,%v): variance %v, want %v ± 5%%", c.a, c.b, variance, wantVar)
		}
	}
}

// TestBetaRandMatchesCDF is a Kolmogorov–Smirnov test of the sampler
// against RegIncBeta: the two are written independently, so agreement
// checks both.
func TestBetaRandMatchesCDF(t *testing.T) {
	const n = 20000
	for i, c := range []struct{ a, b float64 }{{0.4, 0.7}, {2, 3}, {6, 300}} {
		r := seeded(uint64(200 + i))
		xs := make([]float64, n)
		for j := range xs {
			xs[j] = betaRand(r, c.a, c.b)
		}
		slices.Sort(xs)
		d := 0.0
		for j, x := range xs {
			f := RegIncBeta(x, c.a, c.b)
			d = max(d, math.Abs(f-float64(j)/n), math.Abs(f-float64(j+1)/n))
		}
		// 1.95/√n is the 0.1% critical value.
		if limit := 1.95 / math.Sqrt(n); d > limit {
			t.Errorf("Beta(%v,%v): KS distance %.4f > %.4f", c.a, c.b, d, limit)
		}
	}
}

func TestRegIncBetaKnownValues(t *testing.T) {
	// Beta(2,3): CDF 6x²−8x³+3x⁴.
	beta23 := func(x float64) float64 { return 6*x*x - 8*x*x*x + 3*x*x*x*x }
	for _, x := range []float64{0.01, 0.1, 0.25, 0.5, 0.7, 0.9, 0.99} {
		if got, want := RegIncBeta(x, 2, 3), beta23(x); math.Abs(got-want) > 1e-13 {
			t.Errorf("I_%v(2,3) = %v, want %v", x, got, want)
		}
		if got := RegIncBeta(x, 1, 1); math.Abs(got-x) > 1e-14 {
			t.Errorf("I_%v(1,1) = %v, want %v", x, got, x)
		}
		// Arcsine law: I_x(½,½) = (2/π)·asin(√x).
		if got, want := RegIncBeta(x, 0.5, 0.5), 2/math.Pi*math.Asin(math.Sqrt(x)); math.Abs(got-want) > 1e-12 {
			t.Errorf("I_%v(.5,.5) = %v, want %v", x, got, want)
		}
		if got, want := RegIncBeta(x, 3.5, 1), math.Pow(x, 3.5); math.Abs(got-want) > 1e-13 {
			t.Errorf("I_%v(3.5,1) = %v, want %v", x, got, want)
		}
	}
	if got := RegIncBeta(0.5, 2, 3); got != 0.6875 && math.Abs(got-0.6875) > 1e-15 {
		t.Errorf("I_.5(2,3) = %v, want 0.6875", got)
	}
	for _, a := range []float64{0.3, 1, 7, 250, 1e6} {
		if got := RegIncBeta(0.5, a, a); math.Abs(got-0.5) > 1e-9 {
			t.Errorf("I_.5(%v,%v) = %v, want 0.5", a, a, got)
		}
	}
	// Integer parameters: I_x(a,b) = P(Binomial(a+b−1, x) ≥ a), summed in
	// log space — an independent route to realistic posterior sizes.
	binomTail := func(x float64, a, b int) float64 {
		n := a + b - 1
		s := 0.0
		for k := a; k <= n; k++ {
			ln, _ := math.Lgamma(float64(n + 1))
			lk, _ := math.Lgamma(float64(k + 1))
			lnk, _ := math.Lgamma(float64(n - k + 1))
			s += math.Exp(ln - lk - lnk + float64(k)*math.Log(x) + float64(n-k)*math.Log1p(-x))
		}
		return s
	}
	for _, c := range []struct {
		x    float64
		a, b int
	}{{0.01, 11, 990}, {0.02, 11, 990}, {0.05, 41, 960}, {0.03, 301, 9701}, {0.5, 6, 4}} {
		if got, want := RegIncBeta(c.x, float64(c.a), float64(c.b)), binomTail(c.x, c.a, c.b); math.Abs(got-want) > 1e-9 {
			t.Errorf("I_%v(%d,%d) = %v, want %v", c.x, c.a, c.b, got, want)
		}
	}
	if !math.IsNaN(RegIncBeta(0.5, 0, 1)) || !math.IsNaN(RegIncBeta(math.NaN(), 1, 1)) {
		t.Error("invalid arguments must give NaN")
	}
	if RegIncBeta(-1, 2, 2) != 0 || RegIncBeta(2, 2, 2) != 1 {
		t.Error("CDF outside [0,1] must be 0 or 1")
	}
}

func TestBetaQuantile(t *testing.T) {
	// Reference values for Beta(2,3) (from the exact CDF polynomial).
	for _, c := range []struct{ p, want float64 }{
		{0.025, 0.06758599}, {0.5, 0.38572757}, {0.975, 0.80587955},
	} {
		if got := BetaQuantile(c.p, 2, 3); math.Abs(got-c.want) > 1e-7 {
			t.Errorf("Beta(2,3) %v-quantile = %.8f, want %.8f", c.p, got, c.want)
		}
	}
	ps := []float64{1e-6, 0.001, 0.025, 0.1, 0.3, 0.5, 0.77, 0.975, 0.999}
	for _, p := range ps {
		if got := BetaQuantile(p, 1, 1); math.Abs(got-p) > 1e-12 {
			t.Errorf("Beta(1,1) %v-quantile = %v", p, got)
		}
		if got, want := BetaQuantile(p, 1, 4), 1-math.Pow(1-p, 0.25); math.Abs(got-want) > 1e-12 {
			t.Errorf("Beta(1,4) %v-quantile = %v, want %v", p, got, want)
		}
		if got, want := BetaQuantile(p, 0.5, 0.5), math.Pow(math.Sin(math.Pi*p/2), 2); math.Abs(got-want) > 1e-10 {
			t.Errorf("Beta(.5,.5) %v-quantile = %v, want %v", p, got, want)
		}
		for _, a := range []float64{0.2, 3, 80} {
			if lo, hi := BetaQuantile(p, a, a), BetaQuantile(1-p, a, a); math.Abs(lo+hi-1) > 1e-10 {
				t.Errorf("Beta(%v,%v): Q(%v)+Q(%v) = %v, want 1", a, a, p, 1-p, lo+hi)
			}
		}
		// Round trip at production-sized posteriors and lopsided priors.
		for _, c := range []struct{ a, b float64 }{{0.05, 0.5}, {2, 3}, {3, 1000}, {1201, 48801}, {20001, 1e6}} {
			x := BetaQuantile(p, c.a, c.b)
			if got := RegIncBeta(x, c.a, c.b); math.Abs(got-p) > 1e-9*max(1, p/1e-3) {
				t.Errorf("Beta(%v,%v): I(Q(%v)) = %v", c.a, c.b, p, got)
			}
		}
	}
	if BetaQuantile(0, 2, 3) != 0 || BetaQuantile(1, 2, 3) != 1 || !math.IsNaN(BetaQuantile(0.5, -1, 3)) {
		t.Error("edge cases")
	}
}

func mustSelector(t testing.TB, cfg SelectorConfig) *Selector {
	t.Helper()
	s, err := NewSelector(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestNewSelectorValidates(t *testing.T) {
	for _, cfg := range []SelectorConfig{
		{ExplorationFloor: -0.1},
		{ExplorationFloor: 1.5},
		{ExplorationFloor: math.NaN()},
		{PriorAlpha: -1},
		{PriorBeta: math.Inf(1)},
		{PriorAlpha: math.NaN()},
	} {
		if _, err := NewSelector(cfg); !errors.Is(err, ErrInvalidSelectorConfig) {
			t.Errorf("NewSelector(%+v) err = %v, want ErrInvalidSelectorConfig", cfg, err)
		}
	}
	s := mustSelector(t, SelectorConfig{})
	if s.ExplorationFloor() != 0 || s.Prior() != DefaultPrior {
		t.Errorf("zero config: floor %v prior %+v; want 0 and Beta(1,1)", s.ExplorationFloor(), s.Prior())
	}
	if d := mustSelector(t, DefaultSelectorConfig()); d.ExplorationFloor() != 0.05 {
		t.Errorf("default floor %v", d.ExplorationFloor())
	}
}

func TestChooseEdgeCases(t *testing.T) {
	s := mustSelector(t, DefaultSelectorConfig())
	if got := s.Choose(nil); got != -1 {
		t.Errorf("Choose(nil) = %d", got)
	}
	if got := s.Choose([]VariantStats{{VariantID: "a", Impressions: 5}}); got != 0 {
		t.Errorf("Choose(one) = %d", got)
	}
}

// counts returns how often each index is chosen in n calls.
func counts(s *Selector, stats []VariantStats, n int) []int {
	c := make([]int, len(stats))
	for range n {
		c[s.Choose(stats)]++
	}
	return c
}

func TestChooseFollowsEvidence(t *testing.T) {
	s := mustSelector(t, SelectorConfig{Rand: rand.NewPCG(1, 2)})
	stats := []VariantStats{
		{VariantID: "a", Impressions: 10000, Clicks: 200},
		{VariantID: "b", Impressions: 10000, Clicks: 500},
		{VariantID: "c", Impressions: 10000, Clicks: 300},
	}
	// 5% vs 3% on 10k impressions each is ~9 standard errors apart: with no
	// exploration floor the better variant is always drawn highest.
	if c := counts(s, stats, 5000); c[1] != 5000 {
		t.Errorf("no floor, clear winner: counts %v, want all on index 1", c)
	}
	// Unshown variants are explored: Beta(1,1) draws beat a 3% posterior
	// almost always.
	fresh := append(stats[:2:2], VariantStats{VariantID: "new"})
	if c := counts(s, fresh, 2000); c[2] < 1900 {
		t.Errorf("fresh variant chosen %d/2000 times, want ≥1900", c[2])
	}
	// Equal evidence splits evenly.
	tie := []VariantStats{{VariantID: "a", Impressions: 300, Clicks: 9}, {VariantID: "b", Impressions: 300, Clicks: 9}}
	if c := counts(s, tie, 20000); math.Abs(float64(c[0])/20000-0.5) > 0.02 {
		t.Errorf("tie split %v", c)
	}
}

func TestChooseExplorationFloor(t *testing.T) {
	stats := []VariantStats{
		{VariantID: "a", Impressions: 10000, Clicks: 100},
		{VariantID: "b", Impressions: 10000, Clicks: 900},
		{VariantID: "c", Impressions: 10000, Clicks: 100},
		{VariantID: "d", Impressions: 10000, Clicks: 100},
	}
	const n = 40000
	// Floor 1: uniform over four variants.
	c := counts(mustSelector(t, SelectorConfig{ExplorationFloor: 1, Rand: rand.NewPCG(3, 4)}), stats, n)
	for i, k := range c {
		if math.Abs(float64(k)/n-0.25) > 0.015 {
			t.Errorf("floor 1: variant %d served %d/%d, want ~25%%", i, k, n)
		}
	}
	// Floor 0.2: each loser gets 0.2/4 = 5%, the winner 85%.
	c = counts(mustSelector(t, SelectorConfig{ExplorationFloor: 0.2, Rand: rand.NewPCG(5, 6)}), stats, n)
	for i, k := range c {
		want := 0.05
		if i == 1 {
			want = 0.85
		}
		if math.Abs(float64(k)/n-want) > 0.01 {
			t.Errorf("floor 0.2: variant %d share %.4f, want %.2f", i, float64(k)/n, want)
		}
	}
}

func TestChooseClampsCounters(t *testing.T) {
	s := mustSelector(t, SelectorConfig{Rand: rand.NewPCG(7, 8)})
	// 50 clicks on 10 counted impressions: read as 50/50, a strong
	// winner, never as a negative failure count (which would be NaN).
	stats := []VariantStats{
		{VariantID: "a", Impressions: 10, Clicks: 50},
		{VariantID: "b", Impressions: 1000, Clicks: 30},
		{VariantID: "c", Impressions: -5, Clicks: -2},
	}
	// Against the unshown c (Beta(1,1)) a Beta(51,1) draw loses with
	// probability 1/52; b (3%) essentially never wins.
	c := counts(s, stats, 2000)
	if c[0] < 1900 || c[1] != 0 {
		t.Errorf("over-clicked variant chosen %d/2000, want ~98%%: %v", c[0], c)
	}
	perf := Performance(stats, DefaultPrior)
	if p := perf[0]; p.Impressions != 50 || p.Clicks != 50 || p.CTR != 1 {
		t.Errorf("clamped perf %+v, want 50/50 CTR 1", p)
	}
	if p := perf[2]; p.Impressions != 0 || p.Clicks != 0 || p.CTR != 0 || p.PosteriorMean != 0.5 {
		t.Errorf("negative counters perf %+v, want zeros", p)
	}
}

func TestChooseDeterministicWithSeed(t *testing.T) {
	stats := []VariantStats{{Impressions: 100, Clicks: 3}, {Impressions: 120, Clicks: 5}, {Impressions: 80, Clicks: 2}}
	run := func() []int {
		s := mustSelector(t, SelectorConfig{ExplorationFloor: 0.1, Rand: rand.NewPCG(9, 9)})
		out := make([]int, 200)
		for i := range out {
			out[i] = s.Choose(stats)
		}
		return out
	}
	a, b := run(), run()
	if fmt.Sprint(a) != fmt.Sprint(b) {
		t.Error("same seed gave different choices")
	}
}

// TestChooseConcurrent is for -race: both the locked seeded source and
// the runtime source must be safe to share.
func TestChooseConcurrent(t *testing.T) {
	stats := []VariantStats{{Impressions: 100, Clicks: 3}, {Impressions: 120, Clicks: 5}, {Impressions: 80, Clicks: 2}}
	for _, cfg := range []SelectorConfig{DefaultSelectorConfig(), {ExplorationFloor: 0.05, Rand: rand.NewPCG(1, 1)}} {
		s := mustSelector(t, cfg)
		var wg sync.WaitGroup
		for range 4 {
			wg.Go(func() {
				for range 2000 {
					if i := s.Choose(stats); i < 0 || i >= len(stats) {
						t.Errorf("Choose = %d", i)
						return
					}
				}
			})
		}
		wg.Wait()
	}
}

func TestPerformance(t *testing.T) {
	stats := []VariantStats{
		{VariantID: "a", Impressions: 1000, Clicks: 20, Carts: 4, Purchases: 1},
		{VariantID: "b", Impressions: 1000, Clicks: 50},
		{VariantID: "c", Impressions: 10, Clicks: 5},
	}
	perf := Performance(stats, DefaultPrior)
	if len(perf) != 3 {
		t.Fatalf("len %d", len(perf))
	}
	a := perf[0]
	if a.VariantID != "a" || a.Impressions != 1000 || a.Clicks != 20 || a.Carts != 4 || a.Purchases != 1 || a.CTR != 0.02 {
		t.Errorf("a = %+v", a)
	}
	if want := 21.0 / 1002; math.Abs(a.PosteriorMean-want) > 1e-15 {
		t.Errorf("a mean %v, want %v", a.PosteriorMean, want)
	}
	if lo, hi := a.Lower95, a.Upper95; math.Abs(RegIncBeta(lo, 21, 981)-0.025) > 1e-9 || math.Abs(RegIncBeta(hi, 21, 981)-0.975) > 1e-9 {
		t.Errorf("a interval [%v, %v] is not the 2.5/97.5%% quantiles", lo, hi)
	}
	// The normal approximation is close at this size: mean ± 1.96·sd.
	sd := math.Sqrt(a.PosteriorMean * (1 - a.PosteriorMean) / 1003)
	if math.Abs(a.Lower95-(a.PosteriorMean-1.96*sd)) > 0.002 || math.Abs(a.Upper95-(a.PosteriorMean+1.96*sd)) > 0.002 {
		t.Errorf("a interval [%v, %v] far from normal approx %v ± %v", a.Lower95, a.Upper95, a.PosteriorMean, 1.96*sd)
	}
	sum := 0.0
	for _, p := range perf {
		if !(p.Lower95 < p.PosteriorMean && p.PosteriorMean < p.Upper95) {
			t.Errorf("%s: mean %v outside [%v, %v]", p.VariantID, p.PosteriorMean, p.Lower95, p.Upper95)
		}
		sum += p.ProbabilityBest
	}
	if math.Abs(sum-1) > 1e-12 {
		t.Errorf("ProbabilityBest sums to %v", sum)
	}
	// c (5/10, posterior Beta(6,6)) is very likely above b's ~5%; a never is.
	if perf[2].ProbabilityBest < 0.95 || perf[0].ProbabilityBest != 0 {
		t.Errorf("ProbabilityBest a=%v c=%v", perf[0].ProbabilityBest, perf[2].ProbabilityBest)
	}
	// Deterministic: same stats, same report.
	if again := Performance(stats, DefaultPrior); fmt.Sprint(again) != fmt.Sprint(perf) {
		t.Error("Performance is not deterministic")
	}
	// But c's ten impressions are too few to lead: b leads.
	if id, ok := Leader(perf); !ok || id != "b" {
		t.Errorf("Leader = %q, %v; want b", id, ok)
	}
	if Performance(nil, DefaultPrior) != nil {
		t.Error("Performance(nil) should be nil")
	}
}

func TestProbabilityBestCloseCall(t *testing.T) {
	// 3.0% vs 3.3% on 2,000 impressions each: P(b best) is about 0.70 by
	// the normal approximation (difference 0.3pp, sd ≈ 0.55pp).
	stats := []VariantStats{{VariantID: "a", Impressions: 2000, Clicks: 60}, {VariantID: "b", Impressions: 2000, Clicks: 66}}
	perf := Performance(stats, DefaultPrior)
	if pb := perf[1].ProbabilityBest; pb < 0.64 || pb > 0.76 {
		t.Errorf("P(b best) = %v, want ≈0.70", pb)
	}
}

func TestLeader(t *testing.T) {
	if _, ok := Leader(nil); ok {
		t.Error("Leader(nil) ok")
	}
	few := Performance([]VariantStats{{VariantID: "a", Impressions: 29, Clicks: 3}, {VariantID: "b"}}, DefaultPrior)
	if id, ok := Leader(few); ok {
		t.Errorf("leader %q named below %d impressions", id, MinLeaderImpressions)
	}
	// Equal means: more impressions wins.
	tie := []VariantPerformance{
		{VariantID: "a", Impressions: 100, PosteriorMean: 0.04},
		{VariantID: "b", Impressions: 400, PosteriorMean: 0.04},
		{VariantID: "c", Impressions: 30, PosteriorMean: 0.03},
	}
	if id, _ := Leader(tie); id != "b" {
		t.Errorf("tie leader %q, want b", id)
	}
}

func TestSimulateValidates(t *testing.T) {
	ctx := context.Background()
	for _, mod := range []func(*SimConfig){
		func(c *SimConfig) { c.TrueCTR = []float64{0.1} },
		func(c *SimConfig) { c.TrueCTR = []float64{0.1, 1.2} },
		func(c *SimConfig) { c.Impressions = 0 },
		func(c *SimConfig) { c.FinalWindow = 1.5 },
		func(c *SimConfig) { c.Selector.ExplorationFloor = -1 },
	} {
		cfg := DefaultSimConfig()
		mod(&cfg)
		if _, err := Simulate(ctx, cfg); !errors.Is(err, ErrInvalidSimConfig) {
			t.Errorf("Simulate(%+v) err = %v", cfg, err)
		}
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := Simulate(cctx, DefaultSimConfig()); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled Simulate err = %v", err)
	}
}

// TestSimulateFindsBestVariant is the acceptance test: after enough
// impressions the best variant gets at least 80% of the traffic, and
// Thompson sampling loses far fewer clicks than uniform allocation.
func TestSimulateFindsBestVariant(t *testing.T) {
	scenarios := []struct {
		name string
		ctr  []float64
	}{
		{"standard", []float64{0.02, 0.03, 0.05}},
		{"wide", []float64{0.02, 0.04, 0.08}},
		{"five", []float64{0.02, 0.025, 0.03, 0.035, 0.05}},
	}
	for _, sc := range scenarios {
		for seed := uint64(1); seed <= 5; seed++ {
			cfg := DefaultSimConfig()
			cfg.TrueCTR, cfg.Seed = sc.ctr, seed
			res, err := Simulate(context.Background(), cfg)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%s seed %d: best share %.3f, regret %.1f vs uniform %.1f, clicks %d vs %d",
				sc.name, seed, res.BestShare, res.Regret, res.UniformRegret, res.Clicks, res.UniformClicks)
			if res.BestShare < 0.8 {
				t.Errorf("%s seed %d: best variant served %.3f of the final window, want ≥0.8", sc.name, seed, res.BestShare)
			}
			if res.Regret > res.UniformRegret/4 {
				t.Errorf("%s seed %d: regret %.1f, want < ¼ of uniform's %.1f", sc.name, seed, res.Regret, res.UniformRegret)
			}
			if res.Clicks <= res.UniformClicks {
				t.Errorf("%s seed %d: Thompson got %d clicks, uniform %d", sc.name, seed, res.Clicks, res.UniformClicks)
			}
			checkCurve(t, res)
		}
	}
}

func checkCurve(t *testing.T, res SimResult) {
	t.Helper()
	c := res.Curve
	if len(c) != res.Config.Checkpoints || c[len(c)-1].Impressions != res.Config.Impressions {
		t.Fatalf("curve has %d points ending at %d", len(c), c[len(c)-1].Impressions)
	}
	last := c[len(c)-1]
	if last.Regret != res.Regret || last.UniformRegret != res.UniformRegret {
		t.Errorf("curve end %+v != totals %v / %v", last, res.Regret, res.UniformRegret)
	}
	for i := 1; i < len(c); i++ {
		if c[i].Impressions <= c[i-1].Impressions || c[i].Regret < c[i-1].Regret-1e-9 || c[i].UniformRegret < c[i-1].UniformRegret-1e-9 {
			t.Fatalf("curve not monotone at %d: %+v then %+v", i, c[i-1], c[i])
		}
	}
	// Uniform regret grows linearly at (best − mean CTR) per impression;
	// Thompson's flattens, so its second half adds less than its first.
	half := c[len(c)/2-1]
	if second := res.Regret - half.Regret; second >= half.Regret {
		t.Errorf("Thompson regret not flattening: first half %.1f, second %.1f", half.Regret, second)
	}
}

func TestSimulateDeterministic(t *testing.T) {
	cfg := DefaultSimConfig()
	cfg.Impressions = 3000
	a, err := Simulate(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := Simulate(context.Background(), cfg)
	if fmt.Sprint(a.Curve, a.Stats) != fmt.Sprint(b.Curve, b.Stats) {
		t.Error("same seed, different simulation")
	}
}

func TestWriteRegretSVG(t *testing.T) {
	res, err := Simulate(context.Background(), DefaultSimConfig())
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := WriteRegretSVG(&buf, res); err != nil {
		t.Fatal(err)
	}
	// Well-formed XML with two data lines and both legend labels.
	dec := xml.NewDecoder(bytes.NewReader(buf.Bytes()))
	polylines := 0
	for {
		tok, err := dec.Token()
		if err != nil {
			if err.Error() != "EOF" {
				t.Fatalf("SVG is not well-formed XML: %v", err)
			}
			break
		}
		if se, ok := tok.(xml.StartElement); ok && se.Name.Local == "polyline" {
			polylines++
		}
	}
	if polylines != 3 { // axes + two series
		t.Errorf("%d polylines, want 3", polylines)
	}
	for _, want := range []string{"Thompson sampling", "uniform random", "impressions", "20k"} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("SVG lacks %q", want)
		}
	}
	if err := WriteRegretSVG(&buf, SimResult{}); err == nil {
		t.Error("empty curve should be an error")
	}
	if *regretSVG != "" {
		if err := os.MkdirAll(filepath.Dir(*regretSVG), 0o755); err != nil {
			t.Fatal(err)
		}
		f, err := os.Create(*regretSVG)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if err := WriteRegretSVG(f, res); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %s: best share %.3f, regret %.1f vs uniform %.1f", *regretSVG, res.BestShare, res.Regret, res.UniformRegret)
	}
}

func TestNiceTicks(t *testing.T) {
	for _, c := range []struct {
		v    float64
		top  float64
		nTix int
	}{{20000, 20000, 5}, {333.8, 400, 5}, {7, 8, 5}, {0.3, 0.3, 4}, {0, 1, 2}} {
		ticks, top := niceTicks(c.v)
		if top != c.top || len(ticks) != c.nTix {
			t.Errorf("niceTicks(%v) = %v, %v", c.v, ticks, top)
		}
	}
}

func benchmarkChoose(b *testing.B, k int, cfg SelectorConfig) {
	s := mustSelector(b, cfg)
	stats := make([]VariantStats, k)
	for i := range stats {
		stats[i] = VariantStats{VariantID: fmt.Sprint("v", i), Impressions: int64(5000 + 700*i), Clicks: int64(100 + 30*i)}
	}
	b.ReportAllocs()
	for b.Loop() {
		s.Choose(stats)
	}
}

// BenchmarkChoose is the serving hot path: one Choose per copy served.
// "runtime" is the production default (lock-free ChaCha8), "pcg" a seeded
// source behind the Selector's mutex.
func BenchmarkChoose(b *testing.B) {
	for _, k := range []int{3, 5} {
		b.Run(fmt.Sprintf("variants=%d/runtime", k), func(b *testing.B) {
			benchmarkChoose(b, k, DefaultSelectorConfig())
		})
		b.Run(fmt.Sprintf("variants=%d/pcg", k), func(b *testing.B) {
			cfg := DefaultSelectorConfig()
			cfg.Rand = rand.NewPCG(1, 2)
			benchmarkChoose(b, k, cfg)
		})
	}
}

// BenchmarkChooseParallel shows the contention cost of a shared Selector.
func BenchmarkChooseParallel(b *testing.B) {
	stats := []VariantStats{{Impressions: 5000, Clicks: 100}, {Impressions: 5700, Clicks: 130}, {Impressions: 6400, Clicks: 160}}
	s := mustSelector(b, DefaultSelectorConfig())
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			s.Choose(stats)
		}
	})
}

func BenchmarkPerformance(b *testing.B) {
	stats := []VariantStats{{VariantID: "a", Impressions: 5000, Clicks: 100}, {VariantID: "b", Impressions: 5700, Clicks: 130},
		{VariantID: "c", Impressions: 6400, Clicks: 160}, {VariantID: "d", Impressions: 900, Clicks: 30}, {VariantID: "e", Impressions: 50, Clicks: 1}}
	b.ReportAllocs()
	for b.Loop() {
		Performance(stats, DefaultPrior)
	}
}
