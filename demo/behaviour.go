package demo

import (
	"cmp"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/shopmuse/shopmuse/shop"
)

// Window is how far back the demo history reaches.
const Window = 90 * 24 * time.Hour

// item is what the behaviour model needs to know about a product.
type item struct {
	id         string
	top, sub   string
	english    bool
	available  bool
	tags       []string
	pricePct   float64 // price percentile within the sub-category, 0 … 1
	pop        float64 // latent popularity, long-tailed
	consumable bool    // bought again and again (food, diapers, formula)
}

func items(rng *rand.Rand, products []shop.ProductInput) ([]item, map[string][]int, map[string][]string) {
	its := make([]item, len(products))
	bySub := map[string][]int{}
	subsOfTop := map[string][]string{}
	for i, p := range products {
		top, _, _ := strings.Cut(p.Category, "/")
		its[i] = item{
			id: p.ID, top: top, sub: p.Category,
			english:    *p.Language == shop.LanguageEN,
			available:  p.Available == nil || *p.Available,
			tags:       p.Tags,
			consumable: top == "食品" || p.Category == "母婴/奶粉" || p.Category == "母婴/纸尿裤",
		}
		if len(bySub[p.Category]) == 0 {
			subsOfTop[top] = append(subsOfTop[top], p.Category)
		}
		bySub[p.Category] = append(bySub[p.Category], i)
	}
	for _, idx := range bySub {
		sorted := append([]int(nil), idx...)
		sort.SliceStable(sorted, func(a, b int) bool {
			return products[sorted[a]].Price.Amount < products[sorted[b]].Price.Amount
		})
		for r, i := range sorted {
			its[i].pricePct = (float64(r) + 0.5) / float64(len(sorted))
		}
	}
	// Popularity follows a Zipf-like curve over a random ranking of the whole
	// catalogue: a few products draw most of the attention, most draw little.
	for r, i := range rng.Perm(len(its)) {
		its[i].pop = 1 / math.Pow(float64(r+1), 1.1)
	}
	return its, bySub, subsOfTop
}

// topCategories is the fixed order of top-level categories; iterating a map
// would make the output depend on Go's map order.
var topCategories = []string{"数码", "家电", "美妆", "服饰", "运动户外", "食品", "母婴", "家居"}

// event is a compact interaction; the inputs are built once at the end so the
// time sort moves small values.
type event struct {
	at            int64 // Unix seconds
	user, product int32
	kind          int8 // index into shop.InteractionKinds
	rating        int8 // for RATE
}

type recorder struct {
	now, earliest int64
	seen          map[event]bool
	out           []event
}

// add records an event unless it would lie in the future or outside the
// window, or repeat an identical event.
func (r *recorder) add(user, product int, kind shop.InteractionKind, at time.Time, rating int8) bool {
	e := event{at: at.Unix(), user: int32(user), product: int32(product), kind: int8(kind.Code()), rating: rating}
	if e.at > r.now || e.at <= r.earliest {
		return false
	}
	if r.seen[e] {
		return false
	}
	r.seen[e] = true
	r.out = append(r.out, e)
	return true
}

