package askeval

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/shopmuse/shopmuse/assistant"
	"github.com/shopmuse/shopmuse/shop"
)

// demoNow fixes the demo's clock (only interactions depend on it).
var demoNow = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

type needPattern struct {
	pat   string
	en    bool
	price bool
	brand bool
	tag   bool
	soft  string // a soft wish's tag (送礼, 学生)
}

var needPatterns = []needPattern{
	{pat: "有没有{price}的{noun}？", price: true},
	{pat: "推荐一款{price}的{noun}", price: true},
	{pat: "想买{brand}的{noun}，有推荐吗", brand: true},
	{pat: "有没有适合{tag}的{noun}", tag: true},
	{pat: "{price}适合{tag}的{noun}推荐一下", price: true, tag: true},
	{pat: "送礼用的{noun}，{price}", price: true, soft: "送礼"},
	{pat: "学生党用的{noun}，{price}有吗", price: true, soft: "学生"},
	{pat: "Any {noun} {price}?", en: true, price: true},
	{pat: "Can you recommend a {noun} {price}?", en: true, price: true},
	{pat: "Looking for a {brand} {noun}.", en: true, brand: true},
	{pat: "I need a {tag} {noun}.", en: true, tag: true},
	{pat: "Recommend a {tag} {noun} {price}.", en: true, price: true, tag: true},
	{pat: "A {noun} as a gift, {price}?", en: true, price: true, soft: "送礼"},
}

// specPatterns ask for products with a bound on an attribute; {spec} is
// filled by specPhrases.
var specPatterns = []needPattern{
	{pat: "有没有{spec}的{noun}？"},
	{pat: "{spec}的{noun}推荐几款"},
	{pat: "Any {noun} with {spec}?", en: true},
	{pat: "Show me a {noun} with {spec}.", en: true},
}

var specPhrasesZH = map[string][]string{">": {"{attr}{v}以上", "{attr}不低于{v}"}, "<": {"{attr}{v}以下", "{attr}不超过{v}"}}
var specPhrasesEN = map[string][]string{">": {"{attr} of {v} or more", "{attr} of at least {v}"}, "<": {"{attr} of {v} or less", "{attr} of at most {v}"}}

// measureUnits are the units a shopper bounds ("60s" thread count and
// "316不锈钢" are not measures).
var measureUnits = map[string]bool{"mah": true, "g": true, "kg": true, "ml": true, "l": true, "英寸": true, "in": true, "w": true,
	"mm": true, "cm": true, "小时": true, "h": true, "天": true, "days": true, "分钟": true, "min": true, "pa": true, "aw": true,
	"db": true, "atm": true, "万像素": true, "mp": true}

// specNeeds: products with an attribute above or below a bound, the right
// set read from the same attribute (by its place in the listing, which is
// the same in both languages) of every product of the category.
func (g *gen) specNeeds(byCat map[string][]*shop.Product, cats []string) {
	for _, cat := range cats {
		ps := byCat[cat]
		for try := 0; try < 2; try++ {
			sp := specPatterns[g.pick(len(specPatterns))]
			lang := shop.LanguageZH
			if sp.en {
				lang = shop.LanguageEN
			}
			var same []*shop.Product
			for _, p := range ps {
				if p.Language == lang {
					same = append(same, p)
				}
			}
			if len(same) == 0 {
				continue
			}
			// an attribute every listing states as a number in one unit
			var idx []int
			for i := range same[0].Attributes {
				units := map[string]bool{}
				ok := true
				for _, p := range ps {
					if i >= len(p.Attributes) {
						ok = false
						break
					}
					_, u, isQ := splitQuantity(p.Attributes[i].Value)
					if !isQ || !measureUnits[strings.ToLower(u)] {
						ok = false
						break
					}
					if p.Language == lang {
						units[u] = true
					}
				}
				if ok && len(units) == 1 {
					idx = append(idx, i)
				}
			}
			if len(idx) == 0 {
				continue
			}
			i := idx[g.pick(len(idx))]
			ref := same[g.pick(len(same))].Attributes[i]
			bound, unit, _ := splitQuantity(ref.Value)
			op := []string{">", "<"}[g.pick(2)]
			phrases, name := specPhrasesZH[op], ref.Name
			v := strconv.FormatFloat(bound, 'f', -1, 64) + unit
			if sp.en {
				phrases, name = specPhrasesEN[op], strings.ToLower(ref.Name)
				if strings.Contains(ref.Value, " ") {
					v = strconv.FormatFloat(bound, 'f', -1, 64) + " " + unit
				}
			}
			phrase := phrases[g.pick(len(phrases))]
			noun := g.nouns[cat].ZH
			if sp.en {
				noun = strings.ToLower(g.nouns[cat].EN)
			}
			text := strings.NewReplacer("{spec}", strings.NewReplacer("{attr}", name, "{v}", v).Replace(phrase), "{noun}", noun).Replace(sp.pat)
			rel := map[string]int{}
			for _, p := range ps {
				n, _, _ := splitQuantity(p.Attributes[i].Value)
				if p.Available && (op == ">" && n >= bound || op == "<" && n <= bound) {
					rel[p.ID] = 1
				}
			}
			expect := assistant.KindProducts
			if len(rel) == 0 {
				expect = assistant.KindUnknown
			}
			g.add(Item{Category: CatNeed, Pattern: sp.pat + " / " + phrase, Question: assistant.Question{Text: text}, Expect: expect, Relevance: rel})
			break
		}
	}
}

