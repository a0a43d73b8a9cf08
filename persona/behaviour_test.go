package persona

import (
	"testing"

	"github.com/shopmuse/shopmuse/shop"
)

func TestBehaviourFrom(t *testing.T) {
	products := map[string]*shop.Product{
		"cam":   {ID: "cam", Title: "索尼 A7", Category: "数码/相机", Price: shop.Money{Amount: 1200000}},
		"lens":  {ID: "lens", Title: "镜头", Category: "数码/配件", Price: shop.Money{Amount: 300000}},
		"cup":   {ID: "cup", Title: "保温杯", Category: "家居/杯具", Price: shop.Money{Amount: 19900}},
		"cream": {ID: "cream", Title: "面霜", Category: "美妆/护肤", Price: shop.Money{Amount: 50000}},
	}
	evs := []shop.Interaction{
		{ProductID: "cup", Kind: shop.KindView},
		{ProductID: "cam", Kind: shop.KindPurchase},
		{ProductID: "lens", Kind: shop.KindPurchase},
		{ProductID: "cream", Kind: shop.KindView},
		{ProductID: "gone", Kind: shop.KindPurchase},
		{ProductID: "cup", Kind: shop.KindView},
	}
	b := BehaviourFrom(evs, func(id string) *shop.Product { return products[id] })
	if len(b.TopCategories) != 3 || b.TopCategories[0] != "数码" || b.TopCategories[1] != "家居" {
		t.Fatalf("top categories %v", b.TopCategories)
	}
	if b.MedianPurchase == nil || *b.MedianPurchase != 1200000 {
		t.Fatalf("median %v", b.MedianPurchase)
	}
	if len(b.RecentViews) != 2 || b.RecentViews[0] != "保温杯" || b.RecentViews[1] != "面霜" {
		t.Fatalf("recent views %v", b.RecentViews)
	}
	p := FromUser(&shop.User{ID: "u"}, b)
	if p.PriceBand != "premium" || p.Style != "quality" {
		t.Fatalf("persona %+v", p)
	}
}
