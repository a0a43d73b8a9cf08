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
		cfg := baseConfig(val.now, oc)
		cfg.AutoTune = false // the search below is the fit
		ve, err := w.engine(cfg, val.sp.Train)
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
	score := func(ctx context.Context, b recommend.Tuning) (float64, error) {
		cfg := baseConfig(val.now, o)
		b.Apply(&cfg)
		cfg.AutoTune = false // the trial's weights, not the engine's own fit
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
		return m.NDCG, err
	}

	base := baseConfig(val.now, o)
	// Diversity (MMR and the category cap, searched jointly: both push the
	// same items down the page) trades accuracy the most, so it goes first;
	// then the retrievers by expected influence. Each main retriever alone
	// is also tried as a start: on data where one retriever alone is best
	// (popularity on dense MovieLens-like data, say) the way there from the
	// default blend leads downhill first.
	params := []string{recommend.ParamDiversity, recommend.RetrieverMF, recommend.RetrieverItemCF, recommend.RetrieverContent,
		recommend.RetrieverTrending, recommend.RetrieverPopular}
	if o.Exclude != "train" { // under --exclude train the history items are all excluded
		params = append(params, recommend.RetrieverRepeat, recommend.RetrieverSeen)
	}
	bs := recommend.BlendSearch{
		Score: score, Params: params, Margin: 0.002,
		Solo:      []string{recommend.RetrieverMF, recommend.RetrieverItemCF, recommend.RetrieverPopular},
		OutOfTime: outOfTime,
		Log:       func(format string, args ...any) { fmt.Fprintf(stderr, "  "+format+"\n", args...) },
	}
	sr, err := bs.Run(ctx, recommend.Tuning{Weights: maps.Clone(base.Weights), MMRLambda: base.MMRLambda, CategoryCap: base.MaxPerCategory})
	if err != nil {
		return nil, err
	}
	if sr.BudgetExceeded {
		budgetNote()
	}
	best, bestScore := sr.Best, sr.Score
	res.Trials = sr.Trials
	// The baseline is the untuned configuration: default MF and weights.
	res.ValDefault = defaultNDCG
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
