package recommend

import (
	"testing"
	"time"

	"github.com/shopmuse/shopmuse/shop"
)

// TestSplitProtocolRules pins down the funnel protocol on a hand-made log:
// the last N target events at each user's own time, the cut moved back to
// the start of their visit, the target kinds, and the targets and
// exclusion rules.
func TestSplitProtocolRules(t *testing.T) {
	t0 := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	ev := func(u, p string, k shop.InteractionKind, min int) shop.Interaction {
		return shop.Interaction{UserID: u, ProductID: p, Kind: k, OccurredAt: t0.Add(time.Duration(min) * time.Minute)}
	}
	day := 24 * 60
	its := []shop.Interaction{
		// a: views x and buys y on day 0, views z on day 1; on day 5 views
		// w, then (2 minutes later, same visit) carts z and buys y again.
		ev("a", "x", shop.KindView, 0), ev("a", "y", shop.KindView, 1), ev("a", "y", shop.KindPurchase, 2),
		ev("a", "z", shop.KindView, day),
		ev("a", "w", shop.KindView, 5*day), ev("a", "z", shop.KindAddToCart, 5*day+2), ev("a", "y", shop.KindPurchase, 5*day+3),
		ev("a", "v", shop.KindView, 5*day+4),
		// b: a single cart, nothing before it: stays in training.
		ev("b", "x", shop.KindAddToCart, 10),
		// c: carts three items on three days; with N=2 the first stays in train.
		ev("c", "p", shop.KindAddToCart, day), ev("c", "q", shop.KindAddToCart, 2*day), ev("c", "r", shop.KindAddToCart, 3*day),
	}
	carts := []shop.InteractionKind{shop.KindPurchase, shop.KindAddToCart}
	base := Protocol{Method: SplitLastTargets, LastN: 2, SessionGap: 30 * time.Minute, TargetKinds: carts}

	sp := SplitProtocol(its, base)
	if len(sp.Train)+len(sp.Held) != len(its) {
		t.Fatalf("%d train + %d held != %d events", len(sp.Train), len(sp.Held), len(its))
	}
	held := map[string]int{}
	for _, it := range sp.Held {
		held[it.UserID]++
	}
	// a: the visit of day 5 (w, z, y, v) is held out, w included (same visit).
	if held["a"] != 4 || held["b"] != 0 || held["c"] != 2 {
		t.Fatalf("held out per user %v, want a:4 c:2", held)
	}
	// Targets all + exclude purchased: z (viewed in train) counts, y was
	// bought in train so it is excluded (and no target), w and v are views.
	if got := sp.Test["a"]; len(got) != 1 || !got["z"] {
		t.Errorf("a's targets %v, want {z}", got)
	}
	if ex := sp.TrainItems["a"]; len(ex) != 1 || !ex["y"] {
		t.Errorf("a's exclusions %v, want {y}", ex)
	}
	if !sp.Touched["a"]["z"] || !sp.Touched["a"]["x"] || sp.Touched["a"]["w"] {
		t.Errorf("a touched %v", sp.Touched["a"])
	}
	if got := sp.Test["c"]; len(got) != 2 || !got["q"] || !got["r"] {
		t.Errorf("c's targets %v, want {q r}", got)
	}
	if _, ok := sp.Test["b"]; ok {
		t.Error("b has nothing to train on and must stay in training")
	}

	// Without the session gap the cut is at the cart: w goes to training.
	noGap := base
	noGap.SessionGap = 0
	if sp := SplitProtocol(its, noGap); len(sp.Held) != len(its)-len(sp.Train) || !sp.Touched["a"]["w"] {
		t.Errorf("without a session gap w should be a training event: touched %v", sp.Touched["a"])
	}
	// Targets new: z was viewed in training, so a has no target left.
	p := base
	p.Targets = TargetsNew
	if sp := SplitProtocol(its, p); sp.Test["a"] != nil {
		t.Errorf("targets new: a's targets %v, want none", sp.Test["a"])
	}
	// Exclude none: the re-bought y is a target too, and nothing is excluded.
	p = base
	p.Exclude = ExcludeNone
	if sp := SplitProtocol(its, p); len(sp.Test["a"]) != 2 || !sp.Test["a"]["y"] || len(sp.TrainItems["a"]) != 0 {
		t.Errorf("exclude none: targets %v exclusions %v", sp.Test["a"], sp.TrainItems["a"])
	}
	// Exclude train: every training item leaves the ranking and the targets.
	p = base
	p.Exclude = ExcludeTrain
	if sp := SplitProtocol(its, p); sp.Test["a"] != nil || len(sp.TrainItems["a"]) != 3 {
		t.Errorf("exclude train: targets %v exclusions %v", sp.Test["a"], sp.TrainItems["a"])
	}
	// Every kind a target: the held-out views of w and v count as well.
	p = base
	p.TargetKinds = nil
	p.LastN = 1 // the last event (v's view) and its visit
	if sp := SplitProtocol(its, p); len(sp.Test["a"]) != 3 || !sp.Test["a"]["w"] || !sp.Test["a"]["v"] {
		t.Errorf("all kinds: a's targets %v, want {w z v}", sp.Test["a"])
	}
	// SplitInteractions is the no-repeat protocol.
	nr := SplitInteractions(its, SplitByTime, 0.5, 1)
	for u, items := range nr.Test {
		for id := range items {
			if nr.Touched[u][id] {
				t.Errorf("no-repeat: %s's target %s was touched in training", u, id)
			}
		}
		for id := range nr.Touched[u] {
			if !nr.TrainItems[u][id] {
				t.Errorf("no-repeat: %s's training item %s is not excluded", u, id)
			}
		}
	}
}
