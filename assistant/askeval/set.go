package askeval

import (
	"fmt"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/shopmuse/shopmuse/assistant"
	"github.com/shopmuse/shopmuse/demo"
	"github.com/shopmuse/shopmuse/shop"
)

// Categories of questions, as reported.
const (
	CatAttr       = "attribute"      // an attribute named outright
	CatColloquial = "colloquial"     // 续航咋样, how heavy is it?
	CatTypo       = "typo"           // the two above with a slip
	CatYesNo      = "yes/no"         // 电池超过4500mAh吗
	CatQA         = "q&a"            // answered by a customer-service entry
	CatUnknown    = "unknown"        // the facts do not say
	CatHandoff    = "handoff"        // orders, refunds, delivery
	CatNeed       = "need"           // products for a need
	CatCompare    = "comparison"     // two products
	CatCrossLang  = "cross-language" // a Chinese question on an English listing
)

// Item is one labelled question.
type Item struct {
	ID       string
	Category string
	Pattern  string // the pattern it was written from
	Question assistant.Question
	// Expect is the kind of answer that is right.
	Expect assistant.Kind
	// Fields: an ANSWER must cite one of them; a COMPARISON each product's.
	Fields []assistant.Citation
	// Verdict of a yes/no question: "yes" or "no".
	Verdict string
	// Winner of a comparison that asks which is better ("" when the facts
	// do not decide or the question does not ask).
	Winner string
	// Relevance of products for a need: 2 fits every wish, 1 fits the
	// filter (category, price, brand, tags) but not a soft wish (a gift).
	// A listed product outside it breaks the filter.
	Relevance map[string]int
	// Products the question is about (the page's product, the pair).
	About   []string
	HeldOut bool
}

// Answerable is whether a right answer states facts.
func (it Item) Answerable() bool { return !it.Expect.Refusal() }

// heldOut puts a third of the patterns aside by a hash of the pattern.
func heldOut(pattern string) bool {
	h := fnv.New32a()
	h.Write([]byte(pattern))
	return h.Sum32()%3 == 0
}

// Set is the generated question set and the data it was written from.
type Set struct {
	Items    []Item
	Products []shop.Product
	QAs      []assistant.QA
	// Users are the demo shop's shoppers (AsShoppers asks as them).
	Users []string
}

// seed makes the set the same on every run.
const seed1, seed2 = 0xa5c_e7a1, 0x17

// Generate writes the question set over the demo shop.
func Generate() (*Set, error) {
	d := demo.Generate(demoNow)
	products, errs := shop.NormalizeProducts(d.Products, "demo")
	if errs != nil {
		return nil, fmt.Errorf("demo products: %v", errs[0])
	}
	var qas []assistant.QA
	dq := demo.QAs()
	for _, q := range dq {
		qas = append(qas, assistant.QA{ID: q.ID, ProductID: q.ProductID, Question: q.Question, Answer: q.Answer})
	}
	g := &gen{rng: rand.New(rand.NewPCG(seed1, seed2)), products: products, qaTopics: map[string]map[string]demo.QA{}}
	for _, q := range dq {
		if g.qaTopics[q.ProductID] == nil {
			g.qaTopics[q.ProductID] = map[string]demo.QA{}
		}
		g.qaTopics[q.ProductID][q.Topic] = q
	}
	g.nouns = demo.CategoryNouns()
	g.brandPairs = demo.BrandPairs()
	g.tagWords = demo.TagWords()
	g.attributes()
	g.colloquial()
	g.crossLanguage()
	g.yesNo()
	g.unknown()
	g.qa()
	g.handoff()
	g.needs()
	g.comparisons()
	g.typos()
	for i := range g.items {
		g.items[i].ID = fmt.Sprintf("q%03d", i+1)
		g.items[i].HeldOut = heldOut(g.items[i].Category + "|" + g.items[i].Pattern)
	}
	users := make([]string, len(d.Users))
	for i, u := range d.Users {
		users[i] = u.ID
	}
	return &Set{Items: g.items, Products: products, QAs: qas, Users: users}, nil
}

type gen struct {
	rng        *rand.Rand
	products   []shop.Product
	qaTopics   map[string]map[string]demo.QA // product → topic → entry
	nouns      map[string]demo.Noun
	brandPairs [][2]string
	tagWords   map[string]string
	items      []Item
}

func (g *gen) add(it Item) { g.items = append(g.items, it) }

