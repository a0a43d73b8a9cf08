package assistant

import (
	"strings"

	"github.com/shopmuse/shopmuse/copywriter"
	"github.com/shopmuse/shopmuse/internal/words"
	"github.com/shopmuse/shopmuse/shop"
)

// Intent is what a question asks for, before any fact is looked up.
type Intent string

// Intents.
const (
	// IntentProduct asks about one product (attributes, price, promotion,
	// in the box, compatibility).
	IntentProduct Intent = "PRODUCT"
	// IntentNeed asks for products that fit a need.
	IntentNeed Intent = "NEED"
	// IntentComparison compares two products.
	IntentComparison Intent = "COMPARISON"
	// IntentHandoff is for customer service: orders, refunds, delivery.
	IntentHandoff Intent = "HANDOFF"
)

// Comparator is the relation of a yes/no question about a number
// ("电池超过4500mAh吗": GT 4500 mah).
type Comparator string

// Comparators.
const (
	CmpGT Comparator = ">"
	CmpLT Comparator = "<"
	CmpEQ Comparator = "="
)

// NumberAsk is a yes/no question about a number.
type NumberAsk struct {
	Op    Comparator
	Value float64
	Unit  string // canonical unit (mah, g, in, min, CNY, ...)
}

// Parsed is a question read without the catalogue: the LLM answerer reuses
// it to pick facts and to honour filters.
type Parsed struct {
	Intent   Intent
	Language shop.Language
	// Topics are the canonical topics asked about (battery, screen, weight,
	// price, warranty, ...), in the table's order.
	Topics []string
	// Filter holds the price range (and, once resolved against the
	// catalogue, the category) of a need question. Brand and tag groups are
	// below because one brand has two names and one need several tags.
	Filter shop.ProductFilter
	// CategoryLeaf is the category named by a need ("手机"), matched against
	// path segments.
	CategoryLeaf string
	// Brands are the names of the brand a need asks for (华为, Huawei).
	Brands []string
	// TagGroups: a product fits the need when it carries a tag of each group.
	TagGroups [][]string
	// SoftTags are wishes that order the products but exclude none (a gift,
	// for a student): most products can be either.
	SoftTags [][]string
	// Query is the text to search candidates with (price words removed).
	Query string
	// Mentions are the parts of a comparison naming its products.
	Mentions []string
	// Number is set for yes/no questions about a number.
	Number *NumberAsk
	// Specs are a need's bounds on attributes ("电池5000mAh以上": GT 5000
	// mah, read as at least): a product fits when an attribute in that unit
	// is within every bound.
	Specs []NumberAsk
	// Compares is true when the question asks which of two is better or
	// what differs.
	Compares bool
	// HandoffTopic says why a question is out of scope (order, refund, ...).
	HandoffTopic string

	norm string // the normalised text
}

// DetectLanguage is ZH when the text is mostly Chinese, else EN.
func DetectLanguage(text string) shop.Language {
	share, n := copywriter.HanShare(text)
	if n > 0 && share >= 0.4 {
		return shop.LanguageZH
	}
	if n == 0 && words.HasHan(text) {
		return shop.LanguageZH
	}
	return shop.LanguageEN
}

