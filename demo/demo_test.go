package demo

import (
	"fmt"
	"math"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/shopmuse/shopmuse/internal/words"
	"github.com/shopmuse/shopmuse/shop"
)

var testNow = time.Date(2026, 11, 28, 4, 0, 0, 0, time.UTC)

func TestGenerateIsDeterministic(t *testing.T) {
	a, b := Generate(testNow), Generate(testNow)
	if !reflect.DeepEqual(a, b) {
		t.Fatal("two calls with the same now differ")
	}
	// The history is anchored on now: a later now gives the same shop with
	// every event shifted by the same amount.
	later := Generate(testNow.Add(time.Hour))
	if !reflect.DeepEqual(a.Products, later.Products) || !reflect.DeepEqual(a.Users, later.Users) {
		t.Fatal("catalogue or users depend on now")
	}
	if len(a.Interactions) != len(later.Interactions) {
		t.Fatalf("%d interactions at now, %d an hour later", len(a.Interactions), len(later.Interactions))
	}
	for i := range a.Interactions {
		x, y := a.Interactions[i], later.Interactions[i]
		if x.UserID != y.UserID || x.ProductID != y.ProductID || x.Kind != y.Kind || !x.OccurredAt.Add(time.Hour).Equal(*y.OccurredAt) {
			t.Fatalf("interaction %d differs beyond the shift: %+v vs %+v", i, x, y)
		}
	}
}

func TestCountsAndCoverage(t *testing.T) {
	s := Generate(testNow)
	if len(s.Products) < 320 {
		t.Errorf("%d products, want ≥ 320", len(s.Products))
	}
	if len(s.Users) < 60 {
		t.Errorf("%d users, want ≥ 60", len(s.Users))
	}
	if len(s.Interactions) < 6000 {
		t.Errorf("%d interactions, want ≥ 6000", len(s.Interactions))
	}
	subs := map[string]map[string]bool{}
	ids, titles := map[string]bool{}, map[string]bool{}
	english := 0
	for _, p := range s.Products {
		top, _, _ := strings.Cut(p.Category, "/")
		if subs[top] == nil {
			subs[top] = map[string]bool{}
		}
		subs[top][p.Category] = true
		if ids[p.ID] || titles[p.Title] {
			t.Errorf("duplicate product id or title: %s %q", p.ID, p.Title)
		}
		ids[p.ID], titles[p.Title] = true, true
		if p.Language != nil && *p.Language == shop.LanguageEN {
			english++
		}
	}
	for _, top := range topCategories {
		if len(subs[top]) < 3 {
			t.Errorf("top category %s has %d sub-categories, want ≥ 3", top, len(subs[top]))
		}
	}
	if len(subs) < 8 {
		t.Errorf("%d top categories, want ≥ 8", len(subs))
	}
	for _, c := range []string{"数码/手机", "数码/耳机", "数码/相机", "数码/平板", "数码/智能手表", "家居/杯具", "家电/吸尘器", "母婴/奶粉"} {
		top, _, _ := strings.Cut(c, "/")
		if !subs[top][c] {
			t.Errorf("no products in %s", c)
		}
	}
	if english < 70 || english > len(s.Products)/2 {
		t.Errorf("%d English products, want ≥ 70 and a Chinese majority", english)
	}
	userIDs := map[string]bool{}
	for _, u := range s.Users {
		if userIDs[u.ID] {
			t.Errorf("duplicate user %s", u.ID)
		}
		userIDs[u.ID] = true
	}
	if !userIDs["u001"] {
		t.Error("user IDs do not follow u001…")
	}
}

func TestEveryInputValidates(t *testing.T) {
	s := Generate(testNow)
	products, users := map[string]bool{}, map[string]bool{}
	for i := range s.Products {
		p, errs := s.Products[i].Normalize("products", fmt.Sprint(i))
		if len(errs) > 0 {
			t.Errorf("product %s: %v", s.Products[i].ID, errs)
		}
		if p.Price.CurrencyCode != "CNY" || p.Price.Amount <= 0 {
			t.Errorf("product %s: price %v %s", p.ID, p.Price.Amount, p.Price.CurrencyCode)
		}
		products[p.ID] = true
	}
	for i := range s.Users {
		u, errs := s.Users[i].Normalize("users", fmt.Sprint(i))
		if len(errs) > 0 {
			t.Errorf("user %s: %v", s.Users[i].ID, errs)
		}
		users[u.ID] = true
	}
	for i := range s.Interactions {
		in := &s.Interactions[i]
		if _, errs := in.Normalize(testNow, "interactions", fmt.Sprint(i)); len(errs) > 0 {
			t.Errorf("interaction %d: %v", i, errs)
		}
		if !users[in.UserID] || !products[in.ProductID] {
			t.Errorf("interaction %d references unknown user %s or product %s", i, in.UserID, in.ProductID)
		}
	}
}

