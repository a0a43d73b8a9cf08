package copywriter

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/shopmuse/shopmuse/internal/words"
	"github.com/shopmuse/shopmuse/persona"
	"github.com/shopmuse/shopmuse/shop"
)

// The rubric reads copy as a marketer would, beside the checks (which read
// it as a regulator would). The checks decide whether a variant may be
// shown; the rubric measures whether it is worth showing: does it address
// the reader with an angle the product supports, does it say anything
// twice or fill space with the category's name, do its sentences all open
// alike, how much of it tells the reader what a feature does for them.
// eval copy reports it; the LLM writer treats its findings as failures to
// repair; TestRubricOnLabelledSet measures it against copy we labelled.

// RubricResult is the rubric's reading of one variant.
type RubricResult struct {
	// AngleMismatch lists persona angles the product's category and tags
	// do not support ("户外好搭档" on a vacuum cleaner), and statements of
	// the reader's age or gender.
	AngleMismatch []string
	// Echoes lists words said twice over: an attribute's name and a value
	// that already contains it (基站标准基站), a word repeated back to
	// back, or template phrases that restate a name and value.
	Echoes []string
	// Filler lists sentences that carry nothing: the category named as a
	// highlight (【亮点】连衣裙。), "值得一提的是" and kin.
	Filler []string
	// RepeatedOpenings lists sentence openings used more than once.
	RepeatedOpenings []string
	InvalidUTF8      bool
	// Benefits counts clauses that tell the reader what something does for
	// them; Density is per 100 characters.
	Benefits int
	Density  float64
}

// OK reports whether the variant has no rubric finding (density is a
// measure, not a finding).
func (r RubricResult) OK() bool {
	return len(r.AngleMismatch) == 0 && len(r.Echoes) == 0 && len(r.Filler) == 0 && len(r.RepeatedOpenings) == 0 && !r.InvalidUTF8
}

// Findings are the rubric's findings as sentences, for repair prompts and
// reports.
func (r RubricResult) Findings() []string {
	var out []string
	for _, a := range r.AngleMismatch {
		out = append(out, "persona angle the product does not support or a personal attribute stated: "+a)
	}
	for _, e := range r.Echoes {
		out = append(out, "says the same words twice: "+e)
	}
	for _, f := range r.Filler {
		out = append(out, "filler that states nothing about the product: "+f)
	}
	for _, o := range r.RepeatedOpenings {
		out = append(out, "several sentences open the same way: "+o)
	}
	if r.InvalidUTF8 {
		out = append(out, "not valid UTF-8")
	}
	return out
}

// Rubric reads one variant of copy for a product.
func Rubric(p *shop.Product, lang shop.Language, v Variant) RubricResult {
	return newRubricCtx(p).read(lang, v)
}

// rubricCtx is what the rubric knows about a product, computed once for all
// the variants (and, in the built-in writer, all the candidates) of a call.
type rubricCtx struct {
	p     *shop.Product
	names []string
	// own are the product's own names (brand, title words) in match form:
	// a name that doubles itself (乐扣乐扣) is no echo
	own []string
	// offAngles are the angle phrases of the interests this product does
	// not support, lower-case
	offAngles []angleID
}

type angleID struct{ phrase, key string }

func newRubricCtx(p *shop.Product) *rubricCtx {
	rc := &rubricCtx{p: p, names: categoryNames(p)}
	for _, n := range []string{p.Brand, p.Title} {
		if n = strings.TrimSpace(n); n != "" {
			rc.own = append(rc.own, matchForm(n))
			for _, f := range strings.Fields(n) {
				if words.HasHan(f) && utf8.RuneCountInString(f) >= 4 {
					rc.own = append(rc.own, f)
				}
			}
		}
	}
	return rc
}

