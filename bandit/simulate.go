package bandit

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
)

// The simulation answers "does the selector find the best copy, and what
// does finding it cost?" on a synthetic population whose true click rates
// are known. Regret is pseudo-regret: Σ (best CTR − chosen variant's CTR)
// over impressions, the expected clicks lost to not always serving the best
// variant. The baseline is uniform allocation (what serving copy without a
// bandit does), run in the same call.

// SimConfig describes one simulated experiment.
type SimConfig struct {
	// TrueCTR is each variant's click probability, in [0, 1]; 2–MaxVariants
	// or more variants.
	TrueCTR []float64
	// Impressions is how many times copy is served.
	Impressions int
	// Selector configures the bandit; its Rand is ignored, the simulation
	// seeds its own from Seed.
	Selector SelectorConfig
	// Seed makes the run reproducible.
	Seed uint64
	// Checkpoints is the number of points in the regret curve; 0 means 50.
	Checkpoints int
	// FinalWindow is the trailing share of impressions over which
	// BestShare is measured, in (0, 1]; 0 means 0.2.
	FinalWindow float64
}

// DefaultSimConfig is the standard scenario: three variants at 2%, 3% and
// 5% click-through, 20,000 impressions, the default selector.
func DefaultSimConfig() SimConfig {
	return SimConfig{
		TrueCTR:     []float64{0.02, 0.03, 0.05},
		Impressions: 20000,
		Selector:    DefaultSelectorConfig(),
		Seed:        1,
		Checkpoints: 50,
		FinalWindow: 0.2,
	}
}

// RegretPoint is the cumulative regret after Impressions impressions.
type RegretPoint struct {
	Impressions   int
	Regret        float64 // Thompson sampling
	UniformRegret float64 // uniform random allocation
}

// SimResult is the outcome of Simulate.
type SimResult struct {
	Config SimConfig
	// Best is the index of the variant with the highest true CTR.
	Best int
	// Stats are the Thompson run's final counters.
	Stats []VariantStats
	// Curve is cumulative regret at evenly spaced checkpoints, ending at
	// Config.Impressions.
	Curve []RegretPoint
	// Regret and UniformRegret are the final cumulative regrets.
	Regret, UniformRegret float64
	// BestShare is the share of the final window's impressions that
	// served the best variant under Thompson sampling.
	BestShare float64
	// Clicks and UniformClicks are the clicks each policy collected.
	Clicks, UniformClicks int64
}

// ErrInvalidSimConfig wraps every SimConfig validation failure.
var ErrInvalidSimConfig = errors.New("invalid simulation config")

