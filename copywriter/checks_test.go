package copywriter

import (
	"strings"
	"testing"

	"github.com/shopmuse/shopmuse/persona"
	"github.com/shopmuse/shopmuse/shop"
)

func checkNamed(cs []Check, name string) Check {
	for _, c := range cs {
		if c.Name == name {
			return c
		}
	}
	return Check{Name: name, Detail: "missing"}
}

func TestFaithfulness(t *testing.T) {
	ps := testProducts()
	phone, bottle, sony := &ps[0], &ps[1], &ps[2]
	persona := photographer()
	for _, tc := range []struct {
		p    *shop.Product
		text string
		ok   bool
		why  string // expected in the detail when failing
	}{
		{phone, "华为 P50 Pro，6.6英寸OLED屏幕，4400mAh大电池，现价¥5999。", true, ""},
		{phone, "5000万像素主摄，下单立减300元，到手¥5699。", true, ""}, // price after the stated discount
		{phone, "现价5999元，256GB存储，195克。", true, ""},
		{phone, "50MP main camera, 6.6-inch screen, ¥5999", true, ""}, // the same quantities in English units
		{phone, "写给25岁的你：华为 P50 Pro。", true, ""},                      // the persona's age
		{phone, "3个理由选择华为 P50 Pro", true, ""},                         // a small count is not a claim
		{phone, "华为 P50 Pro，48小时超长续航。", false, "48小时"},
		{phone, "华为 P50 Pro 现价¥4999。", false, "4999"},
		{phone, "华为 P50 Pro 现价5899元。", false, "5899"},
		{phone, "6.7英寸大屏", false, "6.7英寸"},
		{phone, "1亿像素主摄", false, "亿像素"},
		{phone, "华为 P60 Pro 新品", false, "p60"},
		{phone, "小米同款配置，华为 P50 Pro", true, ""}, // 小米 is also millet: not a brand claim
		{phone, "三星屏幕，华为 P50 Pro", false, "三星"},
		{phone, "电池容量提升20%", false, "20%"},
		{bottle, "500ml容量，保温时长12小时，316不锈钢，¥159，满199减20。", true, ""},
		{bottle, "0.5L大容量", true, ""}, // 0.5 L is 500 ml
		{bottle, "保温24小时", false, "24小时"},
		{bottle, "750ml大容量", false, "750ml"},
		{sony, "Sony WH-1000XM5: 30 hours of battery, 250g, $399.99.", true, ""},
		{sony, "Up to 30-hour battery life and 3 minutes of quick charging.", true, ""},
		{sony, "Sony WH-1000XM5 with 40 hours of battery life.", false, "40 hours"},
		{sony, "Now just $299.", false, "299"},
		{sony, "Upgrade from the WH-1000XM4.", false, "wh-1000xm4"},
		{sony, "Better than Bose, at $399.99.", false, "Bose"},
	} {
		c := CheckVariant(tc.p, persona, ChannelDetail, tc.p.Language, Variant{Text: tc.text}) // length is irrelevant here
		f := checkNamed(c, CheckFaithfulness)
		if f.Passed != tc.ok {
			t.Errorf("%q: faithfulness passed=%v, want %v (%s)", tc.text, f.Passed, tc.ok, f.Detail)
			continue
		}
		if !tc.ok && !strings.Contains(f.Detail, tc.why) {
			t.Errorf("%q: detail %q does not name %q", tc.text, f.Detail, tc.why)
		}
	}
}