// bannedTerms are absolute and superlative claims that Chinese advertising
// law forbids; the demo copy must not teach the copywriter bad habits.
var bannedTerms = []string{"最", "第一", "顶级", "极品", "国家级", "世界级", "唯一", "首选", "万能", "100%有效",
	"best", "#1", "number one", "perfect", "guaranteed", "cheapest"}

var numberRE = regexp.MustCompile(`\d+(\.\d+)?`)

func TestProductTextIsFactualAndInItsLanguage(t *testing.T) {
	s := Generate(testNow)
	promos, unavailable, cents := 0, 0, 0
	for _, in := range s.Products {
		p, _ := in.Normalize()
		text := strings.Join([]string{p.Title, p.Description, p.Brand, p.Promotion}, " ")
		for _, a := range p.Attributes {
			text += " " + a.Name + " " + a.Value
		}
		for _, b := range bannedTerms {
			if strings.Contains(strings.ToLower(text), b) {
				t.Errorf("%s uses banned term %q: %s", p.ID, b, text)
			}
		}
		if p.Language == shop.LanguageEN && words.HasHan(text) {
			t.Errorf("English product %s has Chinese text: %s", p.ID, text)
		}
		if got := shop.DetectLanguage(p.Title + " " + p.Description); got != p.Language {
			t.Errorf("%s is declared %s but reads as %s: %s", p.ID, p.Language, got, p.Title)
		}
		// Every number the description states must come from the title or
		// an attribute: descriptions restate facts, they do not invent them.
		facts := p.Title
		for _, a := range p.Attributes {
			facts += " " + a.Value
		}
		for _, n := range numberRE.FindAllString(p.Description, -1) {
			if !strings.Contains(facts, n) {
				t.Errorf("%s: description states %s, which no fact gives: %s", p.ID, n, p.Description)
			}
		}
		sentences := strings.Count(p.Description, "。")
		if p.Language == shop.LanguageEN {
			sentences = strings.Count(p.Description+" ", ". ")
		}
		if sentences < 1 || sentences > 3 {
			t.Errorf("%s: %d sentences in %q", p.ID, sentences, p.Description)
		}
		if p.ImageURL != "https://img.shopmuse.example/p/"+p.ID+".jpg" {
			t.Errorf("%s: image %s", p.ID, p.ImageURL)
		}
		if len(p.Tags) == 0 || len(p.Attributes) < 2 {
			t.Errorf("%s: %d tags, %d attributes", p.ID, len(p.Tags), len(p.Attributes))
		}
		for _, tag := range p.Tags {
			if _, known := tagEN[tag]; !known && !isENTag(tag) {
				t.Errorf("%s: tag %q is in no vocabulary", p.ID, tag)
			}
		}
		if p.Language == shop.LanguageEN {
			for _, tag := range p.Tags {
				if en, ok := tagEN[tag]; ok && !hasTag(p.Tags, en) {
					t.Errorf("English product %s has tag %s without %s", p.ID, tag, en)
				}
			}
		}
		if p.Promotion != "" {
			promos++
		}
		if !p.Available {
			unavailable++
		}
		if p.Price.Amount%100 == 90 {
			cents++
		}
	}
	n := len(s.Products)
	if share := float64(promos) / float64(n); share < 0.15 || share > 0.35 {
		t.Errorf("%.0f%% of products have promotions, want about 25%%", share*100)
	}
	if unavailable == 0 || unavailable > n/10 {
		t.Errorf("%d unavailable products, want a few", unavailable)
	}
	if cents < 20 {
		t.Errorf("%d prices end in .90, want some", cents)
	}
}

// Price bands per top category keep the demo believable: a phone is not ¥30.
func TestPricesFitTheirCategory(t *testing.T) {
	bands := map[string][2]shop.Decimal{
		"数码/手机": {1000_00, 10000_00}, "数码/相机": {3000_00, 20000_00}, "食品/坚果": {10_00, 200_00},
		"美妆/口红": {100_00, 500_00}, "家电/吸尘器": {500_00, 7000_00}, "母婴/纸尿裤": {50_00, 300_00},
	}
	for _, p := range Generate(testNow).Products {
		if b, ok := bands[p.Category]; ok && (p.Price.Amount < b[0] || p.Price.Amount > b[1]) {
			t.Errorf("%s in %s costs %s, outside %s–%s", p.ID, p.Category, p.Price.Amount, b[0], b[1])
		}
	}
}