// Simulate runs Thompson sampling and uniform allocation side by side on
// the same population. It returns ctx's error, with no result, when
// cancelled.
func Simulate(ctx context.Context, cfg SimConfig) (SimResult, error) {
	if cfg.Checkpoints == 0 {
		cfg.Checkpoints = 50
	}
	if cfg.FinalWindow == 0 {
		cfg.FinalWindow = 0.2
	}
	k := len(cfg.TrueCTR)
	switch {
	case k < 2:
		return SimResult{}, fmt.Errorf("%w: need at least 2 variants, got %d", ErrInvalidSimConfig, k)
	case cfg.Impressions < 1:
		return SimResult{}, fmt.Errorf("%w: impressions %d must be positive", ErrInvalidSimConfig, cfg.Impressions)
	case cfg.Checkpoints < 1:
		return SimResult{}, fmt.Errorf("%w: checkpoints %d must be positive", ErrInvalidSimConfig, cfg.Checkpoints)
	case !(cfg.FinalWindow > 0 && cfg.FinalWindow <= 1):
		return SimResult{}, fmt.Errorf("%w: final window %v is not in (0, 1]", ErrInvalidSimConfig, cfg.FinalWindow)
	}
	best := 0
	for i, p := range cfg.TrueCTR {
		if !(p >= 0 && p <= 1) {
			return SimResult{}, fmt.Errorf("%w: TrueCTR[%d] = %v is not in [0, 1]", ErrInvalidSimConfig, i, p)
		}
		if p > cfg.TrueCTR[best] {
			best = i
		}
	}
	cfg.TrueCTR = append([]float64(nil), cfg.TrueCTR...)
	scfg := cfg.Selector
	// Independent streams for the bandit, the population and the
	// baseline, so changing one policy never changes another's luck.
	scfg.Rand = rand.NewPCG(cfg.Seed, 0x5e1ec7)
	sel, err := NewSelector(scfg)
	if err != nil {
		return SimResult{}, fmt.Errorf("%w: %w", ErrInvalidSimConfig, err)
	}
	cfg.Selector.Rand = nil
	world := rand.New(rand.NewPCG(cfg.Seed, 0xc11c4))
	uniform := rand.New(rand.NewPCG(cfg.Seed, 0x0a1f))

	n := cfg.Impressions
	every := max(n/cfg.Checkpoints, 1)
	windowStart := n - max(int(math.Round(cfg.FinalWindow*float64(n))), 1)
	res := SimResult{Config: cfg, Best: best, Stats: make([]VariantStats, k)}
	for i := range res.Stats {
		res.Stats[i].VariantID = "v" + strconv.Itoa(i)
	}
	bestCTR := cfg.TrueCTR[best]
	servedBest := 0
	for t := 1; t <= n; t++ {
		if t&1023 == 0 {
			if err := ctx.Err(); err != nil {
				return SimResult{}, err
			}
		}
		i := sel.Choose(res.Stats)
		res.Stats[i].Impressions++
		if world.Float64() < cfg.TrueCTR[i] {
			res.Stats[i].Clicks++
			res.Clicks++
		}
		res.Regret += bestCTR - cfg.TrueCTR[i]
		if t > windowStart && i == best {
			servedBest++
		}

		u := uniform.IntN(k)
		if uniform.Float64() < cfg.TrueCTR[u] {
			res.UniformClicks++
		}
		res.UniformRegret += bestCTR - cfg.TrueCTR[u]

		if t%every == 0 || t == n {
			if len(res.Curve) == 0 || res.Curve[len(res.Curve)-1].Impressions != t {
				res.Curve = append(res.Curve, RegretPoint{Impressions: t, Regret: res.Regret, UniformRegret: res.UniformRegret})
			}
		}
	}
	res.BestShare = float64(servedBest) / float64(n-windowStart)
	return res, nil
}