var pricePhrasesZH = []string{"{x}以内", "{x}元以内", "不超过{x}元", "{a}-{b}元", "{a}到{b}块"}
var pricePhrasesEN = []string{"under ¥{x}", "below {x} yuan", "between {a} and {b} yuan", "for less than {x} yuan", "under ${x}"}

// needs: products for a need, the right set computed by the filter.
func (g *gen) needs() {
	byCat := map[string][]*shop.Product{}
	var cats []string
	for i := range g.products {
		p := &g.products[i]
		if byCat[p.Category] == nil {
			cats = append(cats, p.Category)
		}
		byCat[p.Category] = append(byCat[p.Category], p)
	}
	sort.Strings(cats)
	defer g.specNeeds(byCat, cats)
	for round := 0; round < 2; round++ {
		for _, cat := range cats {
			ps := byCat[cat]
			np := needPatterns[g.pick(len(needPatterns))]
			noun := g.nouns[cat]
			text := np.pat
			var minP, maxP *shop.Decimal
			if np.en {
				text = strings.ReplaceAll(text, "{noun}", strings.ToLower(noun.EN))
			} else {
				text = strings.ReplaceAll(text, "{noun}", noun.ZH)
			}
			pricePat := ""
			if np.price {
				phrases := pricePhrasesZH
				if np.en {
					phrases = pricePhrasesEN
				}
				pricePat = phrases[g.pick(len(phrases))]
				a := ps[g.pick(len(ps))].Price.Amount
				b := ps[g.pick(len(ps))].Price.Amount
				if a > b {
					a, b = b, a
				}
				if strings.Contains(pricePat, "{x}") {
					x := roundUpNice(float64(b) / 100)
					if g.pick(8) == 0 {
						x = roundNice(float64(minPrice(ps)) / 100 * 0.5) // below everything
					}
					d := shop.Decimal(x * 100)
					maxP = &d
					pricePat = strings.ReplaceAll(pricePat, "{x}", strconv.FormatFloat(x, 'f', -1, 64))
				} else {
					lo, hi := roundNice(float64(a)/100*0.8), roundUpNice(float64(b)/100*1.1)
					dl, dh := shop.Decimal(lo*100), shop.Decimal(hi*100)
					minP, maxP = &dl, &dh
					pricePat = strings.NewReplacer("{a}", strconv.FormatFloat(lo, 'f', -1, 64), "{b}", strconv.FormatFloat(hi, 'f', -1, 64)).Replace(pricePat)
				}
				text = strings.ReplaceAll(text, "{price}", pricePat)
			}
			var brands []string
			if np.brand {
				p := ps[g.pick(len(ps))]
				brands = []string{p.Brand}
				for _, bp := range g.brandPairs {
					if bp[0] == p.Brand || bp[1] == p.Brand {
						brands = []string{bp[0], bp[1]}
					}
				}
				name := brands[0]
				if np.en && len(brands) == 2 {
					name = brands[1]
				}
				text = strings.ReplaceAll(text, "{brand}", name)
			}
			var tagSet []string
			if np.tag {
				tag := g.distinctiveTag(ps)
				if tag == "" {
					continue
				}
				word := tag
				tagSet = []string{tag}
				if np.en {
					word = g.tagWords[tag]
					tagSet = nil
					for t, w := range g.tagWords {
						if w == word {
							tagSet = append(tagSet, t)
						}
					}
				}
				text = strings.ReplaceAll(text, "{tag}", word)
			}
			rel := map[string]int{}
			for _, p := range ps {
				if !p.Available || minP != nil && p.Price.Amount < *minP || maxP != nil && p.Price.Amount > *maxP {
					continue
				}
				if brands != nil && !slices.Contains(brands, p.Brand) {
					continue
				}
				if tagSet != nil && !slices.ContainsFunc(tagSet, func(t string) bool { return slices.Contains(p.Tags, t) }) {
					continue
				}
				rel[p.ID] = 1
				if np.soft != "" && slices.Contains(p.Tags, np.soft) {
					rel[p.ID] = 2
				}
			}
			expect := assistant.KindProducts
			if len(rel) == 0 {
				expect = assistant.KindUnknown
			}
			g.add(Item{Category: CatNeed, Pattern: np.pat + " / " + stripNumbers(pricePat), Question: assistant.Question{Text: text},
				Expect: expect, Relevance: rel})
		}
	}
}

