// Command gorse-bench trains Gorse v0.5.11's BPR and eALS on a split written
// by shopmuse's `eval --write-split DIR` and reports full-ranking top-K
// metrics with the same definitions as shopmuse's evaluator, next to a
// popularity baseline. See README.md.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	glog "github.com/gorse-io/gorse/common/log"
)

// Row is one model's result.
type Row struct {
	Model string `json:"model"`
	Metrics
	TrainS float64 `json:"train_s"`
	Params *Config `json:"params,omitempty"`
}

// Report is the JSON written by --json.
type Report struct {
	Tool         string         `json:"tool"`
	GorseVersion string         `json:"gorse_version"`
	Split        string         `json:"split"`
	Protocol     string         `json:"protocol,omitempty"`
	K            int            `json:"k"`
	Jobs         int            `json:"jobs"`
	Catalogue    int            `json:"catalogue_items"`
	Users        int            `json:"users"`
	TrainRows    int            `json:"train_rows"`
	TrainPairs   int            `json:"train_pairs"`
	TestRows     int            `json:"test_rows"`
	Eval         EvalInfo       `json:"eval"`
	Tuning       []TuneResult   `json:"tuning,omitempty"`
	Rows         []Row          `json:"rows"`
	StartedAt    time.Time      `json:"started_at"`
	GoVersion    string         `json:"go_version"`
	Kinds        map[string]int `json:"train_kinds"`
}

// TuneResult is one grid point scored on the validation part of train.
type TuneResult struct {
	Config
	ValNDCG   float64 `json:"val_ndcg"`
	ValRecall float64 `json:"val_recall"`
	TrainS    float64 `json:"train_s"`
}

type opts struct {
	split, models, jsonOut       string
	k, jobs                      int
	factors, bprEpochs, bprLr    string
	bprFactors, alsFactors       string
	bprReg, bprInit              string
	alsEpochs, alsReg, alsAlpha  string
	alsInit                      string
	tune                         bool
	valFrac                      float64
	valMin, valUsers             int
	seed                         int64
	gorseLog, quiet              bool
	gen, preset                  string
	genUsers, genItems, genInter int
	genSeed                      uint64
}

func main() {
	var o opts
	flag.StringVar(&o.split, "split", "", "directory with train.csv and test.csv (from shopmuse `eval --write-split DIR`)")
	flag.IntVar(&o.k, "k", 10, "cut-off K")
	flag.StringVar(&o.models, "models", "popularity,bpr,als", "comma list of popularity, bpr, als, random")
	flag.IntVar(&o.jobs, "jobs", 2, "goroutines for gorse (FitConfig.Jobs) and for scoring")
	flag.StringVar(&o.jsonOut, "json", "", "write the results as JSON to this file")
	flag.StringVar(&o.factors, "factors", "", "comma list: latent factors for both models (default: BPR 16,64; ALS 16,32)")
	flag.StringVar(&o.bprFactors, "bpr-factors", "", "comma list: BPR latent factors (overrides --factors; default 16,64)")
	flag.StringVar(&o.alsFactors, "als-factors", "", "comma list: ALS latent factors (overrides --factors; default 16,32)")
	flag.StringVar(&o.bprEpochs, "bpr-epochs", "100,200", "comma list: BPR epochs (gorse default 100)")
	flag.StringVar(&o.bprLr, "bpr-lr", "0.05,0.1", "comma list: BPR learning rate (gorse default 0.05)")
	flag.StringVar(&o.bprReg, "bpr-reg", "0.01", "comma list: BPR regularisation (gorse default 0.01)")
	flag.StringVar(&o.bprInit, "bpr-init-std", "0.001", "comma list: BPR init std (gorse default 0.001)")
	flag.StringVar(&o.alsEpochs, "als-epochs", "50", "comma list: ALS epochs (gorse default 50)")
	flag.StringVar(&o.alsReg, "als-reg", "0.01,0.06", "comma list: ALS regularisation (gorse default 0.06)")
	flag.StringVar(&o.alsAlpha, "als-alpha", "0.01,0.1,0.3,1", "comma list: ALS weight of missing entries (gorse Alpha, default 0.001)")
	flag.StringVar(&o.alsInit, "als-init-std", "0.1", "comma list: ALS init std (gorse default 0.1)")
	flag.BoolVar(&o.tune, "tune", true, "when a list has several values, choose per model by NDCG@K on a validation hold-out of train")
	flag.Float64Var(&o.valFrac, "val-frac", 0.2, "validation: most recent fraction of each user's distinct train items")
	flag.IntVar(&o.valMin, "val-min", 3, "validation: only users with at least this many distinct train items")
	flag.IntVar(&o.valUsers, "val-users", 2000, "validation: evaluate at most this many users (0 = all)")
	flag.Int64Var(&o.seed, "seed", 1, "random seed (gorse RandomState, validation sample, random baseline)")
	flag.BoolVar(&o.gorseLog, "gorse-log", false, "keep gorse's own zap log on stderr")
	flag.BoolVar(&o.quiet, "quiet", false, "no progress on stderr")
	flag.StringVar(&o.gen, "gen", "", "generate a synthetic split into this directory; exits after generating unless --split is also given")
	flag.StringVar(&o.preset, "preset", "shop", "generator preset: shop (5k users, 3k items, 200k events), ml100k (943×1682, 100k ratings), tiny")
	flag.IntVar(&o.genUsers, "gen-users", 0, "override preset users")
	flag.IntVar(&o.genItems, "gen-items", 0, "override preset items")
	flag.IntVar(&o.genInter, "gen-interactions", 0, "override preset interactions")
	flag.Uint64Var(&o.genSeed, "gen-seed", 0, "override preset seed")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	var logw io.Writer = os.Stderr
	if o.quiet {
		logw = io.Discard
	}
	if err := run(ctx, o, os.Stdout, logw); err != nil {
		fmt.Fprintln(os.Stderr, "gorse-bench:", err)
		os.Exit(1)
	}
}

