package merch

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/shopmuse/shopmuse/recommend"
	"github.com/shopmuse/shopmuse/shop"
)

// Index is a compiled rule set; it implements recommend.Merchandising.
//
// Whether a rule's condition matches a product does not depend on the
// request, so it is worked out once per product and kept: each rule is
// filed under one key of its condition (a product ID, else a brand, else its
// category prefix, else a tag; the rest in a short list), a product meets
// only the rules under its keys, and the rules it matches are folded into
// one effect per context (rule set, placements, window, segment). A request
// then costs, per candidate, one cache read and a check of a context or
// two, decided once per request. The cache lives as long as the index (a
// rule change compiles a new one) and is keyed by product ID, checked
// against the product's identity (the recommender replaces a product's
// value on every change).
type Index struct {
	rules                       []compiled
	contexts                    []ruleContext
	byID, byBrand, byCat, byTag map[string][]int32
	rest                        []int32
	pins                        []int32 // PIN rules by position, then ID
	// cache holds each product's effects by its slot in the engine.
	cacheMu sync.Mutex
	cache   atomic.Pointer[[]atomic.Pointer[cached]]
}

type compiled struct {
	r   *Rule
	ctx int32 // index into contexts
}

// ruleContext is when rules apply: in which rule set, placements, window and
// segment. Rules that share one are decided together.
type ruleContext struct {
	ruleSet    string
	placements uint8 // bit per recommend.Placements; 0: every list
	start, end int64 // unix seconds; 0: open
	segment    *Segment
}

// effect is what the rules of one context that match a product do to it.
type effect struct {
	ctx    int32
	hide   bool
	factor float64 // BOOST factors multiplied, BURY factors divided
	boost  float64 // the largest BOOST factor, credited in the reason
	rule   string  // its rule
}

// cached is one product's effects. The usual one or two are held inline:
// a request reads hundreds of these, mostly cold in the CPU cache, and each
// pointer followed is a memory access.
type cached struct {
	p      *shop.Product
	n      int32
	inline [2]effect
	more   []effect
}

func newCached(p *shop.Product, effs []effect) *cached {
	c := &cached{p: p, n: int32(len(effs))}
	if len(effs) <= len(c.inline) {
		copy(c.inline[:], effs)
	} else {
		c.more = effs
	}
	return c
}

func (c *cached) effects() []effect {
	if c.more != nil {
		return c.more
	}
	return c.inline[:c.n]
}

func placementBit(p recommend.Placement) uint8 {
	if i := slices.Index(recommend.Placements, p); i >= 0 {
		return 1 << i
	}
	return 0
}

