package recommend

import (
	"slices"

	"github.com/shopmuse/shopmuse/shop"
)

// MaxExclude bounds a request's explicit exclusions (the API's exclude).
const MaxExclude = 500

// ReasonMerchandising is the reason of an item a shop rule pinned or
// boosted: the shop recommends it.
const ReasonMerchandising = "merchandising"

func merchandisingReason(lang shop.Language, ruleID string) Reason {
	return Reason{Kind: ReasonMerchandising, Message: pick(lang, "店铺推荐", "Recommended by the shop"), RuleID: ruleID}
}

// Merchandising is the shop's rules over every list (package merch
// implements it): hide, boost, bury and pin. The engine asks it once per
// request for what applies to that request.
type Merchandising interface {
	// Active returns what applies to one request, or nil when nothing can.
	Active(r MerchRequest) MerchPlan
}

// MerchRequest is what decides which rules apply to a request.
type MerchRequest struct {
	Now int64 // unix seconds, the engine's clock (stopped in evaluation)
	// User is the shopper's declared profile for segment rules; nil when
	// unknown or for lists that are not a shopper's (productRecommendations).
	User *shop.User
	// Placement of a shopper's list; "" for productRecommendations, which
	// is no placement: only rules without placements apply there.
	Placement Placement
	// RuleSets are the rule sets active for this request (from the
	// shopper's experiment arm); rules without a rule set always apply.
	RuleSets []string
}

// MerchPlan is the rules that apply to one request. It is used by one
// goroutine.
type MerchPlan interface {
	// Adjust says what the rules do to one candidate: hide it, or multiply
	// its score by factor (1: unchanged); ruleID names the boost credited
	// in the item's reasons ("" when none boosted it).
	Adjust(p *shop.Product) (hide bool, factor float64, ruleID string)
	// Pins are the pins in force, by position then rule ID.
	Pins() []Pin
}

// Pin puts one matching item at Position (1-based).
type Pin struct {
	Position int
	RuleID   string
	// ProductIDs, when the rule names products, may be placed even when no
	// retriever proposed them, in this order of preference.
	ProductIDs []string
	Matches    func(p *shop.Product) bool
}

// SetMerchandising installs the shop's rules; nil removes them. The next
// request sees them.
func (e *Engine) SetMerchandising(m Merchandising) {
	e.merch.Store(&merchHolder{m})
}

type merchHolder struct{ m Merchandising }

// merchPlan is the plan for one request, or nil when no rule can apply.
func (e *Engine) merchPlan(q *Query, placement Placement, ruleSets []string) MerchPlan {
	h := e.merch.Load()
	if h == nil || h.m == nil {
		return nil
	}
	r := MerchRequest{Now: q.now, Placement: placement, RuleSets: ruleSets}
	if q.UserID != "" && q.user.known {
		r.User = &shop.User{ID: q.UserID, Age: q.user.age, Gender: q.user.gender, Interests: q.user.interests}
	}
	return h.m.Active(r)
}

// merchAdjust applies HIDE, BOOST and BURY to blended candidates (sorted
// best first) before the final cut, so a boosted item from beyond the first
// page can enter it. It returns the list re-sorted, and marks the boosted
// items for their reason.
func (e *Engine) merchAdjust(plan MerchPlan, cands []blended) []blended {
	if plan == nil {
		return cands
	}
	kept, changed := cands[:0], false
	for _, c := range cands {
		p, ok := e.ds.Product(c.ItemID)
		if !ok {
			continue
		}
		hide, f, rule := plan.Adjust(p)
		if hide {
			continue
		}
		if f != 1 {
			c.Score *= f
			changed = true
		}
		c.merchRule = rule
		kept = append(kept, c)
	}
	if changed {
		sortBlended(kept)
	}
	return kept
}

