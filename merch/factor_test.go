package merch

import (
	"fmt"
	"math"
	"testing"

	"github.com/shopmuse/shopmuse/recommend"
	"github.com/shopmuse/shopmuse/shop"
)

// Many valid BOOST (or BURY) rules on one item combine to a finite factor:
// 120 boosts of 1000 multiplied to +Inf, a score GraphQL cannot encode,
// and with 120 buries as well to NaN.
func TestCombinedFactorStaysFinite(t *testing.T) {
	rules := func(action Action, n int) []RuleInput {
		var in []RuleInput
		for i := range n {
			in = append(in, RuleInput{ID: ptr(fmt.Sprintf("%s%03d", action, i)), Action: action, Factor: ptr(float64(MaxFactor)),
				Condition: &Condition{Brands: []string{"Thermos"}}})
		}
		return in
	}
	cup := &shop.Product{ID: "cup", Brand: "Thermos"}
	for _, c := range []struct {
		name  string
		in    []RuleInput
		check func(f float64) bool
	}{
		{"boosts", rules(ActionBoost, 120), func(f float64) bool { return f > 1 }},
		{"buries", rules(ActionBury, 120), func(f float64) bool { return f > 0 && f < 1 }},
		{"both", append(rules(ActionBoost, 120), rules(ActionBury, 119)...), func(f float64) bool { return f > 0 }},
		{"buries then boosts", append(rules(ActionBury, 150), rules(ActionBoost, 100)...), func(f float64) bool { return f > 0 && f < 1 }},
	} {
		t.Run(c.name, func(t *testing.T) {
			all, _, errs := Merge(nil, c.in, now)
			if errs != nil {
				t.Fatal(errs)
			}
			plan := Compile(all).Active(recommend.MerchRequest{Now: now.Unix()})
			_, f, _ := plan.Adjust(cup, 0)
			if math.IsNaN(f) || math.IsInf(f, 0) || f > MaxCombinedFactor || f < 1/MaxCombinedFactor || !c.check(f) {
				t.Fatalf("combined factor %v", f)
			}
		})
	}
}
