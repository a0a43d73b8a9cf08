package recommend

import (
	"context"
	"maps"
	"testing"

	"github.com/shopmuse/shopmuse/recommend/synth"
)

// TestAutoTuneFitsServesAndPersists trains on a shop without repeats, where
// the default blend's history retrievers dilute MF: the fit must find
// weights that beat the defaults on its validation split, serve them, keep
// them through a snapshot, and give way to an operator's weights or
// SHOPMUSE_REC_AUTOTUNE=off.
func TestAutoTuneFitsServesAndPersists(t *testing.T) {
	s := synth.Generate(800, 1500, 36000, 3)
	ctx := context.Background()
	on := func(c *Config) { c.AutoTune = true }
	e := synthEngine(t, s, s.Interactions, on)
	rep, err := e.Train(ctx)
	if err != nil {
		t.Fatal(err)
	}
	f := e.models.Load().fit
	if f == nil {
		t.Fatal("no fit after Train with AutoTune on")
	}
	t.Logf("fit: %s in %v", f, f.took)
	if !(f.value > f.valDefault) || f.users < autoTuneMinUsers || f.trials < 3 {
		t.Errorf("fit %s: no gain over the default weights on validation", f)
	}
	if maps.Equal(f.weights, DefaultConfig().Weights) {
		t.Errorf("fitted weights are the defaults: %v", f.weights)
	}
	if !maps.Equal(e.ServedWeights(), f.weights) {
		t.Errorf("served %v, fitted %v", e.ServedWeights(), f.weights)
	}
	found := false
	for _, m := range rep.Models {
		found = found || m.Name == "blend"
	}
	if !found {
		t.Errorf("the training report does not name the fit: %+v", rep.Models)
	}

	snap, err := e.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	restored := func(mutate func(*Config)) *Engine {
		r := synthEngine(t, s, s.Interactions, func(c *Config) {
			on(c)
			if mutate != nil {
				mutate(c)
			}
		})
		if err := r.Restore(ctx, snap); err != nil {
			t.Fatal(err)
		}
		return r
	}
	if got := restored(nil).ServedWeights(); !maps.Equal(got, f.weights) {
		t.Errorf("after Restore: served %v, want the fitted %v", got, f.weights)
	}
	operator := Tuning{Weights: map[string]float64{RetrieverMF: 1, RetrieverItemCF: 0.5}}
	r := restored(func(c *Config) { operator.Apply(c) })
	if got := r.ServedWeights(); got[RetrieverItemCF] != 0.5 || got[RetrieverRepeat] != DefaultConfig().Weights[RetrieverRepeat] {
		t.Errorf("with SHOPMUSE_REC_WEIGHTS set: served %v, want the operator's merged into the defaults", got)
	}
	r = restored(func(c *Config) { Tuning{AutoTuneOff: true}.Apply(c) })
	if got := r.ServedWeights(); !maps.Equal(got, DefaultConfig().Weights) {
		t.Errorf("with %s=off: served %v, want the defaults", EnvAutoTune, got)
	}

	// What is served is what the fitted weights rank: the same list as an
	// engine without the fit asked with them per request.
	plain := restored(func(c *Config) { c.AutoTune = false })
	n := 0
	for _, u := range s.Users[:50] {
		a, err := e.Recommend(ctx, Request{UserID: u.ID, N: 10})
		if err != nil {
			t.Fatal(err)
		}
		b, err := plain.Recommend(ctx, Request{UserID: u.ID, N: 10, Tuning: &Tuning{Weights: f.weights, MMRLambda: f.mmrLambda, CategoryCap: f.catCap}})
		if err != nil {
			t.Fatal(err)
		}
		if len(a) != len(b) {
			t.Fatalf("user %s: %d and %d items", u.ID, len(a), len(b))
		}
		for i := range a {
			if a[i].ItemID != b[i].ItemID {
				n++
				break
			}
		}
	}
	if n > 0 {
		t.Errorf("%d of 50 users are served other items than the fitted weights rank", n)
	}
}

// TestAutoTuneKeepsWeightsOnTinyShops: too few validation users to judge
// leave the configured weights.
func TestAutoTuneKeepsWeightsOnTinyShops(t *testing.T) {
	s := synth.Generate(60, 200, 1500, 3)
	e := synthEngine(t, s, s.Interactions, func(c *Config) { c.AutoTune = true })
	if _, err := e.Train(context.Background()); err != nil {
		t.Fatal(err)
	}
	if f := e.models.Load().fit; f != nil {
		t.Errorf("a fit on %d users: %s", f.users, f)
	}
	if !maps.Equal(e.ServedWeights(), DefaultConfig().Weights) {
		t.Errorf("served %v, want the defaults", e.ServedWeights())
	}
}

// TestRankOfOneRetrievalIsRecommend: the fit retrieves once per user under
// the configured weights and ranks under each trial's; that must be the
// page Recommend serves with the trial's weights.
func TestRankOfOneRetrievalIsRecommend(t *testing.T) {
	s := synth.Generate(300, 600, 9000, 5)
	ctx := context.Background()
	e := synthEngine(t, s, s.Interactions, nil)
	if _, err := e.Train(ctx); err != nil {
		t.Fatal(err)
	}
	start := e.mixFor(nil)
	trials := []*Tuning{
		nil,
		{Weights: map[string]float64{RetrieverRepeat: 0, RetrieverItemCF: 0}},
		{Weights: map[string]float64{RetrieverMF: 2, RetrieverSeen: 0.3}, MMRLambda: 1},
		{Weights: map[string]float64{RetrieverMF: 0, RetrieverItemCF: 0.6}, CategoryCap: 1},
	}
	for _, u := range s.Users[:60] {
		for _, p := range []Placement{PlacementForYou, PlacementDiscover} {
			req := Request{UserID: u.ID, N: 10, Placement: p}
			r, _, err := e.retrieve(ctx, req, start)
			if err != nil || r == nil {
				t.Fatalf("retrieve %s: %v", u.ID, err)
			}
			for i, tu := range trials {
				want, err := e.Recommend(ctx, Request{UserID: u.ID, N: 10, Placement: p, Tuning: tu})
				if err != nil {
					t.Fatal(err)
				}
				got := e.rank(ctx, r, e.mixFor(tu))
				if len(got) != len(want) {
					t.Fatalf("user %s %s trial %d: %d items, Recommend %d", u.ID, p, i, len(got), len(want))
				}
				for k := range got {
					if got[k].ItemID != want[k].ItemID || got[k].Score != want[k].Score {
						t.Fatalf("user %s %s trial %d, rank %d: %s %.4f, Recommend %s %.4f", u.ID, p, i, k,
							got[k].ItemID, got[k].Score, want[k].ItemID, want[k].Score)
					}
				}
			}
		}
	}
}
