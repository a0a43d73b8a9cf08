package bandit

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"sync"
)

// Variant selection: which of a segment's copy variants to serve next.
//
// Each variant's click-through is a Bernoulli rate with a Beta prior; after
// n impressions and c clicks its posterior is Beta(α+c, β+n−c). Choose
// draws one rate from each posterior and serves the largest (Thompson
// sampling), so a variant is served about as often as it is probably the
// best: clear losers fade out quickly, close calls keep being explored. An
// exploration floor keeps a small uniform share so that a variant which
// looked bad early (or whose audience changed) can still recover.
//
// Stats are the caller's: the store keeps per-variant counters keyed by
// product, channel and persona segment; this file is pure and
// allocation-free on the serving path.

// VariantStats are one variant's counters within a segment.
type VariantStats struct {
	VariantID   string
	Impressions int64
	Clicks      int64
	Carts       int64
	Purchases   int64
}

// successesFailures clamps the counters into a valid Beta update. A click
// can arrive for an impression we never counted (recorded before a restart,
// or by another replica whose impression write was lost), so clicks above
// impressions are taken as evidence that those impressions happened rather
// than as negative failures; negative counters are treated as zero.
func (s VariantStats) successesFailures() (succ, fail float64) {
	c, n := max(s.Clicks, 0), max(s.Impressions, 0)
	return float64(c), float64(max(n-c, 0))
}

// DefaultExplorationFloor is the default share of uniformly random picks.
const DefaultExplorationFloor = 0.05

// SelectorConfig configures a Selector. Start from DefaultSelectorConfig.
type SelectorConfig struct {
	// ExplorationFloor is the probability of serving a uniformly random
	// variant instead of the Thompson pick, in [0, 1]. Zero disables it,
	// so the zero value is not the default: use DefaultSelectorConfig.
	ExplorationFloor float64
	// PriorAlpha and PriorBeta are the Beta prior's pseudo-clicks and
	// pseudo-non-clicks; 0 means 1 (a Beta parameter must be positive, so
	// zero can only mean "unset"). The default Beta(1,1) is uniform.
	PriorAlpha, PriorBeta float64
	// Rand, when set, is the random source, for reproducible runs; the
	// Selector serializes access to it with a mutex. Nil uses the runtime's
	// per-thread ChaCha8 generator (math/rand/v2's top-level functions),
	// which is seeded randomly, safe for concurrent use and takes no lock.
	Rand rand.Source
}

// DefaultSelectorConfig is a 5% exploration floor with a uniform prior.
func DefaultSelectorConfig() SelectorConfig {
	return SelectorConfig{ExplorationFloor: DefaultExplorationFloor, PriorAlpha: 1, PriorBeta: 1}
}

// Prior is a Beta prior on a click-through rate.
type Prior struct{ Alpha, Beta float64 }

// DefaultPrior is Beta(1,1), uniform on [0,1].
var DefaultPrior = Prior{Alpha: 1, Beta: 1}

func (p Prior) orDefault() Prior {
	if p.Alpha == 0 {
		p.Alpha = 1
	}
	if p.Beta == 0 {
		p.Beta = 1
	}
	return p
}

func (p Prior) validate() error {
	if !(p.Alpha > 0) || !(p.Beta > 0) || math.IsInf(p.Alpha, 0) || math.IsInf(p.Beta, 0) {
		return fmt.Errorf("prior Beta(%v, %v): parameters must be positive and finite", p.Alpha, p.Beta)
	}
	return nil
}

// ErrInvalidSelectorConfig wraps every SelectorConfig validation failure.
var ErrInvalidSelectorConfig = errors.New("invalid selector config")

// Selector chooses variants by Thompson sampling. It holds no per-variant
// state (the counters live in the store), so one Selector serves every
// product and segment and is safe for concurrent use.
type Selector struct {
	floor float64
	prior Prior
	rng   *rand.Rand
	// mu guards rng when it wraps a caller's Source; the runtime source
	// needs no lock.
	mu     sync.Mutex
	locked bool
}

// NewSelector validates cfg and returns a Selector.
func NewSelector(cfg SelectorConfig) (*Selector, error) {
	f := cfg.ExplorationFloor
	if math.IsNaN(f) || f < 0 || f > 1 {
		return nil, fmt.Errorf("%w: exploration floor %v is not in [0, 1]", ErrInvalidSelectorConfig, f)
	}
	prior := Prior{Alpha: cfg.PriorAlpha, Beta: cfg.PriorBeta}.orDefault()
	if err := prior.validate(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidSelectorConfig, err)
	}
	s := &Selector{floor: f, prior: prior}
	if cfg.Rand != nil {
		s.rng, s.locked = rand.New(cfg.Rand), true
	} else {
		s.rng = rand.New(runtimeSource{})
	}
	return s, nil
}

