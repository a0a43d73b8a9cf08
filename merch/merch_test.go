package merch

import (
	"context"
	"fmt"
	"math"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shopmuse/shopmuse/recommend"
	"github.com/shopmuse/shopmuse/shop"
	"github.com/shopmuse/shopmuse/store"
)

// memStore keeps blobs in memory with versions, as the stores do.
type memStore struct {
	mu      sync.Mutex
	m       map[string][]byte
	v       map[string]int64
	version int64
}

func (s *memStore) GetBlob(ctx context.Context, ns, k string) ([]byte, bool, error) {
	b, v, err := s.GetBlobVersion(ctx, ns, k)
	return b, v != 0, err
}

func (s *memStore) GetBlobVersion(_ context.Context, ns, k string) ([]byte, int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.m[ns+"/"+k], s.v[ns+"/"+k], nil
}

func (s *memStore) put(ns, k string, v []byte) {
	if s.m == nil {
		s.m, s.v = map[string][]byte{}, map[string]int64{}
	}
	s.version++
	s.m[ns+"/"+k], s.v[ns+"/"+k] = v, s.version
}

func (s *memStore) PutBlob(_ context.Context, ns, k string, v []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.put(ns, k, v)
	return nil
}

func (s *memStore) PutBlobIf(_ context.Context, ns, k string, v []byte, version int64, with ...store.Blob) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.v[ns+"/"+k] != version {
		return false, nil
	}
	for _, b := range with {
		s.put(ns, b.Key, b.Value)
	}
	s.put(ns, k, v)
	return true, nil
}

func ptr[T any](v T) *T { return &v }

var now = time.Date(2026, 12, 7, 8, 0, 0, 0, time.UTC)

func TestFactorMustBeFinite(t *testing.T) {
	for _, f := range []float64{math.NaN(), math.Inf(1), math.Inf(-1), 0, -1, 0.5, 1001} {
		in := RuleInput{Action: ActionBoost, Factor: &f, Condition: &Condition{Brands: []string{"a"}}}
		if _, errs := in.Normalize(now, "input", "0"); len(errs) != 1 || errs[0].Code != shop.CodeInvalid {
			t.Errorf("factor %v: %+v", f, errs)
		}
	}
}

func TestIndexCombinesRules(t *testing.T) {
	cat := "家居"
	in := []RuleInput{
		{ID: ptr("b2"), Action: ActionBoost, Factor: ptr(2.0), Condition: &Condition{Brands: []string{"THERMOS"}}},
		{ID: ptr("b3"), Action: ActionBoost, Factor: ptr(3.0), Condition: &Condition{Tags: []string{"保温", "杯"}}},
		{ID: ptr("bury"), Action: ActionBury, Factor: ptr(4.0), Condition: &Condition{CategoryPrefix: &cat}},
		{ID: ptr("hide"), Action: ActionHide, Condition: &Condition{ProductIDs: []string{"gone"}}},
		{ID: ptr("later"), Action: ActionBoost, Factor: ptr(10.0), StartsAt: ptr(now.Add(time.Hour)), Condition: &Condition{Brands: []string{"thermos"}}},
		{ID: ptr("promo"), Action: ActionBoost, Factor: ptr(5.0), Condition: &Condition{OnPromotion: ptr(true)}},
	}
	rules, _, errs := Merge(nil, in, now)
	if errs != nil {
		t.Fatal(errs)
	}
	x := Compile(rules)
	plan := x.Active(recommend.MerchRequest{Now: now.Unix(), Placement: recommend.PlacementForYou})
	cup := &shop.Product{ID: "cup", Brand: "Thermos", Category: "家居/杯具", Tags: []string{"保温", "杯"}}
	// 2 (brand, any case) × 3 (one rule, two of its tags: once) / 4 (category prefix); later not yet.
	if hide, f, rule := plan.Adjust(cup, 0); hide || f != 1.5 || rule != "b3" {
		t.Errorf("cup: hide %v factor %v rule %q", hide, f, rule)
	}
	// Cached by slot; a new value of the product is worked out again.
	cup2 := *cup
	cup2.Promotion = "限时优惠"
	if _, f, rule := plan.Adjust(&cup2, 0); f != 7.5 || rule != "promo" {
		t.Errorf("promoted cup: factor %v rule %q", f, rule)
	}
	// Boosted ×2 and buried ÷4: lower, so no merchandising reason.
	if _, f, rule := plan.Adjust(&shop.Product{ID: "jug", Brand: "thermos", Category: "家居/壶"}, 2); f != 0.5 || rule != "" {
		t.Errorf("jug: factor %v rule %q", f, rule)
	}
	// Whole path segments: 家居用品 is not under 家居.
	if _, f, _ := plan.Adjust(&shop.Product{ID: "x", Category: "家居用品/杯"}, 1); f != 1 {
		t.Errorf("家居用品 matched 家居: %v", f)
	}
	if hide, _, _ := plan.Adjust(&shop.Product{ID: "gone", Brand: "Thermos"}, -1); !hide {
		t.Error("HIDE did not win")
	}
	later := x.Active(recommend.MerchRequest{Now: now.Add(2 * time.Hour).Unix()})
	if _, f, rule := later.Adjust(cup, 0); f != 15 || rule != "later" {
		t.Errorf("in the later window: factor %v rule %q", f, rule)
	}
}

