package experiment

import (
	"math"
	"math/rand/v2"
)

// z95 is the normal quantile of a two-sided 95% interval.
const z95 = 1.959963984540054

// Interval is an estimate with its 95% interval.
type Interval struct {
	Value, Low, High float64
}

// Wilson is the Wilson score interval of successes out of n: unlike the
// normal approximation it stays inside [0,1] and is honest at small counts
// and rates near zero, which click-through rates are.
func Wilson(successes, n int64) Interval {
	if n <= 0 {
		return Interval{0, 0, 1}
	}
	x := float64(min(max(successes, 0), n))
	nf := float64(n)
	p := x / nf
	z2 := z95 * z95
	den := 1 + z2/nf
	center := (p + z2/(2*nf)) / den
	half := z95 * math.Sqrt(p*(1-p)/nf+z2/(4*nf*nf)) / den
	return Interval{p, math.Max(0, center-half), math.Min(1, center+half)}
}

// MeanInterval is the normal-approximation interval of a mean over n
// observations from their sum and sum of squares (sample variance),
// floored at zero since revenue is never negative.
func MeanInterval(sum, sumSquares float64, n int64) Interval {
	if n <= 0 {
		return Interval{}
	}
	nf := float64(n)
	mean := sum / nf
	if n == 1 {
		return Interval{mean, math.Max(0, mean), mean}
	}
	variance := math.Max(0, (sumSquares-nf*mean*mean)/(nf-1))
	half := z95 * math.Sqrt(variance/nf)
	return Interval{mean, math.Max(0, mean-half), mean + half}
}

// ProbBest estimates, for each arm, the probability that its true rate is
// the highest, by Monte Carlo over Beta(1+successes, 1+failures)
// posteriors (a uniform prior). The draws are seeded by the counts, so the
// same counts always give the same answer.
func ProbBest(successes, trials []int64, draws int) []float64 {
	k := len(trials)
	out := make([]float64, k)
	if k == 0 {
		return out
	}
	var seed uint64 = 0x9e3779b97f4a7c15
	for i := range trials {
		seed = seed*1099511628211 ^ uint64(successes[i])
		seed = seed*1099511628211 ^ uint64(trials[i])
	}
	r := rand.New(rand.NewPCG(seed, uint64(k)))
	wins := make([]int, k)
	for range draws {
		best, bestV := 0, -1.0
		for i := range trials {
			s := float64(min(max(successes[i], 0), max(trials[i], 0)))
			f := float64(max(trials[i], 0)) - s
			if v := betaRand(r, 1+s, 1+f); v > bestV {
				best, bestV = i, v
			}
		}
		wins[best]++
	}
	for i := range out {
		out[i] = float64(wins[i]) / float64(draws)
	}
	return out
}

func betaRand(r *rand.Rand, a, b float64) float64 {
	x := gammaRand(r, a)
	y := gammaRand(r, b)
	return x / (x + y)
}

// gammaRand draws Gamma(a, 1) by Marsaglia and Tsang (2000); a ≥ 1 here.
func gammaRand(r *rand.Rand, a float64) float64 {
	if a < 1 {
		return gammaRand(r, a+1) * math.Pow(r.Float64(), 1/a)
	}
	d := a - 1.0/3
	c := 1 / math.Sqrt(9*d)
	for {
		x := r.NormFloat64()
		v := 1 + c*x
		if v <= 0 {
			continue
		}
		v = v * v * v
		u := r.Float64()
		if u < 1-0.0331*x*x*x*x || math.Log(u) < 0.5*x*x+d*(1-v+math.Log(v)) {
			return d * v
		}
	}
}

// SampleRatio tests observed counts against the shares the weights
// promise: Pearson's chi-square with len-1 degrees of freedom. It returns
// the statistic and its p-value (1 when there is nothing to test).
func SampleRatio(observed []int64, weights []float64) (chi2, p float64) {
	var n, wsum float64
	for i := range observed {
		n += float64(observed[i])
		wsum += weights[i]
	}
	if n == 0 || len(observed) < 2 || wsum <= 0 {
		return 0, 1
	}
	for i := range observed {
		exp := n * weights[i] / wsum
		if !(exp > 0) {
			// A weight so small next to the others that its expected
			// count underflows (weights may be as small as any positive
			// float): 0/0 would make the report NaN, which GraphQL
			// cannot carry. Nobody is expected there, so anybody there
			// is a mismatch.
			if observed[i] > 0 {
				return math.MaxFloat64, 0
			}
			continue
		}
		d := float64(observed[i]) - exp
		chi2 += d * d / exp
	}
	if math.IsNaN(chi2) {
		return 0, 1
	}
	return chi2, chiSquareSurvival(chi2, float64(len(observed)-1))
}

// chiSquareSurvival is P(X ≥ x) for X ~ χ²(df): the regularized upper
// incomplete gamma Q(df/2, x/2).
func chiSquareSurvival(x, df float64) float64 {
	if x <= 0 {
		return 1
	}
	return gammaQ(df/2, x/2)
}

// gammaQ is the regularized upper incomplete gamma function: a series
// below a+1, a continued fraction above (Numerical Recipes §6.2).
func gammaQ(a, x float64) float64 {
	lg, _ := math.Lgamma(a)
	if x < a+1 {
		sum, term := 1/a, 1/a
		for n := 1; n < 1000; n++ {
			term *= x / (a + float64(n))
			sum += term
			if math.Abs(term) < math.Abs(sum)*1e-15 {
				break
			}
		}
		return math.Max(0, 1-sum*math.Exp(-x+a*math.Log(x)-lg))
	}
	const tiny = 1e-300
	b := x + 1 - a
	c := 1 / tiny
	d := 1 / b
	h := d
	for i := 1; i < 1000; i++ {
		an := -float64(i) * (float64(i) - a)
		b += 2
		d = an*d + b
		if math.Abs(d) < tiny {
			d = tiny
		}
		c = b + an/c
		if math.Abs(c) < tiny {
			c = tiny
		}
		d = 1 / d
		del := d * c
		h *= del
		if math.Abs(del-1) < 1e-15 {
			break
		}
	}
	return math.Exp(-x+a*math.Log(x)-lg) * h
}