func stripNumbers(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsDigit(r) {
			return -1
		}
		return r
	}, s)
}

func minPrice(ps []*shop.Product) shop.Decimal {
	m := ps[0].Price.Amount
	for _, p := range ps {
		m = min(m, p.Price.Amount)
	}
	return m
}

// roundUpNice rounds up to two significant digits (2699 → 2700).
func roundUpNice(v float64) float64 {
	if v <= 0 {
		return v
	}
	mag := math.Pow(10, math.Floor(math.Log10(v))-1)
	return math.Ceil(v/mag-1e-9) * mag
}

// distinctiveTag is a tag some but not all of the products carry (not the
// soft wishes, which the need patterns ask for separately).
func (g *gen) distinctiveTag(ps []*shop.Product) string {
	count := map[string]int{}
	for _, p := range ps {
		for _, t := range p.Tags {
			if g.tagWords[t] != "" {
				count[t]++
			}
		}
	}
	var tags []string
	for t, n := range count {
		if n < len(ps) && t != "送礼" && t != "学生" && t != "家庭" {
			tags = append(tags, t)
		}
	}
	sort.Strings(tags)
	if len(tags) == 0 {
		return ""
	}
	return tags[g.pick(len(tags))]
}

type comparePattern struct {
	pat    string
	en     bool
	named  bool // names the products instead of passing their IDs
	diff   bool // what differs, no winner
	price  bool
	cheap  bool
	attrOn bool
}

var comparePatterns = []comparePattern{
	{pat: "哪个{attr}更{adj}？", attrOn: true},
	{pat: "这两款{attr}哪个{adj}", attrOn: true},
	{pat: "这两款有什么区别？", diff: true},
	{pat: "哪个更便宜？", price: true, cheap: true},
	{pat: "{A}和{B}哪个{attr}更{adj}？", named: true, attrOn: true},
	{pat: "Which one has the {adj} {attr}?", en: true, attrOn: true},
	{pat: "What's the difference between these two?", en: true, diff: true},
	{pat: "Which is cheaper?", en: true, price: true, cheap: true},
	{pat: "{A} vs {B}: which has the {adj} {attr}?", en: true, named: true, attrOn: true},
}

// adjectives for the unit of a compared attribute: the Chinese and English
// word, and whether more of it wins.
func adjective(unit string) (zh, en string, more bool) {
	switch strings.ToLower(unit) {
	case "g", "kg":
		return "轻", "lighter", false
	case "小时", "h", "天", "days", "分钟", "min":
		return "长", "longer", true
	default:
		return "大", "bigger", true
	}
}

