package recommend

import (
	"context"
	"fmt"
	"math"
	"slices"

	"github.com/shopmuse/shopmuse/shop"
)

// The repeat retriever re-offers items of the shopper's own history — viewed,
// clicked, carted, or bought and perhaps due again — scored by how likely the
// data says each is among the shopper's next carts or purchases. In a shop
// most carts follow a view on an earlier visit, so these items compete with
// the fresh ones of the other retrievers instead of being dropped.
//
// The estimate is learned at training from every user's history: at the start
// of each visit (events more than SessionGap apart), each item the user had
// touched before is one exposure, and a hit when the visit carts or buys it.
// Exposures are bucketed by the item's stage (viewed, clicked, carted,
// bought) and its recency rank among the user's own items — relative to the
// shopper's activity, not the clock, so a shopper back after two months still
// finds their open cart — and bought items by the days since the purchase and
// their category (consumables come back, durables do not). A per-category lift
// corrects the not-bought buckets.

// Stages of an item in a user's history.
const (
	stageViewed = iota
	stageClicked
	stageCarted
	stageBought
	nStages
)

// rankEdges bucket an item's recency rank among the user's distinct items
// (0 = the most recently touched); elapsedEdges the days since a purchase.
var (
	rankEdges    = []int{1, 2, 3, 5, 10, 20, 50}
	elapsedEdges = []float64{3, 7, 14, 21, 30, 45, 60, 90}
)

const (
	nRanks   = 8 // len(rankEdges)+1
	nElapsed = 9 // len(elapsedEdges)+1
	// repeatItems caps the history items considered, at learning and at
	// serving alike (the most recent ones).
	repeatItems = 100
	// repeatPrior is the pseudo-count pulling sparse buckets to their parent.
	repeatPrior = 20.0
	// maxLearnVisits caps the decision points learned from per user.
	maxLearnVisits = 200
)

func bucketOf[T int | float64](edges []T, v T) int {
	for i, e := range edges {
		if v < e {
			return i
		}
	}
	return len(edges)
}

// repeatModel holds the learned probabilities.
type repeatModel struct {
	base    [nStages - 1][nRanks]float64 // not bought: stage × rank
	catLift map[string]float64           // not bought: per top category
	bought  map[string]*[nElapsed]float64
	anyBuy  [nElapsed]float64 // bought, every category
	top     float64           // the largest probability, the blend's unit
	visits  int               // decision points learned from
	// share is the part of the carts and purchases (at visits with a
	// history) that were history items: how much coming back matters.
	share float64
}

// minHistoryShare is the least share of carts and purchases on history
// items for item-CF and MF to score history items (Config.HistoryScoring):
// on data where nobody comes back to an item (ratings of films), they would
// only fill the page with what the user already has.
const minHistoryShare = 0.05

// historyScoring reports whether item-CF and MF may propose history items.
func (e *Engine) historyScoring() bool {
	if !e.cfg.HistoryScoring {
		return false
	}
	m := e.models.Load().repeat
	return m != nil && m.share >= minHistoryShare
}

// size is the model's approximate memory in bytes.
func (m *repeatModel) size() int {
	return 8 * ((nStages-1)*nRanks + nElapsed + 2*len(m.catLift) + (nElapsed+2)*len(m.bought))
}

// histState is one item's state in a user's history at some time.
type histState struct {
	item   int32
	stage  int
	last   int64 // last touch
	bought int64 // last purchase (0: never)
	// again is stageCarted when the shopper carted the item again since
	// the last purchase (a second one, a gift), else -1: a view after a
	// purchase is more often a look at the order than a new intent.
	// Learning ignores it; serving uses it (current).
	again int
}

// current is the item's stage as a shopper sees it now: a bought item
// carted again is in consideration again.
func (st *histState) current() int {
	if st.stage == stageBought && st.again >= 0 {
		return st.again
	}
	return st.stage
}

// stageOf maps an event kind to a stage (-1: no signal of interest).
func stageOf(kind uint8) int {
	k, _ := shop.KindFromCode(kind)
	switch k {
	case shop.KindView, shop.KindRate:
		return stageViewed
	case shop.KindClick, shop.KindLike:
		return stageClicked
	case shop.KindAddToCart:
		return stageCarted
	case shop.KindPurchase:
		return stageBought
	}
	return -1
}

// apply advances st by event ev.
func (st *histState) apply(ev event) {
	s := stageOf(ev.kind)
	if s < 0 {
		return
	}
	st.last = ev.t
	if s == stageBought {
		st.stage, st.bought, st.again = stageBought, ev.t, -1
		return
	}
	if st.stage != stageBought {
		st.stage = max(st.stage, s)
	} else if s == stageCarted {
		st.again = s
	}
}

