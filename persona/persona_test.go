package persona

import (
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/shopmuse/shopmuse/shop"
)

func intp(i int) *int { return &i }

func gender(g shop.Gender) *shop.Gender { return &g }

func TestParsePersona(t *testing.T) {
	for _, tc := range []struct {
		text      string
		age       int // 0: unset
		gender    shop.Gender
		interests []string
		style     string
		segment   string
	}{
		{"25岁,女性,喜欢拍照,热爱户外运动", 25, shop.GenderFemale, []string{"photography", "outdoor", "sports"}, "", "25-34/female/photography"},
		{"a 45-year-old business traveller who values quality", 45, "", []string{"business", "travel"}, "quality", "45-54/any/business"},
		{"20岁大学生,男生,爱打游戏,预算有限看重性价比", 20, shop.GenderMale, []string{"student", "gaming"}, "value", "18-24/male/student"},
		{"32岁宝妈,关注育儿和家居,注重实用", 32, shop.GenderFemale, []string{"parenting", "home"}, "practical", "25-34/female/parenting"},
		{"she is in her 30s and loves yoga and coffee", 35, shop.GenderFemale, []string{"fitness", "coffee"}, "", "35-44/female/fitness"},
		{"三十多岁,男,喜欢摄影和露营", 35, shop.GenderMale, []string{"photography", "outdoor"}, "", "35-44/male/photography"},
		{"有个女儿的爸爸，喜欢做饭", 0, shop.GenderMale, []string{"parenting", "cooking"}, "", "any/male/parenting"},
		{"the man who runs marathons and hikes", 0, shop.GenderMale, []string{"sports", "outdoor"}, "", "any/male/sports"},
		{"喜欢简约风格的家居", 0, "", []string{"home"}, "minimal", "any/any/home"},
		{"", 0, "", nil, "", "any/any/general"},
		{"200岁", 0, "", nil, "", "any/any/general"}, // not a plausible age
	} {
		p := ParsePersona(tc.text)
		gotAge := 0
		if p.Age != nil {
			gotAge = *p.Age
		}
		var gotGender shop.Gender
		if p.Gender != nil {
			gotGender = *p.Gender
		}
		if gotAge != tc.age || gotGender != tc.gender || !reflect.DeepEqual(p.Interests, tc.interests) && !(len(p.Interests) == 0 && len(tc.interests) == 0) || p.Style != tc.style {
			t.Errorf("%q: age=%d gender=%q interests=%v style=%q; want %d %q %v %q", tc.text, gotAge, gotGender, p.Interests, p.Style, tc.age, tc.gender, tc.interests, tc.style)
		}
		if p.Segment() != tc.segment {
			t.Errorf("%q: segment %q, want %q", tc.text, p.Segment(), tc.segment)
		}
		if p.Description != strings.TrimSpace(tc.text) {
			t.Errorf("%q: description %q", tc.text, p.Description)
		}
	}
}

func TestNormalizeInterest(t *testing.T) {
	for in, want := range map[string]string{
		"摄影": "photography", "Photography": "photography", "户外运动": "outdoor", "hiking": "outdoor", "street photography": "photography",
		"拍照": "photography", "美妆": "beauty", "育儿": "parenting", "健身": "fitness", "烹饪": "cooking", "咖啡": "coffee",
		"tech": "tech", "数码": "tech", "knitting": "", "": "",
	} {
		if got := NormalizeInterest(in); got != want {
			t.Errorf("NormalizeInterest(%q) = %q, want %q", in, got, want)
		}
	}
	for _, in := range Interests {
		if in.ZH == "" || in.EN == "" || len(in.Synonyms) == 0 {
			t.Errorf("interest %s is incomplete", in.Key)
		}
		if got, ok := InterestByKey(in.Key); !ok || got.Key != in.Key {
			t.Errorf("InterestByKey(%q) = %v, %v", in.Key, got.Key, ok)
		}
	}
	if _, ok := InterestByKey("knitting"); ok {
		t.Error("InterestByKey found a key outside the vocabulary")
	}
}

