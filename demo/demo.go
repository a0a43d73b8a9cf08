// Package demo generates the deterministic demo shop the service loads on
// first start: a bilingual catalogue built from per-category templates,
// users drawn from shopper archetypes, and 90 days of simulated behaviour;
// plus labelled search queries for evaluating search over that shop.
//
// Category paths and tags are Chinese for every product, English ones
// included: they are shared filter keys, so 数码/手机 finds phones in both
// languages. English products additionally carry English tags, and their
// title, description, brand, attributes and promotion are English.
package demo

import (
	"math/rand/v2"
	"time"

	"github.com/shopmuse/shopmuse/shop"
)

// Shop is the demo data as inputs, ready for upsertProducts, upsertUsers and
// recordInteractions (in that order: interactions reference both).
type Shop struct {
	Products     []shop.ProductInput
	Users        []shop.UserInput
	Interactions []shop.InteractionInput
}

// Generate builds the demo shop. The catalogue and users are the same for
// every now; interactions are spread over the 90 days before now (truncated
// to the second), none after it. The same now always gives the same shop.
func Generate(now time.Time) Shop {
	now = now.UTC().Truncate(time.Second)
	products := catalogue()
	rng := rand.New(rand.NewPCG(behaviourSeed1, behaviourSeed2))
	us, ps := users(rng)
	its, bySub, subsOfTop := items(rng, products)
	return Shop{
		Products:     products,
		Users:        us,
		Interactions: behaviour(rng, now, us, ps, its, bySub, subsOfTop),
	}
}