// WriteRegretSVG renders res.Curve as a line chart: cumulative regret of
// Thompson sampling and of uniform allocation against impressions.
func WriteRegretSVG(w io.Writer, res SimResult) error {
	if len(res.Curve) == 0 {
		return errors.New("regret chart: empty curve")
	}
	const (
		width, height                          = 640.0, 400.0
		left, right, top, bottom               = 72.0, 24.0, 56.0, 56.0
		plotW, plotH                           = width - left - right, height - top - bottom
		thompsonColor, uniformColor, gridColor = "#1f6feb", "#d9480f", "#e5e7eb"
	)
	xMax := float64(res.Curve[len(res.Curve)-1].Impressions)
	yMax := 0.0
	for _, p := range res.Curve {
		yMax = max(yMax, p.Regret, p.UniformRegret)
	}
	xTicks, xTop := niceTicks(xMax)
	yTicks, yTop := niceTicks(yMax)
	px := func(x float64) float64 { return left + plotW*x/xTop }
	py := func(y float64) float64 { return top + plotH*(1-y/yTop) }

	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%g" height="%g" viewBox="0 0 %g %g" font-family="Helvetica, Arial, sans-serif" font-size="12">`+"\n", width, height, width, height)
	fmt.Fprintf(&b, `<rect width="%g" height="%g" fill="#ffffff"/>`+"\n", width, height)

	ctrs := make([]string, len(res.Config.TrueCTR))
	for i, c := range res.Config.TrueCTR {
		ctrs[i] = strconv.FormatFloat(100*c, 'f', -1, 64) + "%"
	}
	title := fmt.Sprintf("Cumulative regret: true CTRs %s, exploration floor %g", strings.Join(ctrs, " / "), res.Config.Selector.ExplorationFloor)
	fmt.Fprintf(&b, `<text x="%g" y="24" font-size="15" font-weight="bold" fill="#111827">%s</text>`+"\n", left, xmlEscape(title))

	for _, t := range yTicks {
		y := py(t)
		fmt.Fprintf(&b, `<line x1="%g" y1="%.1f" x2="%g" y2="%.1f" stroke="%s"/>`+"\n", left, y, left+plotW, y, gridColor)
		fmt.Fprintf(&b, `<text x="%g" y="%.1f" text-anchor="end" dominant-baseline="middle" fill="#374151">%s</text>`+"\n", left-8, y, tickLabel(t))
	}
	for _, t := range xTicks {
		x := px(t)
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%g" x2="%.1f" y2="%g" stroke="#6b7280"/>`+"\n", x, top+plotH, x, top+plotH+5)
		fmt.Fprintf(&b, `<text x="%.1f" y="%g" text-anchor="middle" fill="#374151">%s</text>`+"\n", x, top+plotH+20, tickLabel(t))
	}
	fmt.Fprintf(&b, `<polyline points="%g,%g %g,%g %g,%g" fill="none" stroke="#6b7280"/>`+"\n", left, top, left, top+plotH, left+plotW, top+plotH)
	fmt.Fprintf(&b, `<text x="%g" y="%g" text-anchor="middle" fill="#111827">impressions</text>`+"\n", left+plotW/2, height-12)
	fmt.Fprintf(&b, `<text x="18" y="%g" text-anchor="middle" transform="rotate(-90 18 %g)" fill="#111827">cumulative regret (expected clicks lost)</text>`+"\n", top+plotH/2, top+plotH/2)

	line := func(color string, y func(RegretPoint) float64) {
		fmt.Fprintf(&b, `<polyline fill="none" stroke="%s" stroke-width="2.5" stroke-linejoin="round" points="%g,%g`, color, px(0), py(0))
		for _, p := range res.Curve {
			fmt.Fprintf(&b, " %.1f,%.1f", px(float64(p.Impressions)), py(y(p)))
		}
		b.WriteString(`"/>` + "\n")
	}
	line(uniformColor, func(p RegretPoint) float64 { return p.UniformRegret })
	line(thompsonColor, func(p RegretPoint) float64 { return p.Regret })

	legend := []struct{ color, label string }{
		{uniformColor, fmt.Sprintf("uniform random (%.0f)", res.UniformRegret)},
		{thompsonColor, fmt.Sprintf("Thompson sampling (%.0f)", res.Regret)},
	}
	for i, l := range legend {
		y := top + 16 + 20*float64(i)
		fmt.Fprintf(&b, `<line x1="%g" y1="%g" x2="%g" y2="%g" stroke="%s" stroke-width="2.5"/>`+"\n", left+16, y, left+40, y, l.color)
		fmt.Fprintf(&b, `<text x="%g" y="%g" dominant-baseline="middle" fill="#111827">%s</text>`+"\n", left+48, y, xmlEscape(l.label))
	}
	fmt.Fprintf(&b, `<text x="%g" y="%g" text-anchor="end" fill="#374151">best variant served %.1f%% of the last %g%% (seed %d)</text>`+"\n",
		left+plotW, top-10, 100*res.BestShare, 100*res.Config.FinalWindow, res.Config.Seed)
	b.WriteString("</svg>\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// niceTicks returns axis ticks from 0 at a 1/2/5×10^k step, and the axis
// top (the first tick at or above v).
func niceTicks(v float64) ([]float64, float64) {
	if !(v > 0) {
		return []float64{0, 1}, 1
	}
	raw := v / 5
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	mult := 10.0
	for _, m := range []float64{1, 2, 5} {
		if m*mag >= raw {
			mult = m
			break
		}
	}
	// Multiples of 0.1 are inexact; dividing by 10 rounds 3×1/10 to the
	// double nearest 0.3, so labels print as "0.3", not "0.30000000000000004".
	at := func(i int) float64 { return float64(i) * mult * mag }
	if mag < 1 {
		inv := math.Round(1 / mag)
		at = func(i int) float64 { return float64(i) * mult / inv }
	}
	var ticks []float64
	for i := 0; ; i++ {
		t := at(i)
		ticks = append(ticks, t)
		if t >= v {
			return ticks, t
		}
	}
}

// tickLabel prints 20000 as "20k" and 1.5 as "1.5".
func tickLabel(v float64) string {
	if v >= 1000 && math.Mod(v, 1000) == 0 {
		return strconv.FormatFloat(v/1000, 'f', -1, 64) + "k"
	}
	return strconv.FormatFloat(v, 'f', -1, 64)
}

func xmlEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;").Replace(s)
}