// ranked returns the states sorted most recent first, capped at n.
func ranked(states map[int32]*histState, n int) []*histState {
	out := make([]*histState, 0, len(states))
	for _, st := range states {
		out = append(out, st)
	}
	slices.SortFunc(out, func(a, b *histState) int {
		if a.last != b.last {
			if a.last > b.last {
				return -1
			}
			return 1
		}
		return int(a.item - b.item)
	})
	return out[:min(len(out), n)]
}

type repeatCounts struct {
	exp, hit [nStages - 1][nRanks]float64
	catExp   map[string]*[nStages - 1][nRanks]float64
	catHit   map[string]float64
	buyExp   map[string]*[nElapsed]float64
	buyHit   map[string]*[nElapsed]float64
	visits   int
	// targets counts the carted or bought items of visits with a history,
	// histHits those that were history items.
	targets, histHits float64
}

// learnRepeat estimates the repeat model from the dataset's events. It
// takes the read lock per user, so ingestion is never held up for long.
func (d *Dataset) learnRepeat(ctx context.Context, gap int64) (*repeatModel, error) {
	c := repeatCounts{catExp: map[string]*[nStages - 1][nRanks]float64{}, catHit: map[string]float64{},
		buyExp: map[string]*[nElapsed]float64{}, buyHit: map[string]*[nElapsed]float64{}}
	d.mu.RLock()
	n := len(d.users)
	d.mu.RUnlock()
	var evs []event
	var cats []string
	for u := 0; u < n; u++ {
		if u%1024 == 0 && ctx.Err() != nil {
			return nil, fmt.Errorf("recommend: learn repeat: %w", ctx.Err())
		}
		d.mu.RLock()
		// The most recent events, as a request sees them (userView).
		all := d.users[u].events
		evs = append(evs[:0], all[max(0, len(all)-maxViewEvents):]...)
		if len(cats) < len(d.items) {
			for i := len(cats); i < len(d.items); i++ {
				cat := ""
				if p := d.items[i].product; p != nil {
					cat = p.TopCategory()
				}
				cats = append(cats, cat)
			}
		}
		d.mu.RUnlock()
		c.user(evs, cats, gap)
	}
	return c.model(), nil
}

// user adds one user's decision points: the start of each visit after the
// first, with the visit's carts and purchases as the hits.
func (c *repeatCounts) user(evs []event, cats []string, gap int64) {
	cart, buy := uint8(shop.KindAddToCart.Code()), uint8(shop.KindPurchase.Code())
	states := map[int32]*histState{}
	var order []*histState // most recently touched first, as ranked sorts
	// Only the last maxLearnVisits visits are decision points, which bounds
	// the cost of heavy users (each visit ranks the history).
	visits := 0
	for k := 1; k < len(evs); k++ {
		if evs[k].t-evs[k-1].t >= gap {
			visits++
		}
	}
	for start := 0; start < len(evs); {
		end := start + 1
		for end < len(evs) && evs[end].t-evs[end-1].t < gap {
			end++
		}
		if len(states) > 0 && visits <= maxLearnVisits {
			hits := map[int32]bool{}
			for _, ev := range evs[start:end] {
				if ev.kind == cart || ev.kind == buy {
					hits[ev.item] = true
				}
			}
			now := evs[start].t
			c.visits++
			top := order[:min(len(order), repeatItems)]
			c.targets += float64(len(hits))
			for it := range hits {
				if states[it] != nil {
					c.histHits++
				}
			}
			for r, st := range top {
				hit := 0.0
				if hits[st.item] {
					hit = 1
				}
				cat := cats[st.item]
				if st.stage == stageBought {
					b := bucketOf(elapsedEdges, float64(now-st.bought)/86400)
					if c.buyExp[cat] == nil {
						c.buyExp[cat], c.buyHit[cat] = &[nElapsed]float64{}, &[nElapsed]float64{}
					}
					c.buyExp[cat][b]++
					c.buyHit[cat][b] += hit
					continue
				}
				b := bucketOf(rankEdges, r)
				c.exp[st.stage][b]++
				c.hit[st.stage][b] += hit
				if c.catExp[cat] == nil {
					c.catExp[cat] = &[nStages - 1][nRanks]float64{}
				}
				c.catExp[cat][st.stage][b]++
				c.catHit[cat] += hit
			}
		}
		if start > 0 {
			visits--
		}
		for _, ev := range evs[start:end] {
			st := states[ev.item]
			if st == nil {
				st = &histState{item: ev.item}
				states[ev.item] = st
				order = append(order, st)
			}
			st.apply(ev)
			if st.last == ev.t { // touched: move to the front of the recency order
				k := slices.Index(order, st)
				copy(order[1:k+1], order[:k])
				order[0] = st
			}
		}
		start = end
	}
}