func isEN(p *shop.Product) bool { return p.Language == shop.LanguageEN }

func (g *gen) pick(n int) int { return g.rng.IntN(n) }

// sample returns k products spread over the catalogue.
func (g *gen) sample(k int, ok func(*shop.Product) bool) []*shop.Product {
	var pool []*shop.Product
	for i := range g.products {
		if ok == nil || ok(&g.products[i]) {
			pool = append(pool, &g.products[i])
		}
	}
	g.rng.Shuffle(len(pool), func(i, j int) { pool[i], pool[j] = pool[j], pool[i] })
	if len(pool) > k {
		pool = pool[:k]
	}
	return pool
}

func cite(p *shop.Product, field string) assistant.Citation {
	return assistant.Citation{ProductID: p.ID, Field: field}
}

// fill replaces {key} placeholders.
func fill(pattern string, kv ...string) string {
	r := strings.NewReplacer(kv...)
	return r.Replace(pattern)
}

var attrPatternsZH = []string{"{attr}是多少？", "这款{attr}怎么样？", "请问{attr}是什么", "{attr}？", "想了解一下{attr}", "这个的{attr}是啥"}
var attrPatternsEN = []string{"What is the {attr}?", "What's its {attr}?", "{attr}?", "Tell me the {attr}.", "How about the {attr}?", "Can you tell me the {attr} of this one?"}

// attributes: an attribute asked by its own name.
func (g *gen) attributes() {
	for _, p := range g.sample(110, func(p *shop.Product) bool { return len(p.Attributes) > 0 }) {
		a := p.Attributes[g.pick(len(p.Attributes))]
		pats, name := attrPatternsZH, a.Name
		if isEN(p) {
			pats, name = attrPatternsEN, strings.ToLower(a.Name)
		}
		pat := pats[g.pick(len(pats))]
		g.add(Item{Category: CatAttr, Pattern: pat, Question: assistant.Question{Text: fill(pat, "{attr}", name), ProductID: p.ID},
			Expect: assistant.KindAnswer, Fields: []assistant.Citation{cite(p, assistant.FieldAttrPrefix+a.Name)}, About: []string{p.ID}})
	}
}

// colloquialTopic is a way shoppers ask about something, and the facts that
// answer it (attribute names, or a field).
type colloquialTopic struct {
	key    string
	zh, en []string
	attrs  []string // attribute names, either language
	unit   string   // an attribute counts only with this unit in its value
	field  string
	qaKeys []string // demo Q&A topics that answer it
}