func TestFromUser(t *testing.T) {
	median := shop.Decimal(2999_00)
	u := &shop.User{ID: "u1", Age: intp(41), Gender: gender(shop.GenderMale), Interests: []string{"Hiking", "摄影", "knitting", "hiking"}}
	p := FromUser(u, Behaviour{TopCategories: []string{"数码", "户外", " "}, MedianPurchase: &median, RecentViews: []string{"华为 P50 Pro"}})
	if *p.Age != 41 || *p.Gender != shop.GenderMale {
		t.Fatalf("age/gender %v %v", p.Age, p.Gender)
	}
	if !reflect.DeepEqual(p.Interests, []string{"outdoor", "photography", "knitting"}) {
		t.Errorf("interests %v", p.Interests)
	}
	if p.PriceBand != "premium" || p.Style != "quality" {
		t.Errorf("band %q style %q", p.PriceBand, p.Style)
	}
	if !reflect.DeepEqual(p.TopCategories, []string{"数码", "户外"}) || len(p.RecentViews) != 1 {
		t.Errorf("behaviour %v %v", p.TopCategories, p.RecentViews)
	}
	if p.Segment() != "35-44/male/outdoor" {
		t.Errorf("segment %q", p.Segment())
	}
	if got := p.Text(shop.LanguageZH); got != "41岁,男性,喜欢户外,喜欢拍照,knitting,看重品质,消费偏高端,常逛数码、户外" {
		t.Errorf("text %q", got)
	}
	// the copy persona is also what the copy says about the reader
	if !strings.Contains(p.Text(shop.LanguageEN), "41 years old") {
		t.Errorf("EN text %q", p.Text(shop.LanguageEN))
	}
	if FromUser(nil, Behaviour{}).Segment() != "any/any/general" {
		t.Error("nil user")
	}
	cheap := shop.Decimal(59_00)
	if FromUser(nil, Behaviour{MedianPurchase: &cheap}).PriceBand != "budget" {
		t.Error("budget band")
	}
}

func TestSegmentIsStable(t *testing.T) {
	a := ParsePersona("25岁,女性,喜欢拍照,热爱户外运动")
	b := ParsePersona("女性 25岁 喜欢拍照 热爱户外运动 and more words")
	if a.Segment() != b.Segment() {
		t.Errorf("%q vs %q", a.Segment(), b.Segment())
	}
	c := ParsePersona("26岁,女性,喜欢拍照")
	if a.Segment() != c.Segment() {
		t.Error("ages in one band must share a segment")
	}
}

// FuzzParsePersona: any input parses without panic into a bounded persona
// whose strings are valid UTF-8.
func FuzzParsePersona(f *testing.F) {
	f.Add("25岁,女性,喜欢拍照,热爱户外运动")
	f.Fuzz(func(t *testing.T, s string) {
		p := ParsePersona(s)
		if utf8.RuneCountInString(p.Description) > MaxDescription || !utf8.ValidString(p.Description) {
			t.Fatalf("description unbounded or invalid: %d runes", utf8.RuneCountInString(p.Description))
		}
		if len(p.Interests) > maxPersonaList {
			t.Fatalf("%d interests", len(p.Interests))
		}
		for _, k := range p.Interests {
			if _, ok := interestByKey[k]; !ok {
				t.Fatalf("non-canonical interest %q", k)
			}
		}
		if p.Age != nil && (*p.Age <= 0 || *p.Age > shop.MaxAge) {
			t.Fatalf("age %d", *p.Age)
		}
		if p.Gender != nil && !p.Gender.Valid() {
			t.Fatalf("gender %q", *p.Gender)
		}
		seg := p.Segment()
		if len(seg) > 40 || strings.Count(seg, "/") != 2 {
			t.Fatalf("segment %q", seg)
		}
		_ = p.Text(shop.LanguageZH)
		_ = p.Text(shop.LanguageEN)
	})
}