// off computes offAngles on first use: the built-in writer's candidates
// never need them.
func (rc *rubricCtx) off() []angleID {
	if rc.offAngles != nil {
		return rc.offAngles
	}
	rc.offAngles = []angleID{}
	ok := supportedInterests(rc.p)
	for _, in := range persona.Interests {
		if ok[in.Key] {
			continue
		}
		for _, ph := range anglePhrases(in.Key) {
			rc.offAngles = append(rc.offAngles, angleID{strings.ToLower(ph), in.Key})
		}
	}
	return rc.offAngles
}

func (rc *rubricCtx) read(lang shop.Language, v Variant) RubricResult {
	return rc.readWith(lang, v, true)
}

// readWith reads a variant; without angles it skips the persona-angle
// findings, which the built-in writer rules out by construction (it takes
// its angles from relevantInterest, over the same supported interests), so
// that checking each candidate stays cheap.
func (rc *rubricCtx) readWith(lang shop.Language, v Variant, angles bool) RubricResult {
	p := rc.p
	var r RubricResult
	all := v.Headline + "\n" + v.Text
	if !utf8.ValidString(all) {
		r.InvalidUTF8 = true
		all = strings.ToValidUTF8(all, "")
	}
	text := matchForm(all)
	low := strings.ToLower(text)
	if angles {
		r.AngleMismatch = angleMismatches(p, rc.off(), low)
	}
	r.Echoes = findEchoes(p, rc.own, text)
	r.Filler = findFiller(rc.names, text)
	r.RepeatedOpenings = repeatedOpenings(v.Text, lang)
	if angles { // a measure for reports, not a finding: not needed per candidate
		r.Benefits = countBenefits(text, lang)
		if n := TextLength(v.Text); n > 0 {
			r.Density = 100 * float64(r.Benefits) / float64(n)
		}
	}
	return r
}

// anglePhrases are the ways copy addresses a reader by an interest.
func anglePhrases(k string) []string {
	in, ok := persona.InterestByKey(k)
	if !ok {
		return nil
	}
	au := audiences[k]
	ps := []string{in.ZH + "好搭档", "为" + in.ZH + "而来", in.ZH + "路上", in.ZH + "之选"}
	for _, s := range []string{au.zhFor, au.enFor, au.zhScene, au.enScene} {
		if s != "" {
			ps = append(ps, strings.ToLower(s))
		}
	}
	if k == "business" {
		ps = append(ps, "职场")
	}
	return ps
}

var (
	reAgeStated    = regexp.MustCompile(`[0-9]+\s*岁的(你|您|姐妹|宝妈|女生|男生)|[0-9]+-year-olds?\b|aged [0-9]+`)
	reGenderStated = regexp.MustCompile(`(女生|男生|女士|男士|小姐姐|小哥哥|姑娘|姐妹|宝妈|宝爸)们?(看过来|注意|专属)|^(女生|男生|女士|男士|小姐姐|小哥哥)们?[，,：:]|(?i)\b(ladies|gentlemen|girls|guys)[,:!]`)
)

func angleMismatches(p *shop.Product, off []angleID, low string) []string {
	var out []string
	seen := map[string]bool{}
	for _, a := range off {
		if !seen[a.key] && strings.Contains(low, a.phrase) {
			seen[a.key] = true
			out = append(out, fmt.Sprintf("%q (%s) on %s", a.phrase, a.key, p.Category))
		}
	}
	age := strings.Contains(low, "岁") || strings.Contains(low, "year-old") || strings.Contains(low, "aged ")
	gender := strings.ContainsAny(low, "女男姐哥娘妈爸") || strings.Contains(low, "ladies") || strings.Contains(low, "gentlemen") || strings.Contains(low, "girls") || strings.Contains(low, "guys")
	if !age && !gender {
		return out
	}
	for _, line := range strings.Split(low, "\n") {
		if m := reAgeStated.FindString(line); age && m != "" {
			out = append(out, "age stated: "+m)
		}
		if m := reGenderStated.FindString(strings.TrimSpace(line)); gender && m != "" {
			out = append(out, "gender stated: "+m)
		}
	}
	return out
}

var echoPhrases = []string{"它给出的是", "it delivers"}

