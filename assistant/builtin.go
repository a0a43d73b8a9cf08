package assistant

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/shopmuse/shopmuse/copywriter"
	"github.com/shopmuse/shopmuse/internal/words"
	"github.com/shopmuse/shopmuse/shop"
)

// GeneratorBuiltin names the built-in answerer in Answer.Generator.
const GeneratorBuiltin = "builtin"

// Limits on a question, enforced by every answerer (the API validates first
// and returns userErrors; these guard direct callers).
const (
	MaxQuestionRunes = 500
	MaxProductIDs    = 4
	// MaxProducts is how many products a PRODUCTS answer lists.
	MaxProducts = 5
	// candidatePool is how many candidates a need question reads before the
	// strict filter.
	candidatePool = 60
)

// ErrBadQuestion is returned for an empty or oversized question.
var ErrBadQuestion = errors.New("assistant: bad question")

// Facets is optionally implemented by a Catalog: the category paths of the
// shop, so that a need naming 手机 filters by 数码/手机. Without it the
// category is matched against path segments after the search.
type Facets interface {
	Categories(ctx context.Context) ([]string, error)
}

// Brands is optionally implemented by a Catalog: the brand names of the
// shop, so that a need naming a brand the built-in alias table does not
// know (雪中飞, Lululemon) filters by it.
type Brands interface {
	Brands(ctx context.Context) ([]string, error)
}

// Builtin answers from the facts with rules and tables; no model.
type Builtin struct {
	cat Catalog
}

// NewBuiltin returns the built-in answerer over c.
func NewBuiltin(c Catalog) *Builtin { return &Builtin{cat: c} }

// Name is GeneratorBuiltin.
func (b *Builtin) Name() string { return GeneratorBuiltin }

// Validate checks a question's sizes; answerers call it first.
func Validate(q Question) error {
	switch {
	case strings.TrimSpace(q.Text) == "":
		return fmt.Errorf("%w: the question is empty", ErrBadQuestion)
	case utf8.RuneCountInString(q.Text) > MaxQuestionRunes:
		return fmt.Errorf("%w: the question has more than %d characters", ErrBadQuestion, MaxQuestionRunes)
	case len(q.ProductIDs) > MaxProductIDs:
		return fmt.Errorf("%w: at most %d products can be compared", ErrBadQuestion, MaxProductIDs)
	case q.Language != "" && !q.Language.Valid():
		return fmt.Errorf("%w: unknown language %q", ErrBadQuestion, q.Language)
	}
	return nil
}

// Answer answers q. Errors are the catalogue's or a bad question; a
// question the facts do not answer is an UNKNOWN answer, not an error.
func (b *Builtin) Answer(ctx context.Context, q Question) (Answer, error) {
	if err := Validate(q); err != nil {
		return Answer{}, err
	}
	p := Parse(q)
	var (
		a        Answer
		products []*shop.Product
		qas      []QA
		err      error
	)
	switch p.Intent {
	case IntentHandoff:
		a = handoff(p)
	case IntentComparison:
		a, products, err = b.compare(ctx, q, p)
	case IntentNeed:
		a, products, err = b.need(ctx, q, p)
	default:
		a, products, qas, err = b.product(ctx, q, p)
	}
	if err != nil {
		return Answer{}, err
	}
	a.Generator = GeneratorBuiltin
	if a.Citations == nil {
		a.Citations = []Citation{}
	}
	if a.Products == nil {
		a.Products = []ProductHit{}
	}
	if !a.Kind.Refusal() {
		a.Checks = CheckAnswer(a, products, qas)
		if !copywriter.Passed(a.Checks) {
			// The built-in answers quote facts, so this is a defect; still,
			// nothing unsupported goes out.
			return b.unknown(p, "", a.Checks), nil
		}
	}
	if a.Checks == nil {
		a.Checks = []copywriter.Check{}
	}
	return a, nil
}

func (b *Builtin) unknown(p Parsed, topicKey string, checks []copywriter.Check) Answer {
	a := unknownAnswer(p.Language, topicKey)
	a.Generator = GeneratorBuiltin
	a.Checks = checks
	if a.Checks == nil {
		a.Checks = []copywriter.Check{}
	}
	return a
}

