package evalrec

import (
	"context"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/shopmuse/shopmuse/recommend"
)

// TuneResult is what --tune found.
type TuneResult struct {
	// Tuning is the best setting: every retriever's weight (0 for those
	// the search turned off), the MMR lambda, the category cap and the MF
	// settings the search ended with (including those given with --mf).
	Tuning recommend.Tuning
	// Validation NDCG@K of the default and the best configuration.
	ValDefault, ValBest float64
	Trials              int
	Took                time.Duration
	ValUsers            int
	// TestRow is the tuned blend on the test split ("blend-tuned").
	TestRow Row
	// MF is the matrix factorisation chosen on validation ("" when the MF
	// search was off); MFTrials counts the configurations trained.
	MF       string
	MFTrials int
}

// mfGrid is the matrix-factorisation part of --tune: coordinate ascent over
// these values, starting from the engine's defaults. They are the settings
// that moved results most in hand experiments: the latent dimension, the
// (frequency-scaled) regularisation, the weight of missing data C0 and its
// popularity exponent Omega, and the confidence Alpha. Gorse's side of
// bench/compare.sh grid-searches its models on validation the same way.
var mfGrid = []mfAxis{
	{"factors", []float64{32, 48, 64, 96}},
	{"reg", []float64{0.1, 0.2, 0.3, 0.5, 1}},
	{"c0", []float64{10, 20, 30, 50, 100}},
	{"omega", []float64{0, 0.25, 0.5, 1}},
	{"alpha", []float64{0.1, 0.3, 1, 3}},
}

type mfAxis struct {
	key    string
	values []float64
}

// mfValue is an MF setting's current value: the override or the default.
func mfValue(o recommend.MFOverrides, key string) float64 {
	if v, ok := o[key]; ok {
		return v
	}
	d := recommend.DefaultConfig().MF
	switch key {
	case "factors":
		return float64(d.Factors)
	case "reg":
		return recommend.DefaultEALSReg
	case "c0":
		return d.C0
	case "omega":
		return d.Omega
	case "alpha":
		return d.Alpha
	}
	return 0
}

// mfLabel names a setting by every searched value, defaults included.
func mfLabel(m recommend.MFOverrides) string {
	var parts []string
	for _, g := range mfGrid {
		parts = append(parts, g.key+"="+strconv.FormatFloat(mfValue(m, g.key), 'g', -1, 64))
	}
	for _, k := range slices.Sorted(maps.Keys(m)) {
		if !slices.ContainsFunc(mfGrid, func(g mfAxis) bool { return g.key == k }) {
			parts = append(parts, k+"="+strconv.FormatFloat(m[k], 'g', -1, 64))
		}
	}
	return strings.Join(parts, ",")
}

// The ranking-time search moves through recommend.Tuning values whose
// Weights name every retriever, so applying one (which merges named
// weights into the defaults) sets the whole blend.

// neighbours are the settings one search step away from b along param:
// every (MMR lambda, category cap) pair for "diversity", else the weight
// grid of that retriever.
func neighbours(b recommend.Tuning, param string) []recommend.Tuning {
	var out []recommend.Tuning
	if param == "diversity" {
		for _, l := range lambdaGrid {
			for _, c := range categoryCapGrid {
				if l != b.MMRLambda || c != b.CategoryCap {
					t := b
					t.MMRLambda, t.CategoryCap = l, c
					out = append(out, t)
				}
			}
		}
		return out
	}
	grid := weightGrid
	if param == recommend.RetrieverRepeat {
		grid = repeatWeightGrid
	}
	for _, v := range grid {
		if v != b.Weights[param] {
			t := b
			t.Weights = maps.Clone(b.Weights)
			t.Weights[param] = v
			out = append(out, t)
		}
	}
	return out
}

// stepLabel names the step for the progress log.
func stepLabel(b recommend.Tuning, param string) string {
	if param == "diversity" {
		return fmt.Sprintf("mmr_lambda=%g category_cap=%g", b.MMRLambda, b.CategoryCap)
	}
	return fmt.Sprintf("%s=%g", param, b.Weights[param])
}