func findEchoes(p *shop.Product, own []string, text string) []string {
	var out []string
	low := strings.ToLower(text)
	for _, a := range p.Attributes {
		n, v := strings.ToLower(strings.TrimSpace(a.Name)), strings.ToLower(strings.TrimSpace(a.Value))
		if n == "" || v == "" {
			continue
		}
		if strings.Contains(v, n) && strings.Contains(low, n+v) {
			out = append(out, n+v)
		}
		if words.HasHan(v) && utf8.RuneCountInString(v) >= 2 && (strings.Contains(low, v+"的"+v) || strings.Contains(low, v+v)) {
			out = append(out, v+v) // 中长款的中长款; "ll" in "fill" is no echo of size L
		}
	}
	for _, e := range echoPhrases {
		if strings.Contains(low, e) {
			out = append(out, e)
		}
	}
	// a Han word said twice back to back (基站基站); reduplication of a
	// single character (看看, 轻轻) is Chinese, not an echo, and neither is
	// a name that doubles itself (乐扣乐扣)
	scan := text
	for _, n := range own {
		if strings.Contains(scan, n) {
			scan = strings.ReplaceAll(scan, n, "|")
		}
	}
	rs := []rune(scan)
	for L := 2; L <= 4; L++ {
		for i := 0; i+2*L <= len(rs); i++ {
			if slices.Equal(rs[i:i+L], rs[i+L:i+2*L]) && allHan(rs[i:i+L]) && !isABAB(rs[i:i+L]) {
				out = append(out, string(rs[i:i+2*L]))
			}
		}
	}
	return dedupe(out)
}

func allHan(rs []rune) bool {
	for _, r := range rs {
		if !isHan(r) {
			return false
		}
	}
	return true
}

// isABAB: 试一试 style and onomatopoeia (哗啦哗啦) are fine; so are verb
// reduplications of two characters (收拾收拾, 休息休息).
func isABAB(rs []rune) bool {
	if len(rs) != 2 {
		return false
	}
	switch string(rs) {
	case "收拾", "休息", "研究", "打扮", "整理", "放松", "哗啦", "滴答", "叮咚", "溜达", "琢磨", "比划", "活动", "锻炼", "了解":
		return true
	}
	return false
}

var (
	fillerPhrases = []string{"值得一提的是", "【亮点】", "worth noting:", "highlight:", "亮点：", "参数如下", "要点如下"}
	decorations   = []string{"值得一提的是", "亮点：", "亮点:", "highlight:", "worth noting:", "这款", "此外，", "另外，", "同时，", "再加上"}
)

// sentences splits text at sentence ends: 。！？!?；, a newline, or a full
// stop before a space.
func sentences(text string) []string {
	var out []string
	start := 0
	for i, r := range text {
		end := -1
		switch r {
		case '。', '！', '？', '!', '?', '；', '\n':
			end = i + len(string(r))
		case '.':
			if i+1 < len(text) && (text[i+1] == ' ' || text[i+1] == '\n') {
				end = i + 1
			}
		}
		if end >= 0 {
			out = append(out, text[start:i])
			start = end
		}
	}
	return append(out, text[start:])
}

// undecorated strips what only decorates a sentence's start: 【亮点】,
// 值得一提的是, a connective.
func undecorated(s string) string {
	for changed := true; changed; {
		changed = false
		if strings.HasPrefix(s, "【") {
			if k := strings.Index(s, "】"); k > 0 {
				s, changed = s[k+len("】"):], true
			}
		}
		for _, d := range decorations {
			if strings.HasPrefix(s, d) {
				s, changed = s[len(d):], true
			}
		}
	}
	return s
}

func findFiller(names []string, text string) []string {
	var out []string
	low := strings.ToLower(text)
	for _, f := range fillerPhrases {
		if strings.Contains(low, f) {
			out = append(out, f)
		}
	}
	for _, s := range sentences(low) {
		s = strings.TrimSpace(s)
		core := strings.TrimSpace(undecorated(s))
		core = strings.Trim(core, " ，,：:。.")
		if core == "" {
			continue
		}
		for _, n := range names {
			if core == n {
				out = append(out, s)
				break
			}
		}
	}
	return dedupe(out)
}

