package experiment

import (
	"context"
	"math"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/shopmuse/shopmuse/recommend"
	"github.com/shopmuse/shopmuse/shop"
	"github.com/shopmuse/shopmuse/store"
)

func openStore(t *testing.T) store.Store {
	t.Helper()
	st, err := store.Open(t.TempDir(), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func openManager(t *testing.T, st Store) *Manager {
	t.Helper()
	m, err := Open(context.Background(), st, Options{})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func f(v float64) *float64 { return &v }

func twoArms() Input {
	return Input{Name: "blend", Arms: []ArmInput{{Name: "A", Weight: 1},
		{Name: "B", Weight: 1, Config: ArmConfig{MMRLambda: f(0.6), Weights: []Weight{{"popular", 2}}}}}}
}

func TestValidateRefusesBadInputs(t *testing.T) {
	pl := recommend.Placement("NOWHERE")
	cases := map[string]struct {
		in   Input
		code shop.ErrorCode
		path string
	}{
		"one arm":          {Input{Name: "x", Arms: []ArmInput{{Name: "A", Weight: 1}}}, shop.CodeInvalid, "input/arms"},
		"eleven arms":      {Input{Name: "x", Arms: make([]ArmInput, 11)}, shop.CodeTooLarge, "input/arms"},
		"zero weight":      {Input{Name: "x", Arms: []ArmInput{{Name: "A", Weight: 1}, {Name: "B"}}}, shop.CodeInvalid, "input/arms/1/weight"},
		"NaN weight":       {Input{Name: "x", Arms: []ArmInput{{Name: "A", Weight: 1}, {Name: "B", Weight: math.NaN()}}}, shop.CodeInvalid, "input/arms/1/weight"},
		"negative weight":  {Input{Name: "x", Arms: []ArmInput{{Name: "A", Weight: -1}, {Name: "B", Weight: 1}}}, shop.CodeInvalid, "input/arms/0/weight"},
		"duplicate names":  {Input{Name: "x", Arms: []ArmInput{{Name: "A", Weight: 1}, {Name: "A", Weight: 1}}}, shop.CodeDuplicate, "input/arms/1/name"},
		"empty name":       {Input{Name: " ", Arms: twoArms().Arms}, shop.CodeRequired, "input/name"},
		"long name":        {Input{Name: strings.Repeat("名", MaxName+1), Arms: twoArms().Arms}, shop.CodeTooLong, "input/name"},
		"control char":     {Input{Name: "a\u0000b", Arms: twoArms().Arms}, shop.CodeInvalid, "input/name"},
		"lambda zero":      {Input{Name: "x", Arms: []ArmInput{{Name: "A", Weight: 1}, {Name: "B", Weight: 1, Config: ArmConfig{MMRLambda: f(0)}}}}, shop.CodeInvalid, "input/arms/1/config/mmrLambda"},
		"cap above one":    {Input{Name: "x", Arms: []ArmInput{{Name: "A", Weight: 1}, {Name: "B", Weight: 1, Config: ArmConfig{CategoryCap: f(1.5)}}}}, shop.CodeInvalid, "input/arms/1/config/categoryCap"},
		"unknown retr.":    {Input{Name: "x", Arms: []ArmInput{{Name: "A", Weight: 1}, {Name: "B", Weight: 1, Config: ArmConfig{Weights: []Weight{{"magic", 1}}}}}}, shop.CodeInvalid, "input/arms/1/config/weights/0/retriever"},
		"blend weight inf": {Input{Name: "x", Arms: []ArmInput{{Name: "A", Weight: 1}, {Name: "B", Weight: 1, Config: ArmConfig{Weights: []Weight{{"mf", math.Inf(1)}}}}}}, shop.CodeInvalid, "input/arms/1/config/weights/0/weight"},
		"retriever twice":  {Input{Name: "x", Arms: []ArmInput{{Name: "A", Weight: 1}, {Name: "B", Weight: 1, Config: ArmConfig{Weights: []Weight{{"mf", 1}, {"mf", 2}}}}}}, shop.CodeDuplicate, "input/arms/1/config/weights/1/retriever"},
		"bad placement":    {Input{Name: "x", Arms: []ArmInput{{Name: "A", Weight: 1}, {Name: "B", Weight: 1, Config: ArmConfig{Placement: &pl}}}}, shop.CodeInvalid, "input/arms/1/config/placement"},
		"rule set twice":   {Input{Name: "x", Arms: []ArmInput{{Name: "A", Weight: 1}, {Name: "B", Weight: 1, Config: ArmConfig{RuleSets: []string{"s", "s"}}}}}, shop.CodeDuplicate, "input/arms/1/config/ruleSets/1"},
		"many rule sets":   {Input{Name: "x", Arms: []ArmInput{{Name: "A", Weight: 1}, {Name: "B", Weight: 1, Config: ArmConfig{RuleSets: make([]string, MaxRuleSets+1)}}}}, shop.CodeTooLarge, "input/arms/1/config/ruleSets"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			errs := Validate(c.in)
			found := false
			for _, e := range errs {
				found = found || (e.Code == c.code && strings.Join(e.Field, "/") == c.path)
			}
			if !found {
				t.Fatalf("want %s at %s, got %+v", c.code, c.path, errs)
			}
		})
	}
	if errs := Validate(twoArms()); errs != nil {
		t.Fatalf("a good input is refused: %+v", errs)
	}
}

func TestCreateStopAndOneRunningAtATime(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	m := openManager(t, st)
	e, errs, err := m.Create(ctx, twoArms())
	if err != nil || errs != nil {
		t.Fatal(err, errs)
	}
	if m.Running() != e {
		t.Fatal("the new experiment does not run")
	}
	_, errs, err = m.Create(ctx, twoArms())
	if err != nil || len(errs) != 1 || errs[0].Code != shop.CodeDuplicate {
		t.Fatalf("a second running experiment: %v %+v", err, errs)
	}
	if got, _ := m.List("", 10); len(got) != 1 {
		t.Fatalf("a refused experiment was stored: %d", len(got))
	}
	stopped, errs, err := m.Stop(ctx, e.ID)
	if err != nil || errs != nil || stopped.Status != StatusStopped || stopped.StoppedAt == nil {
		t.Fatal(err, errs, stopped)
	}
	if m.Running() != nil {
		t.Fatal("a stopped experiment still runs")
	}
	if _, errs, _ := m.Stop(ctx, "nope"); len(errs) != 1 || errs[0].Code != shop.CodeNotFound {
		t.Fatalf("stopping an unknown experiment: %+v", errs)
	}
	// A second manager over the same store (a replica, or a restart) sees
	// the same, and Reload picks up what another changed.
	m2 := openManager(t, st)
	if got, ok := m2.Get(e.ID); !ok || got.Status != StatusStopped || len(got.Arms) != 2 || *got.Arms[1].Config.MMRLambda != 0.6 {
		t.Fatalf("reopened: %+v", got)
	}
	e2, _, err := m.Create(ctx, twoArms())
	if err != nil {
		t.Fatal(err)
	}
	if m2.Running() != nil {
		t.Fatal("m2 saw a change before Reload")
	}
	if err := m2.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	if r := m2.Running(); r == nil || r.ID != e2.ID {
		t.Fatalf("after Reload: %+v", r)
	}
	page, more := m2.List("", 1)
	if len(page) != 1 || page[0].ID != e.ID || !more {
		t.Fatalf("first page: %v %v", page, more)
	}
	if page, more = m2.List(e.ID, 1); len(page) != 1 || page[0].ID != e2.ID || more {
		t.Fatalf("second page: %v %v", page, more)
	}
}

func TestAssignmentIsStickyAndFollowsTheWeights(t *testing.T) {
	e := &Experiment{ID: "x1", Arms: []Arm{{Name: "A", Weight: 1}, {Name: "B", Weight: 3}}}
	counts := [2]int{}
	for i := range 20000 {
		u := "user-" + strings.Repeat("x", i%3) + string(rune('a'+i%26)) + itoa(i)
		a := e.Assign(u)
		if e.Assign(u) != a {
			t.Fatal("assignment is not deterministic")
		}
		counts[a]++
	}
	share := float64(counts[1]) / 20000
	if math.Abs(share-0.75) > 0.02 {
		t.Fatalf("arm B got %.3f of users, want 0.75", share)
	}
	if _, p := SampleRatio([]int64{int64(counts[0]), int64(counts[1])}, []float64{1, 3}); p < SRMAlpha {
		t.Fatalf("hash assignment fails its own SRM check: p=%g", p)
	}
	// Another experiment shuffles users anew.
	e2 := &Experiment{ID: "x2", Arms: e.Arms}
	same := 0
	for i := range 2000 {
		if e.Assign(itoa(i)) == e2.Assign(itoa(i)) {
			same++
		}
	}
	if same > 1400 { // independent: 0.25²+0.75² = 62.5%
		t.Fatalf("experiments assign alike: %d of 2000", same)
	}
}

func itoa(i int) string { return strconv.Itoa(i) }

func TestRecommendationIDsAreBoundToUserAndProduct(t *testing.T) {
	st := openStore(t)
	m := openManager(t, st)
	e, _, err := m.Create(context.Background(), twoArms())
	if err != nil {
		t.Fatal(err)
	}
	l, err := m.NewList("alice", e, 1)
	if err != nil {
		t.Fatal(err)
	}
	id := l.ID(3, "p1")
	c, err := m.Verify(id, "alice", "p1")
	if err != nil || c.ExperimentID != e.ID || c.Arm != 1 || c.Rank != 3 {
		t.Fatalf("genuine ID: %+v %v", c, err)
	}
	if l.ID(4, "p2") == id {
		t.Fatal("two items share an ID")
	}
	l2, _ := m.NewList("alice", e, 1)
	if l2.ID(3, "p1") == id {
		t.Fatal("two lists share an ID")
	}
	for name, check := range map[string]func() error{
		"other user":    func() error { _, err := m.Verify(id, "mallory", "p1"); return err },
		"other product": func() error { _, err := m.Verify(id, "alice", "p2"); return err },
		"garbage":       func() error { _, err := m.Verify("rAAAA", "alice", "p1"); return err },
		"empty":         func() error { _, err := m.Verify("", "alice", "p1"); return err },
		"huge":          func() error { _, err := m.Verify("r"+strings.Repeat("A", 5000), "alice", "p1"); return err },
		"tampered arm": func() error {
			b := []byte(id)
			b[len(b)-20] ^= 1
			_, err := m.Verify(string(b), "alice", "p1")
			return err
		},
	} {
		if check() == nil {
			t.Errorf("%s: a forged ID verified", name)
		}
	}
	// Another store's secret does not verify this one's IDs.
	if _, err := openManager(t, openStore(t)).Verify(id, "alice", "p1"); err == nil {
		t.Error("an ID verified under another secret")
	}
	// Lists without a shopper verify for whoever acts on them, with no arm.
	anon, _ := m.NewList("", nil, -1)
	if c, err := m.Verify(anon.ID(0, "p1"), "bob", "p1"); err != nil || c.Arm != -1 || c.ExperimentID != "" {
		t.Fatalf("anonymous ID: %+v %v", c, err)
	}
}

func TestOutcomesCountOncePerRecommendationAndErase(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	m := openManager(t, st)
	e, _, _ := m.Create(ctx, twoArms())
	l, _ := m.NewList("alice", e, 0)
	m.Exposed(e, 0, "alice", 5)
	c, err := m.Verify(l.ID(0, "p1"), "alice", "p1")
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if err := m.Outcome(ctx, c, "alice", shop.KindClick, 0); err != nil {
			t.Fatal(err)
		}
	}
	if err := m.Outcome(ctx, c, "alice", shop.KindPurchase, 1999); err != nil {
		t.Fatal(err)
	}
	rep, err := m.Report(ctx, e)
	if err != nil {
		t.Fatal(err)
	}
	a := rep.Arms[0]
	if a.Exposure != 5 || a.Clicks != 1 || a.Purchases != 1 || a.Revenue != 1999 || a.Users != 1 {
		t.Fatalf("before flush: %+v", a)
	}
	if err := m.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if rep, _ = m.Report(ctx, e); rep.Arms[0].Exposure != 5 || rep.Arms[0].Users != 1 {
		t.Fatalf("after flush: %+v", rep.Arms[0])
	}
	// Outcomes of an old recommendation ID count nothing.
	old := c
	old.IssuedAt = time.Now().Add(-AttributionWindow - time.Hour)
	old.mac = "other"
	if err := m.Outcome(ctx, old, "alice", shop.KindClick, 0); err != nil {
		t.Fatal(err)
	}
	if rep, _ = m.Report(ctx, e); rep.Arms[0].Clicks != 1 {
		t.Fatalf("an expired ID counted: %+v", rep.Arms[0])
	}
	if err := m.EraseUser(ctx, "alice"); err != nil {
		t.Fatal(err)
	}
	personal, err := st.Counters(ctx, Namespace, "u/")
	if err != nil {
		t.Fatal(err)
	}
	seen, _ := st.Counters(ctx, Namespace, "d/")
	if len(personal)+len(seen) != 0 {
		t.Fatalf("erased user's records remain: %v %v", personal, seen)
	}
	if rep, _ = m.Report(ctx, e); rep.Arms[0].Clicks != 1 || rep.Arms[0].Users != 0 {
		t.Fatalf("after erasure: %+v", rep.Arms[0])
	}
}

func TestStatistics(t *testing.T) {
	// Wilson, 10 of 100: [0.0552, 0.1744] (Newcombe 1998, method 3).
	w := Wilson(10, 100)
	if math.Abs(w.Low-0.0552) > 5e-4 || math.Abs(w.High-0.1744) > 5e-4 {
		t.Errorf("Wilson(10,100) = %+v", w)
	}
	if w := Wilson(0, 0); w.Low != 0 || w.High != 1 {
		t.Errorf("Wilson(0,0) = %+v", w)
	}
	// χ² survival: P(χ²(1) ≥ 3.841) = 0.05, P(χ²(3) ≥ 16.266) = 0.001.
	for _, c := range []struct{ x, df, p float64 }{{3.841459, 1, 0.05}, {16.26624, 3, 0.001}, {0.5, 2, math.Exp(-0.25)}} {
		if got := chiSquareSurvival(c.x, c.df); math.Abs(got-c.p) > 1e-5 {
			t.Errorf("P(χ²(%g) ≥ %g) = %g, want %g", c.df, c.x, got, c.p)
		}
	}
	if _, p := SampleRatio([]int64{5000, 5400}, []float64{1, 1}); p >= SRMAlpha {
		t.Errorf("a 5000/5400 split at 50/50 passes the SRM check: p=%g", p)
	}
	if _, p := SampleRatio([]int64{5000, 5050}, []float64{1, 1}); p < 0.1 {
		t.Errorf("a 5000/5050 split at 50/50 fails the SRM check: p=%g", p)
	}
	// Mean of {0×8, 10, 20}: 3; sample sd 6.749; half-width 1.96·6.749/√10.
	mi := MeanInterval(30, 500, 10)
	if math.Abs(mi.Value-3) > 1e-9 || math.Abs(mi.High-(3+z95*math.Sqrt((500-90)/9.0/10))) > 1e-9 || mi.Low != 0 {
		t.Errorf("MeanInterval = %+v", mi)
	}
	pb := ProbBest([]int64{50, 80}, []int64{1000, 1000}, 20000)
	if pb[1] < 0.99 || math.Abs(pb[0]+pb[1]-1) > 1e-9 {
		t.Errorf("P(best) of 8%% vs 5%% over 1000 each: %v", pb)
	}
	if eq := ProbBest([]int64{50, 50}, []int64{1000, 1000}, 20000); math.Abs(eq[0]-0.5) > 0.02 {
		t.Errorf("P(best) of equal arms: %v", eq)
	}
}

// BenchmarkAssignAndSign is the experiment's cost on a request of 20
// items: the assignment hash, a list nonce and 20 signed IDs.
func BenchmarkAssignAndSign(b *testing.B) {
	st, err := store.Open(b.TempDir(), store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	m, err := Open(context.Background(), st, Options{})
	if err != nil {
		b.Fatal(err)
	}
	e := &Experiment{ID: "x1", Arms: []Arm{{Name: "A", Weight: 1}, {Name: "B", Weight: 1}}}
	for b.Loop() {
		arm := e.Assign("user-42")
		l, err := m.NewList("user-42", e, arm)
		if err != nil {
			b.Fatal(err)
		}
		for i := range 20 {
			_ = l.ID(i, "sku-000"+strconv.Itoa(i))
		}
	}
}

// TestSampleRatioTinyWeights: a weight is any positive float, so an arm's
// expected count can underflow to zero; the report's p-value must stay a
// number (GraphQL cannot carry NaN and the whole report would fail).
func TestSampleRatioTinyWeights(t *testing.T) {
	for _, c := range []struct {
		obs  []int64
		w    []float64
		want float64
	}{
		{[]int64{10, 0}, []float64{1e6, 5e-324}, 1},
		{[]int64{10, 1}, []float64{1e6, 5e-324}, 0},
		{[]int64{0, 0}, []float64{1, 1}, 1},
	} {
		chi2, p := SampleRatio(c.obs, c.w)
		if math.IsNaN(p) || math.IsNaN(chi2) || p != c.want {
			t.Errorf("SampleRatio(%v, %v) = %v, %v; want p %v", c.obs, c.w, chi2, p, c.want)
		}
	}
}

// TestValidateRefusesAnArmThatRecommendsNothing: weighting every retriever
// 0 was accepted, and that arm's returning shoppers got empty lists.
func TestValidateRefusesAnArmThatRecommendsNothing(t *testing.T) {
	var zero, one []Weight
	for _, r := range recommend.Retrievers {
		zero = append(zero, Weight{Retriever: r})
		one = append(one, Weight{Retriever: r})
	}
	one[0].Weight = 1
	in := func(ws []Weight) Input {
		return Input{Name: "x", Arms: []ArmInput{{Name: "A", Weight: 1}, {Name: "B", Weight: 1, Config: ArmConfig{Weights: ws}}}}
	}
	errs := Validate(in(zero))
	if len(errs) != 1 || errs[0].Code != shop.CodeInvalid || strings.Join(errs[0].Field, ".") != "input.arms.1.config.weights" {
		t.Fatalf("every retriever at 0: %+v", errs)
	}
	if errs := Validate(in(one)); errs != nil {
		t.Fatalf("one retriever above 0: %+v", errs)
	}
	if errs := Validate(in(zero[:2])); errs != nil {
		t.Fatalf("some retrievers at 0 (the others keep theirs): %+v", errs)
	}
}

// TestValidateRefusesFormatCharacters: names with bidi overrides or
// zero-width characters read otherwise than they are stored.
func TestValidateRefusesFormatCharacters(t *testing.T) {
	for _, name := range []string{"A\u202eB", "con\u200btrol", "\ufeffB"} {
		errs := Validate(Input{Name: "x", Arms: []ArmInput{{Name: "A", Weight: 1}, {Name: name, Weight: 1}}})
		if len(errs) != 1 || errs[0].Code != shop.CodeInvalid {
			t.Errorf("arm name %q: %+v", name, errs)
		}
		if errs := Validate(Input{Name: name, Arms: []ArmInput{{Name: "A", Weight: 1}, {Name: "B", Weight: 1}}}); len(errs) != 1 {
			t.Errorf("experiment name %q: %+v", name, errs)
		}
	}
}

// IDs sort by creation even when experiments are created within one
// millisecond, or after the clock stepped back: List pages by ID.
func TestIDsSortByCreationWithinOneMillisecond(t *testing.T) {
	ctx := context.Background()
	m := openManager(t, openStore(t))
	frozen := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	m.now = func() time.Time { return frozen }
	var ids []string
	for i := range 20 {
		e, errs, err := m.Create(ctx, twoArms())
		if err != nil || errs != nil {
			t.Fatal(i, err, errs)
		}
		if _, errs, err := m.Stop(ctx, e.ID); err != nil || errs != nil {
			t.Fatal(err, errs)
		}
		ids = append(ids, e.ID)
		if i == 10 {
			frozen = frozen.Add(-time.Hour) // the clock steps back
		}
	}
	if !slices.IsSorted(ids) {
		t.Fatalf("IDs do not sort by creation: %v", ids)
	}
	page, _ := m.List("", 20)
	for i, e := range page {
		if e.ID != ids[i] {
			t.Fatalf("List[%d] = %s, created %s", i, e.ID, ids[i])
		}
	}
}

// A user ID of 128 CJK characters is valid, but path-escaped it is over
// the store's key bound: its records are kept under a hash instead, so
// its exposures do not fail every flush (everyone's stayed buffered), its
// outcomes count, and its erasure finds them.
func TestLongUserIDsFitTheKeys(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	m := openManager(t, st)
	e, _, err := m.Create(ctx, twoArms())
	if err != nil {
		t.Fatal(err)
	}
	long := strings.Repeat("用", shop.MaxIDLen)
	if code, msg := shop.ValidateID(long); code != "" {
		t.Fatal(msg)
	}
	m.Exposed(e, 0, long, 1)
	m.Exposed(e, 0, "bob", 1)
	if err := m.Flush(ctx); err != nil {
		t.Fatalf("flush with a long user ID: %v", err)
	}
	l, err := m.NewList(long, e, 0)
	if err != nil {
		t.Fatal(err)
	}
	c, err := m.Verify(l.ID(0, "p1"), long, "p1")
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if err := m.Outcome(ctx, c, long, shop.KindClick, 0); err != nil {
			t.Fatalf("outcome of a long user ID: %v", err)
		}
	}
	rep, err := m.Report(ctx, e)
	if err != nil {
		t.Fatal(err)
	}
	if a := rep.Arms[0]; a.Exposure != 2 || a.Users != 2 || a.Clicks != 1 {
		t.Fatalf("arm after a long user ID's exposure and click: %+v, want 2 exposures, 2 users, 1 click", a)
	}
	if err := m.EraseUser(ctx, long); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"u/", "d/"} {
		got, err := st.Counters(ctx, Namespace, p)
		if err != nil {
			t.Fatal(err)
		}
		for k := range got {
			if !strings.HasPrefix(k, "u/bob/") {
				t.Fatalf("after erasing the long user ID: %s remains", k)
			}
		}
	}
}
