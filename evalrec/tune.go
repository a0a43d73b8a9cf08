package evalrec

import (
	"context"
	"fmt"
	"io"
	"maps"
	"strconv"
	"strings"
	"time"

	"github.com/shopmuse/shopmuse/recommend"
)

// TuneResult is what --tune found.
type TuneResult struct {
	Weights   map[string]float64
	MMRLambda float64
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

// mfGrid is the matrix-factorisation search of --tune: the settings that
// moved results most in hand experiments (factors, the weight of missing
// data C0 and its popularity exponent Omega, the confidence Alpha). Gorse's
// side of bench/compare.sh grid-searches its models on validation the same way.
var mfGrid = func() []map[string]float64 {
	var out []map[string]float64
	for _, f := range []float64{32, 64} {
		for _, c0 := range []float64{50, 100} {
			for _, om := range []float64{0, 0.5} {
				for _, a := range []float64{1, 5} {
					out = append(out, map[string]float64{"factors": f, "c0": c0, "omega": om, "alpha": a})
				}
			}
		}
	}
	return out
}()

func mfLabel(m map[string]float64) string {
	if len(m) == 0 {
		return "default"
	}
	return fmt.Sprintf("factors=%g,c0=%g,omega=%g,alpha=%g", m["factors"], m["c0"], m["omega"], m["alpha"])
}

// Grids of the coordinate search. The blend normalises every list by rank
// and MMR divides by the best score, so only the weights' ratios matter;
// the grid spans ratios from 0 (off) to 40:1.
var (
	weightGrid = []float64{0, 0.05, 0.1, 0.2, 0.3, 0.5, 0.8, 1.2, 2}
	lambdaGrid = []float64{0.6, 0.75, 0.85, 0.95, 1}
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
	val := makeHoldout(h.sp.Train, splitMethod(o.Split), o.Holdout, o.Seed+1, o.Exclude)
	if len(val.eval.Test) == 0 {
		return nil, fmt.Errorf("--tune: the validation split has no test users (too few interactions per user)")
	}
	catalogue := len(w.data.Products)
	res := &TuneResult{ValUsers: min(len(val.eval.Test), max(o.TuneUsers, 0))}
	if o.TuneUsers <= 0 {
		res.ValUsers = len(val.eval.Test)
	}
	// trainVal trains on the validation split with an MF setting; only the
	// snapshot outlives it (the engine holds a copy of the events). With
	// score it returns the blend's validation NDCG under default weights.
	trainVal := func(mf map[string]float64, score bool) ([]byte, float64, error) {
		oc := o
		oc.MF = mf
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
		m, err := recommend.Evaluate(ctx, r, val.eval, o.K, catalogue, o.TuneUsers)
		return snap, m.NDCG, err
	}
	done := p.step("tune: training on the validation split (%d events, %d validation users)", len(val.sp.Train), len(val.eval.Test))
	valSnap, defaultNDCG, err := trainVal(o.MF, true)
	if err != nil {
		return nil, err
	}
	done()
	if o.TuneMF {
		// First the models: every MF setting trained on the validation split
		// and scored with the default blend; the best one's models are what
		// the weight search below then restores.
		bestNDCG := -1.0
		for _, mf := range mfGrid {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			merged := maps.Clone(o.MF)
			maps.Copy(merged, mf)
			snap, ndcg, err := trainVal(merged, true)
			if err != nil {
				return nil, err
			}
			res.MFTrials++
			mark := ""
			if ndcg > bestNDCG {
				bestNDCG, valSnap, o.MF, res.MF, mark = ndcg, snap, merged, mfLabel(mf), "  * best"
			}
			fmt.Fprintf(stderr, "  mf %2d/%d %-40s validation NDCG@%d %.4f%s\n", res.MFTrials, len(mfGrid), mfLabel(mf), o.K, ndcg, mark)
		}
	}
	score := func(weights map[string]float64, lambda float64) (float64, error) {
		cfg := baseConfig(val.now, o)
		cfg.Weights, cfg.MMRLambda = weights, lambda
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
		m, err := recommend.Evaluate(ctx, r, val.eval, o.K, catalogue, o.TuneUsers)
		res.Trials++
		return m.NDCG, err
	}

	def := recommend.DefaultConfig()
	best := maps.Clone(def.Weights)
	bestLambda := def.MMRLambda
	bestScore, err := score(best, bestLambda)
	if err != nil {
		return nil, err
	}
	// The baseline is the untuned configuration: default MF and weights.
	res.ValDefault = defaultNDCG
	fmt.Fprintf(stderr, "  default weights: validation NDCG@%d %.4f\n", o.K, bestScore)
	// MMR (with the category cap) trades accuracy for diversity the most,
	// so it goes first; then the retrievers by expected influence.
	params := []string{"mmr_lambda", recommend.RetrieverMF, recommend.RetrieverItemCF, recommend.RetrieverContent,
		recommend.RetrieverTrending, recommend.RetrieverPopular}
	if o.Exclude == "purchased" { // under --exclude train the seen items are all excluded
		params = append(params, recommend.RetrieverSeen)
	}
	searchStart := time.Now()
	outOfTime := func() bool {
		return time.Since(searchStart) > o.TuneTime || (o.TuneTrials > 0 && res.Trials >= o.TuneTrials) || ctx.Err() != nil
	}
search:
	for round := 1; round <= 3; round++ {
		improved := false
		for _, param := range params {
			grid, cur := weightGrid, best[param]
			if param == "mmr_lambda" {
				grid, cur = lambdaGrid, bestLambda
			}
			for _, v := range grid {
				if v == cur {
					continue
				}
				if outOfTime() {
					fmt.Fprintf(stderr, "  tune: budget used up (%v or %d trials)\n", o.TuneTime, o.TuneTrials)
					break search
				}
				wts, lambda := maps.Clone(best), bestLambda
				if param == "mmr_lambda" {
					lambda = v
				} else {
					wts[param] = v
				}
				if sum(wts) == 0 {
					continue
				}
				s, err := score(wts, lambda)
				if err != nil {
					return nil, err
				}
				mark := ""
				// A margin keeps sampling noise from walking the weights around.
				if s > bestScore*1.002 {
					best, bestLambda, bestScore, improved, mark = wts, lambda, s, true, "  * best"
				}
				fmt.Fprintf(stderr, "  round %d trial %3d: %s=%-5g validation NDCG@%d %.4f%s\n", round, res.Trials, param, v, o.K, s, mark)
			}
		}
		if !improved {
			break
		}
	}
	res.Weights, res.MMRLambda, res.ValBest, res.Took = best, bestLambda, bestScore, time.Since(start)

	done = p.step("tune: scoring the best configuration on the test split")
	cfg := baseConfig(h.now, o)
	cfg.Weights, cfg.MMRLambda = best, bestLambda
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
	m, err := evaluate(ctx, e, "blend", h.eval, o.K, catalogue, o.MaxUsers, stderr)
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
	recommend.RetrieverSeen: "RetrieverSeen", recommend.RetrieverItemCF: "RetrieverItemCF", recommend.RetrieverMF: "RetrieverMF",
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
	fmt.Fprintln(w, "\n// Go: recommend.Config")
	fmt.Fprintln(w, "cfg.Weights = map[string]float64{")
	var env []string
	for _, name := range recommend.Retrievers {
		v := t.Weights[name]
		fmt.Fprintf(w, "\trecommend.%s: %s,\n", goConst[name], strconv.FormatFloat(v, 'g', -1, 64))
		env = append(env, name+"="+strconv.FormatFloat(v, 'g', -1, 64))
	}
	fmt.Fprintln(w, "}")
	fmt.Fprintf(w, "cfg.MMRLambda = %s\n", strconv.FormatFloat(t.MMRLambda, 'g', -1, 64))
	fmt.Fprintln(w, "\n# ENV form (proposed names; the server does not read them yet)")
	fmt.Fprintf(w, "SHOPMUSE_REC_WEIGHTS=%s\nSHOPMUSE_REC_MMR_LAMBDA=%s\n", strings.Join(env, ","), strconv.FormatFloat(t.MMRLambda, 'g', -1, 64))
}