// categoryNames are the words that name what the product is: the category
// segments, the category nouns in both languages and the brand + noun.
func categoryNames(p *shop.Product) []string {
	out := categorySegments(p.Category)
	for _, en := range []bool{false, true} {
		if n := strings.ToLower(categoryNoun(p.Category, en)); n != "" {
			out = append(out, n)
			if p.Brand != "" {
				out = append(out, strings.ToLower(p.Brand)+" "+n, strings.ToLower(p.Brand)+n)
			}
		}
	}
	if n := titleNoun(p.Title, p.Category); n != "" {
		out = append(out, n)
	}
	return out
}

// repeatedOpenings: sentences (of at least four characters) that open with
// the same two characters (Chinese) or the same word (English). The
// greeting and sign-off of an email are not sentences of the body.
func repeatedOpenings(text string, lang shop.Language) []string {
	seen := map[string]int{}
	var order []string
	for _, s := range sentences(text) {
		s = strings.TrimSpace(s)
		if TextLength(s) < 4 || s == "你好，" || strings.HasPrefix(s, "Hello") {
			continue
		}
		var op string
		if lang == shop.LanguageEN {
			f := strings.Fields(strings.ToLower(s))
			op = strings.Trim(f[0], ",:;")
			if len(f) > 1 && (op == "a" || op == "the" || op == "its" || op == "it") {
				op += " " + f[1]
			}
		} else {
			op = opening(s)
		}
		if seen[op] == 0 {
			order = append(order, op)
		}
		seen[op]++
	}
	var out []string
	for _, op := range order {
		if seen[op] > 1 {
			out = append(out, fmt.Sprintf("%q ×%d", op, seen[op]))
		}
	}
	return out
}

// benefitCues mark a clause that tells the reader what something does for
// them rather than what it is.
var (
	benefitCuesZH = []string{"不挑", "显瘦", "显高", "显白", "显腿", "显气质", "修饰", "遮住", "藏住", "藏肉", "拉长", "勾勒", "衬得", "衬托", "减龄",
		"透气", "亲肤", "柔软", "保暖", "清爽", "凉快", "干爽", "舒服", "舒适", "自在", "没有束缚", "不勒", "不闷", "不扎", "不压", "轻盈", "轻快",
		"百搭", "好搭", "耐看", "耐穿", "耐脏", "好打理", "省心", "省事", "放心", "安心", "方便", "顺手", "从容", "轻松", "不用", "少充", "更快",
		"流畅", "清楚", "清晰", "舒展", "安静", "稳", "够用", "放得下", "实在", "有质感", "高级", "气场", "精神", "有型", "随性", "俏皮", "甜美", "优雅", "气质", "女人味", "少女感",
		"温暖", "暖和", "防风", "挡风", "不怕", "灵动", "飘逸", "活动自如", "跑得", "衬气色", "滋润", "服帖", "自然", "均匀", "火候", "吸走", "绕开"}
	benefitCuesEN = []string{"so ", "easy", "keeps", "keep ", "comfortable", "light", "quiet", "soft", "smooth", "warm", "breathe", "moves with", "suits", "fresh",
		"no worry", "on the move", "to spare", "room for", "lasts", "to last", "goes with", "sharp", "detail", "forget"}
)

func countBenefits(text string, lang shop.Language) int {
	cues := benefitCuesZH
	split := func(r rune) bool { return strings.ContainsRune("，。！？；、\n", r) }
	if lang == shop.LanguageEN {
		cues = benefitCuesEN
		split = func(r rune) bool { return strings.ContainsRune(",.;!?\n", r) }
	}
	n := 0
	for _, c := range strings.FieldsFunc(strings.ToLower(text), split) {
		for _, cue := range cues {
			if strings.Contains(c, cue) {
				n++
				break
			}
		}
	}
	return n
}