func floatsOf(s string) ([]float64, error) {
	var out []float64
	for _, f := range parseList(s) {
		x, err := strconv.ParseFloat(f, 64)
		if err != nil {
			return nil, err
		}
		out = append(out, x)
	}
	return out, nil
}

func intsOf(s string) ([]int, error) {
	var out []int
	for _, f := range parseList(s) {
		x, err := strconv.Atoi(f)
		if err != nil {
			return nil, err
		}
		out = append(out, x)
	}
	return out, nil
}

// Grid expands the flag lists into the configurations for one model.
func Grid(o opts, model string) ([]Config, error) {
	fl := map[string]string{"bpr": "16,64", "als": "16,32"}[model]
	if o.factors != "" {
		fl = o.factors
	}
	if model == "bpr" && o.bprFactors != "" {
		fl = o.bprFactors
	}
	if model == "als" && o.alsFactors != "" {
		fl = o.alsFactors
	}
	fs, err := intsOf(fl)
	if err != nil {
		return nil, fmt.Errorf("--factors: %w", err)
	}
	var eps []int
	var lrs, regs, alphas, inits []float64
	if model == "bpr" {
		if eps, err = intsOf(o.bprEpochs); err == nil {
			if lrs, err = floatsOf(o.bprLr); err == nil {
				if regs, err = floatsOf(o.bprReg); err == nil {
					inits, err = floatsOf(o.bprInit)
				}
			}
		}
		alphas = []float64{0}
	} else {
		if eps, err = intsOf(o.alsEpochs); err == nil {
			if regs, err = floatsOf(o.alsReg); err == nil {
				if alphas, err = floatsOf(o.alsAlpha); err == nil {
					inits, err = floatsOf(o.alsInit)
				}
			}
		}
		lrs = []float64{0}
	}
	if err != nil {
		return nil, fmt.Errorf("%s grid: %w", model, err)
	}
	var out []Config
	for _, f := range fs {
		for _, e := range eps {
			for _, lr := range lrs {
				for _, reg := range regs {
					for _, a := range alphas {
						for _, is := range inits {
							out = append(out, Config{Model: model, Factors: f, Epochs: e, Lr: lr, Reg: reg, Alpha: a, InitStdDev: is, Seed: o.seed})
						}
					}
				}
			}
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s grid is empty", model)
	}
	return out, nil
}

func run(ctx context.Context, o opts, out, logw io.Writer) error {
	logf := func(format string, a ...any) {
		fmt.Fprintf(logw, "[%s] "+format+"\n", append([]any{time.Now().Format("15:04:05")}, a...)...)
	}
	if !o.gorseLog {
		glog.CloseLogger()
	}
	if o.gen != "" {
		g, err := Preset(o.preset)
		if err != nil {
			return err
		}
		if o.genUsers > 0 {
			g.Users = o.genUsers
		}
		if o.genItems > 0 {
			g.Items = o.genItems
		}
		if o.genInter > 0 {
			g.Interactions = o.genInter
		}
		if o.genSeed > 0 {
			g.Seed = o.genSeed
		}
		logf("generating %s preset (%d users, %d items, %d events) into %s", o.preset, g.Users, g.Items, g.Interactions, o.gen)
		if err := Generate(o.gen, g); err != nil {
			return err
		}
		if o.split == "" {
			return nil
		}
	}
	if o.split == "" {
		return fmt.Errorf("--split DIR is required (or --gen DIR)")
	}
	if o.k <= 0 {
		return fmt.Errorf("--k must be > 0")
	}
	o.jobs = max(o.jobs, 1)
	rep := Report{Tool: "shopmuse/bench/gorse", GorseVersion: GorseVersion, Split: o.split, K: o.k, Jobs: o.jobs,
		StartedAt: time.Now().UTC(), GoVersion: runtime.Version()}
	t := time.Now()
	d, err := LoadSplit(o.split)
	if err != nil {
		return err
	}
	rep.Protocol = d.Protocol
	users, info := EvalUsers(d)
	rep.Catalogue, rep.Users, rep.TrainRows, rep.TrainPairs, rep.TestRows, rep.Eval, rep.Kinds =
		len(d.Items), len(d.Users), d.TrainRows, d.NumTrainPairs(), d.TestRows, info, d.Kinds
	logf("loaded %s in %.1fs: %d users, %d catalogue items, %d train rows (%d distinct pairs), %d test rows",
		o.split, time.Since(t).Seconds(), len(d.Users), len(d.Items), d.TrainRows, rep.TrainPairs, d.TestRows)
	logf("test users %d: evaluating %d, skipped %d with no train interactions, %d with empty T_u",
		info.TestUsers, info.Evaluated, info.SkippedNoTrain, info.SkippedEmpty)
	if info.Evaluated == 0 {
		return fmt.Errorf("no evaluable test users")
	}
	progress := func(name string) func(done, total int) {
		last := time.Now()
		return func(done, total int) {
			if done == total || time.Since(last) > 5*time.Second {
				last = time.Now()
				logf("  %s: ranked %d/%d users", name, done, total)
			}
		}
	}
	// validation split for tuning (built lazily)
	var val *Data
	var valUsers []int32
	for _, name := range parseList(o.models) {
		var row Row
		switch name {
		case "popularity":
			row = Row{Model: "popularity"}
			row.Metrics = Evaluate(ctx, d, users, PopularityScorer(d), o.k, o.jobs, progress(name))
		case "random":
			row = Row{Model: "random"}
			row.Metrics = Evaluate(ctx, d, users, RandomScorer(uint64(o.seed)), o.k, o.jobs, progress(name))
		case "bpr", "als":
			grid, err := Grid(o, name)
			if err != nil {
				return err
			}
			best := grid[0]
			if len(grid) > 1 && o.tune {
				if val == nil && hasValSplit(o.split) {
					// shopmuse wrote its validation split (the test
					// protocol one level down): tune on the same one.
					if val, err = LoadSplit(filepath.Join(o.split, "val")); err != nil {
						return err
					}
					valUsers, _ = EvalUsers(val)
					if o.valUsers > 0 && len(valUsers) > o.valUsers {
						r := newRand(uint64(o.seed))
						r.Shuffle(len(valUsers), func(a, b int) { valUsers[a], valUsers[b] = valUsers[b], valUsers[a] })
						valUsers = valUsers[:o.valUsers]
					}
					logf("validation split %s/val (%s): %d train pairs, scoring %d users", o.split, val.Protocol, val.NumTrainPairs(), len(valUsers))
				}
				if val == nil {
					val = d.HoldOut(o.valFrac, o.valMin)
					valUsers, _ = EvalUsers(val)
					if o.valUsers > 0 && len(valUsers) > o.valUsers {
						r := newRand(uint64(o.seed))
						r.Shuffle(len(valUsers), func(a, b int) { valUsers[a], valUsers[b] = valUsers[b], valUsers[a] })
						valUsers = valUsers[:o.valUsers]
					}
					logf("validation hold-out: %d train pairs, %d held-out pairs, scoring %d users", val.NumTrainPairs(), val.TestRows, len(valUsers))
				}
				bestNDCG := -1.0
				for gi, c := range grid {
					m, el, err := Fit(ctx, val, c, o.jobs)
					if err != nil {
						return err
					}
					vm := Evaluate(ctx, val, valUsers, MFScorer(m, len(val.Items)), o.k, o.jobs, nil)
					rep.Tuning = append(rep.Tuning, TuneResult{Config: c, ValNDCG: vm.NDCG, ValRecall: vm.Recall, TrainS: el.Seconds()})
					logf("  tune %s %d/%d %s: val NDCG@%d=%.4f Recall@%d=%.4f (fit %.1fs)", name, gi+1, len(grid), c, o.k, vm.NDCG, o.k, vm.Recall, el.Seconds())
					if vm.NDCG > bestNDCG {
						bestNDCG, best = vm.NDCG, c
					}
				}
				logf("  chosen %s", best)
			}
			logf("fitting gorse %s on the full train set", best)
			m, el, err := Fit(ctx, d, best, o.jobs)
			if err != nil {
				return err
			}
			logf("  fit done in %.1fs", el.Seconds())
			row = Row{Model: "gorse-" + name, TrainS: el.Seconds(), Params: &best}
			row.Metrics = Evaluate(ctx, d, users, MFScorer(m, len(d.Items)), o.k, o.jobs, progress(name))
		default:
			return fmt.Errorf("unknown model %q (popularity, bpr, als, random)", name)
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		rep.Rows = append(rep.Rows, row)
	}
	PrintTable(out, rep)
	if o.jsonOut != "" {
		b, err := json.MarshalIndent(rep, "", "  ")
		if err != nil {
			return err
		}
		if err := os.WriteFile(o.jsonOut, append(b, '\n'), 0o644); err != nil {
			return err
		}
		logf("wrote %s", o.jsonOut)
	}
	return nil
}

// PrintTable prints one row per model.
func PrintTable(w io.Writer, rep Report) {
	k := strconv.Itoa(rep.K)
	if rep.Protocol != "" {
		fmt.Fprintf(w, "# protocol (targets and exclusions from the split's files): %s\n", rep.Protocol)
	}
	fmt.Fprintf(w, "# gorse %s, split %s: %d users evaluated (skipped: %d no train, %d empty T_u), %d catalogue items, K=%d\n",
		rep.GorseVersion, rep.Split, rep.Eval.Evaluated, rep.Eval.SkippedNoTrain, rep.Eval.SkippedEmpty, rep.Catalogue, rep.K)
	fmt.Fprintf(w, "%-12s %10s %10s %12s %10s %9s %8s\n", "model", "recall@"+k, "ndcg@"+k, "hitrate@"+k, "map@"+k, "coverage", "train_s")
	for _, r := range rep.Rows {
		fmt.Fprintf(w, "%-12s %10.4f %10.4f %12.4f %10.4f %9.4f %8.2f\n", r.Model, r.Recall, r.NDCG, r.HitRate, r.MAP, r.Coverage, r.TrainS)
	}
	for _, r := range rep.Rows {
		if r.Params != nil {
			fmt.Fprintf(w, "# %s: %s\n", r.Model, strings.TrimSpace(r.Params.String()))
		}
	}
}

// hasValSplit reports whether shopmuse wrote a validation split in DIR/val.
func hasValSplit(dir string) bool {
	_, err := os.Stat(filepath.Join(dir, "val", "train.csv"))
	return err == nil
}
