package recommend

import (
	"context"
	"fmt"
	"slices"

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
	// minRebuys such repeats: a durable bought twice by a few shoppers (a
	// gift, a replacement) stays a durable.
	minRebuyShare = 0.1
	minRebuys     = 5
	// An item is due again once dueFraction of its category's typical
	// interval has passed since the shopper last bought it.
	dueFraction = 0.8
	// Repeats sooner than this are one order split in two, not a re-buy.
	minRebuyGap = 24 * 3600
)

// rebuyModel is, per top-level category, the typical days between a
// shopper's purchases of the same item.
type rebuyModel struct {
	interval map[string]float64 // median days between repeat purchases
	share    map[string]float64 // repeat purchases / purchases
	repeats  map[string]int
}

// rebuyCounter counts, per top category, purchases and the gaps between a
// shopper's purchases of the same item; fed one shopper at a time.
type rebuyCounter struct {
	gaps map[string][]float64
	buys map[string]int
	last map[int32]int64 // the current shopper's last purchase per item
}

func newRebuyCounter() *rebuyCounter {
	return &rebuyCounter{gaps: map[string][]float64{}, buys: map[string]int{}, last: map[int32]int64{}}
}

// nextUser starts a new shopper.
func (c *rebuyCounter) nextUser() { clear(c.last) }

// purchase counts the current shopper's purchase of item (of category cat)
// at t (unix seconds); purchases come in time order.
func (c *rebuyCounter) purchase(item int32, cat string, t int64) {
	c.buys[cat]++
	if prev, ok := c.last[item]; ok && t-prev >= minRebuyGap {
		c.gaps[cat] = append(c.gaps[cat], float64(t-prev)/86400)
	}
	c.last[item] = t
}

func (c *rebuyCounter) model() *rebuyModel {
	m := &rebuyModel{interval: map[string]float64{}, share: map[string]float64{}, repeats: map[string]int{}}
	for cat, g := range c.gaps {
		slices.Sort(g)
		m.interval[cat] = g[len(g)/2]
		m.share[cat] = float64(len(g)) / float64(c.buys[cat])
		m.repeats[cat] = len(g)
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
				cat = p.TopCategory()
			}
			c.purchase(ev.item, cat, ev.t)
		}
		d.mu.RUnlock()
	}
	return c.model(), nil
}

// ConsumableCategories returns the top-level categories whose items shoppers
// buy again, by the rule the engine applies (a purchase of a durable leaves
// the recommendations for good; a consumable's comes back when due).
// Offline evaluation uses it so its "purchased" exclusion is the service's.
func ConsumableCategories(its []shop.Interaction, topCategory func(productID string) string) map[string]bool {
	byUser := map[string][]int{}
	for i := range its {
		if its[i].Kind == shop.KindPurchase {
			byUser[its[i].UserID] = append(byUser[its[i].UserID], i)
		}
	}
	c := newRebuyCounter()
	items := map[string]int32{}
	for _, idx := range byUser {
		slices.SortStableFunc(idx, func(a, b int) int { return its[a].OccurredAt.Compare(its[b].OccurredAt) })
		c.nextUser()
		for _, i := range idx {
			id := its[i].ProductID
			n, ok := items[id]
			if !ok {
				n = int32(len(items))
				items[id] = n
			}
			c.purchase(n, topCategory(id), its[i].OccurredAt.Unix())
		}
	}
	m := c.model()
	out := map[string]bool{}
	for cat := range m.interval {
		if m.consumable(cat) {
			out[cat] = true
		}
	}
	return out
}

// consumable reports whether shoppers of the category buy the same item again.
func (m *rebuyModel) consumable(cat string) bool {
	return m != nil && m.repeats[cat] >= minRebuys && m.share[cat] >= minRebuyShare
}

// due reports whether an item of the category bought elapsedDays ago is
// due to be bought again.
func (m *rebuyModel) due(cat string, elapsedDays float64) bool {
	return m.consumable(cat) && elapsedDays >= dueFraction*m.interval[cat]
}