var colloquialTopics = []colloquialTopic{
	{key: "battery", zh: []string{"续航咋样", "电池耐用吗", "电池多大", "电量大不大", "一次充电能用多久"}, en: []string{"battery life?", "How long does the battery last?", "How big is the battery?"},
		attrs: []string{"电池", "续航", "Battery", "Battery life", "Runtime", "容量", "Capacity"}, unit: "mah|小时|h|天|days|分钟|min"},
	{key: "weight", zh: []string{"多重", "重不重", "有多重啊", "拿着沉吗"}, en: []string{"How heavy is it?", "How much does it weigh?", "Is it heavy?"},
		attrs: []string{"重量", "Weight", "净含量", "Net weight"}, unit: "g|kg"},
	{key: "screen", zh: []string{"屏幕多大", "屏幕几寸的", "屏幕尺寸是多少"}, en: []string{"How big is the screen?", "Screen size?", "What size is the display?"},
		attrs: []string{"屏幕", "Screen"}},
	{key: "water", zh: []string{"能防水吗", "防水吗", "下雨天能用吗", "防水怎么样"}, en: []string{"Is it waterproof?", "Can it get wet?", "How water resistant is it?"},
		attrs: []string{"防水", "Water resistance", "Waterproof rating"}},
	{key: "price", zh: []string{"多少钱", "这个多少钱啊", "价格多少", "贵不贵", "啥价"}, en: []string{"How much is it?", "What's the price?", "How much does it cost?", "price?"},
		field: assistant.FieldPrice},
	{key: "promotion", zh: []string{"有优惠吗", "最近有活动吗", "能便宜点吗", "有没有折扣"}, en: []string{"Any discount?", "Is there a promotion?", "Any deals on this?"},
		field: assistant.FieldPromotion},
	{key: "color", zh: []string{"什么颜色", "是什么色的", "颜色是哪个"}, en: []string{"What colour is it?", "What color?"},
		attrs: []string{"颜色", "Color", "色号", "Shade"}},
	{key: "capacity", zh: []string{"容量多大", "能装多少"}, en: []string{"What's the capacity?", "How much does it hold?"},
		attrs: []string{"容量", "Capacity"}},
	{key: "power", zh: []string{"功率多大", "多少瓦的"}, en: []string{"How many watts?", "What's the power?"},
		attrs: []string{"功率", "Power", "输出功率", "Output"}},
	{key: "storage", zh: []string{"内存多大", "存储多大"}, en: []string{"How much storage does it have?"},
		attrs: []string{"存储", "Storage"}},
	{key: "camera", zh: []string{"像素多少", "摄像头怎么样"}, en: []string{"How many megapixels?", "How good is the camera?"},
		attrs: []string{"摄像头", "Camera", "有效像素", "Resolution"}},
	{key: "size", zh: []string{"什么尺码", "多大码的"}, en: []string{"What size is it?"},
		attrs: []string{"尺码", "Size", "尺寸"}},
	{key: "material", zh: []string{"什么材质", "是什么面料的"}, en: []string{"What material is it?", "What is it made of?"},
		attrs: []string{"材质", "Material", "面料", "Fabric"}},
	{key: "shelflife", zh: []string{"保质期多久", "能放多久"}, en: []string{"What's the shelf life?"},
		attrs: []string{"保质期", "Shelf life"}},
	{key: "origin", zh: []string{"产地是哪里", "哪里产的"}, en: []string{"Where is it from?", "What's the origin?"},
		attrs: []string{"产地", "Origin"}},
	{key: "warranty", zh: []string{"保修期多久？", "质保几年", "坏了保修吗"}, en: []string{"What's the warranty?", "Is there a warranty?"},
		qaKeys: []string{"warranty"}},
	{key: "inbox", zh: []string{"包装清单有哪些", "送什么配件"}, en: []string{"What's in the box?", "What accessories are included?"},
		qaKeys: []string{"inbox"}},
	{key: "made", zh: []string{"生产日期是什么时候", "有3C认证吗"}, en: []string{"When was it made?", "Is it certified?"}},
}

// answers returns the citations that answer topic t for p (none: the
// facts do not say).
func (t colloquialTopic) answers(p *shop.Product, qaTopics map[string]demo.QA) []assistant.Citation {
	var out []assistant.Citation
	switch t.field {
	case assistant.FieldPrice:
		out = append(out, cite(p, assistant.FieldPrice))
	case assistant.FieldPromotion:
		if p.Promotion != "" {
			out = append(out, cite(p, assistant.FieldPromotion))
		}
	}
	for _, a := range p.Attributes {
		if !slices.ContainsFunc(t.attrs, func(n string) bool { return strings.EqualFold(n, a.Name) }) {
			continue
		}
		if t.unit != "" && !hasUnit(a.Value, t.unit) {
			continue
		}
		out = append(out, cite(p, assistant.FieldAttrPrefix+a.Name))
	}
	for _, k := range t.qaKeys {
		if q, ok := qaTopics[k]; ok {
			out = append(out, cite(p, assistant.FieldQAPrefix+q.ID))
		}
	}
	return out
}

// hasUnit reports whether value is a number followed by one of the units
// ("mah|g"), case-insensitively.
func hasUnit(value, units string) bool {
	_, u, ok := splitQuantity(value)
	if !ok {
		return false
	}
	return slices.Contains(strings.Split(units, "|"), strings.ToLower(strings.TrimSpace(u)))
}

// splitQuantity reads "5000mAh" as 5000 and "mAh", "6.1 in" as 6.1 and "in".
func splitQuantity(v string) (float64, string, bool) {
	i := 0
	for i < len(v) && (v[i] >= '0' && v[i] <= '9' || v[i] == '.') {
		i++
	}
	if i == 0 {
		return 0, "", false
	}
	n, err := strconv.ParseFloat(v[:i], 64)
	rest := strings.TrimSpace(v[i:])
	if err != nil || rest == "" || strings.ContainsAny(rest, "0123456789+-×/") {
		return 0, "", false
	}
	return n, rest, true
}

