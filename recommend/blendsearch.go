package recommend

import (
	"context"
	"fmt"
	"maps"
	"math"
)

// BlendSearch is the coordinate search over the blend's ranking-time
// settings that both `eval --tune` and the engine's own fit at Train
// (autotune.go) run. It moves through Tunings whose Weights name every
// retriever, so applying one (which merges named weights into the
// defaults) sets the whole blend.
type BlendSearch struct {
	// Score is the validation NDCG of a setting (higher is better).
	Score func(ctx context.Context, t Tuning) (float64, error)
	// Params are the search's coordinates in order: retriever names, or
	// ParamDiversity for (MMR lambda, category cap) searched jointly.
	Params []string
	// Solo names the retrievers also tried alone as starts: coordinate
	// ascent only finds the optimum near where it starts. A solo start
	// keeps the retrievers of SoloKeeps (nil: the seen retriever) at their
	// starting weight and turns the others off.
	Solo      []string
	SoloKeeps []string
	// Margin is the relative gain a step must bring to be taken (0.002:
	// 0.2%); it keeps sampling noise from walking the weights around.
	Margin float64
	// PerUser, when set, replaces Score: each validation user's NDCG, in
	// the same user order every call. A step must then also pass a paired
	// test: its mean gain over the best so far at least Z standard errors
	// of the per-user differences.
	PerUser func(ctx context.Context, t Tuning) ([]float64, error)
	Z       float64
	// Rounds bounds the passes over Params (0: 3).
	Rounds int
	// Grid, when set, replaces the weight grid of a retriever (nil: the
	// default grids).
	Grid func(retriever string) []float64
	// Lambdas and Caps, when set, replace LambdaGrid and CategoryCapGrid,
	// the values of the ParamDiversity step.
	Lambdas, Caps []float64
	// OutOfTime is asked before each trial with the trials so far.
	OutOfTime func(trials int) bool
	// Log, when set, gets one line per trial.
	Log func(format string, args ...any)
}

// ParamDiversity is the BlendSearch coordinate of the MMR lambda and the
// category cap.
const ParamDiversity = "diversity"

// BlendSearchResult is what a search found.
type BlendSearchResult struct {
	Best           Tuning
	Start, Score   float64 // validation NDCG of the start and of Best
	Trials         int
	BudgetExceeded bool
}

// Grids of the coordinate search. The blend normalises every list by rank
// and MMR divides by the best score, so only the weights' ratios matter;
// the grid spans ratios from 0 (off) to 40:1.
var (
	WeightGrid = []float64{0, 0.05, 0.1, 0.2, 0.3, 0.5, 0.8, 1.2, 2}
	// RepeatWeightGrid: the repeat retriever adds weight × (its item's
	// chance of being carted or bought next, over the model's best), not a
	// rank discount, so its useful weights are on another scale.
	RepeatWeightGrid = []float64{0, 1, 2, 4, 8, 16, 32}
	LambdaGrid       = []float64{0.6, 0.75, 0.85, 0.95, 1}
	// CategoryCapGrid: the largest share of a page one top-level category
	// may take (1: no cap).
	CategoryCapGrid = []float64{0.3, 0.5, 0.7, 1}
)

func (s *BlendSearch) grid(param string) []float64 {
	if s.Grid != nil {
		if g := s.Grid(param); g != nil {
			return g
		}
	}
	if param == RetrieverRepeat {
		return RepeatWeightGrid
	}
	return WeightGrid
}

// Neighbours are the settings one search step away from b along param:
// every (MMR lambda, category cap) pair for ParamDiversity, else the
// weight grid of that retriever.
func (s *BlendSearch) Neighbours(b Tuning, param string) []Tuning {
	var out []Tuning
	if param == ParamDiversity {
		lambdas, caps := s.Lambdas, s.Caps
		if lambdas == nil {
			lambdas = LambdaGrid
		}
		if caps == nil {
			caps = CategoryCapGrid
		}
		for _, l := range lambdas {
			for _, c := range caps {
				if l != b.MMRLambda || c != b.CategoryCap {
					t := b
					t.MMRLambda, t.CategoryCap = l, c
					out = append(out, t)
				}
			}
		}
		return out
	}
	for _, v := range s.grid(param) {
		if v != b.Weights[param] {
			t := b
			t.Weights = maps.Clone(b.Weights)
			t.Weights[param] = v
			out = append(out, t)
		}
	}
	return out
}