// runtimeSource is math/rand/v2's global generator as a Source. rand.Rand
// keeps no state of its own beyond its Source, so a Rand over this source
// is safe to share between goroutines.
type runtimeSource struct{}

func (runtimeSource) Uint64() uint64 { return rand.Uint64() }

// ExplorationFloor is the configured probability of a uniform pick.
func (s *Selector) ExplorationFloor() float64 { return s.floor }

// Prior is the configured Beta prior.
func (s *Selector) Prior() Prior { return s.prior }

// Choose returns the index in stats of the variant to serve, or -1 when
// stats is empty. With probability ExplorationFloor the pick is uniform;
// otherwise it is the argmax of one posterior draw per variant.
func (s *Selector) Choose(stats []VariantStats) int {
	switch len(stats) {
	case 0:
		return -1
	case 1:
		return 0
	}
	if s.locked {
		// One lock per call rather than per random number: a Choose
		// over five variants draws twenty-odd numbers.
		s.mu.Lock()
		defer s.mu.Unlock()
	}
	r := s.rng
	if s.floor > 0 && r.Float64() < s.floor {
		return r.IntN(len(stats))
	}
	best, bestTheta := 0, -1.0
	for i, st := range stats {
		c, f := st.successesFailures()
		if theta := betaRand(r, s.prior.Alpha+c, s.prior.Beta+f); theta > bestTheta {
			best, bestTheta = i, theta
		}
	}
	return best
}

// Performance reports each variant's posterior under s's prior.
func (s *Selector) Performance(stats []VariantStats) []VariantPerformance {
	return Performance(stats, s.prior)
}

// VariantPerformance is what copyPerformance reports for one variant.
type VariantPerformance struct {
	VariantID string
	// Impressions and Clicks are the counters after clamping (see
	// VariantStats): Impressions is at least Clicks, so CTR ≤ 1.
	Impressions, Clicks int64
	Carts, Purchases    int64
	// CTR is Clicks/Impressions, 0 before the first impression.
	CTR float64
	// PosteriorMean is (α+clicks)/(α+β+impressions): the CTR shrunk
	// towards the prior, which is what to compare on little data.
	PosteriorMean float64
	// Lower95 and Upper95 bound the equal-tailed 95% credible interval
	// (the posterior's 2.5% and 97.5% quantiles).
	Lower95, Upper95 float64
	// ProbabilityBest estimates P(this variant's rate is the highest) from
	// ProbabilityBestDraws joint posterior draws. The draws are seeded by
	// the stats, so the same stats always report the same number; it is
	// also, up to the exploration floor, the share Choose serves.
	ProbabilityBest float64
}

// ProbabilityBestDraws is the Monte-Carlo sample size for ProbabilityBest:
// its standard error is at most 0.5/√2000 ≈ 0.011, enough to rank and to
// display with two digits, at about a millisecond for five variants.
const ProbabilityBestDraws = 2000

// Performance returns each variant's posterior summary, in stats order. A
// zero prior parameter means 1; an invalid prior (negative, NaN) falls back
// to DefaultPrior, since a report is better than none and the prior in use
// comes from a validated Selector in practice.
func Performance(stats []VariantStats, prior Prior) []VariantPerformance {
	if len(stats) == 0 {
		return nil
	}
	prior = prior.orDefault()
	if prior.validate() != nil {
		prior = DefaultPrior
	}
	out := make([]VariantPerformance, len(stats))
	as := make([]float64, len(stats))
	bs := make([]float64, len(stats))
	for i, st := range stats {
		c, f := st.successesFailures()
		a, b := prior.Alpha+c, prior.Beta+f
		as[i], bs[i] = a, b
		p := VariantPerformance{
			VariantID:     st.VariantID,
			Clicks:        int64(c),
			Impressions:   int64(c + f),
			Carts:         st.Carts,
			Purchases:     st.Purchases,
			PosteriorMean: a / (a + b),
			Lower95:       BetaQuantile(0.025, a, b),
			Upper95:       BetaQuantile(0.975, a, b),
		}
		if p.Impressions > 0 {
			p.CTR = c / (c + f)
		}
		out[i] = p
	}
	r := rand.New(rand.NewPCG(statsSeed(stats, prior)))
	wins := make([]int, len(stats))
	for range ProbabilityBestDraws {
		best, bestTheta := 0, -1.0
		for i := range as {
			if theta := betaRand(r, as[i], bs[i]); theta > bestTheta {
				best, bestTheta = i, theta
			}
		}
		wins[best]++
	}
	for i := range out {
		out[i].ProbabilityBest = float64(wins[i]) / ProbabilityBestDraws
	}
	return out
}