func TestUsers(t *testing.T) {
	english := 0
	for _, u := range Generate(testNow).Users {
		if u.Age == nil || *u.Age < 16 || *u.Age > 70 {
			t.Errorf("%s: age %v", u.ID, u.Age)
		}
		if u.Gender == nil || u.Name == nil || *u.Name == "" {
			t.Errorf("%s: missing gender or name", u.ID)
		}
		if len(u.Interests) < 2 {
			t.Errorf("%s: %d interests", u.ID, len(u.Interests))
		}
		for _, in := range u.Interests {
			if _, ok := interestTaste[in]; !ok {
				t.Errorf("%s: interest %q maps onto no category", u.ID, in)
			}
		}
		if !words.HasHan(strings.Join(u.Interests, "")) {
			english++
			if words.HasHan(*u.Name) {
				t.Errorf("English-speaking %s has a Chinese name", u.ID)
			}
		}
	}
	if english < 5 {
		t.Errorf("%d English-speaking users, want a few", english)
	}
}

func TestInteractionsArePlausible(t *testing.T) {
	s := Generate(testNow)
	counts := map[shop.InteractionKind]int{}
	type up struct{ u, p string }
	firstView := map[up]time.Time{}
	purchased := map[up]time.Time{}
	seen := map[string]bool{}
	viewsPerProduct := map[string]int{}
	perUser := map[string]int{}
	var prev time.Time
	for _, in := range s.Interactions {
		at := *in.OccurredAt
		if at.After(testNow) || !at.After(testNow.Add(-Window)) {
			t.Fatalf("event at %s outside (now-90d, now]", at)
		}
		if at.Before(prev) {
			t.Fatal("interactions are not in time order")
		}
		prev = at
		key := fmt.Sprint(in.UserID, in.ProductID, in.Kind, at.UnixNano())
		if seen[key] {
			t.Errorf("duplicate event %s", key)
		}
		seen[key] = true
		counts[in.Kind]++
		perUser[in.UserID]++
		k := up{in.UserID, in.ProductID}
		switch in.Kind {
		case shop.KindView:
			viewsPerProduct[in.ProductID]++
			if _, ok := firstView[k]; !ok {
				firstView[k] = at
			}
		case shop.KindPurchase:
			if _, ok := purchased[k]; !ok {
				purchased[k] = at
			}
		case shop.KindRate:
			v := *in.Value
			if v < 1 || v > 5 || v != math.Trunc(v) {
				t.Errorf("rating %v", v)
			}
			if bought, ok := purchased[k]; !ok || !bought.Before(at) {
				t.Errorf("%s rated %s without buying it first", in.UserID, in.ProductID)
			}
		}
		if in.Kind != shop.KindRate && in.Value != nil {
			t.Errorf("%s event carries a value", in.Kind)
		}
	}
	v, c, cart, buy := counts[shop.KindView], counts[shop.KindClick], counts[shop.KindAddToCart], counts[shop.KindPurchase]
	if !(v >= 5*buy && v > c && c > cart && cart > buy && buy > 0) {
		t.Errorf("funnel views %d, clicks %d, carts %d, purchases %d is not views ≫ clicks > carts > purchases", v, c, cart, buy)
	}
	if counts[shop.KindRate] == 0 || counts[shop.KindLike] == 0 || counts[shop.KindRate] >= buy {
		t.Errorf("%d likes, %d ratings for %d purchases", counts[shop.KindLike], counts[shop.KindRate], buy)
	}
	preceded := 0
	for _, in := range s.Interactions {
		if in.Kind != shop.KindPurchase {
			continue
		}
		if fv, ok := firstView[up{in.UserID, in.ProductID}]; ok && fv.Before(*in.OccurredAt) {
			preceded++
		}
	}
	if preceded*10 < buy*9 {
		t.Errorf("only %d of %d purchases follow a view of the same product", preceded, buy)
	}
	for _, u := range s.Users {
		if perUser[u.ID] == 0 {
			t.Errorf("user %s has no history", u.ID)
		}
	}
	// Long tail: the most viewed tenth of the catalogue draws a large share
	// of views, while many products draw only a few.
	var vs []int
	for _, p := range s.Products {
		vs = append(vs, viewsPerProduct[p.ID])
	}
	sort.Sort(sort.Reverse(sort.IntSlice(vs)))
	head, few := 0, 0
	for i, x := range vs {
		if i < len(vs)/10 {
			head += x
		}
		if x <= 5 {
			few++
		}
	}
	if float64(head) < 0.3*float64(v) || few < len(vs)/4 || vs[0] < 10*vs[len(vs)/2]+1 {
		t.Errorf("popularity is not long-tailed: top 10%% get %d of %d views, %d products have ≤ 5, max %d, median %d",
			head, v, few, vs[0], vs[len(vs)/2])
	}
	// Spread over the window: every 30-day third holds a fair share.
	var thirds [3]int
	for _, in := range s.Interactions {
		thirds[int(testNow.Sub(*in.OccurredAt)/(30*24*time.Hour))%3]++
	}
	for i, n := range thirds {
		if n < len(s.Interactions)/5 {
			t.Errorf("days %d–%d ago hold only %d events", i*30, i*30+30, n)
		}
	}
}