// Grids of the coordinate search. The blend normalises every list by rank
// and MMR divides by the best score, so only the weights' ratios matter;
// the grid spans ratios from 0 (off) to 40:1.
var (
	weightGrid = []float64{0, 0.05, 0.1, 0.2, 0.3, 0.5, 0.8, 1.2, 2}
	// repeatWeightGrid: the repeat retriever adds weight × (its item's
	// chance of being carted or bought next, over the model's best), not a
	// rank discount, so its useful weights are on another scale.
	repeatWeightGrid = []float64{0, 1, 2, 4, 8, 16, 32}
	lambdaGrid       = []float64{0.6, 0.75, 0.85, 0.95, 1}
	// categoryCapGrid: the largest share of a page one top-level category
	// may take (1: no cap).
	categoryCapGrid = []float64{0.3, 0.5, 0.7, 1}
)

// tune searches Config.Weights and MMRLambda by coordinate ascent on a
// validation split carved from the training part (the same protocol one
// level down, so the test split is never looked at), then scores the best
// configuration on the test split. The models are trained once per split:
// weights and MMR only act at ranking time, so every trial restores the
// same snapshot into an engine configured with the trial's weights.
func tune(ctx context.Context, o Options, w *world, h holdout, fullSnap []byte, trainDur time.Duration, stderr io.Writer) (*TuneResult, error) {
	start := time.Now()
	p := progress{stderr}
	val := makeHoldout(h.sp.Train, protocol(o, h.sp.Train, o.Seed+1))
	if len(val.sp.Test) == 0 {
		return nil, fmt.Errorf("--tune: the validation split has no test users (too few interactions per user)")
	}
	catalogue := len(w.data.Products)
	res := &TuneResult{ValUsers: min(len(val.sp.Test), max(o.TuneUsers, 0))}
	if o.TuneUsers <= 0 {
		res.ValUsers = len(val.sp.Test)
	}
	// trainVal trains on the validation split with an MF setting; only the
	// snapshot outlives it (the engine holds a copy of the events). With
	// score it returns the blend's validation NDCG under default weights.
	trainVal := func(mf map[string]float64, score bool) ([]byte, float64, error) {
		oc := o
		oc.Tuning.MF = mf
		ve, err := w.engine(baseConfig(val.now, oc), val.sp.Train)
		if err != nil {
			return nil, 0, err
		}
		if _, err := ve.Train(ctx); err != nil {
			return nil, 0, err
		}
		snap, err := ve.Snapshot()
		if err != nil || !score {
			return snap, 0, err
		}
		r, err := ve.Ranker("blend")
		if err != nil {
			return nil, 0, err
		}
		m, err := recommend.Evaluate(ctx, r, val.sp, o.K, catalogue, o.TuneUsers)
		return snap, m.NDCG, err
	}
	done := p.step("tune: training on the validation split (%d events, %d validation users)", len(val.sp.Train), len(val.sp.Test))
	valSnap, defaultNDCG, err := trainVal(o.Tuning.MF, true)
	if err != nil {
		return nil, err
	}
	done()
	searchStart := time.Now()
	outOfTime := func(trials int) bool {
		return time.Since(searchStart) > o.TuneTime || (o.TuneTrials > 0 && trials >= o.TuneTrials) || ctx.Err() != nil
	}
	budgetNote := func() {
		fmt.Fprintf(stderr, "  tune: budget used up (%v or %d trials)\n", o.TuneTime, o.TuneTrials)
	}
	if o.TuneMF {
		// First the models, by coordinate ascent from the defaults: each MF
		// setting is trained on the validation split and scored with the
		// default blend; the best one's models are what the weight search
		// below then restores.
		bestNDCG := defaultNDCG
		res.MF = mfLabel(o.Tuning.MF)
		tried := map[string]bool{res.MF: true}
	mfSearch:
		for round := 1; round <= 2; round++ {
			improved := false
			for _, axis := range mfGrid {
				cur := mfValue(o.Tuning.MF, axis.key)
				for _, v := range axis.values {
					if v == cur {
						continue
					}
					if outOfTime(res.MFTrials) {
						budgetNote()
						break mfSearch
					}
					trial := maps.Clone(o.Tuning.MF)
					if trial == nil {
						trial = recommend.MFOverrides{}
					}
					trial[axis.key] = v
					if tried[mfLabel(trial)] {
						continue // a later round revisits points whose neighbours did not change
					}
					tried[mfLabel(trial)] = true
					snap, ndcg, err := trainVal(trial, true)
					if err != nil {
						return nil, err
					}
					res.MFTrials++
					mark := ""
					if ndcg > bestNDCG*1.002 {
						bestNDCG, valSnap, o.Tuning.MF, res.MF, improved, mark = ndcg, snap, trial, mfLabel(trial), true, "  * best"
					}
					fmt.Fprintf(stderr, "  mf round %d trial %2d: %s=%-5g validation NDCG@%d %.4f%s\n", round, res.MFTrials, axis.key, v, o.K, ndcg, mark)
				}
			}
			if !improved {
				break
			}
		}
	}
	score := func(b recommend.Tuning) (float64, error) {
		cfg := baseConfig(val.now, o)
		b.Apply(&cfg)
		e, err := w.engine(cfg, val.sp.Train)
		if err != nil {
			return 0, err
		}
		if err := e.Restore(ctx, valSnap); err != nil {
			return 0, err
		}
		r, err := e.Ranker("blend")
		if err != nil {
			return 0, err
		}
		m, err := recommend.Evaluate(ctx, r, val.sp, o.K, catalogue, o.TuneUsers)
		res.Trials++
		return m.NDCG, err
	}

	base := baseConfig(val.now, o)
	best := recommend.Tuning{Weights: maps.Clone(base.Weights), MMRLambda: base.MMRLambda, CategoryCap: base.MaxPerCategory}
	bestScore, err := score(best)
	if err != nil {
		return nil, err
	}
	// The baseline is the untuned configuration: default MF and weights.
	res.ValDefault = defaultNDCG
	fmt.Fprintf(stderr, "  default weights: validation NDCG@%d %.4f\n", o.K, bestScore)
	// Coordinate ascent only finds the optimum near where it starts. On
	// data where one retriever alone is best (popularity on dense
	// MovieLens-like data, say) the way there from the default blend leads
	// downhill first, so each main retriever alone is also tried as a start.
	for _, solo := range []string{recommend.RetrieverMF, recommend.RetrieverItemCF, recommend.RetrieverPopular} {
		start := best
		start.Weights = map[string]float64{}
		for _, name := range recommend.Retrievers {
			start.Weights[name] = 0
		}
		start.Weights[recommend.RetrieverSeen], start.Weights[solo] = base.Weights[recommend.RetrieverSeen], 1
		s, err := score(start)
		if err != nil {
			return nil, err
		}
		mark := ""
		if s > bestScore*1.002 {
			best, bestScore, mark = start, s, "  * best"
		}
		fmt.Fprintf(stderr, "  start %-8s alone: validation NDCG@%d %.4f%s\n", solo, o.K, s, mark)
	}
	// Diversity (MMR and the category cap, searched jointly: both push the
	// same items down the page) trades accuracy the most, so it goes first;
	// then the retrievers by expected influence.
	params := []string{"diversity", recommend.RetrieverMF, recommend.RetrieverItemCF, recommend.RetrieverContent,
		recommend.RetrieverTrending, recommend.RetrieverPopular}
	if o.Exclude != "train" { // under --exclude train the history items are all excluded
		params = append(params, recommend.RetrieverRepeat, recommend.RetrieverSeen)
	}
search:
	for round := 1; round <= 3; round++ {
		improved := false
		for _, param := range params {
			for _, trial := range neighbours(best, param) {
				if outOfTime(res.Trials) {
					budgetNote()
					break search
				}
				if sum(trial.Weights) == 0 {
					continue
				}
				s, err := score(trial)
				if err != nil {
					return nil, err
				}
				mark := ""
				// A margin keeps sampling noise from walking the weights around.
				if s > bestScore*1.002 {
					best, bestScore, improved, mark = trial, s, true, "  * best"
				}
				fmt.Fprintf(stderr, "  round %d trial %3d: %-32s validation NDCG@%d %.4f%s\n", round, res.Trials, stepLabel(trial, param), o.K, s, mark)
			}
		}
		if !improved {
			break
		}
	}
	best.MF = o.Tuning.MF
	res.Tuning, res.ValBest, res.Took = best, max(bestScore, res.ValDefault), time.Since(start)

	done = p.step("tune: scoring the best configuration on the test split")
	cfg := baseConfig(h.now, o)
	best.Apply(&cfg)
	e, err := w.engine(cfg, h.sp.Train)
	if err != nil {
		return nil, err
	}
	if o.TuneMF {
		// The chosen MF setting is trained afresh on the whole train part.
		if _, err := e.Train(ctx); err != nil {
			return nil, err
		}
	} else if err := e.Restore(ctx, fullSnap); err != nil {
		return nil, err
	}
	m, err := evaluate(ctx, e, "blend", h.sp, o.K, catalogue, o.MaxUsers, stderr)
	if err != nil {
		return nil, err
	}
	done()
	res.TestRow = Row{Model: "blend-tuned", Metrics: m, Train: trainDur + w.embedTime, HasTrain: true}
	return res, nil
}

