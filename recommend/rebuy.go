package recommend

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/shopmuse/shopmuse/shop"
)

// Which categories shoppers buy again, and after how long, learned from the
// data at Train and Restore (like the repeat model, it is a pass over the
// event log the dataset already holds, so it is not persisted). A purchase
// leaves the shopper's recommendations for good when its category is a
// durable one, and comes back, with BUY_AGAIN, when a consumable is due.
const (
	// A category is a consumable when at least minRebuyShare of its
	// purchases are a shopper buying the same item again, over at least
	// minRebuys such repeats by at least minRebuyers shoppers: a durable
	// bought twice by a few shoppers (a gift, a replacement) stays one.
	minRebuyShare = 0.2
	minRebuys     = 5
	minRebuyers   = 5
	// A leaf category (数码/手机) is judged on its own purchases once it has
	// minLeafBuys of them; a thinner one by its top-level category (数码).
	minLeafBuys = 20
	// An item is due again once dueFraction of its category's typical
	// interval has passed since the shopper last bought it.
	dueFraction = 0.8
	// Repeats sooner than this are one order split in two, not a re-buy.
	minRebuyGap = 24 * 3600
)

// rebuyModel is, per category (leaf paths and top-level names), how often
// shoppers buy the same item again and after how many days.
type rebuyModel struct {
	stats map[string]rebuyStats
}

type rebuyStats struct {
	buys, repeats, rebuyers int
	interval                float64 // median days between repeat purchases
}

// rebuyCounter counts, per category, purchases and the gaps between a
// shopper's purchases of the same item; fed one shopper at a time.
type rebuyCounter struct {
	gaps     map[string][]float64
	buys     map[string]int
	rebuyers map[string]map[int]bool
	user     int
	last     map[int32]int64 // the current shopper's last purchase per item
}

func newRebuyCounter() *rebuyCounter {
	return &rebuyCounter{gaps: map[string][]float64{}, buys: map[string]int{}, rebuyers: map[string]map[int]bool{},
		last: map[int32]int64{}}
}

// nextUser starts a new shopper.
func (c *rebuyCounter) nextUser() {
	c.user++
	clear(c.last)
}

// purchase counts the current shopper's purchase of item, of category path
// category, at t (unix seconds); purchases come in time order. It counts
// for the leaf and for the top-level category.
func (c *rebuyCounter) purchase(item int32, category string, t int64) {
	prev, seen := c.last[item]
	c.last[item] = t
	keys := []string{category}
	if top, _, nested := strings.Cut(category, "/"); nested {
		keys = append(keys, top)
	}
	for _, k := range keys {
		c.buys[k]++
		if seen && t-prev >= minRebuyGap {
			c.gaps[k] = append(c.gaps[k], float64(t-prev)/86400)
			if c.rebuyers[k] == nil {
				c.rebuyers[k] = map[int]bool{}
			}
			c.rebuyers[k][c.user] = true
		}
	}
}

func (c *rebuyCounter) model() *rebuyModel {
	m := &rebuyModel{stats: map[string]rebuyStats{}}
	for k, n := range c.buys {
		st := rebuyStats{buys: n, repeats: len(c.gaps[k]), rebuyers: len(c.rebuyers[k])}
		if g := c.gaps[k]; len(g) > 0 {
			slices.Sort(g)
			st.interval = g[len(g)/2]
		}
		m.stats[k] = st
	}
	return m
}

// learnRebuy measures re-purchase intervals over every user's events.
func (d *Dataset) learnRebuy(ctx context.Context) (*rebuyModel, error) {
	buy := uint8(shop.KindPurchase.Code())
	c := newRebuyCounter()
	d.mu.RLock()
	n := len(d.users)
	d.mu.RUnlock()
	for u := 0; u < n; u++ {
		if u%1024 == 0 && ctx.Err() != nil {
			return nil, fmt.Errorf("recommend: learn re-purchases: %w", ctx.Err())
		}
		c.nextUser()
		d.mu.RLock()
		for _, ev := range d.users[u].events {
			if ev.kind != buy {
				continue
			}
			cat := ""
			if p := d.items[ev.item].product; p != nil {
				cat = p.Category
			}
			c.purchase(ev.item, cat, ev.t)
		}
		d.mu.RUnlock()
	}
	return c.model(), nil
}

// ConsumableItems says which products are in a category whose items
// shoppers buy again, by the rule the engine applies (a purchase of a
// durable leaves the recommendations for good; a consumable's comes back
// when due). Offline evaluation uses it so that its "purchased" exclusion
// is the service's.
func ConsumableItems(its []shop.Interaction, categoryOf func(productID string) string) func(productID string) bool {
	byUser := map[string][]int{}
	for i := range its {
		if its[i].Kind == shop.KindPurchase {
			byUser[its[i].UserID] = append(byUser[its[i].UserID], i)
		}
	}
	c := newRebuyCounter()
	items := map[string]int32{}
	for _, u := range slices.Sorted(maps.Keys(byUser)) {
		idx := byUser[u]
		slices.SortStableFunc(idx, func(a, b int) int { return its[a].OccurredAt.Compare(its[b].OccurredAt) })
		c.nextUser()
		for _, i := range idx {
			id := its[i].ProductID
			n, ok := items[id]
			if !ok {
				n = int32(len(items))
				items[id] = n
			}
			c.purchase(n, categoryOf(id), its[i].OccurredAt.Unix())
		}
	}
	m := c.model()
	return func(id string) bool { return m.consumable(categoryOf(id)) }
}

// of returns the statistics that judge a category: its own once it has
// enough purchases, else its top-level category's.
func (m *rebuyModel) of(category string) rebuyStats {
	if st := m.stats[category]; st.buys >= minLeafBuys {
		return st
	}
	top, _, _ := strings.Cut(category, "/")
	return m.stats[top]
}

// consumable reports whether shoppers of the category buy the same item again.
func (m *rebuyModel) consumable(category string) bool {
	if m == nil {
		return false
	}
	st := m.of(category)
	return st.repeats >= minRebuys && st.rebuyers >= minRebuyers && float64(st.repeats) >= minRebuyShare*float64(st.buys)
}

// due reports whether an item of the category bought elapsedDays ago is
// due to be bought again.
func (m *rebuyModel) due(category string, elapsedDays float64) bool {
	return m.consumable(category) && elapsedDays >= dueFraction*m.of(category).interval
}

// purchases is how many purchases the model was learnt from.
func (m *rebuyModel) purchases() int {
	n := 0
	for k, st := range m.stats {
		if !strings.Contains(k, "/") {
			n += st.buys
		}
	}
	return n
}