func sortBlended(bs []blended) {
	slices.SortStableFunc(bs, func(a, b blended) int {
		switch {
		case a.Score > b.Score:
			return -1
		case a.Score < b.Score:
			return 1
		}
		return 0
	})
}

// merchPins chooses the pinned items of a list: for each pin in force, the
// best remaining candidate it matches, else (for a rule naming products)
// the first named product that eligible says may be shown. Pinned items
// leave cands. Pins past n are not placed. fromCatalogue false: only
// candidates may be pinned (CONTINUE and BUY_AGAIN show the shopper's own
// items only).
func (e *Engine) merchPins(plan MerchPlan, cands []blended, n int, fromCatalogue bool, eligible func(id string) bool) (pinned []blended, pos []int, rest []blended) {
	if plan == nil {
		return nil, nil, cands
	}
	pins := plan.Pins()
	if len(pins) == 0 {
		return nil, nil, cands
	}
	rest = cands
	taken := map[string]bool{}
	for _, pin := range pins {
		if pin.Position > n {
			continue
		}
		found := false
		for i := range rest {
			p, ok := e.ds.Product(rest[i].ItemID)
			if ok && pin.Matches(p) {
				b := rest[i]
				b.merchRule = pin.RuleID
				pinned, pos = append(pinned, b), append(pos, pin.Position)
				taken[b.ItemID] = true
				rest = append(rest[:i:i], rest[i+1:]...)
				found = true
				break
			}
		}
		if found || !fromCatalogue {
			continue
		}
		for _, id := range pin.ProductIDs {
			if taken[id] || !eligible(id) {
				continue
			}
			p, ok := e.ds.Product(id)
			if !ok || !pin.Matches(p) {
				continue
			}
			if hide, _, _ := plan.Adjust(p); hide {
				continue
			}
			pinned, pos = append(pinned, blended{ItemID: id, merchRule: pin.RuleID}), append(pos, pin.Position)
			taken[id] = true
			break
		}
	}
	return pinned, pos, rest
}

// placePins merges pinned items into a ranked list at their positions
// (1-based); pos must be non-decreasing (Pins order). A pin whose position
// is taken, or lies past the end of a short list, takes the next free
// place, so the first rule keeps a contested position. score and setScore
// keep the scores non-increasing: a pinned item scores like its neighbours.
func placePins[T any](ranked, pinned []T, pos []int, n int, score func(*T) float64, setScore func(*T, float64)) []T {
	if len(pinned) == 0 {
		return ranked
	}
	out := make([]T, 0, min(n, len(ranked)+len(pinned)))
	isPin := make([]bool, 0, cap(out))
	next, pi := 0, 0
	for len(out) < n {
		switch {
		case pi < len(pinned) && pos[pi]-1 <= len(out):
			out, isPin = append(out, pinned[pi]), append(isPin, true)
			pi++
		case next < len(ranked):
			out, isPin = append(out, ranked[next]), append(isPin, false)
			next++
		case pi < len(pinned): // the list ran out: later pins close it up
			out, isPin = append(out, pinned[pi]), append(isPin, true)
			pi++
		default:
			n = len(out)
		}
	}
	// A pinned item takes the score of the item after it (which it
	// displaced), bounded by the one before it.
	for i := len(out) - 1; i >= 0; i-- {
		if !isPin[i] {
			continue
		}
		s := score(&out[i])
		if i+1 < len(out) {
			s = max(s, score(&out[i+1]))
		}
		if i > 0 {
			s = min(s, score(&out[i-1]))
		}
		setScore(&out[i], s)
	}
	return out
}

// withMerchReasons puts the merchandising reason first on the items a rule
// pinned or boosted.
func withMerchReasons(recs []Recommendation, chosen []blended, lang shop.Language) []Recommendation {
	for i := range recs {
		if id := chosen[i].merchRule; id != "" {
			recs[i].Reasons = append([]Reason{merchandisingReason(lang, id)}, recs[i].Reasons...)
		}
	}
	return recs
}
