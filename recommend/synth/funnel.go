package synth

import (
	"math"
	"slices"
	"strings"
	"time"

	"github.com/shopmuse/shopmuse/shop"
)

// rebuyDays is how often a shopper buys a consumable of each category
// again, in days; categories not listed hold durables, bought once.
var rebuyDays = map[string]float64{"美妆": 30, "食品": 14, "母婴": 21, "宠物": 28}

// RebuyInterval is the typical time between two purchases of the same item
// of a product category ("食品/类目2" or its top level "食品") by one
// shopper: zero for durables, which nobody buys twice.
func RebuyInterval(category string) time.Duration {
	top, _, _ := strings.Cut(category, "/")
	return time.Duration(rebuyDays[top] * float64(24*time.Hour))
}

// Funnel shape. A session is a short visit with events minutes apart;
// within it a shopper returns to items they considered before (the funnel:
// view, come back, cart, buy), re-buys consumables that are due, or
// discovers new items by taste or by the crowd.
const (
	sessionEvents  = 5                // mean events per session
	meanEventGap   = 90 * time.Second // mean pause between events in a session
	minEventGap    = 15 * time.Second
	pRevisit       = 0.4  // an action returns to a considered item
	pCrowd         = 0.15 // a discovery follows global popularity, not taste
	pListCart      = 0.1  // a discovery is carted straight from a list or search page, unviewed
	pClick         = 0.35 // view → click on discovery
	pCart          = 0.25 // click → cart on discovery
	pBuyAtOnce     = 0.2  // cart → purchase in the same visit
	pReClick       = 0.5  // a revisit of a viewed item clicks
	pReCart        = 0.35 // a revisit of a clicked item carts
	pReBuy         = 0.45 // a revisit of a carted item buys
	pRebuyDue      = 0.6  // a due consumable is bought again in a session
	considerDays   = 30.0 // interest in a considered item halves every this many days
	maxConsidering = 30
)

// considered is an item a shopper looked at and did not buy (yet).
type considered struct {
	item  int
	stage int // 0 viewed, 1 clicked, 2 carted
	last  time.Time
}

// GenerateFunnel builds a shop like Generate's (the same catalogue, users
// and tastes for the same arguments) whose shoppers behave as in a real
// shop: they come in sessions of a few events minutes apart, return to
// items they viewed, cart them on a later visit and buy them on another,
// buy consumables (beauty, food, baby, pet) again at the interval typical
// of their category, and never buy a durable twice.
func GenerateFunnel(users, products, interactions int, seed int64) *Shop {
	w := newWorld(users, products, seed)
	w.funnel(interactions)
	return w.s
}

func (w *world) funnel(interactions int) {
	r, s := w.r, w.s
	var events []ev
	span := float64(Days * 24 * time.Hour)
	interval := make([]time.Duration, len(s.Products))
	for i := range s.Products {
		interval[i] = RebuyInterval(s.Products[i].Category)
	}
	for u := range s.Users {
		budget := max(4, int(math.Round(w.activity[u]/w.totalAct*float64(interactions))))
		nSessions := max(1, int(math.Round(float64(budget)/sessionEvents)))
		starts := make([]time.Time, nSessions)
		for k := range starts {
			starts[k] = w.start.Add(time.Duration(r.Float64() * span))
		}
		slices.SortFunc(starts, func(a, b time.Time) int { return a.Compare(b) })
		var cons []considered
		due := map[int]time.Time{} // consumables bought: when they are due again
		owned := map[int]bool{}    // durables bought
		perSession := float64(budget) / float64(nSessions)
		n := 0
		var last time.Time // the user's latest event
		for _, t := range starts {
			if t.Before(last.Add(time.Hour)) {
				t = last.Add(time.Hour) // the previous session ran long: this one is later
			}
			emit := func(i int, kind shop.InteractionKind) {
				events = append(events, ev{u, i, kind, t})
				n++
				last = t
				t = t.Add(minEventGap + time.Duration(r.ExpFloat64()*float64(meanEventGap)))
			}
			buy := func(i int) {
				emit(i, shop.KindPurchase)
				cons = slices.DeleteFunc(cons, func(c considered) bool { return c.item == i })
				if d := interval[i]; d > 0 {
					// Each shopper's own pace varies around the category's.
					due[i] = t.Add(time.Duration(float64(d) * math.Exp(0.25*r.NormFloat64())))
				} else {
					owned[i] = true
				}
			}
			quota := n + max(1, int(math.Round(perSession*(0.5+r.Float64()))))
			// Consumables that are due come first: the shopper came to restock.
			for _, i := range sortedKeys(due) {
				if n < quota && !t.Before(due[i]) && r.Float64() < pRebuyDue {
					delete(due, i)
					emit(i, shop.KindView)
					emit(i, shop.KindAddToCart)
					buy(i)
				}
			}
			for tries := 0; n < quota && tries < 100; tries++ {
				if len(cons) > 0 && r.Float64() < pRevisit {
					c := w.pickConsidered(cons, t)
					i := cons[c].item
					emit(i, shop.KindView)
					switch cons[c].stage {
					case 0:
						if r.Float64() < pReClick {
							emit(i, shop.KindClick)
							cons[c].stage = 1
						}
					case 1:
						if r.Float64() < pReCart {
							emit(i, shop.KindAddToCart)
							cons[c].stage = 2
						}
					case 2:
						if r.Float64() < pReBuy {
							buy(i)
							continue
						}
					}
					cons[c].last = t
					continue
				}
				// Durables bought and consumables still stocked are not
				// shopped for.
				blocked := func(i int) bool {
					d, stocked := due[i]
					return owned[i] || stocked && t.Before(d)
				}
				var i int
				for try := 0; try < 5; try++ {
					if r.Float64() < pCrowd {
						i = w.sample(w.globalCDF)
					} else {
						i = w.tasteItem(u)
					}
					if !blocked(i) {
						break
					}
				}
				if blocked(i) {
					continue // nothing new found this time
				}
				stage := 0
				if r.Float64() < pListCart {
					emit(i, shop.KindAddToCart)
					stage = 2
					if r.Float64() < pBuyAtOnce {
						buy(i)
						continue
					}
				} else if emit(i, shop.KindView); r.Float64() < pClick {
					emit(i, shop.KindClick)
					stage = 1
					if r.Float64() < pCart {
						emit(i, shop.KindAddToCart)
						stage = 2
						if r.Float64() < pBuyAtOnce {
							buy(i)
							continue
						}
					}
				}
				if j := slices.IndexFunc(cons, func(c considered) bool { return c.item == i }); j >= 0 {
					cons[j].stage, cons[j].last = max(cons[j].stage, stage), t
					continue
				}
				cons = append(cons, considered{item: i, stage: stage, last: t})
				if len(cons) > maxConsidering {
					cons = cons[1:] // the oldest interest is forgotten
				}
			}
		}
	}
	s.setInteractions(events)
}

// pickConsidered draws a considered item, favouring carted and recent ones.
func (w *world) pickConsidered(cons []considered, now time.Time) int {
	weights := make([]float64, len(cons))
	var total float64
	for k, c := range cons {
		age := now.Sub(c.last).Hours() / 24
		weights[k] = float64(1+2*c.stage) * math.Exp2(-age/considerDays)
		total += weights[k]
	}
	x := w.r.Float64() * total
	for k, v := range weights {
		if x < v {
			return k
		}
		x -= v
	}
	return len(cons) - 1
}

func sortedKeys(m map[int]time.Time) []int {
	out := make([]int, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
