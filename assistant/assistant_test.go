package assistant

import (
	"context"
	"fmt"
	"math/rand/v2"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shopmuse/shopmuse/copywriter"
	"github.com/shopmuse/shopmuse/demo"
	"github.com/shopmuse/shopmuse/shop"
)

var (
	demoOnce     sync.Once
	demoProducts []shop.Product
	demoQAs      []QA
)

// demoShop is the demo catalogue and its Q&A entries.
func demoShop(t testing.TB) ([]shop.Product, []QA) {
	t.Helper()
	demoOnce.Do(func() {
		d := demo.Generate(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
		ps, errs := shop.NormalizeProducts(d.Products, "demo")
		if errs != nil {
			panic(fmt.Sprint(errs))
		}
		demoProducts = ps
		for _, q := range demo.QAs() {
			demoQAs = append(demoQAs, QA{ID: q.ID, ProductID: q.ProductID, Question: q.Question, Answer: q.Answer})
		}
	})
	return demoProducts, demoQAs
}

func demoBuiltin(t testing.TB) (*Builtin, []shop.Product) {
	ps, qas := demoShop(t)
	return NewBuiltin(NewMemCatalog(ps, qas)), ps
}

func find(t testing.TB, ps []shop.Product, ok func(*shop.Product) bool) *shop.Product {
	t.Helper()
	for i := range ps {
		if ok(&ps[i]) {
			return &ps[i]
		}
	}
	t.Fatal("no demo product fits")
	return nil
}

func ask(t *testing.T, b *Builtin, q Question) Answer {
	t.Helper()
	a, err := b.Answer(context.Background(), q)
	if err != nil {
		t.Fatalf("%q: %v", q.Text, err)
	}
	return a
}

func TestParseIntent(t *testing.T) {
	cases := []struct {
		q    Question
		want Intent
	}{
		{Question{Text: "这款手机电池多大？", ProductID: "p1"}, IntentProduct},
		{Question{Text: "有没有3000元以内适合拍照的手机？"}, IntentNeed},
		{Question{Text: "送女朋友的护肤品，500以内"}, IntentNeed},
		{Question{Text: "any headphones under $50?"}, IntentNeed},
		{Question{Text: "哪个续航长", ProductIDs: []string{"a", "b"}}, IntentComparison},
		{Question{Text: "华为 Mate 60 Pro和小米 14哪个电池大"}, IntentComparison},
		{Question{Text: "我的订单到哪了"}, IntentHandoff},
		{Question{Text: "怎么申请退款", ProductID: "p1"}, IntentHandoff},
		{Question{Text: "快递三天了还没到"}, IntentHandoff},
		{Question{Text: "Where is my order?"}, IntentHandoff},
		{Question{Text: "I want a refund", ProductID: "p1"}, IntentHandoff},
		// a warranty question is not a complaint
		{Question{Text: "坏了保修吗", ProductID: "p1"}, IntentProduct},
		{Question{Text: "Is it noise cancelling?", ProductID: "p1"}, IntentProduct},
	}
	for _, c := range cases {
		if got := Parse(c.q).Intent; got != c.want {
			t.Errorf("%q: intent %s, want %s", c.q.Text, got, c.want)
		}
	}
}

func TestDetectLanguage(t *testing.T) {
	for text, want := range map[string]shop.Language{"电池多大": shop.LanguageZH, "battery life?": shop.LanguageEN, "iPhone 15 电池多大": shop.LanguageZH, "Is the Huawei 电池 big": shop.LanguageEN} {
		if got := DetectLanguage(text); got != want {
			t.Errorf("%q: %s, want %s", text, got, want)
		}
	}
}

func TestSynonymsAndColloquialForms(t *testing.T) {
	cases := map[string]string{
		"续航咋样": "battery", "电池多大": "battery", "battery life?": "battery", "How long does the battery last?": "battery",
		"多重": "weight", "重不重": "weight", "How heavy is it?": "weight", "how much does it weigh": "weight",
		"多少钱": "price", "贵不贵": "price", "What's the price?": "price", "how much is it?": "price",
		"能防水吗": "water", "is it waterproof?": "water", "屏幕几寸的": "screen", "How big is the screen?": "screen",
		"有优惠吗": "promotion", "any discount?": "promotion", "保修期多久": "warranty", "包装里有充电器吗": "inbox",
		"How much storage does it have?": "storage",
	}
	for text, want := range cases {
		got := Parse(Question{Text: text, ProductID: "p"}).Topics
		if !slices.Contains(got, want) {
			t.Errorf("%q: topics %v, want %s", text, got, want)
		}
		if want != "price" && slices.Contains(got, "price") {
			t.Errorf("%q: topics %v also ask the price", text, got)
		}
	}
}

func TestTyposAndSlips(t *testing.T) {
	cases := map[string]string{
		"多少前": "price", "续杭怎么样": "battery", "whats the batery?": "battery", "How much does it wiegh?": "weight",
		"is it watreproof?": "water", "价个多少": "price",
	}
	for text, want := range cases {
		if got := Parse(Question{Text: text, ProductID: "p"}).Topics; !slices.Contains(got, want) {
			t.Errorf("%q: topics %v, want %s", text, got, want)
		}
	}
	// a correct common word is not "corrected" into a topic
	if got := Parse(Question{Text: "I will order it later tonight", ProductID: "p"}).Topics; slices.Contains(got, "water") || slices.Contains(got, "weight") {
		t.Errorf("later/tonight read as topics: %v", got)
	}
}

func TestQuantities(t *testing.T) {
	cases := []struct {
		in   string
		v    float64
		unit string
	}{
		{"5000mAh", 5000, "mah"}, {"1.5kg", 1500, "g"}, {"187g", 187, "g"}, {"6.1英寸", 6.1, "in"}, {"6.36 in", 6.36, "in"},
		{"7天", 10080, "min"}, {"30小时", 1800, "min"}, {"60分钟", 60, "min"}, {"5000万像素", 5e7, "px"}, {"50MP", 5e7, "px"},
		{"8GB+256GB", 256, "gb"}, {"五千毫安", 5000, "mah"}, {"１２００Ｗ", 1200, "w"}, {"34码", 34, "size"},
	}
	for _, c := range cases {
		q, ok := mainQuantity(c.in)
		if !ok || q.unit != c.unit || !sameNumber(q.value, c.v) {
			t.Errorf("%q: %v %v, want %v %s", c.in, q, ok, c.v, c.unit)
		}
	}
	for _, notQ := range []string{"IP68", "X100", "Mate 60 Pro", "黑色"} {
		if q, ok := mainQuantity(notQ); ok {
			t.Errorf("%q read as quantity %v", notQ, q)
		}
	}
}

func TestParsePrice(t *testing.T) {
	d := func(v float64) *shop.Decimal { return dec(v) }
	cases := []struct {
		in       string
		min, max *shop.Decimal
	}{
		{"500以内的面霜", nil, d(500)}, {"3000元以内的手机", nil, d(3000)}, {"1000-2000的耳机", d(1000), d(2000)},
		{"1000到2000元", d(1000), d(2000)}, {"under $50", nil, d(50)}, {"below 500 yuan", nil, d(500)},
		{"between 1000 and 2000 yuan", d(1000), d(2000)}, {"千元以内", nil, d(1000)}, {"两千左右的手机", d(1600), d(2400)},
		{"三千五以内", nil, d(3500)}, {"不超过300元", nil, d(300)}, {"2000以上的相机", d(2000), nil}, {"3k以内", nil, d(3000)},
		{"under ¥3000", nil, d(3000)}, {"预算800", nil, d(800)},
		// numbers with other units are not prices
		{"电池5000mAh以上的手机", nil, nil}, {"6.7英寸以上", nil, nil}, {"5G手机", nil, nil},
	}
	eq := func(a, b *shop.Decimal) bool { return a == nil && b == nil || a != nil && b != nil && *a == *b }
	for _, c := range cases {
		r, _ := parsePrice(normalize(c.in))
		if !eq(r.min, c.min) || !eq(r.max, c.max) {
			t.Errorf("%q: [%v, %v], want [%v, %v]", c.in, r.min, r.max, c.min, c.max)
		}
	}
}

func TestSpecsAndComparators(t *testing.T) {
	cases := map[string][]NumberAsk{
		"电池5000mAh以上的手机":                             {{Op: CmpGT, Value: 5000, Unit: "mah"}},
		"有没有200g以下的跑鞋":                               {{Op: CmpLT, Value: 200, Unit: "g"}},
		"重量不超过200g的跑鞋":                               {{Op: CmpLT, Value: 200, Unit: "g"}},
		"屏幕不低于6.5英寸的手机":                              {{Op: CmpGT, Value: 6.5, Unit: "in"}},
		"Any phone with battery of 5000mAh or more?": {{Op: CmpGT, Value: 5000, Unit: "mah"}},
		"a tent under 2kg":                           {{Op: CmpLT, Value: 2000, Unit: "g"}},
		"3000以内的手机":                                  nil, // a price, not a spec
	}
	for text, want := range cases {
		got := Parse(Question{Text: text}).Specs
		if !slices.Equal(got, want) {
			t.Errorf("%q: specs %v, want %v", text, got, want)
		}
	}
	for text, want := range map[string]Comparator{"电池超过4500mAh吗": CmpGT, "电池不超过4500mAh吗": CmpLT, "重量低于200g吗": CmpLT, "重量不低于200g吗": CmpGT, "is it under 200g?": CmpLT, "电池是5000mAh吗": CmpEQ} {
		if n := Parse(Question{Text: text, ProductID: "p"}).Number; n == nil || n.Op != want {
			t.Errorf("%q: %v, want %s", text, n, want)
		}
	}
	b, ps := demoBuiltin(t)
	a := ask(t, b, Question{Text: "电池5000mAh以上的手机"})
	if a.Kind != KindProducts {
		t.Fatalf("%s %q", a.Kind, a.Text)
	}
	for _, h := range a.Products {
		p := find(t, ps, func(p *shop.Product) bool { return p.ID == h.ProductID })
		v, ok := p.Attribute("电池")
		if !ok {
			v, _ = p.Attribute("Battery")
		}
		if q, _ := mainQuantity(v); q.value < 5000 {
			t.Errorf("lists %s with %s", p.ID, v)
		}
	}
}

func TestValidate(t *testing.T) {
	b, _ := demoBuiltin(t)
	for _, q := range []Question{
		{Text: ""}, {Text: "   "}, {Text: strings.Repeat("多", MaxQuestionRunes+1)},
		{Text: "哪个好", ProductIDs: []string{"a", "b", "c", "d", "e"}}, {Text: "电池", Language: "FR"},
	} {
		if _, err := b.Answer(context.Background(), q); err == nil {
			t.Errorf("%.20q accepted", q.Text)
		}
	}
}

func TestAnswersCiteTheFacts(t *testing.T) {
	b, ps := demoBuiltin(t)
	phone := find(t, ps, func(p *shop.Product) bool { return p.Category == "数码/手机" && p.Language == shop.LanguageZH })
	battery, _ := phone.Attribute("电池")
	for _, text := range []string{"电池多大？", "续航咋样", "电池容量是多少", "电池多大呀"} {
		a := ask(t, b, Question{Text: text, ProductID: phone.ID})
		if a.Kind != KindAnswer || !strings.Contains(a.Text, battery) {
			t.Fatalf("%q: %s %q, want the battery %s", text, a.Kind, a.Text, battery)
		}
		if !slices.Contains(a.Citations, Citation{ProductID: phone.ID, Field: "attribute:电池", Value: battery}) {
			t.Errorf("%q: citations %v", text, a.Citations)
		}
		if !copywriter.Passed(a.Checks) {
			t.Errorf("%q: checks %v", text, a.Checks)
		}
	}
	a := ask(t, b, Question{Text: "多少钱", ProductID: phone.ID})
	if a.Kind != KindAnswer || !strings.Contains(a.Text, phone.Price.Amount.Trimmed()) || a.Citations[0].Field != FieldPrice {
		t.Errorf("price: %s %q %v", a.Kind, a.Text, a.Citations)
	}
	// English listing, English question
	en := find(t, ps, func(p *shop.Product) bool { return p.Category == "数码/手机" && p.Language == shop.LanguageEN })
	a = ask(t, b, Question{Text: "battery life?", ProductID: en.ID})
	if v, _ := en.Attribute("Battery"); a.Kind != KindAnswer || !strings.Contains(a.Text, v) || a.Citations[0].Field != "attribute:Battery" {
		t.Errorf("EN battery: %s %q %v", a.Kind, a.Text, a.Citations)
	}
}

func TestYesNoAboutNumbers(t *testing.T) {
	b, ps := demoBuiltin(t)
	phone := find(t, ps, func(p *shop.Product) bool {
		v, _ := p.Attribute("电池")
		return v == "5000mAh"
	})
	for text, want := range map[string]string{"电池超过4500mAh吗？": "是的", "电池低于4000mAh吗": "不是", "电池有6000mAh以上吗": "不是"} {
		a := ask(t, b, Question{Text: text, ProductID: phone.ID})
		if a.Kind != KindAnswer || !strings.HasPrefix(a.Text, want) || strings.Contains(a.Text, "4500") || strings.Contains(a.Text, "6000") {
			t.Errorf("%q: %s %q, want %s… stating only the fact", text, a.Kind, a.Text, want)
		}
	}
}

func TestUnknownWhenTheFactsDoNotSay(t *testing.T) {
	b, ps := demoBuiltin(t)
	_, qas := demoShop(t)
	withQA := map[string]bool{}
	for _, q := range qas {
		withQA[q.ProductID] = true
	}
	phone := find(t, ps, func(p *shop.Product) bool {
		return p.Category == "数码/手机" && p.Language == shop.LanguageZH && !withQA[p.ID]
	})
	a := ask(t, b, Question{Text: "保修期多久？", ProductID: phone.ID})
	if a.Kind != KindUnknown || !strings.Contains(a.Text, "没有写保修期") || len(a.Citations) != 0 {
		t.Errorf("warranty: %s %q", a.Kind, a.Text)
	}
	lipstick := find(t, ps, func(p *shop.Product) bool { return p.Category == "美妆/口红" })
	for _, text := range []string{"续航咋样", "能防水吗", "屏幕多大", "产地是哪里"} {
		if a := ask(t, b, Question{Text: text, ProductID: lipstick.ID}); a.Kind != KindUnknown {
			t.Errorf("lipstick %q: %s %q", text, a.Kind, a.Text)
		}
	}
	if a := ask(t, b, Question{Text: "电池多大", ProductID: "no-such-product"}); a.Kind != KindUnknown {
		t.Errorf("unknown product: %s %q", a.Kind, a.Text)
	}
}

func TestQAEntriesAreCitedFacts(t *testing.T) {
	b, _ := demoBuiltin(t)
	_, qas := demoShop(t)
	var warranty QA
	for _, q := range qas {
		if strings.Contains(q.Question, "保修多久") {
			warranty = q
			break
		}
	}
	a := ask(t, b, Question{Text: "保修期多长时间？", ProductID: warranty.ProductID})
	if a.Kind != KindAnswer || !slices.Contains(a.Citations, Citation{ProductID: warranty.ProductID, Field: "qa:" + warranty.ID, Value: warranty.Answer}) {
		t.Errorf("warranty Q&A: %s %q %v", a.Kind, a.Text, a.Citations)
	}
}

func TestNeedHonoursTheFilter(t *testing.T) {
	b, ps := demoBuiltin(t)
	byID := map[string]*shop.Product{}
	for i := range ps {
		byID[ps[i].ID] = &ps[i]
	}
	cases := []struct {
		text string
		cat  string
		max  shop.Decimal
		tag  string
	}{
		{"有没有3000元以内适合拍照的手机？", "数码/手机", 300000, "拍照"},
		{"500以内的面霜", "美妆/面霜", 50000, ""},
		{"headphones under $500", "数码/耳机", 50000, ""},
		{"Any noise cancelling headphones below 1000 yuan?", "数码/耳机", 100000, "降噪"},
	}
	for _, c := range cases {
		a := ask(t, b, Question{Text: c.text})
		if a.Kind != KindProducts || len(a.Products) == 0 {
			t.Fatalf("%q: %s %q", c.text, a.Kind, a.Text)
		}
		for _, h := range a.Products {
			p := byID[h.ProductID]
			if p.Category != c.cat || p.Price.Amount > c.max || !p.Available || c.tag != "" && !slices.Contains(p.Tags, c.tag) {
				t.Errorf("%q lists %s (%s, %s, %v)", c.text, p.ID, p.Category, p.Price.Amount, p.Tags)
			}
			if h.Reason == "" {
				t.Errorf("%q: %s has no reason", c.text, p.ID)
			}
		}
		if !copywriter.Passed(a.Checks) {
			t.Errorf("%q: checks %v", c.text, a.Checks)
		}
	}
	// nothing fits: say so, list nothing
	a := ask(t, b, Question{Text: "100元以内的相机"})
	if a.Kind != KindUnknown || len(a.Products) != 0 {
		t.Errorf("no camera under 100: %s %v", a.Kind, a.Products)
	}
}

func TestComparison(t *testing.T) {
	b, ps := demoBuiltin(t)
	var x, y *shop.Product
	for i := range ps {
		for j := range ps {
			vx, okx := ps[i].Attribute("电池")
			vy, oky := ps[j].Attribute("电池")
			if okx && oky && vx == "5000mAh" && vy == "3349mAh" {
				x, y = &ps[i], &ps[j]
			}
		}
	}
	if x == nil {
		t.Fatal("no pair of phones with 5000 and 3349 mAh")
	}
	a := ask(t, b, Question{Text: "哪个电池更大？", ProductIDs: []string{y.ID, x.ID}})
	if a.Kind != KindComparison || len(a.Products) != 2 || a.Products[0].ProductID != x.ID {
		t.Fatalf("%s %q %v", a.Kind, a.Text, a.Products)
	}
	if !slices.ContainsFunc(a.Citations, func(c Citation) bool { return c.ProductID == y.ID && c.Field == "attribute:电池" }) {
		t.Errorf("the loser's battery is not cited: %v", a.Citations)
	}
	// by name, no IDs
	a = ask(t, b, Question{Text: x.Title + "和" + y.Title + "哪个电池更大？"})
	if a.Kind != KindComparison || a.Products[0].ProductID != x.ID {
		t.Errorf("by name: %s %q %v", a.Kind, a.Text, a.Products)
	}
}

func TestHandoffNamesNoFacts(t *testing.T) {
	b, ps := demoBuiltin(t)
	for _, text := range []string{"我的订单到哪了？", "怎么申请退款", "催一下发货", "Where is my order?", "I want to return this"} {
		a := ask(t, b, Question{Text: text, ProductID: ps[0].ID})
		if a.Kind != KindHandoff || len(a.Citations) != 0 || len(a.Products) != 0 {
			t.Errorf("%q: %s", text, a.Kind)
		}
	}
}

var numberRE = regexp.MustCompile(`\d+(?:\.\d+)?`)

// TestNeverInventsANumber asks many questions, some carrying numbers of
// their own, and checks that every answer passes its checks and that every
// number in its text is a number of a fact it cites.
func TestNeverInventsANumber(t *testing.T) {
	b, ps := demoBuiltin(t)
	rng := rand.New(rand.NewPCG(7, 11))
	templates := []string{"%s是多少", "%s超过%d吗", "%s是不是%d", "有没有%d以上的%s", "what is the %s", "is the %s over %d?", "%s多少？便宜%d元行吗", "这款%s有%d吗，保修%d年吗"}
	asked := 0
	for n := 0; n < 600; n++ {
		p := &ps[rng.IntN(len(ps))]
		name := "价格"
		if len(p.Attributes) > 0 && rng.IntN(4) > 0 {
			name = p.Attributes[rng.IntN(len(p.Attributes))].Name
		}
		tpl := templates[rng.IntN(len(templates))]
		num := rng.IntN(20000)
		var text string
		switch strings.Count(tpl, "%") {
		case 1:
			text = fmt.Sprintf(tpl, name)
		case 2:
			if strings.Index(tpl, "%d") < strings.Index(tpl, "%s") {
				text = fmt.Sprintf(tpl, num, name)
			} else {
				text = fmt.Sprintf(tpl, name, num)
			}
		default:
			text = fmt.Sprintf(tpl, name, num, num%9+1)
		}
		q := Question{Text: text, ProductID: p.ID}
		if rng.IntN(5) == 0 {
			q = Question{Text: fmt.Sprintf("%d以内的%s推荐", num, []string{"手机", "耳机", "面霜", "跑鞋", "咖啡"}[rng.IntN(5)])}
		}
		a := ask(t, b, q)
		asked++
		if a.Kind.Refusal() {
			continue
		}
		if !copywriter.Passed(a.Checks) {
			t.Errorf("%q: checks failed %v", text, a.Checks)
		}
		var cited strings.Builder
		for _, c := range a.Citations {
			cited.WriteString(c.Value + " ")
		}
		all := a.Text
		for _, h := range a.Products {
			all += " " + h.Reason
		}
		for _, m := range numberRE.FindAllString(all, -1) {
			if len(m) == 1 {
				continue // a count or a list's ordinal ("5款", "1."): not a claim about a product
			}
			if !strings.Contains(cited.String(), m) && !strings.Contains(cited.String(), strings.TrimSuffix(strings.TrimSuffix(m, "0"), ".")) {
				t.Errorf("%q: %q states %s, which no cited fact holds (%v)", q.Text, a.Text, m, a.Citations)
			}
		}
	}
	if asked < 500 {
		t.Fatalf("asked %d questions", asked)
	}
}

func TestCheckAnswerCatchesWhatIsNotInTheFacts(t *testing.T) {
	ps, _ := demoShop(t)
	p := find(t, ps, func(p *shop.Product) bool { _, ok := p.Attribute("电池"); return ok && p.Language == shop.LanguageZH })
	v, _ := p.Attribute("电池")
	good := Answer{Kind: KindAnswer, Text: "这款的电池是" + v + "。", Citations: []Citation{{ProductID: p.ID, Field: "attribute:电池", Value: v}}}
	if cs := CheckAnswer(good, []*shop.Product{p}, nil); !copywriter.Passed(cs) {
		t.Fatalf("a quoted fact fails: %v", cs)
	}
	bad := []struct {
		name  string
		a     Answer
		check string
	}{
		{"invented number", Answer{Kind: KindAnswer, Text: "这款的电池是9999mAh。", Citations: good.Citations}, copywriter.CheckFaithfulness},
		{"misquoted citation", Answer{Kind: KindAnswer, Text: good.Text, Citations: []Citation{{ProductID: p.ID, Field: "attribute:电池", Value: "9999mAh"}}}, CheckCitations},
		{"citation of a missing field", Answer{Kind: KindAnswer, Text: good.Text, Citations: []Citation{{ProductID: p.ID, Field: "attribute:保修", Value: "3年"}}}, CheckCitations},
		{"citation of another product", Answer{Kind: KindAnswer, Text: good.Text, Citations: []Citation{{ProductID: "other", Field: "price", Value: "1.00"}}}, CheckCitations},
		{"uncited claim", Answer{Kind: KindAnswer, Text: good.Text}, CheckCitations},
		{"banned term", Answer{Kind: KindAnswer, Text: "这款是全网最好的手机，电池是" + v + "。", Citations: good.Citations}, copywriter.CheckCompliance},
		{"uncited price", Answer{Kind: KindAnswer, Text: "电池是" + v + "，只要¥99。", Citations: good.Citations}, copywriter.CheckFaithfulness},
	}
	for _, c := range bad {
		cs := CheckAnswer(c.a, []*shop.Product{p}, nil)
		i := slices.IndexFunc(cs, func(x copywriter.Check) bool { return x.Name == c.check })
		if i < 0 || cs[i].Passed {
			t.Errorf("%s passes %s: %v", c.name, c.check, cs)
		}
	}
}

func BenchmarkAnswer(b *testing.B) {
	bl, ps := demoBuiltin(b)
	qs := []Question{
		{Text: "续航咋样", ProductID: ps[0].ID}, {Text: "多少钱", ProductID: ps[40].ID}, {Text: "保修期多久", ProductID: ps[80].ID},
		{Text: "有没有3000元以内适合拍照的手机？"}, {Text: "哪个电池更大", ProductIDs: []string{ps[0].ID, ps[1].ID}},
		{Text: "Where is my order?"},
	}
	ctx := context.Background()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := bl.Answer(ctx, qs[i%len(qs)]); err != nil {
			b.Fatal(err)
		}
	}
}
