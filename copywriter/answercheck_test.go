package copywriter

import (
	"testing"

	"github.com/shopmuse/shopmuse/shop"
)

func TestCheckAnswer(t *testing.T) {
	phone := &shop.Product{ID: "p1", Title: "华为 Mate 60 Pro", Brand: "华为", Category: "数码/手机",
		Price: shop.Money{Amount: 599900, CurrencyCode: "CNY"}, Attributes: []shop.Attribute{{Name: "电池", Value: "5000mAh"}}}
	buds := &shop.Product{ID: "p2", Title: "索尼 WF-1000XM5 耳机", Brand: "索尼", Category: "数码/耳机",
		Price: shop.Money{Amount: 199900, CurrencyCode: "CNY"}, Attributes: []shop.Attribute{{Name: "续航", Value: "24小时"}}}
	notes := []string{"保修期为1年，支持全国联保"}
	cases := []struct {
		text string
		ok   bool
	}{
		{"华为 Mate 60 Pro 的电池是5000mAh，售价¥5999。", true},
		{"索尼 WF-1000XM5 续航24小时，价格1999元；华为售价5999元。", true},
		{"这款手机保修1年。", true},
		{"这款手机保修2年。", false},
		{"电池6000mAh。", false},
		{"售价4999元。", false},
		{"这是最好的手机。", false},
		{"苹果手机也一样。", true}, // 苹果 alone is ambiguous (apple)
		{"0元购。", false},
	}
	for _, c := range cases {
		cs := CheckAnswer([]*shop.Product{phone, buds}, notes, c.text)
		if Passed(cs) != c.ok {
			t.Errorf("%q: passed %v, want %v: %+v", c.text, Passed(cs), c.ok, cs)
		}
	}
	// Facts of a product not among the grounds do not count.
	if cs := CheckAnswer([]*shop.Product{phone}, nil, "续航24小时"); Passed(cs) {
		t.Errorf("a number from another product passed: %+v", cs)
	}
}