// Users mostly browse what they said they like: interests drive behaviour.
func TestBehaviourFollowsInterests(t *testing.T) {
	s := Generate(testNow)
	top := map[string]string{}
	for _, p := range s.Products {
		top[p.ID], _, _ = strings.Cut(p.Category, "/")
	}
	liked := map[string]map[string]bool{}
	for _, u := range s.Users {
		liked[u.ID] = map[string]bool{}
		for _, in := range u.Interests {
			for _, c := range interestTaste[in].cats {
				liked[u.ID][c] = true
			}
		}
	}
	in, all := 0, 0
	for _, it := range s.Interactions {
		if it.Kind == shop.KindView {
			all++
			if liked[it.UserID][top[it.ProductID]] {
				in++
			}
		}
	}
	// Users like 1–4 of 8 top categories, so random browsing would land in
	// them well under half the time.
	if share := float64(in) / float64(all); share < 0.6 {
		t.Errorf("only %.0f%% of views fall in the viewer's interest categories", share*100)
	}
}

func TestSearchJudgements(t *testing.T) {
	products := map[string]shop.Product{}
	perLang := map[shop.Language]int{}
	for _, in := range Generate(testNow).Products {
		p, _ := in.Normalize()
		products[p.ID] = p
		perLang[p.Language]++
	}
	js := SearchJudgements()
	langs := map[shop.Language]int{}
	queries := map[string]bool{}
	for _, j := range js {
		langs[j.Language]++
		if queries[j.Query] {
			t.Errorf("query %q is labelled twice", j.Query)
		}
		queries[j.Query] = true
		if len(j.Relevant) == 0 {
			t.Errorf("%q (%s) has no relevant product", j.Query, j.Rule)
		}
		if len(j.Relevant) >= perLang[j.Language]/10 {
			t.Errorf("%q marks %d products relevant: the rule does not discriminate", j.Query, len(j.Relevant))
		}
		if j.Language == shop.LanguageZH && !words.HasHan(j.Query) && !numberRE.MatchString(j.Query) {
			t.Errorf("Chinese query %q has no Chinese", j.Query)
		}
		if j.Language == shop.LanguageEN && words.HasHan(j.Query) {
			t.Errorf("English query %q has Chinese", j.Query)
		}
		for _, id := range j.Relevant {
			p, ok := products[id]
			if !ok {
				t.Errorf("%q: unknown product %s", j.Query, id)
				continue
			}
			if p.Language != j.Language {
				t.Errorf("%q: %s is in %s", j.Query, id, p.Language)
			}
		}
	}
	if len(js) < 44 || langs[shop.LanguageZH] < 20 || langs[shop.LanguageEN] < 20 {
		t.Errorf("%d judgements (%d ZH, %d EN), want ≥ 44 with ≥ 20 of each", len(js), langs[shop.LanguageZH], langs[shop.LanguageEN])
	}
	// Spot-check that rules mean what the query says.
	for _, j := range js {
		for _, id := range j.Relevant {
			p := products[id]
			switch j.Query {
			case "戴森吸尘器":
				if p.Brand != "戴森" || p.Category != "家电/吸尘器" {
					t.Errorf("戴森吸尘器 → %s %s %s", id, p.Brand, p.Category)
				}
			case "5000mAh", "5000mAh battery":
				if !strings.Contains(fmt.Sprint(p.Attributes), "5000mAh") {
					t.Errorf("%s → %s without 5000mAh", j.Query, id)
				}
			case "千元以内耳机":
				if p.Price.Amount > 1000_00 {
					t.Errorf("千元以内耳机 → %s at %s", id, p.Price.Amount)
				}
			case "noise cancelling headphones":
				if !hasTag(p.Tags, "noise cancelling") {
					t.Errorf("noise cancelling headphones → %s without the tag", id)
				}
			}
		}
	}
}

func isENTag(tag string) bool {
	for _, en := range tagEN {
		if en == tag {
			return true
		}
	}
	return false
}

func BenchmarkGenerate(b *testing.B) {
	for b.Loop() {
		Generate(testNow)
	}
}

func BenchmarkSearchJudgements(b *testing.B) {
	for b.Loop() {
		SearchJudgements()
	}
}
