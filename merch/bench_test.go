package merch_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/shopmuse/shopmuse/merch"
	"github.com/shopmuse/shopmuse/recommend"
	"github.com/shopmuse/shopmuse/recommend/synth"
	"github.com/shopmuse/shopmuse/shop"
	"github.com/shopmuse/shopmuse/vector"
	"github.com/shopmuse/shopmuse/vector/exact"
)

// benchEngine is a trained engine over a synthetic shop (5k users, 10k
// products, 200k events).
func benchEngine(b *testing.B) (*recommend.Engine, *synth.Shop) {
	b.Helper()
	s := synth.Generate(5000, 10000, 200000, 7)
	cfg := recommend.DefaultConfig()
	cfg.Now = func() time.Time { return s.Now }
	cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	idx := exact.New(synth.EmbeddingDim)
	e, err := recommend.New(cfg, recommend.Deps{Products: idx, Embedder: s.Embedder()})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	pts := make([]vector.Point, len(s.Products))
	for i := range s.Products {
		pts[i] = vector.Point{ID: s.Products[i].ID, Vector: s.Embeddings[i], Payload: vector.PayloadOf(&s.Products[i])}
	}
	if err := idx.Upsert(ctx, pts); err != nil {
		b.Fatal(err)
	}
	if err := e.UpsertProducts(s.Products); err != nil {
		b.Fatal(err)
	}
	if err := e.UpsertUsers(s.Users); err != nil {
		b.Fatal(err)
	}
	if err := e.LoadInteractions(s.Interactions); err != nil {
		b.Fatal(err)
	}
	if _, err := e.Train(ctx); err != nil {
		b.Fatal(err)
	}
	return e, s
}

// benchRules is 1,000 rules, all in force for a FOR_YOU list now: BOOST and
// BURY on product IDs (545), brands (150, three per brand of the shop's 50,
// so every candidate meets three), category prefixes (150) and tags (100);
// 20 on price and promotion only (met by every candidate); 30 HIDE; 5 PIN.
func benchRules(s *synth.Shop) []merch.RuleInput {
	r := rand.New(rand.NewPCG(3, 3))
	var in []merch.RuleInput
	ptr := func(v float64) *float64 { return &v }
	iptr := func(v int) *int { return &v }
	start, end := s.Now.Add(-24*time.Hour), s.Now.Add(24*time.Hour)
	add := func(a merch.Action, f float64, c merch.Condition) {
		ri := merch.RuleInput{Action: a, Condition: &c, StartsAt: &start, EndsAt: &end}
		if a == merch.ActionBoost || a == merch.ActionBury {
			ri.Factor = ptr(f)
		}
		in = append(in, ri)
	}
	act := func(i int) merch.Action { return []merch.Action{merch.ActionBoost, merch.ActionBury}[i%2] }
	prod := func() string { return s.Products[r.IntN(len(s.Products))].ID }
	for i := range 545 {
		add(act(i), 1+r.Float64()*3, merch.Condition{ProductIDs: []string{prod(), prod()}})
	}
	for i := range 150 {
		add(act(i), 1+r.Float64(), merch.Condition{Brands: []string{fmt.Sprintf("品牌%d", i%50)}})
	}
	for i := range 150 {
		cat := s.Products[r.IntN(len(s.Products))].Category
		add(act(i), 1+r.Float64(), merch.Condition{CategoryPrefix: &cat})
	}
	for i := range 100 {
		add(act(i), 1+r.Float64(), merch.Condition{Tags: []string{synth.TopicName(i % synth.Topics)}})
	}
	for i := range 20 {
		lo, hi := shop.Decimal(100*r.IntN(1000)), shop.Decimal(100*(1000+r.IntN(1000)))
		add(act(i), 1.1, merch.Condition{MinPrice: &lo, MaxPrice: &hi})
	}
	for range 30 {
		add(merch.ActionHide, 0, merch.Condition{ProductIDs: []string{prod()}})
	}
	for i := range 5 {
		c := merch.Condition{ProductIDs: []string{prod(), prod()}}
		in = append(in, merch.RuleInput{Action: merch.ActionPin, Position: iptr(2*i + 1), Condition: &c})
	}
	return in
}