// unknownAnswer says the facts do not answer, naming the topic when known.
func unknownAnswer(lang shop.Language, topicKey string) Answer {
	label := topicLabel(topicKey, lang)
	var text string
	if lang == shop.LanguageEN {
		if label == "" {
			text = "The product information doesn't answer this. Please ask the shop's customer service."
		} else {
			text = fmt.Sprintf("The product information doesn't state the %s. Please ask the shop's customer service.", label)
		}
	} else {
		if label == "" {
			text = "商品信息里没有找到这个问题的答案，建议咨询店铺客服。"
		} else {
			text = fmt.Sprintf("商品信息里没有写%s，建议咨询店铺客服。", label)
		}
	}
	return Answer{Kind: KindUnknown, Text: text, Citations: []Citation{}, Products: []ProductHit{}}
}

func handoff(p Parsed) Answer {
	var text string
	if p.Language == shop.LanguageEN {
		text = "I can only answer questions about products. For orders, delivery, returns and refunds, please contact the shop's customer service."
	} else {
		text = "我只能回答商品相关的问题。订单、物流、退换货和退款请联系店铺客服处理。"
	}
	return Answer{Kind: KindHandoff, Text: text, Citations: []Citation{}, Products: []ProductHit{}}
}

var topicLabels = map[string][2]string{
	"price": {"价格", "price"}, "promotion": {"优惠活动", "promotion"}, "battery": {"电池续航", "battery"},
	"screen": {"屏幕", "screen"}, "weight": {"重量", "weight"}, "storage": {"存储", "storage"},
	"camera": {"摄像头", "camera"}, "water": {"防水性能", "water resistance"}, "color": {"颜色", "colour"},
	"capacity": {"容量", "capacity"}, "power": {"功率", "power"}, "bluetooth": {"蓝牙版本", "Bluetooth version"},
	"size": {"尺寸尺码", "size"}, "material": {"材质", "material"}, "suction": {"吸力", "suction"},
	"shelflife": {"保质期", "shelf life"}, "origin": {"产地", "origin"}, "skin": {"适用肤质", "skin type"},
	"benefit": {"功效", "benefits"}, "fit": {"版型", "fit"}, "age": {"适用年龄", "age range"}, "noise": {"噪音", "noise level"},
	"heat": {"保温时长", "heat retention"}, "warranty": {"保修期", "warranty"}, "inbox": {"包装清单和配件", "contents of the box"},
	"compat": {"兼容性", "compatibility"}, "made": {"生产信息", "production details"}, "stock": {"库存", "stock"}, "brand": {"品牌", "brand"},
}

func topicLabel(key string, lang shop.Language) string {
	l, ok := topicLabels[key]
	if !ok {
		return ""
	}
	if lang == shop.LanguageEN {
		return l[1]
	}
	return l[0]
}

// fact is one cited statement.
type fact struct {
	topic string // topic key, or "" for an attribute named outright
	cite  Citation
	label string // what the fact is called: the attribute's name, 价格, ...
	say   string // the value as the answer states it
}