// model turns the counts into smoothed probabilities: each bucket is pulled
// towards its parent (the stage's overall rate, every category's rate) by
// repeatPrior pseudo-exposures.
func (c *repeatCounts) model() *repeatModel {
	m := &repeatModel{catLift: map[string]float64{}, bought: map[string]*[nElapsed]float64{}, visits: c.visits,
		share: c.histHits / max(c.targets, 1)}
	for s := range nStages - 1 {
		var e, h float64
		for b := range nRanks {
			e += c.exp[s][b]
			h += c.hit[s][b]
		}
		parent := h / max(e, 1)
		for b := range nRanks {
			m.base[s][b] = (c.hit[s][b] + repeatPrior*parent) / (c.exp[s][b] + repeatPrior)
			m.top = math.Max(m.top, m.base[s][b])
		}
	}
	for cat, exp := range c.catExp {
		var expected float64
		for s := range nStages - 1 {
			for b := range nRanks {
				expected += exp[s][b] * m.base[s][b]
			}
		}
		m.catLift[cat] = (c.catHit[cat] + repeatPrior*0.1) / (expected + repeatPrior*0.1)
	}
	var allExp, allHit [nElapsed]float64
	for cat := range c.buyExp {
		for b := range nElapsed {
			allExp[b] += c.buyExp[cat][b]
			allHit[b] += c.buyHit[cat][b]
		}
	}
	for b := range nElapsed {
		m.anyBuy[b] = allHit[b] / max(allExp[b], 1)
	}
	for cat := range c.buyExp {
		p := &[nElapsed]float64{}
		for b := range nElapsed {
			p[b] = (c.buyHit[cat][b] + repeatPrior*m.anyBuy[b]) / (c.buyExp[cat][b] + repeatPrior)
			m.top = math.Max(m.top, p[b])
		}
		m.bought[cat] = p
	}
	return m
}

// prob is the estimated chance that an item in state st, at recency rank r,
// of category cat, is among the shopper's next carts or purchases.
func (m *repeatModel) prob(st *histState, r int, cat string, now int64) float64 {
	if st.stage == stageBought {
		b := bucketOf(elapsedEdges, float64(now-st.bought)/86400)
		if p := m.bought[cat]; p != nil {
			return p[b]
		}
		return m.anyBuy[b]
	}
	p := m.base[st.stage][bucketOf(rankEdges, r)]
	if l, ok := m.catLift[cat]; ok {
		p *= l
	}
	return math.Min(p, 1)
}

type repeatRetriever struct{ e *Engine }

func (repeatRetriever) Name() string { return RetrieverRepeat }

// Retrieve scores the user's history items; a candidate's Score is its
// estimated probability divided by the model's largest, so the blend adds
// weight × Score: calibrated across items, not by rank.
func (r repeatRetriever) Retrieve(_ context.Context, q *Query) []Candidate {
	e := r.e
	m := e.models.Load().repeat
	if m == nil || m.top <= 0 || len(q.user.events) == 0 {
		return nil
	}
	list, ids, prods := e.historyStates(q)
	out := make([]Candidate, 0, len(list))
	for i, st := range list {
		if prods[i] == nil || !e.allowed(q, ids[i]) {
			continue
		}
		cur := *st
		cur.stage = st.current()
		p := m.prob(&cur, i, prods[i].TopCategory(), q.now)
		if p <= 0 {
			continue
		}
		var reason Reason
		switch cur.stage {
		case stageBought:
			reason = rebuyReason(q.Language, daysSince(q.now, st.bought))
		case stageCarted:
			reason = seenReason(q.Language, true)
		default:
			reason = seenReason(q.Language, false)
		}
		out = append(out, Candidate{ItemID: ids[i], Score: p / m.top, Reason: reason})
	}
	out = sortCandidates(out)
	return out[:min(len(out), q.retrieveN)]
}

// historyStates returns the shopper's history items, most recent first
// (capped at repeatItems), with their state, IDs and products (nil when no
// longer in the catalogue): query's one walk of the history.
func (e *Engine) historyStates(q *Query) ([]*histState, []string, []*shop.Product) {
	n := min(len(q.hist), repeatItems)
	return q.hist[:n], q.histIDs[:n], q.histProds[:n]
}

// walkHistory builds every history item's state from the user's events,
// most recent first, with IDs and products.
func (e *Engine) walkHistory(uv *userView) ([]*histState, []string, []*shop.Product) {
	states := map[int32]*histState{}
	for _, ev := range uv.events {
		st := states[ev.item]
		if st == nil {
			st = &histState{item: ev.item, again: -1}
			states[ev.item] = st
		}
		st.apply(ev)
	}
	list := ranked(states, len(states))
	ids := make([]string, len(list))
	for i, st := range list {
		ids[i] = uv.itemIDs[st.item]
	}
	return list, ids, e.ds.products(ids)
}
