package copywriter

import (
	"context"
	"errors"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/shopmuse/shopmuse/persona"
	"github.com/shopmuse/shopmuse/shop"
)

// FuzzBuiltinCopy runs the built-in writer over every channel × language ×
// persona for a fuzzed product and asserts what issue 15 asks of every
// string a shopper can see: valid UTF-8, within the channel's limits, and
// passing its own checks.
func FuzzBuiltinCopy(f *testing.F) {
	f.Add("科沃斯 X2 Pro 扫地机器人", "吸力", "11000Pa", "¥150 off orders over ¥999", "25岁,女性,喜欢拍照", int64(429900))
	f.Add("Electric Kettle 1.7L Stainless Steel", "Capacity", "1.7L", "满199减20", "a 45-year-old business traveller", int64(3499))
	f.Add("伊芙丽 针织 连衣裙 M", "裙长", "中长款", "", "28岁女生,喜欢时尚穿搭", int64(59900))
	f.Add("€€€ ¥¥¥ ——", "颜色", "曜金黑\u200b", "第二支半价", "", int64(1))
	pe := []persona.Persona{{}, persona.ParsePersona("20岁大学生,男生,爱打游戏,预算有限")}
	w := NewWriter(Config{})
	f.Fuzz(func(t *testing.T, title, attrName, attrValue, promo, personaText string, cents int64) {
		if cents <= 0 || cents > 1e10 {
			cents = 9900
		}
		brand, cny := "伊芙丽", "CNY"
		raw := []shop.ProductInput{{
			ID: "fz-1", Title: title, Category: "服饰/连衣裙", Brand: &brand,
			Attributes: []shop.AttributeInput{{Name: attrName, Value: attrValue}},
			Price:      &shop.MoneyInput{Amount: shop.Decimal(cents), CurrencyCode: &cny}, Promotion: &promo,
		}}
		ps, errs := shop.NormalizeProducts(raw, "fuzz")
		if errs != nil {
			return // invalid products never reach the writer
		}
		p := &ps[0]
		readers := append([]persona.Persona{persona.ParsePersona(personaText)}, pe...)
		for _, lang := range []shop.Language{shop.LanguageZH, shop.LanguageEN} {
			for _, ch := range Channels {
				for _, r := range readers {
					res, err := w.Generate(context.Background(), Request{Product: p, Persona: r, Channel: ch, Language: &lang, Variants: 3})
					if errors.Is(err, ErrInvalidRequest) {
						continue
					}
					if err != nil {
						t.Fatalf("%s/%s: %v", ch, lang, err)
					}
					lim, hl := LimitFor(ch, lang), HeadlineLimitFor(lang)
					for _, v := range res.Variants {
						if !utf8.ValidString(v.Text) || !utf8.ValidString(v.Headline) {
							t.Fatalf("%s/%s: invalid UTF-8 %q / %q", ch, lang, v.Headline, v.Text)
						}
						if n := TextLength(v.Text); n > lim.Max || n < lim.Min {
							t.Fatalf("%s/%s: %d runes outside %d–%d: %q", ch, lang, n, lim.Min, lim.Max, v.Text)
						}
						if TextLength(v.Headline) > hl.Max {
							t.Fatalf("%s/%s: headline too long: %q", ch, lang, v.Headline)
						}
						if !Passed(v.Checks) {
							t.Fatalf("%s/%s: built-in variant fails its checks: %q %+v", ch, lang, v.Text, v.Checks)
						}
					}
				}
			}
		}
	})
}

// FuzzLLMCopy runs the LLM writer (against the OpenAI fake) on fuzzed model
// output, over every channel × language × persona: whatever the model says,
// what is served is valid UTF-8, within the channel's limits and passes
// every check.
func FuzzLLMCopy(f *testing.F) {
	f.Add("國家級旗艦", "國家級旗艦，絕對領先，限時只要九十九元", uint8(3), false, "25岁,女性,喜欢拍照")
	f.Add("Hello", "\xa5150 off orders over \xa5999 \u200b best", uint8(2), true, "")
	f.Add("华为 P50 Pro", "写给爱拍照的你：华为 P50 Pro配备5000万像素主摄像头，现价¥5999。", uint8(1), false, "预算99元，只买环保")
	fake := &fakeLLM{}
	srv := openAIServer(f, fake)
	w := NewWriter(Config{LLM: newLLMForTest(f, ProviderOpenAI, srv.URL+"/v1", 5*time.Second)})
	products := testProducts()
	f.Fuzz(func(t *testing.T, headline, text string, pick uint8, english bool, personaText string) {
		fake.mu.Lock()
		fake.script = []string{variantsJSON([2]string{headline, text})}
		fake.mu.Unlock()
		p := &products[int(pick)%len(products)]
		ch := Channels[int(pick/8)%len(Channels)]
		lang := shop.LanguageZH
		if english {
			lang = shop.LanguageEN
		}
		res, err := w.Generate(context.Background(), Request{Product: p, PersonaText: personaText, Channel: ch, Language: &lang, Variants: 1})
		if errors.Is(err, ErrInvalidRequest) {
			return
		}
		if err != nil {
			t.Fatalf("%s/%s: %v", ch, lang, err)
		}
		lim := LimitFor(ch, lang)
		for _, v := range res.Variants {
			if !utf8.ValidString(v.Text) || !utf8.ValidString(v.Headline) {
				t.Fatalf("invalid UTF-8 served: %q / %q", v.Headline, v.Text)
			}
			if n := TextLength(v.Text); n < lim.Min || n > lim.Max || TextLength(v.Headline) > HeadlineLimitFor(lang).Max {
				t.Fatalf("%s/%s: outside the limits: %q / %q", ch, lang, v.Headline, v.Text)
			}
			if !Passed(v.Checks) || !Passed(CheckVariant(p, persona.ParsePersona(personaText), ch, lang, v)) {
				t.Fatalf("%s/%s: served copy fails its checks: %q %+v", ch, lang, v.Text, v.Checks)
			}
		}
	})
}