// statsSeed hashes everything the posterior depends on, so Performance is a
// pure function of its arguments.
func statsSeed(stats []VariantStats, prior Prior) (uint64, uint64) {
	h := fnv.New128a()
	var buf [8]byte
	put := func(v uint64) {
		binary.LittleEndian.PutUint64(buf[:], v)
		h.Write(buf[:])
	}
	put(math.Float64bits(prior.Alpha))
	put(math.Float64bits(prior.Beta))
	for _, st := range stats {
		put(uint64(len(st.VariantID)))
		h.Write([]byte(st.VariantID))
		put(uint64(st.Impressions))
		put(uint64(st.Clicks))
	}
	sum := h.Sum(nil)
	return binary.LittleEndian.Uint64(sum[:8]), binary.LittleEndian.Uint64(sum[8:])
}

// MinLeaderImpressions is how many impressions a variant needs before it
// can be named the leader.
//
// The leader is the variant with the highest posterior mean among those
// with at least this many impressions. Posterior mean rather than raw CTR,
// because 1 click in 3 impressions is not a 33% variant; rather than
// ProbabilityBest, because the mean is stable between refreshes and easy to
// explain next to the CTR. The impression floor keeps a report from
// crowning a variant the prior alone props up: with Beta(1,1), an unshown
// variant's mean is 0.5, far above any real click-through rate. 30 is the
// usual "enough for a normal approximation" count; it does not make the
// lead significant — the interval and ProbabilityBest say how sure it is.
const MinLeaderImpressions = 30

// Leader returns the leading variant's ID; ok is false when no variant has
// MinLeaderImpressions yet. Ties go to the variant with more impressions,
// then to the earlier one.
func Leader(perf []VariantPerformance) (id string, ok bool) {
	best := -1
	for i, p := range perf {
		if p.Impressions < MinLeaderImpressions {
			continue
		}
		if best < 0 || p.PosteriorMean > perf[best].PosteriorMean ||
			(p.PosteriorMean == perf[best].PosteriorMean && p.Impressions > perf[best].Impressions) {
			best = i
		}
	}
	if best < 0 {
		return "", false
	}
	return perf[best].VariantID, true
}

// betaRand draws from Beta(a, b) as X/(X+Y) with X ~ Gamma(a), Y ~ Gamma(b).
func betaRand(r *rand.Rand, a, b float64) float64 {
	x, y := gammaRand(r, a), gammaRand(r, b)
	if s := x + y; s > 0 {
		return x / s
	}
	// Both draws underflowed, which only happens when a and b are tiny;
	// Beta(a, b) then concentrates at 0 and 1 with weights b:a.
	if r.Float64()*(a+b) < a {
		return 1
	}
	return 0
}

// gammaRand draws from Gamma(a, 1) by Marsaglia and Tsang's squeeze method
// (ACM TOMS 26(3), 2000): about 1.03 normal and uniform draws per sample for
// any a ≥ 1. For a < 1 it uses Gamma(a) = Gamma(a+1)·U^(1/a).
func gammaRand(r *rand.Rand, a float64) float64 {
	boost := 1.0
	if a < 1 {
		boost = math.Pow(r.Float64(), 1/a)
		a++
	}
	d := a - 1.0/3
	c := 1 / math.Sqrt(9*d)
	for {
		var x, v float64
		for {
			x = r.NormFloat64()
			v = 1 + c*x
			if v > 0 {
				break
			}
		}
		v = v * v * v
		u := r.Float64()
		x2 := x * x
		// The cheap squeeze accepts ~98% of draws without a logarithm.
		if u < 1-0.0331*x2*x2 {
			return d * v * boost
		}
		if math.Log(u) < 0.5*x2+d*(1-v+math.Log(v)) {
			return d * v * boost
		}
	}
}

// lnBeta is log B(a, b).
func lnBeta(a, b float64) float64 {
	la, _ := math.Lgamma(a)
	lb, _ := math.Lgamma(b)
	lab, _ := math.Lgamma(a + b)
	return la + lb - lab
}

