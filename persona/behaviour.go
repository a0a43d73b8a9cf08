package persona

import (
	"slices"
	"sort"

	"github.com/shopmuse/shopmuse/shop"
)

// behaviourWeights say how much each kind of interaction tells about what a
// user cares for: a purchase far more than a glance.
var behaviourWeights = map[shop.InteractionKind]float64{
	shop.KindView: 1, shop.KindClick: 2, shop.KindLike: 3, shop.KindAddToCart: 4, shop.KindPurchase: 6, shop.KindRate: 3,
}

// BehaviourFrom summarises a user's recent interactions (newest first) for
// FromUser: the top-level categories they engage with most, the median price
// of what they bought, and the titles of what they viewed last. product looks
// up a product by ID (nil when it is gone).
func BehaviourFrom(events []shop.Interaction, product func(id string) *shop.Product) Behaviour {
	var b Behaviour
	weight := map[string]float64{}
	var prices []shop.Decimal
	for _, ev := range events {
		p := product(ev.ProductID)
		if p == nil {
			continue
		}
		weight[p.TopCategory()] += behaviourWeights[ev.Kind]
		if ev.Kind == shop.KindPurchase {
			prices = append(prices, p.Price.Amount)
		}
		if (ev.Kind == shop.KindView || ev.Kind == shop.KindClick) && len(b.RecentViews) < 5 && !slices.Contains(b.RecentViews, p.Title) {
			b.RecentViews = append(b.RecentViews, p.Title)
		}
	}
	for c := range weight {
		b.TopCategories = append(b.TopCategories, c)
	}
	sort.Slice(b.TopCategories, func(i, j int) bool {
		ci, cj := b.TopCategories[i], b.TopCategories[j]
		if weight[ci] != weight[cj] {
			return weight[ci] > weight[cj]
		}
		return ci < cj
	})
	if len(b.TopCategories) > 3 {
		b.TopCategories = b.TopCategories[:3]
	}
	if len(prices) > 0 {
		slices.Sort(prices)
		m := prices[len(prices)/2]
		b.MedianPurchase = &m
	}
	return b
}