// Parse reads intent, topics and filters from the question's text. Intent
// here is what the text alone says; the built-in answerer still turns a
// PRODUCT question whose product it cannot find into UNKNOWN.
func Parse(q Question) Parsed {
	t := normalize(q.Text)
	p := Parsed{Language: q.Language, norm: t}
	if !p.Language.Valid() {
		p.Language = DetectLanguage(q.Text)
	}
	p.Topics = findTopics(englishFuzzy(t, false))
	if len(p.Topics) == 0 {
		p.Topics = findTopics(fuzzyForm(t))
	}
	for _, h := range handoffWords {
		// 坏了保修吗 asks about the warranty: a weak word hands off only
		// a question about nothing else
		if has(t, h.word) && (h.topic != "weak" || len(p.Topics) == 0) {
			p.HandoffTopic = h.topic
			if p.HandoffTopic == "weak" {
				p.HandoffTopic = "complaint"
			}
			break
		}
	}
	p.Number = numberAsk(t)
	for _, w := range compareWords {
		if has(t, w) {
			p.Compares = true
			break
		}
	}
	price, rest := parsePrice(t)
	p.Filter.MinPrice, p.Filter.MaxPrice = price.min, price.max
	p.Query = strings.Join(strings.Fields(rest), " ")
	p.CategoryLeaf = findCategory(rest)
	p.Brands = findBrands(t)
	for _, g := range tagGroups {
		for _, w := range g.words {
			if has(rest, w) {
				switch {
				case g.soft:
					p.SoftTags = append(p.SoftTags, g.tags)
				default:
					p.TagGroups = append(p.TagGroups, g.tags)
					if len(g.tags) == 1 {
						p.Filter.Tags = append(p.Filter.Tags, g.tags[0])
					}
				}
				break
			}
		}
	}
	need := !price.empty() || len(specs(t)) > 0 && p.CategoryLeaf != ""
	for _, w := range needWords {
		if has(t+" ", w) {
			need = true
			break
		}
	}
	switch {
	case p.HandoffTopic != "":
		p.Intent = IntentHandoff
	case len(q.ProductIDs) >= 2:
		p.Intent = IntentComparison
	case q.ProductID != "":
		p.Intent = IntentProduct
		// "有没有便宜点的手机" on a product page asks for other products
		if need && p.CategoryLeaf != "" && !productTopics(p.Topics) {
			p.Intent = IntentNeed
		}
	default:
		if m := splitMentions(q.Text); len(m) == 2 && p.Compares {
			p.Intent = IntentComparison
			p.Mentions = m
		} else if need || p.CategoryLeaf != "" && len(p.Topics) == 0 || len(p.TagGroups) > 0 && p.CategoryLeaf != "" {
			p.Intent = IntentNeed
		} else {
			p.Intent = IntentProduct
		}
	}
	if p.Intent == IntentNeed {
		avail := true
		p.Filter.AvailableOnly = &avail
		p.Specs = specs(t)
	}
	return p
}

// productTopics reports whether the topics ask about a product's own facts
// rather than only about its price.
func productTopics(ts []string) bool {
	for _, t := range ts {
		if t != "price" && t != "promotion" {
			return true
		}
	}
	return false
}

func findTopics(t string) []string {
	var out []string
	for _, tp := range topics {
		for _, w := range tp.words {
			if has(t, w) {
				out = append(out, tp.key)
				break
			}
		}
	}
	// 屏幕尺寸 asks about the screen; 尺寸 alone about a size
	if contains(out, "screen") {
		out = remove(out, "size")
	}
	// "how much does it weigh", "how much storage": another topic, not the price
	if contains(out, "price") && len(out) > 1 && has(t, "how much") && !hasAny(t, "cost", "price", "pay", "is it", "is this", "are they") {
		out = remove(out, "price")
	}
	// 电池容量 asks about the battery
	if contains(out, "battery") {
		out = remove(out, "capacity")
	}
	// 保温杯多重: 保温 there names the product; a question about keeping
	// warm says 保温多久, 保温时间 or the like
	if contains(out, "heat") && len(out) > 1 && !has(t, "保温多") && !has(t, "保温时") && !has(t, "keep") {
		out = remove(out, "heat")
	}
	return out
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

func remove(xs []string, drop ...string) []string {
	var out []string
	for _, y := range xs {
		if !contains(drop, y) {
			out = append(out, y)
		}
	}
	return out
}

// fuzzyForm undoes common slips: Chinese homophones typed by a pinyin input
// method (续杭 → 续航, 多少前 → 多少钱) and English words one edit away from a
// topic word (batery → battery). It is used only when the text as typed
// names no topic, so correct words are never "corrected".
func fuzzyForm(t string) string {
	var b strings.Builder
	for _, r := range t {
		if c, ok := homophones[r]; ok {
			r = c
		}
		b.WriteRune(r)
	}
	return englishFuzzy(b.String(), true)
}

// englishFuzzy corrects English words one slip away from a topic word. Not
// in fallback mode it corrects only toward words of six letters or more,
// and never a common word (later is not water).
func englishFuzzy(t string, fallback bool) string {
	out := t
	fields := strings.FieldsFunc(t, func(r rune) bool { return !(r < 128 && words.IsWordByte(byte(r))) })
	for _, f := range fields {
		if len(f) < 4 || !isAlpha(f) || commonEnglish[f] {
			continue
		}
		if w, ok := nearestTopicWord(f); ok && w != f && (fallback || len(w) >= 5) {
			out = replaceWord(out, f, w)
		}
	}
	return out
}

// commonEnglish are words one letter away from a topic word that mean
// something else.
var commonEnglish = map[string]bool{
	"later": true, "right": true, "night": true, "might": true, "sight": true, "fight": true, "tight": true, "eight": true,
	"prize": true, "pride": true, "thing": true, "think": true, "where": true, "there": true, "these": true, "those": true,
	"which": true, "would": true, "could": true, "about": true, "white": true, "while": true, "height": true, "hours": true,
	"phone": true, "ships": true, "sales": true, "deals": true, "offers": true, "holds": true, "costs": true, "lasts": true,
	"power": true, "tower": true, "lower": true, "cable": true, "table": true, "safe": true, "same": true, "size": true,
	"does": true, "done": true, "gone": true, "have": true, "this": true, "that": true, "what": true, "with": true,
	"will": true, "your": true, "from": true, "they": true, "them": true, "than": true, "then": true, "when": true,
}

func isAlpha(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isLetter(s[i]) {
			return false
		}
	}
	return true
}

