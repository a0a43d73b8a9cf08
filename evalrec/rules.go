package evalrec

import (
	"context"
	"fmt"
	"io"
	"slices"

	"github.com/shopmuse/shopmuse/merch"
	"github.com/shopmuse/shopmuse/recommend"
)

// RulesInfo is what `eval --rules` replayed.
type RulesInfo struct {
	File string
	// Rules is how many the file holds, Applied how many were installed
	// (--rule-sets leaves the others out) and InForce how many of those
	// are in their time window at the split's clock.
	Rules, Applied, InForce int
}

// evaluateRules scores Engine.Recommend (the blend) again with the file's
// merchandising rules installed, as the service would serve with them on:
// row "blend+rules", beside the blend row without them.
func evaluateRules(ctx context.Context, e *recommend.Engine, o Options, h holdout, catalogue int, stderr io.Writer) (Row, *RulesInfo, error) {
	info := &RulesInfo{File: o.Rules, Rules: len(o.rules)}
	var rules []merch.Rule
	for _, r := range o.rules {
		if r.RuleSet != "" && len(o.RuleSets) > 0 && !slices.Contains(o.RuleSets, r.RuleSet) {
			continue
		}
		// The engine's ranker names no rule set: a rule of an applied set
		// applies to everyone here.
		r.RuleSet = ""
		rules = append(rules, r)
		if r.ActiveAt(h.now) {
			info.InForce++
		}
	}
	info.Applied = len(rules)
	e.SetMerchandising(merch.Compile(rules))
	defer e.SetMerchandising(nil)
	done := progress{stderr}.step("asking Engine.Recommend with the %d merchandising rules of %s", len(rules), o.Rules)
	m, err := evaluate(ctx, e, "blend", h.sp, o.K, catalogue, o.MaxUsers, stderr)
	if err != nil {
		return Row{}, nil, err
	}
	done()
	return Row{Model: "blend+rules", Metrics: m}, info, nil
}

// writeRulesLine says what the rules cost (or gain) against the blend.
func writeRulesLine(w io.Writer, rep *Report) {
	if rep.Rules == nil {
		return
	}
	ri := rep.Rules
	fmt.Fprintf(w, "\nrules: %s: %d rules, %d applied, %d in their time window at the clock", ri.File, ri.Rules, ri.Applied, ri.InForce)
	with, ok1 := rep.Row("blend+rules")
	without, ok2 := rep.Row("blend")
	if ok1 && ok2 && without.Metrics.NDCG > 0 {
		fmt.Fprintf(w, "; NDCG@%d %.4f without, %.4f with (%+.1f%%), Recall@%d %.4f → %.4f",
			rep.K, without.Metrics.NDCG, with.Metrics.NDCG, 100*(with.Metrics.NDCG/without.Metrics.NDCG-1),
			rep.K, without.Metrics.Recall, with.Metrics.Recall)
	}
	fmt.Fprintln(w)
}
