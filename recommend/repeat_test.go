package recommend

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/shopmuse/shopmuse/recommend/synth"
	"github.com/shopmuse/shopmuse/shop"
)

// TestRepeatLearnsFromTheData: where shoppers cart, on a later visit, items
// they viewed before, the repeat retriever offers a shopper's viewed item,
// ranked by its learned chance; a shopper back after two months still gets
// their open cart; where nobody ever returns to an item, it offers nothing.
func TestRepeatLearnsFromTheData(t *testing.T) {
	day := 24 * time.Hour
	f := newFixture(t, only(RetrieverRepeat), nil)
	var ps []shop.Product
	for i := 0; i < 8; i++ {
		ps = append(ps, prod(fmt.Sprintf("p%d", i), fmt.Sprintf("商品%d", i), "家居/杯具"))
	}
	f.products(ps, nil)
	// 40 shoppers: view p0 and p1, come back three days later and cart the
	// item they viewed last (p1), a week later buy it.
	for i := 0; i < 40; i++ {
		u := fmt.Sprintf("s%d", i)
		f.event(u, "p0", shop.KindView, 20*day)
		f.event(u, "p1", shop.KindView, 20*day-time.Minute)
		f.event(u, "p1", shop.KindAddToCart, 17*day)
		f.event(u, "p1", shop.KindPurchase, 10*day)
	}
	// "me" viewed p2, then p3, and carted p4, two months ago.
	f.event("me", "p2", shop.KindView, 60*day+2*time.Minute)
	f.event("me", "p3", shop.KindView, 60*day+time.Minute)
	f.event("me", "p4", shop.KindAddToCart, 60*day)
	f.train()
	m := f.e.models.Load().repeat
	if m == nil || m.visits < 80 {
		t.Fatalf("repeat model %+v: want two later visits per shopper learned", m)
	}
	// Viewed most recently: converted (carted next visit) 40 times of 40;
	// viewed second most recently: never.
	if hi, lo := m.base[stageViewed][0], m.base[stageViewed][1]; hi < 0.5 || lo > hi/4 {
		t.Errorf("P(cart | viewed, rank 0) %.3f, rank 1 %.3f: the data says rank 0 converts, rank 1 not", hi, lo)
	}
	recs := f.recommend(Request{UserID: "me", N: 3})
	if len(recs) == 0 {
		t.Fatal("no history item offered to a shopper back after two months")
	}
	// The open cart is the most recent touch and a later stage: first.
	if recs[0].ItemID != "p4" || recs[0].Reasons[0].Kind != ReasonInCart {
		t.Errorf("recommendations %v (%+v), want the open cart p4 first", ids(recs), recs[0].Reasons)
	}

	// A shop where every cart is of an item never seen before.
	g := newFixture(t, only(RetrieverRepeat), nil)
	g.products(ps, nil)
	for i := 0; i < 40; i++ {
		u := fmt.Sprintf("s%d", i)
		g.event(u, "p0", shop.KindView, 20*day)
		g.event(u, "p1", shop.KindAddToCart, 17*day)
		g.event(u, "p2", shop.KindAddToCart, 10*day)
	}
	g.event("me", "p3", shop.KindView, day)
	g.train()
	if recs := g.recommend(Request{UserID: "me", N: 3}); len(recs) != 0 {
		t.Errorf("no shopper ever returns to an item, yet %v was offered", ids(recs))
	}
	// Item-CF and MF score history items only where shoppers come back.
	if !f.e.historyScoring() || g.e.historyScoring() {
		t.Errorf("history scoring: %v where shoppers come back (want true), %v where they never do (want false)",
			f.e.historyScoring(), g.e.historyScoring())
	}
}

// TestRepeatRebuysConsumables: bought items come back by their category's
// learned re-purchase rate and the time since the purchase (with purchases
// not excluded): food bought every ~14 days is offered when due, with the
// interval in the reason; a camera never is.
func TestRepeatRebuysConsumables(t *testing.T) {
	day := 24 * time.Hour
	f := newFixture(t, only(RetrieverRepeat), func(c *Config) { c.ExcludePurchased = false })
	f.products([]shop.Product{prod("rice", "大米", "食品/粮油"), prod("cam", "相机", "数码/相机"), prod("x", "杯子", "家居/杯具")}, nil)
	for i := 0; i < 30; i++ {
		u := fmt.Sprintf("s%d", i)
		for k := 5; k >= 0; k-- { // rice every 14 days; visits in between
			f.event(u, "rice", shop.KindPurchase, time.Duration(14*k+1)*day)
			f.event(u, "x", shop.KindView, time.Duration(14*k+7)*day)
		}
		f.event(u, "cam", shop.KindPurchase, 80*day)
	}
	f.event("me", "cam", shop.KindPurchase, 30*day)
	f.event("me", "rice", shop.KindPurchase, 15*day)
	f.train()
	recs := f.recommend(Request{UserID: "me", N: 3})
	if len(recs) == 0 || recs[0].ItemID != "rice" || recs[0].Reasons[0].Kind != ReasonRebuy {
		t.Fatalf("recommendations %v, want rice, due again, first", ids(recs))
	}
	if msg := recs[0].Reasons[0].Message; msg != "约 15 天前购买，可以补货了" {
		t.Errorf("reason %q", msg)
	}
	m := f.e.models.Load().repeat
	cam := m.bought["数码"]
	if cam == nil || cam[bucketOf(elapsedEdges, 30.0)] >= m.bought["食品"][bucketOf(elapsedEdges, 14.0)]/10 {
		t.Errorf("camera re-purchase estimate %v not far below rice's %v", cam, m.bought["食品"])
	}
}

// TestHistoryScoring: with HistoryScoring item-CF and MF may propose items
// the shopper already viewed (never bought ones); without, only fresh items.
func TestHistoryScoring(t *testing.T) {
	s := synth.Generate(120, 60, 4000, 2)
	ctx := context.Background()
	for _, on := range []bool{false, true} {
		e := synthEngine(t, s, s.Interactions, func(c *Config) { c.HistoryScoring = on })
		if _, err := e.Train(ctx); err != nil {
			t.Fatal(err)
		}
		fromHistory := 0
		for _, u := range s.Users[:40] {
			q, err := e.query(&Request{UserID: u.ID, N: 10})
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range []Retriever{mfRetriever{e}, itemCFRetriever{e}} {
				for _, c := range r.Retrieve(ctx, q) {
					if q.exclude[c.ItemID] {
						t.Fatalf("%s proposed %s, excluded (bought) for %s", r.Name(), c.ItemID, u.ID)
					}
					if q.history[c.ItemID] {
						fromHistory++
					}
				}
			}
		}
		if on && fromHistory == 0 || !on && fromHistory > 0 {
			t.Errorf("HistoryScoring %v: %d history items proposed", on, fromHistory)
		}
	}
}
