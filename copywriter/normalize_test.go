package copywriter

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/shopmuse/shopmuse/persona"
	"github.com/shopmuse/shopmuse/shop"
)

// Each disguise of a banned term must still be found (issue 15, item 4).
func TestBannedTermsSeeThroughDisguises(t *testing.T) {
	for _, tc := range []struct{ text, term string }{
		{"國家級旗艦", "国家级"},
		{"絕對領先", "绝对"},
		{"遙遙領先", "遥遥领先"},
		{"頂級做工", "顶级"},
		{"獨家配方", "独家"},
		{"無敵續航", "无敌"},
		{"全網最低價", "最低价"},
		{"世界級工藝", "世界级"},
		{"萬能神器", "万能"},
		{"藥到病除", "药到病除"},
		{"綠色環保", "环保"},
		{"绝\u200b对好用", "绝对"},       // zero-width space
		{"国\u200d家\ufeff级", "国家级"}, // zero-width joiner, BOM
		{"第\u2060一品牌", "第一"},       // word joiner
		{"绝 对 好用", "绝对"},           // spaces between Han characters
		{"ｂｅｓｔ price", "best"},     // full-width letters
		{"ＢＥＳＴ choice", "best"},
		{"纯棉含量 100 %", "100%"},
		{"含量１００％", "100%"},
		{"百分百满意", "100%"},
		{"百分之百纯天然", "100%"},
		{"最\ufe0f好的选择", "最好"}, // variation selector
	} {
		hits := FindBannedTerms(tc.text, "", "")
		found := false
		for _, h := range hits {
			if strings.EqualFold(h.Term, tc.term) {
				found = true
			}
		}
		if !found {
			t.Errorf("%q: banned term %q not found (hits %v)", tc.text, tc.term, hits)
		}
	}
	// the folding must not invent hits in ordinary copy
	for _, ok := range []string{"第一次用就爱上", "100%棉", "纯棉含量100％棉", "時尚百搭", "一年四季都能穿", "最近很火"} {
		if hits := FindBannedTerms(ok, "", ""); len(hits) != 0 {
			t.Errorf("%q: unexpected hits %v", ok, hits)
		}
	}
}

// Every banned Chinese term, written with the traditional forms of its
// characters, is caught: the folding table covers the list.
func TestTraditionalFormsOfBannedTermsAreCaught(t *testing.T) {
	simpToTrad := map[rune]rune{}
	for tr, s := range tradToSimp {
		if tr != s {
			simpToTrad[s] = tr
		}
	}
	n := 0
	for _, bt := range BannedTerms() {
		if bt.ascii {
			continue
		}
		rs := []rune(bt.Term)
		changed := false
		for i, r := range rs {
			if tr, ok := simpToTrad[r]; ok {
				rs[i], changed = tr, true
			}
		}
		if !changed {
			continue
		}
		n++
		trad := string(rs)
		hits := FindBannedTerms("这款"+trad+"产品", "", "")
		if len(hits) == 0 {
			t.Errorf("traditional form %q of %q is not caught", trad, bt.Term)
		}
	}
	if n < 30 {
		t.Errorf("only %d banned terms have traditional forms in the table; expected most of the list", n)
	}
}

func TestNumeralsAreRead(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []quantity // Value and Unit
	}{
		{"限时只要九十九元", []quantity{{Value: 99, Unit: "CNY"}}},
		{"两千元", []quantity{{Value: 2000, Unit: "CNY"}}},
		{"销量破1.5万", []quantity{{Value: 15000}}},
		{"一万五千元", []quantity{{Value: 15000, Unit: "CNY"}}},
		{"一万五", []quantity{{Value: 15000}}},
		{"三千五百毫安时", []quantity{{Value: 3500, Unit: "mah"}}},
		{"一百零五克", []quantity{{Value: 105, Unit: "g"}}},
		{"十五天", []quantity{{Value: 15, Unit: "day"}}},
		{"售价１２９９元", []quantity{{Value: 1299, Unit: "CNY"}}},
		{"￥１２９９", []quantity{{Value: 1299, Unit: "CNY"}}},
		{"提升百分之九十", []quantity{{Value: 90, Unit: "%"}}},
		{"好评率 98 %", []quantity{{Value: 98, Unit: "%"}}},
		{"壹佰贰拾元", []quantity{{Value: 120, Unit: "CNY"}}},
		{"只要九元", []quantity{{Value: 9, Unit: "CNY"}}},
		{"打八折", []quantity{{Value: 8, Unit: "折"}}},
		{"一九九八年创立", []quantity{{Value: 1998, Unit: "year"}}},
		// idioms and ordinals are not claims
		{"一年四季，十全十美，千万别错过", nil},
		{"第一次用，一整天都满意", nil},
		{"万一不合适，百搭好穿", nil},
	} {
		got := extractClaims(claimForm(tc.in)).Quantities
		if len(got) != len(tc.want) {
			t.Errorf("%q: quantities %+v, want %+v", tc.in, got, tc.want)
			continue
		}
		for i := range got {
			if !sameNumber(got[i].Value, tc.want[i].Value) || got[i].Unit != tc.want[i].Unit {
				t.Errorf("%q: quantity %d = %+v, want %+v", tc.in, i, got[i], tc.want[i])
			}
		}
	}
}

