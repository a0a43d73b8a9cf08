package recommend

import (
	"fmt"
	"testing"
	"time"

	"github.com/shopmuse/shopmuse/shop"
)

func TestConsumableCategoriesAndDue(t *testing.T) {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var its []shop.Interaction
	buy := func(u, item string, day int) {
		its = append(its, shop.Interaction{UserID: u, ProductID: item, Kind: shop.KindPurchase, OccurredAt: start.Add(time.Duration(day) * 24 * time.Hour)})
	}
	for u := range 10 {
		user := fmt.Sprintf("u%d", u)
		for d := 0; d < 100; d += 30 {
			buy(user, "rice", d) // a consumable, every 30 days
		}
		buy(user, fmt.Sprintf("phone%d", u), 5) // a durable, once
		buy(user, "tv", 10+u)                   // bought by all, never again
	}
	buy("u0", "tv", 80) // one replacement does not make TVs consumable
	cats := ConsumableCategories(its, func(id string) string {
		switch id {
		case "rice":
			return "食品"
		case "tv":
			return "家电"
		}
		return "数码"
	})
	if !cats["食品"] || cats["数码"] || cats["家电"] || len(cats) != 1 {
		t.Fatalf("consumable categories %v, want only 食品", cats)
	}
	c := newRebuyCounter()
	for d := 0; d < 100; d += 30 {
		for u := range 6 {
			c.nextUser()
			c.purchase(int32(u), "食品", int64(d*86400))
			c.purchase(int32(u), "食品", int64((d+30)*86400))
		}
	}
	m := c.model()
	if m.interval["食品"] != 30 {
		t.Fatalf("interval %v, want 30 days", m.interval["食品"])
	}
	if m.due("食品", 20) || !m.due("食品", 25) || m.due("数码", 400) {
		t.Fatal("due: 20 days of a 30-day rhythm is early, 25 is due (0.8), a durable never is")
	}
	// An order split in two minutes is one purchase, not a re-buy.
	c = newRebuyCounter()
	for u := range 10 {
		c.nextUser()
		c.purchase(int32(u), "数码", 0)
		c.purchase(int32(u), "数码", 120)
	}
	if c.model().consumable("数码") {
		t.Fatal("split orders made a category consumable")
	}
}