// comparisons: two products of a category, on one attribute or on price.
func (g *gen) comparisons() {
	made := 0
	for tries := 0; made < 45 && tries < 2000; tries++ {
		a := &g.products[g.pick(len(g.products))]
		var same []*shop.Product
		for i := range g.products {
			b := &g.products[i]
			if b.ID != a.ID && b.Category == a.Category && b.Language == a.Language {
				same = append(same, b)
			}
		}
		if len(same) == 0 {
			continue
		}
		b := same[g.pick(len(same))]
		var pats []comparePattern
		for _, cp := range comparePatterns {
			if cp.en == isEN(a) {
				pats = append(pats, cp)
			}
		}
		cp := pats[g.pick(len(pats))]
		it := Item{Category: CatCompare, Pattern: cp.pat, Expect: assistant.KindComparison, About: []string{a.ID, b.ID}}
		text := cp.pat
		switch {
		case cp.attrOn:
			var numeric []string
			for _, at := range a.Attributes {
				vb, ok := b.Attribute(at.Name)
				if !ok {
					continue
				}
				_, ua, oka := splitQuantity(at.Value)
				_, ub, okb := splitQuantity(vb)
				if oka && okb && ua == ub {
					numeric = append(numeric, at.Name)
				}
			}
			if len(numeric) == 0 {
				continue
			}
			name := numeric[g.pick(len(numeric))]
			va, _ := a.Attribute(name)
			vb, _ := b.Attribute(name)
			na, unit, _ := splitQuantity(va)
			nb, _, _ := splitQuantity(vb)
			zh, en, more := adjective(unit)
			adj, attrName := zh, name
			if cp.en {
				adj, attrName = en, strings.ToLower(name)
			}
			text = strings.NewReplacer("{attr}", attrName, "{adj}", adj).Replace(text)
			switch {
			case na == nb:
			case (na > nb) == more:
				it.Winner = a.ID
			default:
				it.Winner = b.ID
			}
			it.Fields = []assistant.Citation{cite(a, assistant.FieldAttrPrefix+name), cite(b, assistant.FieldAttrPrefix+name)}
		case cp.price:
			if a.Price.Amount < b.Price.Amount {
				it.Winner = a.ID
			} else if b.Price.Amount < a.Price.Amount {
				it.Winner = b.ID
			}
			it.Fields = []assistant.Citation{cite(a, assistant.FieldPrice), cite(b, assistant.FieldPrice)}
		}
		if cp.named {
			if a.Title == b.Title {
				continue
			}
			text = strings.NewReplacer("{A}", a.Title, "{B}", b.Title).Replace(text)
			it.Question = assistant.Question{Text: text}
		} else {
			it.Question = assistant.Question{Text: text, ProductIDs: []string{a.ID, b.ID}}
		}
		g.add(it)
		made++
	}
}

// slips are pinyin input-method confusions: the intended character and one
// typed in its place.
var slips = map[rune]rune{
	'钱': '前', '航': '杭', '池': '驰', '屏': '平', '量': '亮', '格': '个', '色': '涩', '防': '方',
	'重': '种', '码': '马', '像': '象', '期': '其', '惠': '会', '尺': '齿', '寸': '存', '价': '架', '修': '休',
}

// typos: answerable questions again, with one slip.
func (g *gen) typos() {
	var base []Item
	for _, it := range g.items {
		if it.Category == CatColloquial || it.Category == CatAttr {
			base = append(base, it)
		}
	}
	g.rng.Shuffle(len(base), func(i, j int) { base[i], base[j] = base[j], base[i] })
	made := 0
	for _, it := range base {
		if made == 60 {
			break
		}
		text, kind, ok := g.slip(it.Question.Text)
		if !ok {
			continue
		}
		t := it
		t.Category = CatTypo
		t.Pattern = it.Pattern + " / " + kind
		t.Question.Text = text
		g.add(t)
		made++
	}
}

// slip makes one typing mistake: a homophone in Chinese, a dropped,
// doubled or swapped letter in the longest English word.
func (g *gen) slip(text string) (string, string, bool) {
	rs := []rune(text)
	var at []int
	for i, r := range rs {
		if _, ok := slips[r]; ok {
			at = append(at, i)
		}
	}
	if len(at) > 0 {
		i := at[g.pick(len(at))]
		rs[i] = slips[rs[i]]
		return string(rs), "homophone", true
	}
	fields := strings.FieldsFunc(text, func(r rune) bool { return !unicode.IsLetter(r) || r > unicode.MaxASCII })
	longest := ""
	for _, f := range fields {
		if len(f) > len(longest) {
			longest = f
		}
	}
	if len(longest) < 5 {
		return "", "", false
	}
	i := 1 + g.pick(len(longest)-2)
	var w, kind string
	switch g.pick(3) {
	case 0:
		w, kind = longest[:i]+longest[i+1:], "dropped letter"
	case 1:
		w, kind = longest[:i]+string(longest[i])+longest[i:], "doubled letter"
	default:
		w, kind = longest[:i-1]+string(longest[i])+string(longest[i-1])+longest[i+1:], "swapped letters"
	}
	if w == longest {
		return "", "", false
	}
	return strings.Replace(text, longest, w, 1), kind, true
}

// Summary counts the set by category and part.
func (s *Set) Summary() string {
	count := map[string][2]int{}
	var cats []string
	for _, it := range s.Items {
		c := count[it.Category]
		if c == [2]int{} {
			cats = append(cats, it.Category)
		}
		if it.HeldOut {
			c[1]++
		} else {
			c[0]++
		}
		count[it.Category] = c
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%d questions:", len(s.Items))
	for _, c := range cats {
		fmt.Fprintf(&b, " %s %d+%d", c, count[c][0], count[c][1])
	}
	b.WriteString(" (dev+held-out)")
	return b.String()
}
