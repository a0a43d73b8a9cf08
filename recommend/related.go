package recommend

import (
	"context"
	"fmt"

	"github.com/shopmuse/shopmuse/shop"
)

// Intent selects what Related returns.
type Intent string

const (
	// IntentRelated: alternatives to the item (similar content, co-viewed).
	IntentRelated Intent = "RELATED"
	// IntentComplementary: items bought together with it from other
	// top-level categories (a case for a phone, not another phone).
	IntentComplementary Intent = "COMPLEMENTARY"
)

// RelatedRequest asks for items related to one item.
type RelatedRequest struct {
	ItemID   string
	Intent   Intent // default IntentRelated
	N        int    // 1..MaxN; 0 means 10
	Filter   *shop.ProductFilter
	Exclude  []string
	Language shop.Language
	// RuleSets: as Request.RuleSets.
	RuleSets []string
}

// Related returns items related to req.ItemID by req.Intent.
func (e *Engine) Related(ctx context.Context, req RelatedRequest) ([]Recommendation, error) {
	src, ok := e.ds.Product(req.ItemID)
	if !ok {
		return nil, fmt.Errorf("%w: %q", ErrUnknownItem, req.ItemID)
	}
	if req.Intent == "" {
		req.Intent = IntentRelated
	}
	if req.Intent != IntentRelated && req.Intent != IntentComplementary {
		return nil, fmt.Errorf("recommend: unknown intent %q", req.Intent)
	}
	q, err := e.query(&Request{N: req.N, Filter: req.Filter, Exclude: req.Exclude, Language: req.Language})
	if err != nil {
		return nil, err
	}
	q.exclude[req.ItemID] = true
	// No placement and no shopper: only rules without placements or
	// segments apply to a product's page.
	q.merch = e.merchPlan(q, "", req.RuleSets)
	title := src.Title
	if title == "" {
		title = src.ID
	}
	lists := map[string][]Candidate{}
	weights := map[string]float64{}
	cf := e.models.Load().cf
	neighbours := func(buy bool, otherCategory bool, reason Reason) []Candidate {
		var out []Candidate
		add := func(id string, s float64) {
			if s <= 0 || !e.allowed(q, id) {
				return
			}
			if otherCategory {
				p, ok := e.ds.Product(id)
				if !ok || p.TopCategory() == src.TopCategory() {
					return
				}
			}
			out = append(out, Candidate{ItemID: id, Score: s, Reason: reason})
		}
		if cf != nil {
			if i, ok := cf.idx[req.ItemID]; ok {
				list := cf.nbr[i]
				if buy {
					list = cf.buy[i]
				}
				for _, nb := range list {
					add(cf.ids[nb.j], float64(nb.s))
				}
			}
		}
		if !buy { // real-time co-views
			ov := e.overlay.Load()
			for _, o := range []*cfOverlay{ov.cur, ov.prev} {
				if o == nil {
					continue
				}
				o.mu.RLock()
				o.neighbours(req.ItemID, func(j string, s float32) { add(j, float64(s)) })
				o.mu.RUnlock()
			}
		}
		return dedupeBest(sortCandidates(out))
	}
	switch req.Intent {
	case IntentRelated:
		lists[RetrieverContent] = e.similarItems(ctx, q, req.ItemID, similarReason(q.Language, req.ItemID, title))
		lists[RetrieverItemCF] = neighbours(false, false, coViewedReason(q.Language, req.ItemID, title))
		weights[RetrieverContent], weights[RetrieverItemCF] = 1, 1
	case IntentComplementary:
		// Co-purchases lead; co-views across categories fill in when
		// purchases are too sparse.
		lists[RetrieverItemCF] = neighbours(true, true, complementaryReason(q.Language, req.ItemID, title))
		lists[RetrieverMF] = neighbours(false, true, coViewedReason(q.Language, req.ItemID, title))
		weights[RetrieverItemCF], weights[RetrieverMF] = 1, 0.5
	}
	merged, rescored := e.merchAdjust(q.merch, e.blend(lists, weights), nil)
	if rescored {
		sortBlended(merged)
	}
	pinned, pos, merged := e.merchPins(q.merch, merged, q.N, true, func(id string) bool { return e.allowed(q, id) })
	chosen := make([]blended, 0, q.N)
	for _, m := range merged {
		if len(chosen) == q.N-len(pinned) {
			break
		}
		if e.allowed(q, m.ItemID) {
			chosen = append(chosen, m)
		}
	}
	chosen = placePins(chosen, pinned, pos, q.N, blendedScore, setBlendedScore)
	return withMerchReasons(finish(chosen, lists), chosen, q.Language), nil
}

// similarItems is content k-NN around an item's embedding.
func (e *Engine) similarItems(ctx context.Context, q *Query, id string, reason Reason) []Candidate {
	idx := e.deps.Products
	if idx == nil {
		return nil
	}
	v, ok, err := idx.Vector(ctx, id)
	if err != nil || !ok {
		if err != nil {
			e.log.WarnContext(ctx, "similar items: vector lookup failed", "item", id, "err", err)
		}
		return nil
	}
	hits, err := idx.Search(ctx, v, q.retrieveN+1, q.Filter)
	if err != nil {
		e.log.WarnContext(ctx, "similar items: search failed", "item", id, "err", err)
		return nil
	}
	var out []Candidate
	for _, h := range hits {
		if h.Score > 0 && e.allowed(q, h.ID) {
			out = append(out, Candidate{ItemID: h.ID, Score: float64(h.Score), Reason: reason})
		}
	}
	return out
}

// dedupeBest keeps the first (best) candidate per item.
func dedupeBest(cs []Candidate) []Candidate {
	seen := map[string]bool{}
	out := cs[:0]
	for _, c := range cs {
		if !seen[c.ItemID] {
			seen[c.ItemID] = true
			out = append(out, c)
		}
	}
	return out
}