func replaceWord(text, from, to string) string {
	i := words.Index(text, from)
	if i < 0 {
		return text
	}
	return text[:i] + to + text[i+len(from):]
}

// topicVocabulary is every single English word of the topic table.
var topicVocabulary = func() []string {
	var out []string
	for _, tp := range topics {
		for _, w := range tp.words {
			if !words.HasHan(w) && !strings.Contains(w, " ") && len(w) >= 4 && isAlpha(w) {
				out = append(out, w)
			}
		}
	}
	return out
}()

func nearestTopicWord(f string) (string, bool) {
	best, bestD := "", 99
	for _, w := range topicVocabulary {
		limit := 1
		if len(w) >= 8 {
			limit = 2
		}
		if d := editDistance(f, w, limit); d <= limit && d < bestD {
			best, bestD = w, d
		}
	}
	return best, best != ""
}

// editDistance is the optimal-string-alignment distance (an adjacent swap
// counts one), or limit+1 when it exceeds limit.
func editDistance(a, b string, limit int) int {
	if d := len(a) - len(b); d > limit || -d > limit {
		return limit + 1
	}
	prev2 := make([]int, len(b)+1)
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		rowMin := cur[0]
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
			rowMin = min(rowMin, cur[j])
		}
		if rowMin > limit {
			return limit + 1
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(b)]
}

// numberAsk reads "超过4500mAh吗", "有没有5000mah", "under 200g?".
func numberAsk(t string) *NumberAsk {
	qs := quantities(t)
	var q *quantity
	for i := range qs {
		if qs[i].unit != "" && qs[i].unit != "CNY" {
			q = &qs[i]
			break
		}
	}
	if q == nil {
		return nil
	}
	op := CmpEQ
	// the longest cue wins: 不超过 is not 超过, 不低于 not 低于
	best := 0
	for _, c := range comparatorCues {
		if len(c.cue) > best && has(t, c.cue) {
			op, best = c.op, len(c.cue)
		}
	}
	return &NumberAsk{Op: op, Value: q.value, Unit: q.unit}
}

// comparatorCues say which way a number bounds: GT is "at least", LT "at
// most" (a need's bounds include their value; a yes/no question's do not).
var comparatorCues = []struct {
	cue string
	op  Comparator
}{
	{"超过", CmpGT}, {"大于", CmpGT}, {"高于", CmpGT}, {"多于", CmpGT}, {"以上", CmpGT}, {"不止", CmpGT}, {"至少", CmpGT}, {"不低于", CmpGT}, {"不少于", CmpGT}, {"不小于", CmpGT},
	{"over", CmpGT}, {"more than", CmpGT}, {"above", CmpGT}, {"at least", CmpGT}, {"bigger than", CmpGT}, {"larger than", CmpGT}, {"longer than", CmpGT}, {"heavier than", CmpGT}, {"or more", CmpGT},
	{"低于", CmpLT}, {"小于", CmpLT}, {"少于", CmpLT}, {"以下", CmpLT}, {"不到", CmpLT}, {"不超过", CmpLT}, {"不高于", CmpLT}, {"不大于", CmpLT}, {"不多于", CmpLT}, {"以内", CmpLT},
	{"under", CmpLT}, {"less than", CmpLT}, {"below", CmpLT}, {"lighter than", CmpLT}, {"smaller than", CmpLT}, {"shorter than", CmpLT}, {"at most", CmpLT}, {"or less", CmpLT}, {"no more than", CmpLT},
}