// colloquial: the usual ways of asking, on products whose facts answer them.
func (g *gen) colloquial() {
	for _, p := range g.sample(130, nil) {
		var fits []colloquialTopic
		for _, t := range colloquialTopics {
			if len(t.answers(p, g.qaTopics[p.ID])) > 0 {
				fits = append(fits, t)
			}
		}
		if len(fits) == 0 {
			continue
		}
		t := fits[g.pick(len(fits))]
		pats := t.zh
		if isEN(p) {
			pats = t.en
		}
		pat := pats[g.pick(len(pats))]
		g.add(Item{Category: CatColloquial, Pattern: pat, Question: assistant.Question{Text: pat, ProductID: p.ID},
			Expect: assistant.KindAnswer, Fields: t.answers(p, g.qaTopics[p.ID]), About: []string{p.ID}})
	}
}

// unknown: the same ways of asking where the facts do not answer.
func (g *gen) unknown() {
	for _, p := range g.sample(90, nil) {
		var misses []colloquialTopic
		for _, t := range colloquialTopics {
			if len(t.answers(p, g.qaTopics[p.ID])) == 0 {
				misses = append(misses, t)
			}
		}
		t := misses[g.pick(len(misses))]
		pats := t.zh
		if isEN(p) {
			pats = t.en
		}
		pat := pats[g.pick(len(pats))]
		g.add(Item{Category: CatUnknown, Pattern: pat, Question: assistant.Question{Text: pat, ProductID: p.ID},
			Expect: assistant.KindUnknown, About: []string{p.ID}})
	}
}

var yesNoZH = []struct{ pat, op string }{{"{attr}超过{v}吗？", ">"}, {"{attr}有{v}以上吗", ">"}, {"{attr}低于{v}吗？", "<"}, {"{attr}是不是不到{v}", "<"}}
var yesNoEN = []struct{ pat, op string }{{"Is the {attr} over {v}?", ">"}, {"Is the {attr} more than {v}?", ">"}, {"Is the {attr} under {v}?", "<"}, {"Is the {attr} less than {v}?", "<"}}

// yesNo: is a number above or below a threshold near it.
func (g *gen) yesNo() {
	for _, p := range g.sample(200, nil) {
		var numeric []shop.Attribute
		for _, a := range p.Attributes {
			if n, u, ok := splitQuantity(a.Value); ok && n > 0 && !strings.Contains(u, "%") && len(u) < 8 {
				numeric = append(numeric, a)
			}
		}
		if len(numeric) == 0 {
			continue
		}
		if len(g.itemsOf(CatYesNo)) >= 50 {
			return
		}
		a := numeric[g.pick(len(numeric))]
		n, u, _ := splitQuantity(a.Value)
		factor := []float64{0.7, 0.8, 1.25, 1.5}[g.pick(4)]
		v := roundNice(n * factor)
		if v == n {
			continue
		}
		pats, name := yesNoZH, a.Name
		sep := ""
		if isEN(p) {
			pats, name = yesNoEN, strings.ToLower(a.Name)
			if strings.Contains(a.Value, " ") {
				sep = " "
			}
		}
		pt := pats[g.pick(len(pats))]
		yes := n > v
		if pt.op == "<" {
			yes = n < v
		}
		verdict := "no"
		if yes {
			verdict = "yes"
		}
		text := fill(pt.pat, "{attr}", name, "{v}", strconv.FormatFloat(v, 'f', -1, 64)+sep+u)
		g.add(Item{Category: CatYesNo, Pattern: pt.pat, Question: assistant.Question{Text: text, ProductID: p.ID},
			Expect: assistant.KindAnswer, Fields: []assistant.Citation{cite(p, assistant.FieldAttrPrefix+a.Name)}, Verdict: verdict, About: []string{p.ID}})
	}
}

func (g *gen) itemsOf(cat string) []Item {
	var out []Item
	for _, it := range g.items {
		if it.Category == cat {
			out = append(out, it)
		}
	}
	return out
}

// roundNice rounds to two significant digits (4560 → 4600, 0.93 → 0.93).
func roundNice(v float64) float64 {
	if v <= 0 {
		return v
	}
	mag := math.Pow(10, math.Floor(math.Log10(v))-1)
	return math.Round(v/mag) * mag
}