// The stand-in LLM answer from issue 15 fails both checks.
func TestDisguisedClaimsFailTheChecks(t *testing.T) {
	p := testProducts()[1] // the ¥159 bottle
	cs := CheckVariant(&p, persona.Persona{}, ChannelPromotion, shop.LanguageZH, Variant{Text: "國家級旗艦，絕對領先，限時只要九十九元"})
	if f := checkNamed(cs, CheckFaithfulness); f.Passed || !strings.Contains(f.Detail, "99") {
		t.Errorf("faithfulness passed a price of 九十九元 on a ¥159 product: %+v", f)
	}
	if c := checkNamed(cs, CheckCompliance); c.Passed {
		t.Errorf("compliance passed 國家級 and 絕對: %+v", c)
	}
	cs = CheckVariant(&p, persona.Persona{}, ChannelPromotion, shop.LanguageZH, Variant{Text: "保温时长二十四小时"})
	if f := checkNamed(cs, CheckFaithfulness); f.Passed {
		t.Errorf("二十四小时 passed on a 12-hour bottle: %+v", f)
	}
	cs = CheckVariant(&p, persona.Persona{}, ChannelPromotion, shop.LanguageZH, Variant{Text: "保温时长十二小时，现价一百五十九元"})
	if f := checkNamed(cs, CheckFaithfulness); !f.Passed {
		t.Errorf("true facts in Chinese numerals failed: %+v", f)
	}
}

// What the reader says about themselves is no evidence about the product.
func TestPersonaTextDoesNotJustifyProductClaims(t *testing.T) {
	p := testProducts()[1] // ¥159, no green claim in its facts
	reader := persona.ParsePersona("30岁,预算99元，只买环保产品，喜欢iPhone 15")
	for _, text := range []string{"只要99元，带它回家", "环保材质，放心用", "和iPhone 15一样好看"} {
		cs := CheckVariant(&p, reader, ChannelPromotion, shop.LanguageZH, Variant{Text: text})
		if Passed(cs) {
			t.Errorf("%q passed because the persona said so: %+v", text, cs)
		}
	}
	// the reader's own age may still be said as an age
	cs := CheckVariant(&p, reader, ChannelPromotion, shop.LanguageZH, Variant{Text: "30岁的你，也需要一只好杯子"})
	if f := checkNamed(cs, CheckFaithfulness); !f.Passed {
		t.Errorf("the reader's age failed: %+v", f)
	}
	cs = CheckVariant(&p, reader, ChannelPromotion, shop.LanguageZH, Variant{Text: "保修30年"})
	if f := checkNamed(cs, CheckFaithfulness); f.Passed {
		t.Errorf("the reader's age justified a 30-year warranty: %+v", f)
	}
}

func TestInvalidUTF8FailsTheLanguageCheck(t *testing.T) {
	c := checkLanguage(shop.LanguageEN, "\xa5150 off orders over $999")
	if c.Passed {
		t.Errorf("invalid UTF-8 passed: %+v", c)
	}
}

// FuzzClaimForm: reading numbers never panics, keeps text valid, and a
// number hidden in full-width digits reads as the same number.
func FuzzClaimForm(f *testing.F) {
	for _, s := range []string{"九十九元", "一万五千", "１００％", "百分之九十", "1.5万", "零零零", "十十十", "两亿三千万", "\xff九"} {
		f.Add(s, uint16(129))
	}
	f.Fuzz(func(t *testing.T, s string, n uint16) {
		out := claimForm(s)
		if !utf8.ValidString(out) {
			t.Fatalf("claimForm(%q) = %q: invalid UTF-8", s, out)
		}
		_ = extractClaims(out)
		ascii := itoa(int(n)) + "元"
		wide := toFullWidth(ascii)
		a, b := extractClaims(claimForm(s+" "+ascii)), extractClaims(claimForm(s+" "+wide))
		if len(a.Quantities) != len(b.Quantities) {
			t.Fatalf("%q vs %q: %v vs %v", ascii, wide, a.Quantities, b.Quantities)
		}
	})
}

// FuzzBannedTermMatcher: hiding a term with zero-width characters, full-width
// letters or traditional forms finds the same terms as the plain text.
func FuzzBannedTermMatcher(f *testing.F) {
	for _, s := range []string{"最好的选择", "the best kettle", "国家级工艺", "100%棉", "第一次", "绝对", "ok"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !utf8.ValidString(s) {
			return
		}
		want := termSet(FindBannedTerms(s, "", ""))
		var zw strings.Builder
		for _, r := range s {
			zw.WriteRune(r)
			zw.WriteRune('\u200b')
		}
		for name, disguised := range map[string]string{"zero-width": zw.String(), "full-width": toFullWidth(s)} {
			if got := termSet(FindBannedTerms(disguised, "", "")); got != want {
				t.Fatalf("%s %q: terms %q, want %q as for %q", name, disguised, got, want, s)
			}
		}
	})
}

func termSet(hs []TermHit) string {
	var ts []string
	for _, h := range hs {
		ts = append(ts, strings.ToLower(h.Term))
	}
	return strings.Join(ts, ",")
}

// toFullWidth writes printable ASCII (but space) in full-width forms.
func toFullWidth(s string) string {
	return strings.Map(func(r rune) rune {
		if r > ' ' && r < 0x7f {
			return r - 0x21 + 0xFF01
		}
		return r
	}, s)
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b []byte
	for ; n > 0; n /= 10 {
		b = append([]byte{byte('0' + n%10)}, b...)
	}
	return string(b)
}