func hasAny(t string, ws ...string) bool {
	for _, w := range ws {
		if has(t, w) {
			return true
		}
	}
	return false
}

// findCategory returns the category a need names, most specific word first.
func findCategory(t string) string {
	type hit struct {
		leaf string
		n    int
	}
	var best hit
	for _, c := range categoryNouns {
		for _, w := range c.words {
			if len(w) > best.n && has(t, w) {
				best = hit{c.leaf, len(w)}
			}
		}
	}
	return best.leaf
}

// findBrands returns every name of the brand the text names.
func findBrands(t string) []string {
	for i, a := range brandAliasesLower {
		for _, n := range a {
			if has(t, n) {
				return []string{brandAliases[i][0], brandAliases[i][1]}
			}
		}
	}
	return nil
}

// brandAliasesLower is brandAliases lower-cased once.
var brandAliasesLower = func() [][2]string {
	out := make([][2]string, len(brandAliases))
	for i, a := range brandAliases {
		out[i] = [2]string{strings.ToLower(a[0]), strings.ToLower(a[1])}
	}
	return out
}()

// splitMentions splits "A和B哪个好" into its two product names.
func splitMentions(text string) []string {
	t := strings.TrimSpace(text)
	for _, tail := range []string{"哪个", "哪款", "谁", "有什么区别", "有啥区别", "区别", "对比", "比较", "怎么选", "which", "what's the difference", "what is the difference", "difference", "compared", "?", "？"} {
		// lower-casing can change a string's length (invalid bytes, İ):
		// only an index into a same-length form is an index into t
		if lower := strings.ToLower(t); len(lower) == len(t) {
			if i := strings.Index(lower, tail); i > 0 {
				t = t[:i]
			}
		}
	}
	t = strings.TrimPrefix(strings.TrimPrefix(t, "compare "), "Compare ")
	for _, sep := range []string{" vs. ", " vs ", " versus ", " or ", " and ", "和", "与", "跟", "还是", "对比", "比"} {
		if a, b, ok := strings.Cut(t, sep); ok {
			a, b = strings.Trim(a, " ,，:：、"), strings.Trim(b, " ,，:：、")
			if a != "" && b != "" {
				return []string{a, b}
			}
		}
	}
	return nil
}

// specs reads a need's bounds on attributes: 5000mAh以上, 200g以内, 6.5英寸
// 以上, over 5000mAh, under 200g. Bounds include their value.
func specs(t string) []NumberAsk {
	var out []NumberAsk
	for _, q := range quantities(t) {
		if q.unit == "" || q.unit == "CNY" {
			continue
		}
		after := strings.TrimLeft(t[q.end:], " ")
		before := strings.TrimRight(t[:q.start], " ")
		op := Comparator("")
		switch {
		case hasPrefixAny(after, "以上", "起", "或以上", "+", "及以上", "or more", "or higher", "or above", "or bigger", "or longer"):
			op = CmpGT
		case hasPrefixAny(after, "以下", "以内", "之内", "内", "或以下", "or less", "or lower", "or under", "or lighter", "or smaller"):
			op = CmpLT
		default:
			best := 0
			for _, c := range comparatorCues {
				if len(c.cue) > best && hasSuffixAny(before, c.cue) {
					op, best = c.op, len(c.cue)
				}
			}
			if best == 0 {
				switch {
				case hasSuffixAny(before, "within", "up to"):
					op = CmpLT
				}
			}
		}
		if op != "" {
			out = append(out, NumberAsk{Op: op, Value: q.value, Unit: q.unit})
		}
	}
	return out
}

func hasPrefixAny(s string, ps ...string) bool {
	for _, p := range ps {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

func hasSuffixAny(s string, ps ...string) bool {
	for _, p := range ps {
		if strings.HasSuffix(s, p) && (words.HasHan(p) || len(s) == len(p) || !isLetter(s[len(s)-len(p)-1])) {
			return true
		}
	}
	return false
}