func TestServiceReloadAndLimits(t *testing.T) {
	st := &memStore{}
	var installed recommend.Merchandising = &Index{}
	a, err := Open(context.Background(), st, func(m recommend.Merchandising) { installed = m }, func() time.Time { return now })
	if err != nil || installed != nil {
		t.Fatalf("empty store: %v, installed %v", err, installed)
	}
	b, err := Open(context.Background(), st, nil, func() time.Time { return now })
	if err != nil {
		t.Fatal(err)
	}
	batch := func(start, n int) []RuleInput {
		out := make([]RuleInput, n)
		for i := range out {
			out[i] = RuleInput{ID: ptr(fmt.Sprintf("r%05d", start+i)), Action: ActionHide, Condition: &Condition{ProductIDs: []string{"p"}}}
		}
		return out
	}
	for i := range MaxRules / MaxBatch {
		if _, errs, err := a.Upsert(context.Background(), batch(i*MaxBatch, MaxBatch)); err != nil || errs != nil {
			t.Fatalf("batch %d: %v %v", i, errs, err)
		}
	}
	if x, ok := installed.(*Index); !ok || x.Len() != MaxRules {
		t.Fatalf("installed %T", installed)
	}
	if _, errs, _ := a.Upsert(context.Background(), batch(MaxRules, 1)); len(errs) != 1 || errs[0].Code != shop.CodeTooLarge {
		t.Errorf("rule %d: %+v", MaxRules+1, errs)
	}
	// Replacing a stored rule is no new rule.
	if _, errs, _ := a.Upsert(context.Background(), batch(0, 1)); errs != nil {
		t.Errorf("replace at the cap: %+v", errs)
	}
	// Another replica sees the change after Reload.
	if b.Count() != 0 {
		t.Fatalf("b saw %d rules before Reload", b.Count())
	}
	if err := b.Reload(context.Background()); err != nil || b.Count() != MaxRules {
		t.Fatalf("b after Reload: %d, %v", b.Count(), err)
	}
}

func TestParseNamesTheRuleAndLine(t *testing.T) {
	file := `[
  {"action": "HIDE", "condition": {"brands": ["小米"]}},

  {"action": "PIN",
   "condition": {"productIDs": ["p1"]}}
]`
	_, err := Parse([]byte(file), now)
	if err == nil || !strings.Contains(err.Error(), "rule 2 (line 4)") || !strings.Contains(err.Error(), "position") {
		t.Errorf("missing position: %v", err)
	}
	_, err = Parse([]byte("{\"action\": \"HIDE\", \"condition\": {\"brands\": [\"a\"]}}\n{\"action\": \"HIDE\", \"conditon\": {}}\n"), now)
	if err == nil || !strings.Contains(err.Error(), "rule 2 (line 2)") || !strings.Contains(err.Error(), "conditon") {
		t.Errorf("unknown field: %v", err)
	}
	rules, err := Parse([]byte(`{"action": "BOOST", "factor": 2, "condition": {"tags": ["新品"]}, "placements": ["FOR_YOU"]}`), now)
	if err != nil || len(rules) != 1 || rules[0].Placements[0] != recommend.PlacementForYou {
		t.Errorf("good file: %+v %v", rules, err)
	}
}

// TestIndexCacheIsSafeForConcurrentRequests: requests share the per-product
// cache, which grows while others read it (run with -race).
func TestIndexCacheIsSafeForConcurrentRequests(t *testing.T) {
	rules, _, errs := Merge(nil, []RuleInput{{Action: ActionBoost, Factor: ptr(2.0), Condition: &Condition{Brands: []string{"b"}}}}, now)
	if errs != nil {
		t.Fatal(errs)
	}
	x := Compile(rules)
	prods := make([]shop.Product, 5000)
	for i := range prods {
		prods[i] = shop.Product{ID: fmt.Sprint(i), Brand: []string{"a", "b"}[i%2]}
	}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			plan := x.Active(recommend.MerchRequest{Now: now.Unix()})
			for i := range 3000 {
				k := (i*7919 + g*104729) % len(prods)
				if _, f, _ := plan.Adjust(&prods[k], int32(k)); f != float64(1+k%2) {
					t.Errorf("product %d: factor %v", k, f)
					return
				}
			}
		}()
	}
	wg.Wait()
}

// Rule names with bidi overrides, zero-width or control characters read
// otherwise than they are stored (in the console): refused, as experiment
// names are.
func TestRuleNameRefusesFormatCharacters(t *testing.T) {
	for _, name := range []string{"A\u202eB", "pin\u200b1", "\ufeffx", "a\nb"} {
		in := []RuleInput{{Name: ptr(name), Action: ActionHide, Condition: &Condition{ProductIDs: []string{"p1"}}}}
		all, _, errs := Merge(nil, in, now)
		if all != nil || len(errs) != 1 || errs[0].Code != shop.CodeInvalid {
			t.Errorf("name %q: %d rules, %+v", name, len(all), errs)
		}
	}
	if _, _, errs := Merge(nil, []RuleInput{{Name: ptr("夏季 置顶 #1"), Action: ActionHide, Condition: &Condition{ProductIDs: []string{"p1"}}}}, now); errs != nil {
		t.Errorf("a plain name: %+v", errs)
	}
}
