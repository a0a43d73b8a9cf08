package merch

import (
	"slices"
	"strings"

	"github.com/shopmuse/shopmuse/recommend"
	"github.com/shopmuse/shopmuse/shop"
)

// Index is a compiled rule set: each rule is filed under one key of its
// condition (a product ID, else a brand, else its category prefix, else a
// tag; the rest in a short list), so a candidate meets only the rules that
// can match it. It is immutable; it implements recommend.Merchandising.
type Index struct {
	rules                       []compiled
	byID, byBrand, byCat, byTag map[string][]int32
	rest                        []int32
	pins                        []int32 // PIN rules by position, then ID
}

type compiled struct {
	r          *Rule
	placements uint8 // bit per recommend.Placements; 0: every list
	start, end int64 // unix seconds; 0: open
	match      func(p *shop.Product) bool
}

func placementBit(p recommend.Placement) uint8 {
	if i := slices.Index(recommend.Placements, p); i >= 0 {
		return 1 << i
	}
	return 0
}

// Compile builds the index of a rule set.
func Compile(rules []Rule) *Index {
	x := &Index{rules: make([]compiled, len(rules)), byID: map[string][]int32{}, byBrand: map[string][]int32{},
		byCat: map[string][]int32{}, byTag: map[string][]int32{}}
	for i := range rules {
		r := &rules[i]
		c := compiled{r: r, match: r.Condition.Matches}
		for _, p := range r.Placements {
			c.placements |= placementBit(p)
		}
		if r.StartsAt != nil {
			c.start = r.StartsAt.Unix()
		}
		if r.EndsAt != nil {
			c.end = r.EndsAt.Unix()
		}
		x.rules[i] = c
		k := int32(i)
		if r.Action == ActionPin {
			// Pins are found by position, not by candidate.
			x.pins = append(x.pins, k)
			continue
		}
		cond := &r.Condition
		switch {
		case len(cond.ProductIDs) > 0:
			for _, id := range cond.ProductIDs {
				x.byID[id] = append(x.byID[id], k)
			}
		case len(cond.Brands) > 0:
			for _, b := range cond.Brands {
				b = strings.ToLower(b)
				if !slices.Contains(x.byBrand[b], k) {
					x.byBrand[b] = append(x.byBrand[b], k)
				}
			}
		case cond.CategoryPrefix != nil:
			x.byCat[*cond.CategoryPrefix] = append(x.byCat[*cond.CategoryPrefix], k)
		case len(cond.Tags) > 0:
			for _, t := range cond.Tags {
				t = strings.ToLower(t)
				if !slices.Contains(x.byTag[t], k) {
					x.byTag[t] = append(x.byTag[t], k)
				}
			}
		default:
			x.rest = append(x.rest, k)
		}
	}
	slices.SortStableFunc(x.pins, func(a, b int32) int {
		ra, rb := x.rules[a].r, x.rules[b].r
		if *ra.Position != *rb.Position {
			return *ra.Position - *rb.Position
		}
		return strings.Compare(ra.ID, rb.ID)
	})
	return x
}

// Len is the number of rules.
func (x *Index) Len() int { return len(x.rules) }

// Active implements recommend.Merchandising. Which rules are in force is
// decided lazily, per rule a candidate meets, and remembered for the
// request.
func (x *Index) Active(req recommend.MerchRequest) recommend.MerchPlan {
	if len(x.rules) == 0 {
		return nil
	}
	return &plan{x: x, req: req, bit: placementBit(req.Placement), state: make([]uint32, len(x.rules))}
}

// plan is one request's view of the index.
type plan struct {
	x   *Index
	req recommend.MerchRequest
	bit uint8
	// state per rule: bits 0-1 whether it is in force (0 unknown, 1 yes,
	// 2 no); the rest the last candidate that met it, so a product with two
	// of a rule's tags counts it once.
	state []uint32
	gen   uint32
}

const (
	stateYes = 1
	stateNo  = 2
)

// inForce reports whether rule k applies to this request: its rule set,
// placement, time window and segment.
func (pl *plan) inForce(k int32) bool {
	switch pl.state[k] & 3 {
	case stateYes:
		return true
	case stateNo:
		return false
	}
	c := &pl.x.rules[k]
	ok := (c.r.RuleSet == "" || slices.Contains(pl.req.RuleSets, c.r.RuleSet)) &&
		(c.placements == 0 || c.placements&pl.bit != 0) &&
		(c.start == 0 || pl.req.Now >= c.start) && (c.end == 0 || pl.req.Now < c.end) &&
		(c.r.Segment == nil || c.r.Segment.Matches(pl.req.User))
	if ok {
		pl.state[k] = pl.state[k]&^3 | stateYes
	} else {
		pl.state[k] = pl.state[k]&^3 | stateNo
	}
	return ok
}

// adjust accumulates what the rules in list do to p.
type adjustment struct {
	hide   bool
	factor float64
	boost  float64
	rule   string
}

func (pl *plan) visit(list []int32, p *shop.Product, a *adjustment) {
	for _, k := range list {
		if pl.state[k]>>2 == pl.gen {
			continue // already met through another key
		}
		pl.state[k] = pl.state[k]&3 | pl.gen<<2
		c := &pl.x.rules[k]
		if !pl.inForce(k) || !c.match(p) {
			continue
		}
		switch c.r.Action {
		case ActionHide:
			a.hide = true
		case ActionBoost:
			a.factor *= *c.r.Factor
			if *c.r.Factor > a.boost || *c.r.Factor == a.boost && c.r.ID < a.rule {
				a.boost, a.rule = *c.r.Factor, c.r.ID
			}
		case ActionBury:
			a.factor /= *c.r.Factor
		}
	}
}

// Adjust implements recommend.MerchPlan: several rules combine (factors
// multiply; HIDE wins); the boost credited is the largest.
func (pl *plan) Adjust(p *shop.Product) (hide bool, factor float64, ruleID string) {
	pl.gen = (pl.gen + 1) & (1<<30 - 1)
	if pl.gen == 0 {
		// Wrapped: forget the marks (after a billion candidates).
		for i := range pl.state {
			pl.state[i] &= 3
		}
		pl.gen = 1
	}
	a := adjustment{factor: 1}
	x := pl.x
	if l := x.byID[p.ID]; l != nil {
		pl.visit(l, p, &a)
	}
	if len(x.byBrand) > 0 && p.Brand != "" {
		pl.visit(x.byBrand[strings.ToLower(p.Brand)], p, &a)
	}
	if len(x.byCat) > 0 {
		cat := p.Category
		for i := 0; i <= len(cat); i++ {
			if i == len(cat) || cat[i] == '/' {
				pl.visit(x.byCat[cat[:i]], p, &a)
			}
		}
	}
	if len(x.byTag) > 0 {
		for _, t := range p.Tags {
			pl.visit(x.byTag[strings.ToLower(t)], p, &a)
		}
	}
	pl.visit(x.rest, p, &a)
	if a.hide {
		return true, 0, ""
	}
	return false, a.factor, a.rule
}

// Pins implements recommend.MerchPlan.
func (pl *plan) Pins() []recommend.Pin {
	var out []recommend.Pin
	for _, k := range pl.x.pins {
		if !pl.inForce(k) {
			continue
		}
		c := &pl.x.rules[k]
		out = append(out, recommend.Pin{Position: *c.r.Position, RuleID: c.r.ID, ProductIDs: c.r.Condition.ProductIDs, Matches: c.match})
	}
	return out
}