// behaviour simulates browsing sessions. Each session stays in one
// sub-category chosen from the user's taste; within it the user views a few
// products (popular, well-priced, own-language ones more often), clicks some,
// likes and carts fewer and buys fewer still, always after viewing. Buyers
// sometimes rate later, and consumables are sometimes re-ordered straight
// from the order history, without a new view.
func behaviour(rng *rand.Rand, now time.Time, us []shop.UserInput, ps []persona, its []item,
	bySub map[string][]int, subsOfTop map[string][]string) []shop.InteractionInput {
	rec := &recorder{now: now.Unix(), earliest: now.Add(-Window).Unix(), seen: make(map[event]bool, 16384)}
	weights := make([]float64, 0, 16)
	affinity := make([]float64, len(its))
	for ui := range us {
		p := ps[ui]
		for i := range its {
			affinity[i] = tagMatch(p, &its[i])
		}
		subW := map[string][]float64{}
		for _, top := range topCategories {
			for _, s := range subsOfTop[top] {
				matches := 0.0
				for _, j := range bySub[s] {
					matches += affinity[j]
				}
				// Sub-categories holding products with the user's tags draw more sessions.
				subW[top] = append(subW[top], 1+3*matches/float64(len(bySub[s])))
			}
		}
		// Activity is long-tailed across users too: a few heavy shoppers.
		sessions := 8 + int(rng.ExpFloat64()*20)
		for s := 0; s < sessions; s++ {
			start := now.Add(-Window + time.Duration(rng.Int64N(int64(Window-6*time.Hour))))
			top := pickTop(rng, p)
			sub := subsOfTop[top][pickWeighted(rng, subW[top])]
			cands := bySub[sub]
			weights = weights[:0]
			for _, i := range cands {
				weights = append(weights, itemWeight(p, &its[i], affinity[i]))
			}
			t := start
			views := 1 + rng.IntN(4)
			var carted []int
			for v := 0; v < views && v < len(cands); v++ {
				j := pickWeighted(rng, weights)
				if j < 0 {
					break
				}
				weights[j] = 0 // without replacement within a session
				pi := cands[j]
				it := &its[pi]
				aff := affinity[pi]
				t = t.Add(time.Duration(20+rng.IntN(100)) * time.Second)
				rec.add(ui, pi, shop.KindView, t, 0)
				if rng.Float64() < 0.3+0.15*aff {
					t = t.Add(time.Duration(5+rng.IntN(30)) * time.Second)
					rec.add(ui, pi, shop.KindClick, t, 0)
					if rng.Float64() < 0.12+0.1*aff {
						t = t.Add(time.Duration(5+rng.IntN(60)) * time.Second)
						rec.add(ui, pi, shop.KindLike, t, 0)
					}
					if it.available && rng.Float64() < 0.25+0.1*aff {
						t = t.Add(time.Duration(10+rng.IntN(90)) * time.Second)
						rec.add(ui, pi, shop.KindAddToCart, t, 0)
						carted = append(carted, pi)
					}
				}
			}
			// Checkout happens at the end of the session, for part of the cart.
			for _, pi := range carted {
				if rng.Float64() >= 0.5 {
					continue
				}
				t = t.Add(time.Duration(30+rng.IntN(240)) * time.Second)
				if !rec.add(ui, pi, shop.KindPurchase, t, 0) {
					continue
				}
				if rng.Float64() < 0.35 {
					later := t.Add(time.Duration(2+rng.IntN(10))*24*time.Hour + time.Duration(rng.IntN(86400))*time.Second)
					rec.add(ui, pi, shop.KindRate, later, rating(rng))
				}
				if its[pi].consumable && rng.Float64() < 0.4 {
					again := t.Add(time.Duration(14+rng.IntN(21))*24*time.Hour + time.Duration(rng.IntN(86400))*time.Second)
					rec.add(ui, pi, shop.KindPurchase, again, 0)
				}
			}
		}
	}
	evs := rec.out
	slices.SortStableFunc(evs, func(a, b event) int { return cmp.Compare(a.at, b.at) })
	times := make([]time.Time, len(evs))
	ratings := make([]float64, len(evs))
	out := make([]shop.InteractionInput, len(evs))
	for i, e := range evs {
		times[i] = time.Unix(e.at, 0).UTC()
		out[i] = shop.InteractionInput{UserID: us[e.user].ID, ProductID: its[e.product].id,
			Kind: shop.InteractionKinds[e.kind], OccurredAt: &times[i]}
		if e.rating > 0 {
			ratings[i] = float64(e.rating)
			out[i].Value = &ratings[i]
		}
	}
	return out
}

func pickTop(rng *rand.Rand, p persona) string {
	w := make([]float64, len(topCategories))
	for i, c := range topCategories {
		// A small floor keeps some exploration outside the user's interests.
		w[i] = 0.12 + p.cats[c]
	}
	return topCategories[pickWeighted(rng, w)]
}

// itemWeight is how likely a user is to look at an item once browsing its
// sub-category.
func itemWeight(p persona, it *item, affinity float64) float64 {
	d := it.pricePct - p.price
	w := it.pop * math.Exp(-d*d/(2*0.3*0.3)) * (1 + 2*affinity)
	if it.english != p.english {
		w *= 0.15
	}
	if !it.available {
		w *= 0.3
	}
	return w
}

func tagMatch(p persona, it *item) float64 {
	for _, t := range p.tags {
		for _, u := range it.tags {
			if t == u {
				return 1
			}
		}
	}
	return 0
}

func pickWeighted(rng *rand.Rand, w []float64) int {
	total := 0.0
	for _, x := range w {
		total += x
	}
	if total <= 0 {
		return -1
	}
	r := rng.Float64() * total
	for i, x := range w {
		r -= x
		if r < 0 && x > 0 {
			return i
		}
	}
	for i := len(w) - 1; i >= 0; i-- {
		if w[i] > 0 {
			return i
		}
	}
	return -1
}

// rating is skewed towards good marks, as shop ratings are.
func rating(rng *rand.Rand) int8 {
	switch r := rng.Float64(); {
	case r < 0.45:
		return 5
	case r < 0.80:
		return 4
	case r < 0.92:
		return 3
	case r < 0.97:
		return 2
	}
	return 1
}