// BenchmarkRecommendRules is Engine.Recommend(N=20) for random shoppers,
// without rules and with 1,000 rules in force: the difference per op is
// what the rules cost (target: at most 50 µs).
//
//	go test -run '^$' -bench RecommendRules -benchtime 3000x ./merch/
func BenchmarkRecommendRules(b *testing.B) {
	e, s := benchEngine(b)
	rules, _, errs := merch.Merge(nil, benchRules(s), s.Now)
	if len(errs) > 0 || len(rules) != 1000 {
		b.Fatalf("%d rules: %v", len(rules), errs)
	}
	idx := merch.Compile(rules)
	ctx := context.Background()
	for _, tc := range []struct {
		name  string
		rules recommend.Merchandising
	}{{"none", nil}, {"rules=1000", idx}} {
		b.Run(tc.name, func(b *testing.B) {
			e.SetMerchandising(tc.rules)
			// Warm up (popular lists, interest embeddings, and the rules'
			// per-product cache, which holds until the rules change) on
			// the shoppers measured.
			r := rand.New(rand.NewPCG(1, 1))
			for range b.N {
				if _, err := e.Recommend(ctx, recommend.Request{UserID: s.Users[r.IntN(len(s.Users))].ID, N: 20}); err != nil {
					b.Fatal(err)
				}
			}
			r = rand.New(rand.NewPCG(1, 1)) // the same shoppers in both
			b.ReportAllocs()
			for b.Loop() {
				recs, err := e.Recommend(ctx, recommend.Request{UserID: s.Users[r.IntN(len(s.Users))].ID, N: 20})
				if err != nil || len(recs) != 20 {
					b.Fatalf("%d recs, %v", len(recs), err)
				}
			}
		})
	}
	e.SetMerchandising(nil)
}

// BenchmarkPlanAdjust is the rules' own work per candidate: one Adjust
// over a product of the shop, with 1,000 rules.
func BenchmarkPlanAdjust(b *testing.B) {
	s := synth.Generate(100, 10000, 1000, 7)
	rules, _, errs := merch.Merge(nil, benchRules(s), s.Now)
	if len(errs) > 0 {
		b.Fatal(errs)
	}
	idx := merch.Compile(rules)
	plan := idx.Active(recommend.MerchRequest{Now: s.Now.Unix(), Placement: recommend.PlacementForYou})
	i := 0
	b.ReportAllocs()
	for b.Loop() {
		plan.Adjust(&s.Products[i%len(s.Products)], int32(i%len(s.Products)))
		i++
	}
}

// BenchmarkRecommendRulesPaired runs each shopper's Recommend(N=20) twice
// per op, without rules and with the 1,000 rules, in alternating order,
// and reports both and their difference: pairing the calls cancels the
// load of a shared machine, which moves the unpaired runs by milliseconds.
// cpu-µs counts the process's CPU time (every retriever goroutine).
//
//	go test -run '^$' -bench RecommendRulesPaired -benchtime 3000x ./merch/
func BenchmarkRecommendRulesPaired(b *testing.B) {
	e, s := benchEngine(b)
	rules, _, errs := merch.Merge(nil, benchRules(s), s.Now)
	if len(errs) > 0 || len(rules) != 1000 {
		b.Fatalf("%d rules: %v", len(rules), errs)
	}
	idx := merch.Compile(rules)
	ctx := context.Background()
	call := func(u string, m recommend.Merchandising) (wall, cpu time.Duration) {
		e.SetMerchandising(m)
		c0, t0 := cpuTime(), time.Now()
		recs, err := e.Recommend(ctx, recommend.Request{UserID: u, N: 20})
		wall, cpu = time.Since(t0), cpuTime()-c0
		if err != nil || len(recs) != 20 {
			b.Fatalf("%d recs, %v", len(recs), err)
		}
		return wall, cpu
	}
	// Warm up: popular lists, interest embeddings, and the rules'
	// per-product cache, which holds until the rules change (the first
	// requests after a change pay for the products they meet, about 3 µs
	// each with this rule set).
	r := rand.New(rand.NewPCG(1, 1))
	for range b.N {
		call(s.Users[r.IntN(len(s.Users))].ID, idx)
	}
	r = rand.New(rand.NewPCG(1, 1))
	var base, with, baseCPU, withCPU time.Duration
	var diffs, bases []float64
	i := 0
	for b.Loop() {
		u := s.Users[r.IntN(len(s.Users))].ID
		var w0, c0, w1, c1 time.Duration
		if i%2 == 0 {
			w0, c0 = call(u, nil)
			w1, c1 = call(u, idx)
		} else {
			w1, c1 = call(u, idx)
			w0, c0 = call(u, nil)
		}
		base, baseCPU, with, withCPU = base+w0, baseCPU+c0, with+w1, withCPU+c1
		diffs, bases = append(diffs, float64(w1-w0)/1e3), append(bases, float64(w0)/1e3)
		i++
	}
	e.SetMerchandising(nil)
	n := float64(i)
	slices.Sort(diffs)
	slices.Sort(bases)
	b.ReportMetric(float64(base.Microseconds())/n, "base-µs")
	b.ReportMetric(float64(with.Microseconds())/n, "rules-µs")
	b.ReportMetric(float64((with-base).Microseconds())/n, "diff-µs")
	b.ReportMetric(diffs[len(diffs)/2], "median-diff-µs")
	b.ReportMetric(bases[len(bases)/2], "median-base-µs")
	b.ReportMetric(float64(baseCPU.Microseconds())/n, "base-cpu-µs")
	b.ReportMetric(float64((withCPU-baseCPU).Microseconds())/n, "diff-cpu-µs")
}