// factsFor returns the product's facts the question asks about, and the
// topics it asks about that the product's facts do not state.
func factsFor(p Parsed, prod *shop.Product, lang shop.Language) (facts []fact, missing []string) {
	seen := map[string]bool{}
	add := func(f fact) {
		key := f.cite.Field
		if !seen[key] {
			seen[key] = true
			facts = append(facts, f)
		}
	}
	attr := func(topicKey string, a shop.Attribute) fact {
		return fact{topic: topicKey, label: a.Name, say: a.Value,
			cite: Citation{ProductID: prod.ID, Field: FieldAttrPrefix + a.Name, Value: a.Value}}
	}
	// attributes the question names outright (蓬松度, Fill power) or whose
	// value it names (哑光, IP68)
	for _, a := range prod.Attributes {
		name := strings.ToLower(a.Name)
		if len(name) >= 3 && !commonAttrWord[name] && has(p.norm, name) {
			add(attr("", a))
		}
	}
	for _, key := range p.Topics {
		tp := topicByKey[key]
		found := false
		switch tp.field {
		case FieldPrice:
			add(fact{topic: key, label: pick(lang, "价格", "Price"), say: copywriter.FormatPrice(prod.Price),
				cite: Citation{ProductID: prod.ID, Field: FieldPrice, Value: prod.Price.Amount.String()}})
			found = true
		case FieldPromotion:
			if prod.Promotion != "" {
				add(fact{topic: key, label: pick(lang, "当前优惠", "Current offer"), say: prod.Promotion,
					cite: Citation{ProductID: prod.ID, Field: FieldPromotion, Value: prod.Promotion}})
				found = true
			}
		case FieldBrand:
			if prod.Brand != "" {
				add(fact{topic: key, label: pick(lang, "品牌", "Brand"), say: prod.Brand,
					cite: Citation{ProductID: prod.ID, Field: FieldBrand, Value: prod.Brand}})
				found = true
			}
		case FieldAvailable:
			say := pick(lang, "有货", "in stock")
			if !prod.Available {
				say = pick(lang, "暂时缺货", "out of stock")
			}
			add(fact{topic: key, label: pick(lang, "库存", "Stock"), say: say,
				cite: Citation{ProductID: prod.ID, Field: FieldAvailable, Value: strconv.FormatBool(prod.Available)}})
			found = true
		}
		if !found {
			for _, an := range tp.attrs {
				if a, ok := attrFor(prod, an, key); ok {
					add(attr(key, a))
					found = true
					break
				}
			}
		}
		if !found {
			// the attribute the question named outright answers the topic
			for _, f := range facts {
				if f.topic == "" {
					found = true
				}
			}
		}
		if !found {
			missing = append(missing, key)
		}
	}
	// a yes/no question about a number without a topic word: the attribute
	// in the same unit ("有5000mah吗")
	if p.Number != nil && len(facts) == 0 {
		for _, a := range prod.Attributes {
			if q, ok := mainQuantity(a.Value); ok && q.unit == p.Number.Unit {
				add(attr("", a))
				break
			}
		}
	}
	// an attribute name typed with a slip (lenth, 净含亮), when nothing else
	// matched
	if len(facts) == 0 {
		for _, a := range prod.Attributes {
			if fuzzyName(p.norm, a.Name) {
				add(attr("", a))
				// "fill poewr" read as power was the attribute Fill power
				missing = nil
				break
			}
		}
	}
	// values named outright
	if len(facts) == 0 {
		for _, a := range prod.Attributes {
			v := strings.ToLower(a.Value)
			if utf8.RuneCountInString(v) >= 2 && !isDigits(v) && has(p.norm, v) {
				add(attr("", a))
			}
		}
	}
	if len(facts) > 0 {
		missing = remove(missing, "size")
		missing = remove(missing, "capacity")
	}
	return facts, missing
}

// commonAttrWord are attribute names too common as words to mean the
// attribute when they occur in a question ("can I use it", "what kit").
var commonAttrWord = map[string]bool{"use": true, "cut": true, "kit": true, "pack": true, "dock": true, "count": true, "size": true, "age": true}

// attrFor finds the product's attribute called name (case-insensitive),
// refusing one whose value is not in the topic's kind of unit (容量 of an
// air fryer is not a battery).
func attrFor(prod *shop.Product, name, topicKey string) (shop.Attribute, bool) {
	for _, a := range prod.Attributes {
		if !strings.EqualFold(a.Name, name) {
			continue
		}
		q, hasQ := mainQuantity(a.Value)
		switch topicKey {
		case "battery":
			if strings.EqualFold(name, "容量") || strings.EqualFold(name, "capacity") {
				if !hasQ || q.unit != "mah" {
					continue
				}
			}
		case "weight":
			if !hasQ || q.unit != "g" {
				continue
			}
		case "capacity":
			if hasQ && q.unit == "mah" {
				continue
			}
		}
		return a, true
	}
	return shop.Attribute{}, false
}

func pick(lang shop.Language, zh, en string) string {
	if lang == shop.LanguageEN {
		return en
	}
	return zh
}