func TestCompliance(t *testing.T) {
	ps := testProducts()
	phone := &ps[0]
	eco := shop.Product{ID: "ECO", Title: "Bamboo toothbrush", Category: "Home/Bath", Language: shop.LanguageEN,
		Attributes: []shop.Attribute{{Name: "Certification", Value: "FSC certified, biodegradable handle"}}, Price: shop.Money{Amount: 500, CurrencyCode: "USD"}}
	green := shop.Product{ID: "G", Title: "Cotton T-shirt", Category: "Fashion", Language: shop.LanguageEN,
		Attributes: []shop.Attribute{{Name: "Colour", Value: "Green"}}, Price: shop.Money{Amount: 1500, CurrencyCode: "USD"}}
	for _, tc := range []struct {
		p    *shop.Product
		text string
		ok   bool
		term string
	}{
		{phone, "华为 P50 Pro，拍照清晰。", true, ""},
		{phone, "这是最好的拍照手机", false, "最好"},
		{phone, "行业第一的影像", false, "第一"},
		{phone, "全网最低价", false, "全网最"},
		{phone, "国家级品质", false, "国家级"},
		{phone, "唯一的选择", false, "唯一"},
		{phone, "顶级屏幕", false, "顶级"},
		{phone, "100%满意", false, "100%"},
		{phone, "拍照首选", false, "首选"},
		{phone, "独家配色", false, "独家"},
		{phone, "最新款旗舰", false, "最"}, // "newest" cannot be proved from the facts
		{phone, "第一次拿到手就爱上了", true, ""},
		{phone, "第一代产品的用户也能升级", true, ""},
		{phone, "最近很多人问起它", true, ""},
		{phone, "面料为100%棉", true, ""},
		{phone, "It is simply the best phone.", false, "best"},
		{phone, "The #1 choice", false, "#1"},
		{phone, "Guaranteed to impress", false, "guaranteed"},
		{phone, "The cheapest deal", false, "cheapest"},
		{phone, "A world-leading camera", false, "world-leading"},
		{phone, "Perfect for weekend trips", true, ""},
		{phone, "A perfect phone", false, "perfect"},
		{phone, "Made from bestow-worthy glass", true, ""}, // word boundaries
		{phone, "An eco-friendly choice", false, "eco-friendly"},
		{phone, "Go green with this phone", false, "green"},
		{&eco, "A biodegradable handle", true, ""}, // substantiated by the attributes
		{&eco, "Carbon neutral shipping", false, "carbon neutral"},
		{&green, "The green one goes with everything", true, ""}, // the colour, stated in the facts
		{phone, "可降解包装", false, "可降解"},
	} {
		c := CheckVariant(tc.p, persona.Persona{}, ChannelDetail, shop.LanguageZH, Variant{Text: tc.text})
		got := checkNamed(c, CheckCompliance)
		if got.Passed != tc.ok {
			t.Errorf("%q: compliance passed=%v, want %v (%s)", tc.text, got.Passed, tc.ok, got.Detail)
			continue
		}
		if !tc.ok && !strings.Contains(got.Detail, tc.term) {
			t.Errorf("%q: detail %q does not name %q", tc.text, got.Detail, tc.term)
		}
		if !tc.ok && !strings.Contains(got.Detail, "《") && !strings.Contains(got.Detail, "FTC") {
			t.Errorf("%q: detail %q does not cite a source", tc.text, got.Detail)
		}
	}
}

func TestBannedTermsData(t *testing.T) {
	terms := BannedTerms()
	if len(terms) < 50 {
		t.Fatalf("only %d banned terms", len(terms))
	}
	need := map[string]bool{"最佳": false, "最好": false, "最高级": false, "第一": false, "唯一": false, "顶级": false, "国家级": false, "万能": false, "绝对": false, "100%": false, "首选": false, "独家": false, "best": false, "guaranteed": false, "eco-friendly": false}
	for _, tm := range terms {
		if tm.Category == "" || tm.Source == "" {
			t.Errorf("%q lacks category or source", tm.Term)
		}
		if _, ok := need[tm.Term]; ok {
			need[tm.Term] = true
		}
	}
	for k, ok := range need {
		if !ok {
			t.Errorf("banned list lacks %q", k)
		}
	}
	if _, err := LoadBannedTerms([]byte(`{"terms":[{"term":"第一","category":"absolute","source":"x","exceptions":["首次"]}]}`)); err == nil {
		t.Error("an exception that does not contain its term was accepted")
	}
	if _, err := LoadBannedTerms([]byte(`{"terms":[{"term":"x"}]}`)); err == nil {
		t.Error("an entry without source was accepted")
	}
}

