package recommend

import (
	"context"
	"slices"
	"testing"

	"github.com/shopmuse/shopmuse/recommend/synth"
)

// TestRequestTuningOverridesOnlyThatRequest: an experiment arm's tuning
// (Request.Tuning) changes that request's list the way the same Tuning
// applied to the engine's configuration would, and leaves the engine's own
// requests alone.
func TestRequestTuningOverridesOnlyThatRequest(t *testing.T) {
	s := synth.Generate(300, 400, 6000, 7)
	e := synthEngine(t, s, s.Interactions, nil)
	tuning := Tuning{Weights: map[string]float64{RetrieverPopular: 5}, MMRLambda: 0.3, CategoryCap: 0.2}
	tuned := synthEngine(t, s, s.Interactions, func(c *Config) { tuning.Apply(c) })
	ctx := context.Background()
	ids := func(recs []Recommendation) []string {
		out := make([]string, len(recs))
		for i, r := range recs {
			out[i] = r.ItemID
		}
		return out
	}
	differ := 0
	for _, u := range s.Users[:30] {
		base, err := e.Recommend(ctx, Request{UserID: u.ID, N: 20})
		if err != nil {
			t.Fatal(err)
		}
		perReq, err := e.Recommend(ctx, Request{UserID: u.ID, N: 20, Tuning: &tuning})
		if err != nil {
			t.Fatal(err)
		}
		want, err := tuned.Recommend(ctx, Request{UserID: u.ID, N: 20})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(ids(perReq), ids(want)) {
			t.Fatalf("%s: per-request tuning %v, engine tuned alike %v", u.ID, ids(perReq), ids(want))
		}
		again, _ := e.Recommend(ctx, Request{UserID: u.ID, N: 20})
		if !slices.Equal(ids(base), ids(again)) {
			t.Fatalf("%s: a tuned request changed the engine's own lists", u.ID)
		}
		if !slices.Equal(ids(base), ids(perReq)) {
			differ++
		}
	}
	if differ < 10 {
		t.Fatalf("the tuning changed only %d of 30 lists: the test cannot tell", differ)
	}
}
