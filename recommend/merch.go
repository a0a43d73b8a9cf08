package recommend

import (
	"slices"
	"sync"

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
	// in the item's reasons ("" when none boosted it). slot is a dense
	// number of the product in this engine (-1: none) that the plan may
	// cache per-product work by; p's identity tells whether it changed.
	Adjust(p *shop.Product, slot int32) (hide bool, factor float64, ruleID string)
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

// merchAdjust keeps the candidates that keep allows (nil: all known
// ones) and applies HIDE, BOOST and BURY to them before the final cut, so a
// boosted item from beyond the first page can enter it; it marks boosted
// items for their reason. It returns the candidates left, in their old
// order, and whether a score changed (then topOf must re-rank them).
// Without rules it only filters, one lookup per candidate as before.
func (e *Engine) merchAdjust(plan MerchPlan, cands []blended, keep func(id string, p *shop.Product) bool) (_ []blended, changed bool) {
	kept := cands[:0]
	if plan == nil {
		for _, c := range cands {
			if p, _ := e.ds.Product(c.ItemID); keep == nil && p != nil || keep != nil && keep(c.ItemID, p) {
				kept = append(kept, c)
			}
		}
		return kept, false
	}
	sc := scratchPool.Get().(*merchScratch)
	defer scratchPool.Put(sc)
	prods, slots := e.ds.productSlots(cands, sc) // one lock for the list
	defer clear(prods)
	for i, c := range cands {
		if prods[i] == nil || keep != nil && !keep(c.ItemID, prods[i]) {
			continue
		}
		hide, f, rule := plan.Adjust(prods[i], slots[i])
		if hide {
			continue
		}
		if f != 1 {
			c.Score *= f
			changed = true
		}
		c.merchRule, c.slot = rule, slots[i]+1
		kept = append(kept, c)
	}
	return kept, changed
}

// sortBlended sorts best first, ties in their current order.
func sortBlended(bs []blended) { copy(bs, topOf(bs, len(bs))) }

// merchScratch is a request's working memory for the rules, reused: a
// list's candidates are hundreds, and the garbage would cost more than the
// work.
type merchScratch struct {
	prods []*shop.Product
	slots []int32
	keys  []sortKey
}

var scratchPool = sync.Pool{New: func() any { return new(merchScratch) }}

type sortKey struct {
	s float64
	i int32
}

func grow[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n)
	}
	return s[:n]
}

// topOf returns the k best candidates, best first (ties in their current
// order), in a new slice: diversify reads only that head of a list, so the
// rest need not be ordered. It selects on small keys and copies only the k
// best: candidates are large, and a list holds hundreds.
func topOf(bs []blended, k int) []blended {
	k = min(k, len(bs))
	sc := scratchPool.Get().(*merchScratch)
	defer scratchPool.Put(sc)
	keys := grow(sc.keys, len(bs))
	sc.keys = keys
	for i := range bs {
		keys[i] = sortKey{bs[i].Score, int32(i)}
	}
	better := func(a, b sortKey) int {
		switch {
		case a.s > b.s:
			return -1
		case a.s < b.s:
			return 1
		}
		return int(a.i - b.i)
	}
	if k < len(keys) {
		// Quickselect: the k best end up in keys[:k].
		lo, hi := 0, len(keys)-1
		for lo < hi {
			pivot := keys[(lo+hi)/2]
			i, j := lo, hi
			for i <= j {
				for better(keys[i], pivot) < 0 {
					i++
				}
				for better(keys[j], pivot) > 0 {
					j--
				}
				if i <= j {
					keys[i], keys[j] = keys[j], keys[i]
					i++
					j--
				}
			}
			switch {
			case k-1 <= j:
				hi = j
			case k-1 >= i:
				lo = i
			default:
				lo = hi
			}
		}
	}
	slices.SortFunc(keys[:k], better)
	out := make([]blended, k)
	for i, kk := range keys[:k] {
		out[i] = bs[kk.i]
	}
	return out
}

// merchPins chooses the pinned items of a list: for each pin in force, the
// best remaining candidate it matches, else (for a rule naming products)
// the first named product that eligible says may be shown and no rule
// hides. Pinned items leave cands. Pins past n are not placed.
// fromCatalogue false: only candidates may be pinned (CONTINUE and
// BUY_AGAIN show the shopper's own items only). cands must have passed
// merchAdjust (their slots are set).
func (e *Engine) merchPins(plan MerchPlan, cands []blended, n int, fromCatalogue bool, eligible func(id string) bool) (pinned []blended, pos []int, rest []blended) {
	if plan == nil {
		return nil, nil, cands
	}
	pins := plan.Pins()
	if len(pins) == 0 {
		return nil, nil, cands
	}
	rest = cands
	var prods []*shop.Product // rest's products, looked up once if needed
	taken := map[string]bool{}
	take := func(b blended, pin Pin) {
		b.merchRule = pin.RuleID
		pinned, pos = append(pinned, b), append(pos, pin.Position)
		taken[b.ItemID] = true
	}
	for _, pin := range pins {
		if pin.Position > n {
			continue
		}
		found := -1
		var pinSlots []int32
		if len(pin.ProductIDs) > 0 {
			// A rule naming products matches only them: compare slots
			// (dense numbers) before reading any product.
			pinSlots = e.ds.slots(pin.ProductIDs)
			want := make([]int32, 0, len(pin.ProductIDs))
			for _, s := range pinSlots {
				if s >= 0 {
					want = append(want, s+1)
				}
			}
			for i := range rest {
				if slices.Contains(want, rest[i].slot) && (found < 0 || rest[i].Score > rest[found].Score) {
					if p, ok := e.ds.Product(rest[i].ItemID); ok && pin.Matches(p) {
						found = i
					}
				}
			}
		} else {
			if prods == nil {
				ids := make([]string, len(rest))
				for j := range rest {
					ids[j] = rest[j].ItemID
				}
				prods = e.ds.products(ids)
			}
			for i := range rest {
				if p := prods[i]; p != nil && (found < 0 || rest[i].Score > rest[found].Score) && pin.Matches(p) {
					found = i
				}
			}
		}
		if found >= 0 {
			take(rest[found], pin)
			rest = append(rest[:found:found], rest[found+1:]...)
			if prods != nil {
				prods = append(prods[:found:found], prods[found+1:]...)
			}
			continue
		}
		if !fromCatalogue {
			continue
		}
		for k, id := range pin.ProductIDs {
			if taken[id] || !eligible(id) {
				continue
			}
			p, ok := e.ds.Product(id)
			if !ok || !pin.Matches(p) {
				continue
			}
			if hide, _, _ := plan.Adjust(p, pinSlots[k]); hide {
				continue
			}
			take(blended{ItemID: id}, pin)
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
	// displaced), bounded by the one before it. Two passes, so that runs of
	// adjacent pins (or catalogue pins, which have no score of their own)
	// read their neighbours' final scores: backward, each pin rises to at
	// least what follows it; forward, each is capped by what precedes it.
	for i := len(out) - 2; i >= 0; i-- {
		if isPin[i] {
			setScore(&out[i], max(score(&out[i]), score(&out[i+1])))
		}
	}
	for i := 1; i < len(out); i++ {
		if isPin[i] {
			setScore(&out[i], min(score(&out[i]), score(&out[i-1])))
		}
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