// product answers a question about one product.
func (b *Builtin) product(ctx context.Context, q Question, p Parsed) (Answer, []*shop.Product, []QA, error) {
	var prod *shop.Product
	var err error
	named := false
	if q.ProductID != "" {
		prod, err = b.cat.Product(ctx, q.ProductID)
		if err != nil {
			return Answer{}, nil, nil, fmt.Errorf("assistant: product %s: %w", q.ProductID, err)
		}
	} else {
		prod, err = b.resolve(ctx, q.Text)
		if err != nil {
			return Answer{}, nil, nil, err
		}
		named = true
	}
	if prod == nil {
		a := unknownAnswer(p.Language, "")
		a.Text = pick(p.Language, "没有找到你问的是哪款商品，请在商品页提问或告诉我商品名称。", "I couldn't tell which product you mean. Please ask on the product's page or name the product.")
		return a, nil, nil, nil
	}
	qas, err := b.cat.QAs(ctx, prod.ID)
	if err != nil {
		return Answer{}, nil, nil, fmt.Errorf("assistant: Q&A of %s: %w", prod.ID, err)
	}
	lang := p.Language
	facts, missing := factsFor(p, prod, lang)
	if qa, ok := matchQA(p, qas, missing, len(facts) > 0); ok {
		facts = append(facts, fact{topic: "qa", label: pick(lang, "店铺答复", "The shop says"), say: qa.Answer,
			cite: Citation{ProductID: prod.ID, Field: FieldQAPrefix + qa.ID, Value: qa.Answer}})
		missing = remove(missing, topicsOfQA(qa, p.Topics)...)
	}
	if len(facts) == 0 {
		key := ""
		if len(missing) > 0 {
			key = missing[0]
		}
		return unknownAnswer(lang, key), nil, nil, nil
	}
	var sb strings.Builder
	var cites []Citation
	if named {
		cites = append(cites, Citation{ProductID: prod.ID, Field: FieldTitle, Value: prod.Title})
		sb.WriteString(prod.Title)
		sb.WriteString(pick(lang, "：", ": "))
	}
	if p.Number != nil {
		if verdict, ok := judge(p.Number, facts, lang); ok {
			sb.WriteString(verdict)
		}
	}
	for i, f := range facts {
		if i > 0 {
			sb.WriteString(pick(lang, "；", "; "))
		}
		sb.WriteString(statement(f, lang, i == 0 && !named && p.Number == nil))
		cites = append(cites, f.cite)
	}
	sb.WriteString(pick(lang, "。", "."))
	// a topic the facts do not state is said, not guessed
	for _, key := range missing {
		if serious[key] {
			sb.WriteString(pick(lang, "商品信息里没有写", " The product information doesn't state the "))
			sb.WriteString(topicLabel(key, lang))
			sb.WriteString(pick(lang, "，建议咨询店铺客服。", "; please ask customer service."))
		}
	}
	return Answer{Kind: KindAnswer, Text: strings.TrimSpace(sb.String()), Citations: cites}, []*shop.Product{prod}, qas, nil
}

// serious are topics whose absence is worth saying even when the rest of the
// question was answered.
var serious = map[string]bool{"warranty": true, "inbox": true, "origin": true, "made": true, "compat": true, "shelflife": true}

func statement(f fact, lang shop.Language, first bool) string {
	if f.topic == "qa" {
		return f.label + pick(lang, "：", ": ") + strings.TrimRight(f.say, "。.")
	}
	if lang == shop.LanguageEN {
		return f.label + ": " + f.say
	}
	prefix := ""
	if first {
		prefix = "这款的"
	}
	return prefix + f.label + "是" + f.say
}

// judge answers a yes/no question about a number from the first fact in
// the same unit: "是的，" or "不是，".
func judge(n *NumberAsk, facts []fact, lang shop.Language) (string, bool) {
	for _, f := range facts {
		q, ok := mainQuantity(f.say)
		if !ok || q.unit != n.Unit {
			continue
		}
		var yes bool
		switch n.Op {
		case CmpGT:
			yes = q.value > n.Value
		case CmpLT:
			yes = q.value < n.Value
		default:
			yes = sameNumber(q.value, n.Value)
		}
		if yes {
			return pick(lang, "是的，", "Yes. "), true
		}
		return pick(lang, "不是，", "No. "), true
	}
	return "", false
}

func sameNumber(a, b float64) bool {
	d := a - b
	return d < 1e-6 && d > -1e-6
}

// matchQA picks the product's Q&A entry that answers the question: one on
// the same topic, or one whose question shares most of its words.
func matchQA(p Parsed, qas []QA, missing []string, answered bool) (QA, bool) {
	best, bestScore := QA{}, 0.0
	for _, qa := range qas {
		qn := normalize(qa.Question)
		score := dice(bigrams(qn), bigrams(p.norm))
		qt := findTopics(qn)
		weight := 1.0
		if len(qt) == 0 {
			// the entry's question names no topic (帐篷包含地钉吗): its
			// answer may (标配地钉…), with less weight
			qt, weight = findTopics(normalize(qa.Answer)), 0.7
		}
		for _, t := range qt {
			if contains(missing, t) {
				score += weight
			} else if contains(p.Topics, t) && !answered {
				score += 0.6 * weight
			}
		}
		if score > bestScore {
			best, bestScore = qa, score
		}
	}
	return best, bestScore >= 0.6
}