// StepLabel names a step for a progress log.
func StepLabel(b Tuning, param string) string {
	if param == ParamDiversity {
		return fmt.Sprintf("mmr_lambda=%g category_cap=%g", b.MMRLambda, b.CategoryCap)
	}
	return fmt.Sprintf("%s=%g", param, b.Weights[param])
}

// Run searches from start (whose Weights should name every retriever):
// first each Solo retriever alone as another start, then coordinate ascent
// over Params, each step taken only when it beats the best by Margin.
func (s *BlendSearch) Run(ctx context.Context, start Tuning) (BlendSearchResult, error) {
	logf := s.Log
	if logf == nil {
		logf = func(string, ...any) {}
	}
	rounds := s.Rounds
	if rounds <= 0 {
		rounds = 3
	}
	res := BlendSearchResult{Best: start}
	var bestUsers, lastUsers []float64
	score := func(t Tuning) (float64, error) {
		res.Trials++
		if s.PerUser == nil {
			return s.Score(ctx, t)
		}
		u, err := s.PerUser(ctx, t)
		lastUsers = u
		return mean(u), err
	}
	out := func() bool {
		if (s.OutOfTime != nil && s.OutOfTime(res.Trials)) || ctx.Err() != nil {
			res.BudgetExceeded = true
			return true
		}
		return false
	}
	var err error
	if res.Start, err = score(start); err != nil {
		return res, err
	}
	res.Score = res.Start
	bestUsers = lastUsers
	logf("default weights: validation NDCG %.4f", res.Start)
	better := func(v float64) bool {
		if !(v > res.Score*(1+s.Margin)) {
			return false
		}
		if s.PerUser == nil {
			return true
		}
		if pairedZ(lastUsers, bestUsers) < s.Z {
			return false
		}
		bestUsers = lastUsers
		return true
	}
	for _, solo := range s.Solo {
		if out() {
			return res, nil
		}
		t := start
		t.Weights = map[string]float64{}
		for _, name := range Retrievers {
			t.Weights[name] = 0
		}
		keep := s.SoloKeeps
		if keep == nil {
			keep = []string{RetrieverSeen}
		}
		for _, name := range keep {
			t.Weights[name] = start.Weights[name]
		}
		t.Weights[solo] = 1
		v, err := score(t)
		if err != nil {
			return res, err
		}
		mark := ""
		if better(v) {
			res.Best, res.Score, mark = t, v, "  * best"
		}
		logf("start %-8s alone: validation NDCG %.4f%s", solo, v, mark)
	}
	for round := 1; round <= rounds; round++ {
		improved := false
		for _, param := range s.Params {
			for _, t := range s.Neighbours(res.Best, param) {
				if out() {
					return res, nil
				}
				if sum(t.Weights) == 0 {
					continue
				}
				v, err := score(t)
				if err != nil {
					return res, err
				}
				mark := ""
				if better(v) {
					res.Best, res.Score, improved, mark = t, v, true, "  * best"
				}
				logf("round %d trial %3d: %-32s validation NDCG %.4f%s", round, res.Trials, StepLabel(t, param), v, mark)
			}
		}
		if !improved {
			break
		}
	}
	return res, nil
}

func mean(v []float64) float64 {
	var s float64
	for _, x := range v {
		s += x
	}
	return s / max(float64(len(v)), 1)
}

// pairedZ is the mean of a-b over its standard error (a paired test);
// +Inf when every difference is the same positive number.
func pairedZ(a, b []float64) float64 {
	n := min(len(a), len(b))
	if n < 2 {
		return 0
	}
	d := make([]float64, n)
	for i := range d {
		d[i] = a[i] - b[i]
	}
	m := mean(d)
	var ss float64
	for _, x := range d {
		ss += (x - m) * (x - m)
	}
	se := math.Sqrt(ss / float64(n-1) / float64(n))
	if se == 0 {
		if m > 0 {
			return math.Inf(1)
		}
		return 0
	}
	return m / se
}

func sum(m map[string]float64) float64 {
	var s float64
	for _, v := range m {
		s += v
	}
	return s
}
