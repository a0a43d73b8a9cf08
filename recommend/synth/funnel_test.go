package synth

import (
	"slices"
	"testing"
	"time"

	"github.com/shopmuse/shopmuse/shop"
)

// TestGenerateFunnel checks the funnel shop's properties: the same world as
// Generate, sessions of events minutes apart, carts and purchases of items
// viewed on an earlier visit, consumables re-bought at about their
// category's interval, durables bought once, and determinism.
func TestGenerateFunnel(t *testing.T) {
	const users, products, events = 400, 800, 18000
	s := GenerateFunnel(users, products, events, 5)
	if n := len(s.Interactions); n < events*9/10 || n > events*12/10 {
		t.Errorf("%d interactions, want about %d", n, events)
	}
	plain := Generate(users, products, events, 5)
	for i := range s.Products {
		if s.Products[i].ID != plain.Products[i].ID || s.Products[i].Category != plain.Products[i].Category {
			t.Fatalf("product %d differs from Generate's world", i)
		}
	}
	again := GenerateFunnel(users, products, events, 5)
	if !slices.Equal(s.Interactions, again.Interactions) {
		t.Fatal("not deterministic")
	}
	cat := map[string]string{}
	for _, p := range s.Products {
		cat[p.ID] = p.Category
	}
	byUser := map[string][]shop.Interaction{}
	for i, it := range s.Interactions {
		if i > 0 && it.OccurredAt.Before(s.Interactions[i-1].OccurredAt) {
			t.Fatalf("not sorted by time at %d", i)
		}
		if it.OccurredAt.After(s.Now) {
			t.Fatal("event after Now")
		}
		byUser[it.UserID] = append(byUser[it.UserID], it)
	}
	const gap = 30 * time.Minute
	var inSession []time.Duration
	sessions, purchases, fromEarlierVisit, cartsOrBuys := 0, 0, 0, 0
	var rebuyRatios []float64
	for _, evs := range byUser {
		firstSeen := map[string]time.Time{} // first view or click of each item
		bought := map[string][]time.Time{}
		sessionStart := evs[0].OccurredAt
		sessions++
		for k, it := range evs {
			if k > 0 {
				d := it.OccurredAt.Sub(evs[k-1].OccurredAt)
				if d < gap {
					inSession = append(inSession, d)
				} else {
					sessions++
					sessionStart = it.OccurredAt
				}
			}
			switch it.Kind {
			case shop.KindView, shop.KindClick:
				if _, ok := firstSeen[it.ProductID]; !ok {
					firstSeen[it.ProductID] = it.OccurredAt
				}
			case shop.KindAddToCart, shop.KindPurchase:
				cartsOrBuys++
				if f, ok := firstSeen[it.ProductID]; ok && f.Before(sessionStart) {
					fromEarlierVisit++
				}
				if it.Kind == shop.KindPurchase {
					purchases++
					bought[it.ProductID] = append(bought[it.ProductID], it.OccurredAt)
				}
			}
		}
		for p, ts := range bought {
			iv := RebuyInterval(cat[p])
			if iv == 0 && len(ts) > 1 {
				t.Fatalf("durable %s (%s) bought %d times by one shopper", p, cat[p], len(ts))
			}
			for k := 1; k < len(ts); k++ {
				rebuyRatios = append(rebuyRatios, float64(ts[k].Sub(ts[k-1]))/float64(iv))
			}
		}
	}
	slices.Sort(inSession)
	if med := inSession[len(inSession)/2]; med < 20*time.Second || med > 5*time.Minute {
		t.Errorf("median pause within a session %v, want minutes", med)
	}
	if per := float64(len(s.Interactions)) / float64(sessions); per < 2 || per > 12 {
		t.Errorf("%.1f events per session", per)
	}
	if share := float64(fromEarlierVisit) / float64(cartsOrBuys); share < 0.3 {
		t.Errorf("only %.0f%% of carts and purchases follow a view on an earlier visit", 100*share)
	}
	if len(rebuyRatios) < purchases/20 {
		t.Fatalf("%d re-purchases of %d purchases: consumables are not bought again", len(rebuyRatios), purchases)
	}
	slices.Sort(rebuyRatios)
	if rebuyRatios[0] < 0.4 {
		t.Errorf("a consumable re-bought after %.2f of its interval", rebuyRatios[0])
	}
	if med := rebuyRatios[len(rebuyRatios)/2]; med < 0.8 || med > 2 {
		t.Errorf("median re-purchase after %.2f of the category interval, want about 1", med)
	}
	if RebuyInterval("食品/类目1") != 14*24*time.Hour || RebuyInterval("数码") != 0 {
		t.Error("RebuyInterval: food every 14 days, electronics never")
	}
}