func topicsOfQA(qa QA, asked []string) []string {
	var out []string
	for _, t := range findTopics(normalize(qa.Question)) {
		if contains(asked, t) {
			out = append(out, t)
		}
	}
	return out
}

// bigrams are a text's character pairs without spaces and punctuation
// (Chinese) and its words (English).
func bigrams(s string) map[string]bool {
	out := map[string]bool{}
	var prev rune
	for _, r := range s {
		if r == ' ' || r == '?' || r == '!' || r == ',' || r == '.' {
			prev = 0
			continue
		}
		if prev != 0 {
			out[string([]rune{prev, r})] = true
		}
		prev = r
	}
	return out
}

func dice(a, b map[string]bool) float64 {
	if len(a) == 0 || len(b) == 0 {
		return 0
	}
	n := 0
	for k := range a {
		if b[k] {
			n++
		}
	}
	return 2 * float64(n) / float64(len(a)+len(b))
}

// resolve finds the product a text names: the search's best hit whose title
// the text mostly contains.
func (b *Builtin) resolve(ctx context.Context, text string) (*shop.Product, error) {
	cands, err := b.cat.Candidates(ctx, text, shop.ProductFilter{}, "", 10)
	if err != nil {
		return nil, fmt.Errorf("assistant: find the product named: %w", err)
	}
	t := normalize(text)
	var best *shop.Product
	bestScore := 0.0
	for _, c := range cands {
		if s := nameScore(t, c); s > bestScore+1e-9 {
			best, bestScore = c, s
		}
	}
	if bestScore < 0.7 {
		return nil, nil
	}
	return best, nil
}

// nameScore is the share of a product's name units (English words, model
// tokens, Chinese characters) that the text contains; the brand and the
// model line must be there for any score.
func nameScore(t string, p *shop.Product) float64 {
	units := nameUnits(normalize(p.Title))
	if len(units) == 0 {
		return 0
	}
	n := 0
	for _, u := range units {
		if has(t, u) {
			n++
		}
	}
	if b := strings.ToLower(p.Brand); b != "" && !has(t, b) {
		found := false
		for _, a := range brandAliases {
			if strings.EqualFold(a[0], p.Brand) || strings.EqualFold(a[1], p.Brand) {
				found = has(t, strings.ToLower(a[0])) || has(t, strings.ToLower(a[1]))
			}
		}
		if !found {
			return 0
		}
	}
	return float64(n) / float64(len(units))
}

// nameUnits splits a title into Chinese characters and runs of other
// characters (6-12个月 → 6-12, 个, 月).
func nameUnits(title string) []string {
	var out []string
	for _, f := range strings.FieldsFunc(title, func(r rune) bool { return r == ' ' || r == ',' || r == '(' || r == ')' }) {
		run := []rune{}
		flush := func() {
			if len(run) > 0 {
				out = append(out, string(run))
				run = run[:0]
			}
		}
		for _, r := range f {
			if unicode.Is(unicode.Han, r) {
				flush()
				out = append(out, string(r))
				continue
			}
			run = append(run, r)
		}
		flush()
	}
	return out
}

// fuzzyName reports whether the text names the attribute with one slip: a
// homophone in a Chinese name of three characters or more, or one edit in
// each word of four letters or more of an English name (the other words
// exact).
func fuzzyName(t, name string) bool {
	n := strings.ToLower(name)
	if words.HasHan(n) {
		rs := []rune(n)
		if len(rs) < 3 {
			return false
		}
		ft := []rune(fuzzyForm(t))
		for i := 0; i+len(rs) <= len(ft); i++ {
			miss := 0
			for j := range rs {
				if ft[i+j] != rs[j] {
					miss++
				}
			}
			if miss <= 1 {
				return true
			}
		}
		return false
	}
	tw := strings.FieldsFunc(t, func(r rune) bool { return !(r < 128 && words.IsWordByte(byte(r))) })
	for _, w := range strings.Fields(n) {
		found := false
		for _, x := range tw {
			if x == w || len(w) >= 4 && editDistance(x, w, 1) <= 1 {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}
