package recommend

import (
	"fmt"
	"testing"
	"time"

	"github.com/shopmuse/shopmuse/shop"
)

func TestConsumableItemsAndDue(t *testing.T) {
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
		buy(user, "tv", 10+u)                   // bought by all
	}
	// Two shoppers replacing their phone many times do not make phones
	// consumable: it takes re-buyers, not re-buys.
	for _, d := range []int{40, 60, 80, 100} {
		buy("u0", "phone0", d)
		buy("u1", "phone1", d)
	}
	category := map[string]string{"rice": "食品/大米", "tv": "家电/电视"}
	categoryOf := func(id string) string {
		if c, ok := category[id]; ok {
			return c
		}
		return "数码/手机"
	}
	consumable := ConsumableItems(its, categoryOf)
	if !consumable("rice") || consumable("tv") || consumable("phone3") {
		t.Fatalf("consumable: rice %v, tv %v, phone %v; want only rice", consumable("rice"), consumable("tv"), consumable("phone3"))
	}

	c := newRebuyCounter()
	for range 6 {
		c.nextUser()
		for d := 0; d < 100; d += 30 {
			c.purchase(1, "食品/大米", int64(d*86400))
		}
	}
	m := c.model()
	if got := m.of("食品/大米").interval; got != 30 {
		t.Fatalf("interval %v, want 30 days", got)
	}
	// 食品/大米 has too few purchases of its own: 食品 judges it, and any
	// thin leaf of 食品 too.
	if m.due("食品/大米", 20) || !m.due("食品/大米", 25) || !m.due("食品/坚果", 25) || m.due("数码/手机", 400) {
		t.Fatal("due: 20 days of a 30-day rhythm is early, 25 is due (0.8), a durable never is")
	}
	// An order split in two minutes is one purchase, not a re-buy.
	c = newRebuyCounter()
	for u := range 10 {
		c.nextUser()
		c.purchase(int32(u), "数码/耳机", 0)
		c.purchase(int32(u), "数码/耳机", 120)
	}
	if c.model().consumable("数码/耳机") {
		t.Fatal("split orders made a category consumable")
	}
}