func TestLengthLimits(t *testing.T) {
	p := &testProducts()[0]
	want := map[Channel][4]int{ // zh min, zh max, en min, en max
		ChannelTitle: {1, 30, 1, 80}, ChannelAdSlogan: {1, 20, 1, 60}, ChannelPush: {1, 60, 1, 120},
		ChannelPromotion: {1, 80, 1, 160}, ChannelDetail: {60, 600, 150, 2500}, ChannelEmail: {100, 1500, 200, 3000},
	}
	for ch, w := range want {
		for li, lang := range []shop.Language{shop.LanguageZH, shop.LanguageEN} {
			lo, hi := w[li*2], w[li*2+1]
			unit := "好"
			if lang == shop.LanguageEN {
				unit = "a"
			}
			headline := ""
			if ch == ChannelEmail {
				headline = "subject"
			}
			for _, tc := range []struct {
				n  int
				ok bool
			}{{hi, true}, {hi + 1, false}, {lo, true}, {lo - 1, false}} {
				if tc.n == 0 {
					continue // empty text is covered by min 1
				}
				v := Variant{Headline: headline, Text: strings.Repeat(unit, tc.n)}
				got := checkLength(ch, lang, v)
				if got.Passed != tc.ok {
					t.Errorf("%s/%s with %d characters: passed=%v, want %v (%s)", ch, lang, tc.n, got.Passed, tc.ok, got.Detail)
				}
			}
		}
	}
	// Chinese is counted in characters, not bytes
	if c := checkLength(ChannelAdSlogan, shop.LanguageZH, Variant{Text: strings.Repeat("好", 20)}); !c.Passed {
		t.Errorf("20 Chinese characters rejected: %s", c.Detail)
	}
	if c := checkLength(ChannelEmail, shop.LanguageZH, Variant{Text: strings.Repeat("好", 200)}); c.Passed {
		t.Error("an email without a subject passed")
	}
	if c := checkLength(ChannelPush, shop.LanguageZH, Variant{Headline: strings.Repeat("好", 31), Text: "好"}); c.Passed {
		t.Error("a 31-character headline passed")
	}
	_ = p
}

func TestLanguageCheck(t *testing.T) {
	for _, tc := range []struct {
		lang shop.Language
		text string
		ok   bool
	}{
		{shop.LanguageZH, "华为 P50 Pro，6.6英寸OLED屏幕，拍照清晰。", true},
		{shop.LanguageZH, "Sony WH-1000XM5 降噪耳机，30小时续航", true},
		{shop.LanguageZH, "Sony WH-1000XM5 wireless noise cancelling headphones 耳机", false},
		{shop.LanguageZH, "12345 !!!", false},
		{shop.LanguageEN, "Sony WH-1000XM5 with 30 hours of battery life.", true},
		{shop.LanguageEN, "Huawei P50 Pro 拍照手机", false},
		{shop.LanguageEN, "华为", false},
	} {
		if got := checkLanguage(tc.lang, tc.text); got.Passed != tc.ok {
			t.Errorf("%s %q: passed=%v want %v (%s)", tc.lang, tc.text, got.Passed, tc.ok, got.Detail)
		}
	}
}

func TestCheckVariantOrderAndNames(t *testing.T) {
	p := &testProducts()[0]
	cs := CheckVariant(p, persona.Persona{}, ChannelTitle, shop.LanguageZH, Variant{Text: "华为 P50 Pro 6.6英寸"})
	var names []string
	for _, c := range cs {
		names = append(names, c.Name)
	}
	if strings.Join(names, ",") != "faithfulness,compliance,length,language" || !Passed(cs) {
		t.Fatalf("checks = %+v", cs)
	}
	if Passed(nil) {
		t.Error("no checks is not a pass")
	}
}