// Compile builds the index of a rule set; the rules must not change after.
func Compile(rules []Rule) *Index {
	x := &Index{rules: make([]compiled, len(rules)), byID: map[string][]int32{}, byBrand: map[string][]int32{},
		byCat: map[string][]int32{}, byTag: map[string][]int32{}}
	ctxOf := map[string]int32{}
	for i := range rules {
		r := &rules[i]
		c := ruleContext{ruleSet: r.RuleSet, segment: r.Segment}
		for _, p := range r.Placements {
			c.placements |= placementBit(p)
		}
		if r.StartsAt != nil {
			c.start = r.StartsAt.Unix()
		}
		if r.EndsAt != nil {
			c.end = r.EndsAt.Unix()
		}
		key := fmt.Sprintf("%s|%d|%d|%d|%p", c.ruleSet, c.placements, c.start, c.end, c.segment)
		if c.segment == nil {
			key = fmt.Sprintf("%s|%d|%d|%d|-", c.ruleSet, c.placements, c.start, c.end)
		}
		ci, ok := ctxOf[key]
		if !ok {
			ci = int32(len(x.contexts))
			ctxOf[key] = ci
			x.contexts = append(x.contexts, c)
		}
		x.rules[i] = compiled{r: r, ctx: ci}
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

// effects returns what the rules do to p, per context: from the cache (by
// slot), or worked out and cached.
func (x *Index) effects(p *shop.Product, slot int32) []effect {
	if slot >= 0 {
		if cs := x.cache.Load(); cs != nil && int(slot) < len(*cs) {
			if c := (*cs)[slot].Load(); c != nil && c.p == p {
				return c.effects()
			}
		}
	}
	out := x.match(p)
	if slot >= 0 {
		x.store(slot, newCached(p, out))
	}
	return out
}

// store caches one product's effects, growing the slots as needed.
func (x *Index) store(slot int32, c *cached) {
	if cs := x.cache.Load(); cs != nil && int(slot) < len(*cs) {
		(*cs)[slot].Store(c)
		return
	}
	x.cacheMu.Lock()
	defer x.cacheMu.Unlock()
	cs := x.cache.Load()
	if cs == nil || int(slot) >= len(*cs) {
		n := max(1024, 2*int(slot)+1)
		grown := make([]atomic.Pointer[cached], n)
		if cs != nil {
			for i := range *cs {
				grown[i].Store((*cs)[i].Load())
			}
		}
		cs = &grown
		x.cache.Store(cs)
	}
	(*cs)[slot].Store(c)
}

// match works out what the rules do to p, per context.
func (x *Index) match(p *shop.Product) []effect {
	var matched []int32
	visit := func(list []int32) {
		for _, k := range list {
			if !slices.Contains(matched, k) && x.rules[k].r.Condition.Matches(p) {
				matched = append(matched, k)
			}
		}
	}
	visit(x.byID[p.ID])
	if len(x.byBrand) > 0 && p.Brand != "" {
		visit(x.byBrand[strings.ToLower(p.Brand)])
	}
	if len(x.byCat) > 0 {
		cat := p.Category
		for i := 0; i <= len(cat); i++ {
			if i == len(cat) || cat[i] == '/' {
				visit(x.byCat[cat[:i]])
			}
		}
	}
	if len(x.byTag) > 0 {
		for _, t := range p.Tags {
			visit(x.byTag[strings.ToLower(t)])
		}
	}
	visit(x.rest)
	var out []effect
	for _, k := range matched {
		c := &x.rules[k]
		i := slices.IndexFunc(out, func(e effect) bool { return e.ctx == c.ctx })
		if i < 0 {
			i = len(out)
			out = append(out, effect{ctx: c.ctx, factor: 1})
		}
		e := &out[i]
		switch c.r.Action {
		case ActionHide:
			e.hide = true
		case ActionBoost:
			e.factor *= *c.r.Factor
			if f := *c.r.Factor; f > e.boost || f == e.boost && c.r.ID < e.rule {
				e.boost, e.rule = f, c.r.ID
			}
		case ActionBury:
			e.factor /= *c.r.Factor
		}
	}
	return out
}

// Active implements recommend.Merchandising. Which contexts are in force
// is decided lazily, when a candidate meets one, and remembered for the
// request.
func (x *Index) Active(req recommend.MerchRequest) recommend.MerchPlan {
	if len(x.rules) == 0 {
		return nil
	}
	return &plan{x: x, req: req, bit: placementBit(req.Placement), state: make([]uint8, len(x.contexts))}
}

// MaxCombinedFactor bounds what all the BOOST (or BURY) rules on one item
// do together. Each rule's factor is at most MaxFactor, but a product
// matching ~100 boosts of 1000 had a factor of +Inf (and with buries that
// underflowed to 0, NaN): scores that sort wrongly and that GraphQL cannot
// encode, so every list holding the item failed.
const MaxCombinedFactor = 1e12

// factorScale renormalises the running product of factors (see Adjust).
const factorScale = 1e100

// plan is one request's view of the index.
type plan struct {
	x     *Index
	req   recommend.MerchRequest
	bit   uint8
	state []uint8 // per context: 0 undecided, stateYes, stateNo
}

const (
	stateYes = 1
	stateNo  = 2
)

// inForce reports whether context ci applies to this request: its rule
// set, placement, time window and segment.
func (pl *plan) inForce(ci int32) bool {
	switch pl.state[ci] {
	case stateYes:
		return true
	case stateNo:
		return false
	}
	c := &pl.x.contexts[ci]
	ok := (c.ruleSet == "" || slices.Contains(pl.req.RuleSets, c.ruleSet)) &&
		(c.placements == 0 || c.placements&pl.bit != 0) &&
		(c.start == 0 || pl.req.Now >= c.start) && (c.end == 0 || pl.req.Now < c.end) &&
		(c.segment == nil || c.segment.Matches(pl.req.User))
	pl.state[ci] = stateNo
	if ok {
		pl.state[ci] = stateYes
	}
	return ok
}

// Adjust implements recommend.MerchPlan: several rules combine (factors
// multiply; HIDE wins); the boost credited is the largest, and only when
// the item ends up raised.
func (pl *plan) Adjust(p *shop.Product, slot int32) (hide bool, factor float64, ruleID string) {
	factor = 1
	var boost float64
	scale := 0 // factor is factor × factorScale^scale, so no product overflows
	for _, e := range pl.x.effects(p, slot) {
		if !pl.inForce(e.ctx) {
			continue
		}
		if e.hide {
			return true, 0, ""
		}
		factor *= e.factor
		if factor > factorScale {
			factor, scale = factor/factorScale, scale+1
		} else if factor < 1/factorScale {
			factor, scale = factor*factorScale, scale-1
		}
		if e.boost > boost || e.boost == boost && e.rule < ruleID {
			boost, ruleID = e.boost, e.rule
		}
	}
	if scale != 0 {
		factor *= math.Pow(factorScale, float64(max(-2, min(2, scale))))
	}
	factor = min(max(factor, 1/MaxCombinedFactor), MaxCombinedFactor)
	if factor <= 1 {
		ruleID = "" // buried more than boosted: no "recommended by the shop"
	}
	return false, factor, ruleID
}

// Pins implements recommend.MerchPlan.
func (pl *plan) Pins() []recommend.Pin {
	var out []recommend.Pin
	for _, k := range pl.x.pins {
		c := &pl.x.rules[k]
		if !pl.inForce(c.ctx) {
			continue
		}
		out = append(out, recommend.Pin{Position: *c.r.Position, RuleID: c.r.ID, ProductIDs: c.r.Condition.ProductIDs, Matches: c.r.Condition.Matches})
	}
	return out
}
