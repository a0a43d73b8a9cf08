package app

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/shopmuse/shopmuse/experiment"
	"github.com/shopmuse/shopmuse/fatigue"
	"github.com/shopmuse/shopmuse/recommend"
	"github.com/shopmuse/shopmuse/shop"
)

// testClock is a settable clock for the store, the recommender, the caps
// and the experiments.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *testClock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// TestSimulatedExperimentFindsTheBetterArm runs an A/B test through the
// real serving and recording paths: shoppers are served by the arm they are
// assigned, and click each recommended item with the arm's true click
// probability (B's configuration is truly better: 8% against 5%), sending
// the recommendation ID like a shop's client. The report must never call
// A the winner, and must give B a P(best) of at least 0.95 by the end.
func TestSimulatedExperimentFindsTheBetterArm(t *testing.T) {
	if testing.Short() {
		t.Skip("simulation; skipped with -short")
	}
	ctx := context.Background()
	// A fixed clock and a fixed source of experiment IDs: the split of
	// shoppers (a hash of the experiment ID, which starts with its creation
	// time, and the user) is then the same every run, so a fair split
	// cannot trip the sample-ratio check by chance (p < 0.001: one run in a
	// thousand would).
	clk := &testClock{t: time.Date(2031, 1, 2, 10, 0, 0, 0, time.UTC)}
	a, err := Open(ctx, Config{Data: t.TempDir(), Logger: slog.New(quiet()), Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if a.Experiments, err = experiment.Open(ctx, a.Store, experiment.Options{Now: clk.Now, Rand: rand.NewChaCha8([32]byte{14})}); err != nil {
		t.Fatal(err)
	}
	seedShop(t, a)
	const users, perList, rounds = 200, 5, 6
	truth := map[string]float64{"A": 0.05, "B": 0.08}
	var us []shop.UserInput
	for i := range users {
		us = append(us, shop.UserInput{ID: fmt.Sprintf("sim-%03d", i)})
	}
	if _, errs, err := a.UpsertUsers(ctx, us); err != nil || errs != nil {
		t.Fatal(err, errs)
	}
	lambda := 1.0
	exp, errs, err := a.CreateExperiment(ctx, experiment.Input{Name: "relevance only", Arms: []experiment.ArmInput{
		{Name: "A", Weight: 1}, {Name: "B", Weight: 1, Config: experiment.ArmConfig{MMRLambda: &lambda}}}})
	if err != nil || errs != nil {
		t.Fatal(err, errs)
	}
	rng := rand.New(rand.NewPCG(14, 2026))
	// sureFrom: the exposures after which every report gave B P(best) ≥ 0.95.
	sureFrom := int64(-1)
	var last experiment.Report
	for round := range rounds {
		for i := range users {
			user := fmt.Sprintf("sim-%03d", i)
			recs, err := a.ServeRecommendations(ctx, recommend.Request{UserID: user, N: perList})
			if err != nil {
				t.Fatal(err)
			}
			var clicks []shop.InteractionInput
			for _, r := range recs {
				if r.ExperimentArm == nil {
					t.Fatal("a list served during the experiment has no arm")
				}
				if rng.Float64() < truth[*r.ExperimentArm] {
					id := r.RecommendationID
					clicks = append(clicks, shop.InteractionInput{UserID: user, ProductID: r.ItemID, Kind: shop.KindClick, RecommendationID: &id})
				}
			}
			if len(clicks) > 0 {
				if _, errs, err := a.RecordShopperInteractions(ctx, clicks); err != nil || errs != nil {
					t.Fatal(err, errs)
				}
			}
			if i%20 == 19 {
				if last, err = a.Experiments.Report(ctx, exp); err != nil {
					t.Fatal(err)
				}
				if last.Winner != nil && *last.Winner == "A" {
					t.Fatalf("round %d: the report calls A the winner: %+v", round, last.Arms)
				}
				switch n := last.Arms[0].Exposure + last.Arms[1].Exposure; {
				case last.Arms[1].PBest < 0.95:
					sureFrom = -1
				case sureFrom < 0:
					sureFrom = n
				}
			}
		}
		// Past the shopper repeat gap: the next round's clicks are new.
		clk.Add(11 * time.Minute)
		if err := a.FlushCounts(ctx); err != nil {
			t.Fatal(err)
		}
	}
	for _, arm := range last.Arms {
		t.Logf("arm %s (true CTR %.2f): %d users, %d exposures, %d clicks, CTR %.4f [%.4f, %.4f], P(best) %.4f",
			arm.Name, truth[arm.Name], arm.Users, arm.Exposure, arm.Clicks, arm.CTR.Value, arm.CTR.Low, arm.CTR.High, arm.PBest)
	}
	total := last.Arms[0].Exposure + last.Arms[1].Exposure
	t.Logf("P(best) for B ≥ 0.95 in every report from %d exposures on (reports every 100); %d exposures in all; winner %v; SRM p=%.3f",
		sureFrom, total, deref(last.Winner), last.SampleRatioP)
	if total != users*perList*rounds {
		t.Errorf("%d exposures counted, %d served", total, users*perList*rounds)
	}
	if last.Arms[1].PBest < 0.95 {
		t.Errorf("P(best) for B is %.3f after %d exposures, want ≥ 0.95", last.Arms[1].PBest, total)
	}
	if last.Winner == nil || *last.Winner != "B" {
		t.Errorf("winner %v, want B", deref(last.Winner))
	}
	if last.SampleRatioMismatch {
		t.Errorf("sample ratio mismatch on a fair split: p=%g", last.SampleRatioP)
	}
}

func deref(s *string) string {
	if s == nil {
		return "none"
	}
	return *s
}

// TestDeleteUserErasesCapsAndExperimentRecords: a shopper's frequency-cap
// counters and experiment assignment and outcome records go with them;
// the arms' totals, which name nobody, stay.
func TestDeleteUserErasesCapsAndExperimentRecords(t *testing.T) {
	ctx := context.Background()
	a, err := Open(ctx, Config{Data: t.TempDir(), Logger: slog.New(quiet()), Fatigue: fatigue.Config{Shows: 3, Window: time.Hour}})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	seedShop(t, a)
	exp, _, err := a.CreateExperiment(ctx, experiment.Input{Name: "e", Arms: []experiment.ArmInput{{Name: "A", Weight: 1}, {Name: "B", Weight: 1}}})
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range []string{"user-01", "user-02"} {
		recs, err := a.ServeRecommendations(ctx, recommend.Request{UserID: u, N: 5})
		if err != nil || len(recs) == 0 {
			t.Fatal(err, recs)
		}
		id := recs[0].RecommendationID
		if _, errs, err := a.RecordInteractions(ctx, []shop.InteractionInput{{UserID: u, ProductID: recs[0].ItemID, Kind: shop.KindAddToCart, RecommendationID: &id}}); err != nil || errs != nil {
			t.Fatal(err, errs)
		}
	}
	if err := a.FlushCounts(ctx); err != nil {
		t.Fatal(err)
	}
	personal := func(user string) int {
		n := 0
		for _, c := range []struct{ ns, prefix string }{{fatigue.Namespace, user + "/"}, {experiment.Namespace, "u/" + user + "/"}, {experiment.Namespace, "d/" + user + "/"}} {
			got, err := a.Store.Counters(ctx, c.ns, c.prefix)
			if err != nil {
				t.Fatal(err)
			}
			n += len(got)
		}
		return n
	}
	if personal("user-01") < 3 || personal("user-02") < 3 {
		t.Fatalf("nothing to erase: %d %d", personal("user-01"), personal("user-02"))
	}
	if _, errs, err := a.DeleteUser(ctx, "user-01"); err != nil || errs != nil {
		t.Fatal(err, errs)
	}
	if n := personal("user-01"); n != 0 {
		t.Fatalf("%d counters of the erased user remain", n)
	}
	if personal("user-02") < 3 {
		t.Fatal("the erasure took another user's counters")
	}
	rep, err := a.Experiments.Report(ctx, exp)
	if err != nil {
		t.Fatal(err)
	}
	if carts := rep.Arms[0].Carts + rep.Arms[1].Carts; carts != 2 {
		t.Fatalf("the arms' totals changed: %d carts", carts)
	}
}

// BenchmarkServeRecommendationsCap measures what the frequency cap and a
// running experiment add to a recommendation request (one prefix scan of
// the shopper's cap counters, the assignment hash, the signed IDs) beside
// the same request with neither: compare the two sub-benchmarks' ns/op
// (go test -run '^$' -bench ServeRecommendationsCap -benchtime 500x ./app/).
func BenchmarkServeRecommendationsCap(b *testing.B) {
	for _, on := range []bool{false, true} {
		name := "off"
		if on {
			name = "cap_and_experiment"
		}
		b.Run(name, func(b *testing.B) {
			ctx := context.Background()
			cfg := Config{Data: b.TempDir(), Logger: slog.New(quiet())}
			if on {
				cfg.Fatigue = fatigue.Config{Shows: 1000, Window: 24 * time.Hour}
			}
			a, err := Open(ctx, cfg)
			if err != nil {
				b.Fatal(err)
			}
			defer a.Close()
			seedShop(b, a)
			if on {
				if _, _, err := a.CreateExperiment(ctx, experiment.Input{Name: "b", Arms: []experiment.ArmInput{{Name: "A", Weight: 1}, {Name: "B", Weight: 1}}}); err != nil {
					b.Fatal(err)
				}
				// A shopper with a history of flushed showings (the cap of 1000
				// is not reached within the benchmark's 500 more lists).
				for range 100 {
					if _, err := a.ServeRecommendations(ctx, recommend.Request{UserID: "user-01", N: 10}); err != nil {
						b.Fatal(err)
					}
				}
				if err := a.FlushCounts(ctx); err != nil {
					b.Fatal(err)
				}
			}
			b.ResetTimer()
			for b.Loop() {
				if _, err := a.ServeRecommendations(ctx, recommend.Request{UserID: "user-01", N: 10}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// An outcome credited just after its shopper was erased (the click was
// recorded just before the erasure, and the erasure ran before the
// experiment credited it) leaves no outcome record naming the shopper.
func TestAnOutcomeCreditedAfterTheErasureLeavesNoRecord(t *testing.T) {
	ctx := context.Background()
	a, err := Open(ctx, Config{Data: t.TempDir(), Logger: slog.New(quiet())})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	seedShop(t, a)
	exp, _, err := a.CreateExperiment(ctx, experiment.Input{Name: "e", Arms: []experiment.ArmInput{{Name: "A", Weight: 1}, {Name: "B", Weight: 1}}})
	if err != nil {
		t.Fatal(err)
	}
	const user = "user-01"
	recs, err := a.ServeRecommendations(ctx, recommend.Request{UserID: user, N: 5})
	if err != nil || len(recs) == 0 {
		t.Fatal(err, recs)
	}
	id := recs[0].RecommendationID
	in := []shop.InteractionInput{{UserID: user, ProductID: recs[0].ItemID, Kind: shop.KindClick, RecommendationID: &id}}
	claims, errs := a.verifyRecommendationIDs(in)
	if errs != nil || len(claims) != 1 {
		t.Fatalf("claims %v, errors %v", claims, errs)
	}
	recorded := []shop.Interaction{{UserID: user, ProductID: recs[0].ItemID, Kind: shop.KindClick, OccurredAt: time.Now()}}
	if _, errs, err := a.DeleteUser(ctx, user); err != nil || errs != nil {
		t.Fatal(err, errs)
	}
	a.afterRecorded(ctx, recorded, claims)
	rep, err := a.Experiments.Report(ctx, exp)
	if err != nil {
		t.Fatal(err)
	}
	if clicks := rep.Arms[0].Clicks + rep.Arms[1].Clicks; clicks != 1 {
		t.Fatalf("the click was not credited (%d clicks): the test tests nothing", clicks)
	}
	if got, err := a.Store.Counters(ctx, experiment.Namespace, "d/"+user+"/"); err != nil || len(got) != 0 {
		t.Fatalf("the erased shopper's outcome record: %v %v", got, err)
	}
}