// qaParaphrases ask what a demo Q&A topic answers, in other words.
var qaParaphrases = map[string][2][]string{
	"warranty":  {{"保修多长时间", "质保怎么算的"}, {"How long is it guaranteed for?", "What's the warranty like?"}},
	"inbox":     {{"包装里都有什么", "有没有送配件"}, {"What comes in the box?", "What accessories are included?"}},
	"compat":    {{"能兼容吗", "我的设备能用吗"}, {"Is it compatible with my devices?", "Will it work with my phone?"}},
	"flight":    {{"能带上飞机吗", "坐飞机能带吗"}, {"Can I bring it on a flight?", "Is it allowed on planes?"}},
	"travel":    {{"能带上飞机吗", "坐飞机能带吗"}, {"Can I bring it on a flight?", "Is it allowed on planes?"}},
	"care":      {{"怎么清洗", "清洗要注意什么"}, {"How do I clean it?", "Any care instructions?"}},
	"sizing":    {{"尺码准吗", "平时穿M选哪个码"}, {"Is the sizing accurate?", "Should I size up?"}},
	"allergy":   {{"孕妇能用吗", "怀孕了可以用吗"}, {"Can I use it while pregnant?", "Is it OK during pregnancy?"}},
	"authentic": {{"是不是正品", "保证正品吗"}, {"Is this genuine?", "Is it the real thing?"}},
	"storage":   {{"怎么保存", "开封了怎么存放"}, {"How do I store it?", "How should it be kept once opened?"}},
	"formula":   {{"怎么转奶", "换奶粉要注意什么"}, {"How should I switch formulas?", "Any tips for changing to this formula?"}},
}

// qa: questions a customer-service entry answers, as asked and reworded.
func (g *gen) qa() {
	var all []demo.QA
	for _, m := range g.qaTopics {
		for _, q := range m {
			all = append(all, q)
		}
	}
	sort.Slice(all, func(i, j int) bool { return all[i].ID < all[j].ID })
	g.rng.Shuffle(len(all), func(i, j int) { all[i], all[j] = all[j], all[i] })
	for i, q := range all {
		if i >= 45 {
			break
		}
		p := g.product(q.ProductID)
		pat, text := "as stored", q.Question
		if ps, ok := qaParaphrases[q.Topic]; ok && g.pick(3) > 0 {
			list := ps[0]
			if isEN(p) {
				list = ps[1]
			}
			pat = list[g.pick(len(list))]
			text = pat
		}
		g.add(Item{Category: CatQA, Pattern: pat, Question: assistant.Question{Text: text, ProductID: p.ID},
			Expect: assistant.KindAnswer, Fields: []assistant.Citation{cite(p, assistant.FieldQAPrefix+q.ID)}, About: []string{p.ID}})
	}
}

func (g *gen) product(id string) *shop.Product {
	for i := range g.products {
		if g.products[i].ID == id {
			return &g.products[i]
		}
	}
	return nil
}

var handoffZH = []string{"我的订单到哪了？", "怎么申请退款", "快递三天了还没到", "能不能催一下发货", "我要退货", "发票怎么开", "收到的东西坏了怎么办", "转人工客服", "什么时候发货？", "地址填错了能改吗"}
var handoffEN = []string{"Where is my order?", "I want a refund.", "My package hasn't arrived yet.", "How do I return this?", "Can I change my shipping address?", "The item arrived damaged.", "When will it ship?", "Can I talk to a human?"}

// handoff: what customer service answers, on a product page or not.
func (g *gen) handoff() {
	for i, p := range g.sample(40, nil) {
		pats := handoffZH
		if isEN(p) {
			pats = handoffEN
		}
		pat := pats[g.pick(len(pats))]
		q := assistant.Question{Text: pat}
		if i%2 == 0 {
			q.ProductID = p.ID
		}
		g.add(Item{Category: CatHandoff, Pattern: pat, Question: q, Expect: assistant.KindHandoff})
	}
}

// crossLanguage: Chinese shoppers ask about English listings in Chinese.
func (g *gen) crossLanguage() {
	for _, p := range g.sample(60, isEN) {
		var fits []colloquialTopic
		for _, t := range colloquialTopics {
			if len(t.answers(p, g.qaTopics[p.ID])) > 0 && len(t.qaKeys) == 0 {
				fits = append(fits, t)
			}
		}
		if len(fits) == 0 {
			continue
		}
		t := fits[g.pick(len(fits))]
		pat := t.zh[g.pick(len(t.zh))]
		g.add(Item{Category: CatCrossLang, Pattern: pat, Question: assistant.Question{Text: pat, ProductID: p.ID},
			Expect: assistant.KindAnswer, Fields: t.answers(p, g.qaTopics[p.ID]), About: []string{p.ID}})
	}
}