// RegIncBeta is the regularized incomplete beta function I_x(a, b), the
// CDF of Beta(a, b) at x. a and b must be positive.
func RegIncBeta(x, a, b float64) float64 {
	switch {
	case math.IsNaN(x) || !(a > 0) || !(b > 0):
		return math.NaN()
	case x <= 0:
		return 0
	case x >= 1:
		return 1
	}
	// x^a (1-x)^b / B(a,b), the prefactor of the continued fraction.
	lfront := a*math.Log(x) + b*math.Log1p(-x) - lnBeta(a, b)
	// The continued fraction converges fast for x below the mean-ish
	// point (a+1)/(a+b+2); above it use the symmetry I_x(a,b) = 1−I_{1−x}(b,a).
	if x < (a+1)/(a+b+2) {
		return math.Exp(lfront) * betaCF(x, a, b) / a
	}
	return 1 - math.Exp(lfront)*betaCF(1-x, b, a)/b
}

// betaCF evaluates the continued fraction for I_x(a,b) by the modified
// Lentz method (Numerical Recipes §6.4). It needs O(√max(a,b)) terms, so
// the bound grows with the parameters: a variant with millions of
// impressions still converges.
func betaCF(x, a, b float64) float64 {
	const eps, tiny = 1e-15, 1e-300
	maxIter := 200 + int(10*math.Sqrt(max(a, b)))
	qab, qap, qam := a+b, a+1, a-1
	c, d := 1.0, 1-qab*x/qap
	if math.Abs(d) < tiny {
		d = tiny
	}
	d = 1 / d
	h := d
	for m := 1; m <= maxIter; m++ {
		fm := float64(m)
		m2 := 2 * fm
		// Even step.
		aa := fm * (b - fm) * x / ((qam + m2) * (a + m2))
		d = 1 + aa*d
		if math.Abs(d) < tiny {
			d = tiny
		}
		c = 1 + aa/c
		if math.Abs(c) < tiny {
			c = tiny
		}
		d = 1 / d
		h *= d * c
		// Odd step.
		aa = -(a + fm) * (qab + fm) * x / ((a + m2) * (qap + m2))
		d = 1 + aa*d
		if math.Abs(d) < tiny {
			d = tiny
		}
		c = 1 + aa/c
		if math.Abs(c) < tiny {
			c = tiny
		}
		d = 1 / d
		del := d * c
		h *= del
		if math.Abs(del-1) < eps {
			break
		}
	}
	return h
}

// BetaQuantile returns the p-quantile of Beta(a, b): the x with
// I_x(a, b) = p. It runs Newton's method on the CDF inside a bisection
// bracket, so it cannot diverge where the density is infinite (a or b < 1)
// or nearly flat, and converges quadratically elsewhere.
func BetaQuantile(p, a, b float64) float64 {
	switch {
	case math.IsNaN(p) || !(a > 0) || !(b > 0):
		return math.NaN()
	case p <= 0:
		return 0
	case p >= 1:
		return 1
	}
	lbeta := lnBeta(a, b)
	var x float64
	if a >= 1 && b >= 1 {
		// The normal approximation with the Beta's own mean and
		// variance: close for the large-count posteriors of production.
		mean := a / (a + b)
		sd := math.Sqrt(a * b / ((a + b) * (a + b) * (a + b + 1)))
		x = mean + math.Sqrt2*math.Erfinv(2*p-1)*sd
	}
	if !(x > 0 && x < 1) {
		// Tail approximations (Numerical Recipes' invbetai): near 0 the
		// CDF is ≈ x^a/(a·B), near 1 it is ≈ 1 − (1−x)^b/(b·B). They
		// matter when a or b < 1, where the quantile can be 1e-100.
		t := math.Exp(a*math.Log(a/(a+b))) / a
		u := math.Exp(b*math.Log(b/(a+b))) / b
		w := t + u
		if p < t/w {
			x = math.Pow(a*w*p, 1/a)
		} else {
			x = 1 - math.Pow(b*w*(1-p), 1/b)
		}
		if !(x > 0 && x < 1) {
			x = a / (a + b)
		}
	}
	lo, hi := 0.0, 1.0
	for range 1000 {
		f := RegIncBeta(x, a, b) - p
		if f == 0 {
			return x
		}
		if f < 0 {
			lo = x
		} else {
			hi = x
		}
		pdf := math.Exp((a-1)*math.Log(x) + (b-1)*math.Log1p(-x) - lbeta)
		next := x - f/pdf
		if !(next > lo && next < hi) || math.IsNaN(next) {
			// Bisect, geometrically when the bracket spans orders of
			// magnitude, so a quantile of 1e-100 takes tens of steps,
			// not hundreds.
			switch {
			case lo == 0:
				next = hi / 16
			case hi/lo > 4:
				next = math.Sqrt(lo * hi)
			default:
				next = lo + (hi-lo)/2
			}
		}
		if math.Abs(next-x) <= 1e-15*max(x, 1e-300) || hi-lo <= 1e-16*hi {
			return next
		}
		x = next
	}
	return x
}
