package recommend

import (
	"context"
	"fmt"
	"slices"
)

// Placement is where a recommendation list is shown, which decides what it
// may contain.
type Placement string

const (
	// PlacementForYou is the calibrated blend: fresh items and the
	// shopper's own history (open carts, recent views, consumables due
	// again) compete on one score.
	PlacementForYou Placement = "FOR_YOU"
	// PlacementDiscover holds only items the shopper never touched.
	PlacementDiscover Placement = "DISCOVER"
	// PlacementContinue holds items the shopper viewed or carted and has
	// not bought, most likely to be bought next first.
	PlacementContinue Placement = "CONTINUE"
	// PlacementBuyAgain holds consumables the shopper bought that are due
	// again, with the interval in the reason.
	PlacementBuyAgain Placement = "BUY_AGAIN"
)

// Placements lists every placement.
var Placements = []Placement{PlacementForYou, PlacementDiscover, PlacementContinue, PlacementBuyAgain}

// IsValid reports whether p is a known placement (gqlgen's enum contract).
func (p Placement) IsValid() bool { return slices.Contains(Placements, p) }

func (p Placement) String() string { return string(p) }

// ParsePlacement reads a placement name as the API spells it.
func ParsePlacement(s string) (Placement, error) {
	if p := Placement(s); p.IsValid() {
		return p, nil
	}
	return "", fmt.Errorf("recommend: unknown placement %q (want FOR_YOU, DISCOVER, CONTINUE or BUY_AGAIN)", s)
}

// history lists the shopper's own items for CONTINUE and BUY_AGAIN: each
// item's state in their history (viewed, clicked, carted, bought), scored by
// the repeat model's chance that it is their next cart or purchase, or, before
// the first training, by stage and recency.
func (e *Engine) history(q *Query, p Placement) []Recommendation {
	list, ids, prods := e.historyStates(q)
	m := e.models.Load().repeat
	var out []Recommendation
	for i, st := range list {
		id := ids[i]
		if prods[i] == nil || !e.allowed(q, id) {
			continue
		}
		var reason Reason
		cur := *st
		cur.stage = st.current()
		switch {
		case p == PlacementContinue && cur.stage != stageBought:
			reason = seenReason(q.Language, cur.stage == stageCarted)
		case p == PlacementBuyAgain && cur.stage == stageBought:
			days, ok := q.due[id]
			if !ok {
				continue
			}
			reason = rebuyReason(q.Language, days)
		default:
			continue
		}
		var score float64
		if m != nil && m.top > 0 {
			score = m.prob(&cur, i, prods[i].TopCategory(), q.now) / m.top
		} else {
			// Untrained: carts first, then clicks, then views, each by recency.
			score = float64(cur.stage) + 1/float64(i+2)
		}
		out = append(out, Recommendation{ItemID: id, Score: score, Reasons: []Reason{reason}})
	}
	if q.merch != nil {
		return e.merchHistory(q, out)
	}
	slices.SortStableFunc(out, func(a, b Recommendation) int {
		if a.Score != b.Score {
			if a.Score > b.Score {
				return -1
			}
			return 1
		}
		return 0
	})
	return out[:min(len(out), q.N)]
}

// merchHistory applies the merchandising rules to a CONTINUE or BUY_AGAIN
// list: hide, boost, bury, and pins that reorder the shopper's own items
// (no other item may enter these lists).
func (e *Engine) merchHistory(q *Query, out []Recommendation) []Recommendation {
	reasons := make(map[string][]Reason, len(out))
	bs := make([]blended, len(out))
	for i, r := range out {
		bs[i] = blended{ItemID: r.ItemID, Score: r.Score}
		reasons[r.ItemID] = r.Reasons
	}
	sortBlended(bs)
	bs, rescored := e.merchAdjust(q.merch, bs, nil)
	if rescored {
		sortBlended(bs)
	}
	pinned, pos, bs := e.merchPins(q.merch, bs, q.N, false, nil)
	chosen := placePins(bs[:min(len(bs), q.N-len(pinned))], pinned, pos, q.N, blendedScore, setBlendedScore)
	recs := make([]Recommendation, len(chosen))
	for i, b := range chosen {
		recs[i] = Recommendation{ItemID: b.ItemID, Score: b.Score, Reasons: reasons[b.ItemID]}
	}
	return withMerchReasons(recs, chosen, q.Language)
}

// recommendPlacement answers the placements that are not the blend.
func (e *Engine) recommendPlacement(ctx context.Context, q *Query, p Placement) ([]Recommendation, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("recommend: %w", err)
	}
	return e.history(q, p), nil
}
