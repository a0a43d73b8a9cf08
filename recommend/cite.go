package recommend

import (
	"slices"

	"github.com/shopmuse/shopmuse/shop"
)

// A "because you bought X" reason is believed only when X plainly relates
// to what it explains. A reason cites the history item that contributed
// most to the recommendation, and only when their similarity clears a
// floor learned from the model itself: within a top-level category the
// weakest tenth of neighbour links do not count, and across top-level
// categories (coffee → a shirt) only the strongest 3% do, the
// co-purchase signals a shopper would recognise. Otherwise the reason
// falls back to the category the shopper frequents ("你常逛运动户外").
const (
	citeSameQuantile  = 0.1
	citeCrossQuantile = 0.97
)

// citeFloors are the similarity floors of one neighbour table.
type citeFloors struct{ same, cross float32 }

// floorsOf learns the floors of a neighbour table from its links.
func floorsOf(ids []string, table [][]nbr, topOf func(id string) string) citeFloors {
	var same, cross []float32
	for i, nbs := range table {
		ti := topOf(ids[i])
		for _, n := range nbs {
			if topOf(ids[n.j]) == ti {
				same = append(same, n.s)
			} else {
				cross = append(cross, n.s)
			}
		}
	}
	q := func(v []float32, at float64) float32 {
		if len(v) == 0 {
			return 0
		}
		slices.Sort(v)
		return v[min(len(v)-1, int(at*float64(len(v))))]
	}
	return citeFloors{same: q(same, citeSameQuantile), cross: q(cross, citeCrossQuantile)}
}

// setCiteFloors learns the floors of the item-CF and session tables, at
// Train and Restore (they are not persisted).
func (m *cfModel) setCiteFloors(d *Dataset) {
	if m == nil {
		return
	}
	topOf := func(id string) string {
		if p, ok := d.Product(id); ok {
			return p.TopCategory()
		}
		return ""
	}
	m.cite = floorsOf(m.ids, m.nbr, topOf)
	m.citeNext = floorsOf(m.ids, m.next, topOf)
}

// cites reports whether a history item of top-level category from may be
// cited for an item of category to at similarity sim.
func (f citeFloors) cites(from, to string, sim float32) bool {
	if from == to {
		return sim >= f.same
	}
	return sim >= f.cross
}

// categoryReason explains by the category the shopper frequents.
func categoryReason(lang shop.Language, top string) Reason {
	return Reason{Kind: ReasonCategory, Message: pick(lang, "你常逛"+top, "You often browse "+top)}
}

// fallbackReason is the reason of an item whose strongest contributor is
// too weakly related to cite: the candidate's category when the shopper
// frequents it, else their taste.
func (e *Engine) fallbackReason(q *Query, itemID string) Reason {
	if p, ok := e.ds.Product(itemID); ok && q.affinity[p.TopCategory()] > 0 {
		return categoryReason(q.Language, p.TopCategory())
	}
	return mfReason(q.Language)
}

// cfFloors are the item-CF floors; before the first training (real-time
// links only) every link may be cited.
func cfFloors(cf *cfModel) citeFloors {
	if cf == nil {
		return citeFloors{}
	}
	return cf.cite
}

// topCategory is an item's top-level category ("" when unknown).
func (e *Engine) topCategory(id string) string {
	if p, ok := e.ds.Product(id); ok {
		return p.TopCategory()
	}
	return ""
}

// ReasonAgreement checks the item-CF reasons of recs (Recommend's answer
// for userID) against an independent recount: for each reason citing a
// history item X for item Y, is X the history item contributing most to
// Y's item-CF score? It returns how many cited reasons agree, of how many.
// eval reports the share.
func (e *Engine) ReasonAgreement(userID string, recs []Recommendation) (agree, cited int) {
	cf := e.models.Load().cf
	if cf == nil {
		return 0, 0
	}
	uv := e.ds.view(userID, e.cfg.Now().Unix())
	hist := uv.items[:min(len(uv.items), e.cfg.CFHistory)]
	for _, r := range recs {
		for _, rs := range r.Reasons {
			if rs.Kind != ReasonItemCF || rs.RelatedItemID == "" {
				continue
			}
			cited++
			best, bestID := 0.0, ""
			for _, h := range hist {
				i, ok := cf.idx[h.id]
				if !ok {
					continue
				}
				w := float64(confidence(float32(h.strength)))
				for _, nb := range cf.nbr[i] {
					if cf.ids[nb.j] == r.ItemID && w*float64(nb.s) > best {
						best, bestID = w*float64(nb.s), h.id
					}
				}
			}
			if bestID == rs.RelatedItemID {
				agree++
			}
		}
	}
	return agree, cited
}