func sum(m map[string]float64) float64 {
	var s float64
	for _, v := range m {
		s += v
	}
	return s
}

func pct(a, b float64) string {
	if a == 0 {
		return "n/a"
	}
	return fmt.Sprintf("%+.1f%%", 100*(b-a)/a)
}

// goConst names the recommend constant of a retriever for the Go snippet.
var goConst = map[string]string{
	recommend.RetrieverRepeat: "RetrieverRepeat", recommend.RetrieverSeen: "RetrieverSeen", recommend.RetrieverSession: "RetrieverSession", recommend.RetrieverItemCF: "RetrieverItemCF", recommend.RetrieverMF: "RetrieverMF",
	recommend.RetrieverContent: "RetrieverContent", recommend.RetrieverTrending: "RetrieverTrending", recommend.RetrieverPopular: "RetrieverPopular",
}

func writeTuneResult(w io.Writer, rep *Report) {
	t := rep.Tune
	k := rep.K
	fmt.Fprintf(w, "\ntuned blend: coordinate search, %d trials in %v on a validation split of train (%d users)\n",
		t.Trials, t.Took.Round(time.Second), t.ValUsers)
	if t.MF != "" {
		fmt.Fprintf(w, "  matrix factorisation chosen on validation among %d settings: %s\n", t.MFTrials, t.MF)
	}
	fmt.Fprintf(w, "  validation NDCG@%d  %.4f -> %.4f (%s)\n", k, t.ValDefault, t.ValBest, pct(t.ValDefault, t.ValBest))
	if d, ok := rep.Row("blend"); ok {
		m := t.TestRow.Metrics
		fmt.Fprintf(w, "  test       NDCG@%d  %.4f -> %.4f (%s), Recall@%d %.4f -> %.4f (%s)\n", k,
			d.Metrics.NDCG, m.NDCG, pct(d.Metrics.NDCG, m.NDCG), k, d.Metrics.Recall, m.Recall, pct(d.Metrics.Recall, m.Recall))
	}
	tu := t.Tuning
	g := func(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
	fmt.Fprintln(w, "\n// Go: applied to a recommend.Config")
	fmt.Fprintln(w, "recommend.Tuning{")
	fmt.Fprintln(w, "\tWeights: map[string]float64{")
	for _, name := range recommend.Retrievers {
		// Only the named weights, as in the environment line: both are
		// merged into the defaults. The search names every retriever.
		if v, ok := tu.Weights[name]; ok {
			fmt.Fprintf(w, "\t\trecommend.%s: %s,\n", goConst[name], g(v))
		}
	}
	fmt.Fprintln(w, "\t},")
	fmt.Fprintf(w, "\tMMRLambda: %s, CategoryCap: %s,\n", g(tu.MMRLambda), g(tu.CategoryCap))
	if len(tu.MF) > 0 {
		var mf []string
		for _, k := range slices.Sorted(maps.Keys(tu.MF)) {
			mf = append(mf, strconv.Quote(k)+": "+g(tu.MF[k]))
		}
		fmt.Fprintf(w, "\tMF: recommend.MFOverrides{%s},\n", strings.Join(mf, ", "))
	}
	fmt.Fprintln(w, "}.Apply(&cfg)")
	fmt.Fprintln(w, "\n# the same for the service's environment")
	for _, line := range tu.Env() {
		fmt.Fprintln(w, line)
	}
}
