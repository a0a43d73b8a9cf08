package copywriter

import (
	"regexp"
	"sort"
	"strconv"
	"strings"
	"unicode"

	"github.com/shopmuse/shopmuse/internal/words"
	"github.com/shopmuse/shopmuse/persona"
	"github.com/shopmuse/shopmuse/shop"
)

// A sheet is what the built-in writer may say about a product in one
// language, already filtered: every string on it is a product fact (or a
// neutral phrase) in the copy's language with no barred term, so templates
// filled from it pass the checks by construction.
type sheet struct {
	zh      bool
	brand   string // in the copy's language; may be ""
	model   string // P50 Pro, WH-1000XM5
	noun    string // 手机 / phone
	name    string // short name: 华为 P50 Pro
	full    string // the title when usable as is, else name
	price   string // ¥5999
	promo   string // the promotion, when usable in this language
	points  []point
	persona personaView
	seed    uint64 // per product, picks phrasings so catalogues don't read alike
}

type point struct {
	name    string // in the copy's language, "" for a free clause
	value   string
	short   string // compact form for titles: 电池容量4400mAh / 4400mAh battery
	benefit string // what it does for the reader, no numbers; may be ""
	// say is the selling point as a clause: the feature and what it does
	// for the reader, from the category's knowledge ("v领设计拉长颈部线条，
	// 露出锁骨更显气质"), or a plain statement of the value.
	say     string
	keys    string // lower-case source text for relevance
	numeric bool
}

type personaView struct {
	forWhom string // 爱拍照的你 / anyone who loves taking photos
	tag     string // 拍照 / photography; "" when the product serves none of the reader's interests
	scene   string // 周末出游 / weekend trips
	style   string
	budget  bool
	quality bool
}

var suffixWords = map[string]bool{"pro": true, "max": true, "ultra": true, "plus": true, "mini": true, "lite": true, "air": true, "se": true, "neo": true, "x": true,
	"ii": true, "iii": true, "iv": true, "mark": true}

func buildSheet(p *shop.Product, persona persona.Persona, zh bool, fs *factSet, ch Channel) *sheet {
	s := &sheet{zh: zh, seed: fnv64(p.ID)}
	if zh {
		s.brand = brandZH(p.Brand)
	} else {
		s.brand = brandEN(p.Brand)
	}
	if !safeText(s.brand, fs) || (!zh && words.HasHan(s.brand)) {
		s.brand = ""
	}
	s.model = modelOf(p.Title, p.Brand)
	s.noun = categoryNoun(p.Category, !zh)
	if zh {
		if n := titleNoun(p.Title, p.Category); n != "" {
			s.noun = n // 连衣裙, not 裙; 保温杯, not 杯
		}
		if n := nounAttribute(p); n != "" && (s.noun == "" || TextLength(p.Title) <= 4 || !strings.Contains(p.Title, s.noun)) {
			s.noun = n // described by attributes: 衣样式 卫衣 names it
		}
	}
	titleOK := safeText(p.Title, fs) && (zh && hanShare(p.Title) >= minHanShareZH || !zh && !words.HasHan(p.Title))
	if s.noun == "" && zh {
		s.noun = hanHead(stripBrand(p.Title, p.Brand))
	}
	if s.noun == "" && zh && !words.HasHan(p.Title) {
		s.noun = "好物" // an English listing with no known category noun
	}
	if s.noun == "" && !zh && titleOK {
		// the last word before the variant ("Down jacket, L" → jacket)
		t := p.Title
		if i := strings.LastIndex(t, ","); i > 0 {
			t = t[:i]
		}
		s.noun = lastWords(t, 1)
	}
	var parts []string
	for _, x := range []string{s.brand, s.model} {
		if x != "" {
			parts = append(parts, x)
		}
	}
	if s.model == "" && s.noun != "" {
		parts = append(parts, s.noun)
	}
	lim := 24
	if !zh {
		lim = 60
	}
	if s.brand == "" && s.model == "" && titleOK && TextLength(p.Title) <= lim*2/3 && !genericTitle(p, s.noun) {
		// a short unbranded title (手工陶瓷马克杯) names the product better
		// than its category does
		parts = []string{p.Title}
	}
	s.name = strings.Join(parts, " ")
	if zh {
		s.name = strings.ReplaceAll(s.name, " "+s.noun, s.noun)
	}
	if titleOK && TextLength(p.Title) <= lim {
		s.full = p.Title
	}
	if s.name == "" || !safeText(s.name, fs) {
		switch {
		case s.full != "":
			s.name = s.full
		case s.noun != "" && zh:
			s.name = "这款" + s.noun
		case s.noun != "":
			s.name = "this " + s.noun
		case zh:
			s.name = "这件好物"
		default:
			s.name = "this pick"
		}
	}
	if s.full == "" {
		s.full = s.name
	}
	if zh && s.model == "" && s.brand != "" && titleOK {
		// 太平鸟碎花连衣裙 is what a shopper calls it: the title without the
		// size or other variant choice, when it is short
		if short := shortTitle(p); short != "" && TextLength(short) <= 18 && safeText(short, fs) && strings.Contains(short, s.noun) {
			s.name = short
		}
	}
	if zh && hanShare(s.name) < 0.3 && s.noun != "" && !strings.Contains(s.name, s.noun) {
		// Sony WH-1000XM5 reads as Chinese copy once it is called 耳机
		s.name += s.noun
		if s.full != p.Title {
			s.full = s.name
		}
	}
	if p.Price.Amount > 0 {
		s.price = FormatPrice(p.Price) // a product listed without a price is not "¥0"
	}
	if pr := strings.TrimSpace(p.Promotion); pr != "" && safeText(pr, fs) && words.HasHan(pr) == zh && TextLength(pr) <= map[bool]int{true: 30, false: 90}[zh] {
		s.promo = strings.TrimRight(pr, "。.!！")
	}
	s.points = rankPoints(collectPoints(p, s, fs), persona, ch)
	s.persona = viewPersona(persona, zh, relevantInterest(persona, p), categoryScene(p.Category))
	if zh {
		// sellers type ASCII commas between Chinese clauses
		s.promo = zhPunct(s.promo)
	}
	return s
}

// genericTitle reports whether a title only names the kind of product (上衣,
// 裙): a product described by attributes is then called by its noun.
func genericTitle(p *shop.Product, noun string) bool {
	t := strings.TrimSpace(p.Title)
	if t == noun {
		return false
	}
	for _, s := range categorySegments(p.Category) {
		if t == s {
			return true
		}
	}
	for _, a := range p.Attributes {
		if strings.TrimSpace(a.Value) == t {
			return true
		}
	}
	return false
}

// nounAttribute is the value of the most specific attribute that says what
// the product is (衣样式 卫衣 over 类型 上衣), or "".
func nounAttribute(p *shop.Product) string {
	cat := kbFor(p.Category)
	best := ""
	for _, a := range p.Attributes {
		if ka := cat.attr(a.Name); ka != nil && ka.Noun && words.HasHan(a.Value) && TextLength(a.Value) <= 6 {
			if best == "" || !strings.Contains(a.Name, "类型") {
				best = strings.TrimSpace(a.Value)
			}
		}
	}
	if full, ok := map[string]string{"裙": "裙子", "裤": "裤子", "衣": "衣服"}[best]; ok {
		best = full // 这款裙子, not 这款裙
	}
	return best
}

// titleNoun is the product noun a Chinese title itself uses: the category
// leaf when the title names it, else the longest known noun in the title.
func titleNoun(title, category string) string {
	segs := strings.Split(category, "/")
	if leaf := strings.TrimSpace(segs[len(segs)-1]); leaf != "" && words.HasHan(leaf) && TextLength(leaf) <= 6 && strings.Contains(title, leaf) {
		return leaf
	}
	best := ""
	for _, t := range categoryNouns {
		if len(t.zh) > len(best) && strings.Contains(title, t.zh) {
			best = t.zh
		}
	}
	if TextLength(best) >= 2 {
		return best
	}
	return ""
}

// shortTitle is the title without the values of attributes that are a
// choice (尺码 S, 39码), with the spaces between Chinese words closed up.
func shortTitle(p *shop.Product) string {
	t := p.Title
	cat := kbFor(p.Category)
	for _, a := range p.Attributes {
		if f := strings.Fields(t); len(f) > 1 && f[len(f)-1] == strings.TrimSpace(a.Value) {
			t = strings.Join(f[:len(f)-1], " ") // the variant chosen (尺码 S, 8GB+256GB)
		}
		if ka := cat.attr(a.Name); ka != nil && ka.Skip && a.Value != "" {
			t = strings.Replace(t, a.Value, "", 1)
		}
	}
	f := strings.Fields(t)
	var b strings.Builder
	for i, w := range f {
		if i > 0 && !(isHan(lastRune(f[i-1])) && isHan(firstRune(w))) {
			b.WriteString(" ")
		}
		b.WriteString(w)
	}
	return b.String()
}

func lastRune(s string) rune {
	rs := []rune(s)
	if len(rs) == 0 {
		return 0
	}
	return rs[len(rs)-1]
}

func firstRune(s string) rune {
	for _, r := range s {
		return r
	}
	return 0
}

// FormatPrice writes a price as shoppers read it: ¥5999, ¥59.90, $19.99.
func FormatPrice(m shop.Money) string {
	amt := m.Amount.Trimmed()
	switch m.CurrencyCode {
	case "", "CNY":
		return "¥" + amt
	case "USD":
		return "$" + amt
	case "EUR":
		return "€" + amt
	}
	return m.CurrencyCode + " " + amt
}

func safeText(s string, fs *factSet) bool {
	return s == "" || len(FindBannedTerms(s, fs.text, fs.brand)) == 0
}

func hanShare(s string) float64 { v, _ := HanShare(s); return v }

// modelOf finds the model designation in a title: the tokens that mix
// letters and digits (P50, WH-1000XM5) and the suffix words after them.
func modelOf(title, brand string) string {
	toks := strings.Fields(title)
	var out []string
	started := false
	for _, t := range toks {
		if strings.EqualFold(t, brand) {
			continue
		}
		isModel := strings.ContainsAny(t, "0123456789") && strings.IndexFunc(t, isASCIILetter) >= 0 && !words.HasHan(t) && !isQuantityToken(t)
		switch {
		case isModel:
			out = append(out, t)
			started = true
		case started && suffixWords[strings.ToLower(t)]:
			out = append(out, t)
		case started:
			return strings.Join(out, " ")
		}
	}
	return strings.Join(out, " ")
}

// isQuantityToken: 4400mAh or 5G are specs, not a model name.
func isQuantityToken(t string) bool {
	c := extractClaims(t)
	return len(c.Models) == 0 && len(c.Quantities) > 0
}

func stripBrand(title, brand string) string {
	if brand != "" {
		title = strings.Replace(title, brand, "", 1)
	}
	return strings.TrimSpace(title)
}

// hanHead is the first run of Han characters in s, if it is short enough to
// serve as a noun (真空保温杯).
func hanHead(s string) string {
	var b []rune
	for _, r := range s {
		if unicode.Is(unicode.Han, r) {
			b = append(b, r)
		} else if len(b) > 0 {
			break
		}
	}
	if len(b) < 2 || len(b) > 8 {
		return ""
	}
	return string(b)
}

func lastWords(s string, n int) string {
	f := strings.Fields(s)
	if len(f) < n {
		return ""
	}
	return strings.ToLower(strings.Join(f[len(f)-n:], " "))
}

func collectPoints(p *shop.Product, s *sheet, fs *factSet) []point {
	var pts []point
	seen := func(v string) bool {
		lv := strings.ToLower(v)
		for _, q := range pts {
			if strings.Contains(strings.ToLower(q.value), lv) || strings.Contains(lv, strings.ToLower(q.value)) {
				return true
			}
		}
		return false
	}
	cat := kbFor(p.Category)
	add := func(pt point) {
		if pt.value == "" || seen(pt.value) || !safeText(pt.value+" "+pt.name+" "+pt.say, fs) {
			return
		}
		// every number on the sheet must be one the checker accepts (the
		// knowledge's phrases carry none of their own: TestBenefitData)
		if !checkFaithfulness(fs, pt.short+" "+pt.value).Passed {
			return
		}
		pts = append(pts, pt)
	}
	for _, a := range p.Attributes {
		name := attrName(a.Name, !s.zh)
		if name == "" && cat.attr(a.Name) != nil && words.HasHan(a.Name) == s.zh {
			name = a.Name // the knowledge knows it though the translation table does not
		}
		val, ok := valueIn(a.Value, s.zh)
		if name == "" || !ok || TextLength(val) > 24 && s.zh || TextLength(val) > 50 {
			continue
		}
		ka := cat.attr(a.Name)
		if ka == nil && name != a.Name {
			ka = cat.attr(name)
		}
		if ka != nil && (ka.Skip || ka.Noun) {
			continue // a size is a choice the shopper makes, a type names the product: neither sells it
		}
		pt := point{name: name, value: val, keys: strings.ToLower(a.Name + " " + a.Value + " " + name)}
		pt.numeric = strings.ContainsAny(val, "0123456789")
		echo := strings.Contains(strings.ToLower(val), strings.ToLower(name))
		switch {
		case s.zh && (echo || endsInName(val, name)):
			pt.short = val // 基站: 标准基站 and 颜色: 黑色 are said once
		case s.zh:
			pt.short = name + val
		case pt.numeric:
			pt.short = val + " " + strings.ToLower(name)
		case echo:
			pt.short = val
		default:
			pt.short = val + " " + strings.ToLower(name) // Relaxed fit, Midi length
		}
		say, known := ka.phrase(val, s.zh)
		switch {
		case known && say == "":
			continue // the knowledge says this value is not worth saying (负离子: 无)
		case known && !echoes(say, val):
			pt.say = say
			pt.benefit = benefitOf(say, s.zh)
		default:
			pt.say = plainStatement(name, val, s.zh, pt.numeric)
			if cat == nil {
				// no knowledge of the category: only benefits that hold for
				// any product may be added
				pt.benefit = benefitFor(pt.keys, s.zh)
			}
		}
		add(pt)
	}
	// Specs written into the title or description (6.6英寸OLED屏幕, 4400mAh大电池)
	leaf := ""
	if segs := categorySegments(p.Category); len(segs) > 0 {
		leaf = segs[len(segs)-1]
	}
	titleClauses := clauses(p.Title, s.zh)
	for i, c := range append(titleClauses, clauses(p.Description, s.zh)...) {
		if strings.Contains(s.name, c) || strings.EqualFold(c, p.Title) {
			continue
		}
		if i < len(titleClauses) && p.Brand != "" && strings.Contains(strings.ToLower(c), strings.ToLower(p.Brand)) {
			continue // the title's own name part (Huawei nova 12 Smartphone)
		}
		if !strings.ContainsAny(c, "0123456789") && (i < len(titleClauses) || cat != nil) {
			// title words without a spec (真空保温杯) only repeat the name; a
			// seller's loose phrases (商务通勤) read as fragments where the
			// category's knowledge already says what the attributes mean
			continue
		}
		if isCategoryWord(c, s.noun, leaf, p.Brand) || restatesAttribute(c, p.Attributes) || i >= len(titleClauses) && mostlyIn(c, p.Title) {
			continue // "扫地机器人" is what the product is, "基站标准基站" what its attributes say
		}
		pt := point{value: c, short: c, say: c, keys: strings.ToLower(c), numeric: strings.ContainsAny(c, "0123456789")}
		if cat == nil {
			pt.benefit = benefitFor(pt.keys, s.zh)
		}
		add(pt)
	}
	return pts
}

// isCategoryWord reports whether a clause only names the product's kind or
// brand: the category noun, the category leaf, or a few characters around
// either.
func isCategoryWord(c, noun, leaf, brand string) bool {
	low := strings.ToLower(strings.TrimSpace(c))
	if strings.ContainsAny(low, "0123456789") {
		return false
	}
	for _, w := range []string{strings.ToLower(noun), leaf, strings.ToLower(brand)} {
		if w != "" && strings.Contains(low, w) && TextLength(low) <= TextLength(w)+4 {
			return true
		}
	}
	return false
}

// endsInName reports whether a Chinese value ends with a character of its
// attribute's name (颜色 黑色, 人数 2人, 片数 84片): name + value would say it
// twice.
func endsInName(val, name string) bool {
	r := lastRune(val)
	return isHan(r) && strings.ContainsRune(name, r)
}

// restatesAttribute reports whether a clause repeats an attribute value
// (a seller's description often lists them again: 基站标准基站).
func restatesAttribute(c string, attrs []shop.Attribute) bool {
	low := strings.ToLower(c)
	for _, a := range attrs {
		if v := strings.ToLower(strings.TrimSpace(a.Value)); v != "" && strings.Contains(low, v) {
			return true
		}
	}
	return false
}

// mostlyIn reports whether most of a clause's characters are in the title:
// a description that opens with the product's name adds no selling point.
func mostlyIn(c, title string) bool {
	low, t := strings.ToLower(c), strings.ToLower(title)
	n, in := 0, 0
	for _, w := range strings.Fields(low) {
		for _, r := range w {
			n++
			if strings.ContainsRune(t, r) {
				in++
			}
		}
	}
	return n > 0 && in*5 >= n*4
}

// echoes reports whether a phrase says the value's own words twice: the
// value 标准基站 in "基站标准基站", or 中长款 in "裙长中长款的中长款".
func echoes(phrase, value string) bool {
	i := strings.Index(phrase, value)
	if i < 0 {
		return false
	}
	rest := phrase[:i] + "\x00" + phrase[i+len(value):]
	rs := []rune(value)
	for k := 0; k+2 <= len(rs); k++ {
		w := string(rs[k : k+2])
		if isHan(rs[k]) && isHan(rs[k+1]) && strings.Contains(rest, w) {
			return true
		}
	}
	return false
}

// benefitOf is the benefit half of a knowledge phrase: what follows the
// first comma ("v领设计拉长颈部线条，露出锁骨更显气质" → "露出锁骨更显气质").
func benefitOf(say string, zh bool) string {
	sep := "，"
	if !zh {
		sep = ", "
	}
	if _, after, ok := strings.Cut(say, sep); ok {
		return after
	}
	return ""
}

// plainStatement says a value the knowledge does not cover, plainly and
// grammatically: 吸力11000Pa, 标准基站, 避障为AI视觉; Suction: 11000Pa.
func plainStatement(name, val string, zh, numeric bool) string {
	switch {
	case strings.Contains(strings.ToLower(val), strings.ToLower(name)):
		return val
	case zh && numeric:
		return name + val
	case zh:
		return name + "为" + val
	}
	return name + " " + val
}

var reENClause = regexp.MustCompile(`[.;!?](?:\s+|$)|,\s+|\n`)

// clauses splits text into short phrases usable as selling points.
func clauses(text string, zh bool) []string {
	var out []string
	if zh {
		for _, c := range strings.FieldsFunc(text, func(r rune) bool {
			return strings.ContainsRune("，,；;。！!？?\n、 ", r)
		}) {
			c = strings.TrimSpace(c)
			n := TextLength(c)
			if n >= 3 && n <= 16 && hanShare(c) >= 0.5 {
				out = append(out, c)
			}
		}
		return out
	}
	// a full stop ends a clause only before a space or the end: 1.7 litres
	// stays whole
	for _, c := range reENClause.Split(text, -1) {
		c = strings.TrimSpace(c)
		w := len(strings.Fields(c))
		if w >= 2 && w <= 8 && !words.HasHan(c) {
			out = append(out, c)
		}
	}
	return out
}

// valueIn renders an attribute value in the copy's language, converting
// units (6.6英寸 → 6.6-inch, 30 hours → 30小时) and refusing values it cannot say.
func valueIn(v string, zh bool) (string, bool) {
	v = strings.TrimSpace(v)
	if zh {
		if !words.HasHan(v) {
			conv := convertUnitsZH(v)
			if len(strings.Fields(conv)) > 3 {
				return "", false
			}
			return conv, true
		}
		return v, true
	}
	if !words.HasHan(v) {
		return v, true
	}
	conv := convertUnitsEN(v)
	if words.HasHan(conv) {
		return "", false
	}
	return conv, true
}

var unitsZHtoEN = []struct{ zh, en string }{
	{"英寸", "-inch"}, {"小时", " hours"}, {"分钟", " minutes"}, {"毫升", "ml"}, {"毫安时", "mAh"}, {"千克", "kg"}, {"公斤", "kg"},
	{"克", "g"}, {"毫米", "mm"}, {"厘米", "cm"}, {"天", " days"}, {"个月", " months"}, {"年", " years"}, {"升", "L"},
	{"瓦", "W"}, {"米", "m"}, {"核", "-core"}, {"倍", "x"},
}

func convertUnitsEN(v string) string {
	// 5000万像素 → 50MP: the one unit whose number changes
	c := extractClaims(v)
	for _, q := range c.Quantities {
		if q.Unit == "px" && strings.Contains(v, "万像素") {
			v = strings.Replace(v, q.Raw, strconv.FormatFloat(q.Value/1e6, 'f', -1, 64)+"MP", 1)
		}
	}
	for _, u := range unitsZHtoEN {
		v = replaceAfterDigit(v, u.zh, u.en)
	}
	return v
}

var unitsENtoZH = []struct{ en, zh string }{
	{" hours", "小时"}, {" hour", "小时"}, {"-hour", "小时"}, {" minutes", "分钟"}, {" days", "天"}, {" months", "个月"},
	{" years", "年"}, {"-inch", "英寸"}, {" inches", "英寸"},
}

func convertUnitsZH(v string) string {
	for _, u := range unitsENtoZH {
		v = replaceAfterDigit(v, u.en, u.zh)
	}
	return v
}

// replaceAfterDigit replaces unit `from` with `to` where it follows a digit.
func replaceAfterDigit(s, from, to string) string {
	var b strings.Builder
	for {
		i := strings.Index(s, from)
		if i < 0 {
			b.WriteString(s)
			return b.String()
		}
		if i > 0 && s[i-1] >= '0' && s[i-1] <= '9' {
			b.WriteString(s[:i])
			b.WriteString(to)
		} else {
			b.WriteString(s[:i+len(from)])
		}
		s = s[i+len(from):]
	}
}

// benefits say what a kind of spec does for the reader. They carry no
// numbers and no comparisons, so they can never contradict a product.
var benefits = []struct {
	keys   []string
	zh, en string
}{
	{[]string{"续航", "电池", "电量", "battery"}, "出门一整天也不用总惦记充电", "so a long day out doesn't depend on a charger"},
	{[]string{"摄像", "像素", "传感器", "镜头", "影像", "camera", "megapixel", "sensor", "lens"}, "随手一拍就有清晰的细节", "so everyday shots keep their detail"},
	{[]string{"屏幕", "显示", "screen", "display"}, "追剧、看图都更舒展", "giving films and photos room to breathe"},
	{[]string{"防水", "防尘", "waterproof", "water resistance"}, "雨天和水边也能放心使用", "so rain and splashes are no worry"},
	{[]string{"重量", "轻", "weight"}, "放进包里几乎没有负担", "light enough to forget it's in your bag"},
	{[]string{"保温", "保冷", "insulat", "heat retention"}, "早上装好的热饮，午后依然温热", "keeping the morning's coffee warm into the afternoon"},
	{[]string{"容量", "capacity"}, "一次装够，少跑几趟", "enough to see you through"},
	{[]string{"材质", "面料", "做工", "不锈钢", "material", "fabric", "steel"}, "上手就能感到做工扎实", "solid in the hand"},
	{[]string{"处理器", "芯片", "性能", "processor", "chip", "performance"}, "多开应用也流畅", "so switching between apps stays smooth"},
	{[]string{"降噪", "noise"}, "嘈杂的通勤路上也能安静下来", "quieting a noisy commute"},
	{[]string{"音质", "单元", "sound", "driver", "audio"}, "每个细节都听得清", "so every detail comes through"},
	{[]string{"成分", "ingredient"}, "成分写得明明白白", "with every ingredient on the label"},
	{[]string{"功效", "benefit"}, "日常护理更有方向", "giving your routine a clear purpose"},
	{[]string{"适用年龄", "年龄", "age"}, "按年龄挑选更安心", "chosen for the right age"},
	{[]string{"安全", "认证", "safety", "certif"}, "安全信息清楚可查", "with safety details you can check"},
	{[]string{"内存", "存储", "memory", "storage"}, "照片和文件都放得下", "with room for photos and files"},
	{[]string{"颜色", "配色", "colour", "color"}, "日常搭配都很顺眼", "easy to match with what you wear"},
	{[]string{"尺寸", "size"}, "大小拿捏得刚好", "sized just right"},
	{[]string{"5g", "网络", "network", "wi-fi", "wifi", "蓝牙", "bluetooth"}, "连接稳稳跟上节奏", "keeping you connected on the move"},
	{[]string{"功率", "power", "watt"}, "出力充足，省时省心", "with power to spare"},
	{[]string{"刷新率", "refresh"}, "画面滑动更跟手", "so scrolling and games feel fluid"},
	{[]string{"充电", "charg"}, "充电等待更短", "cutting the wait at the socket"},
	{[]string{"产地", "origin"}, "来源清楚，喝得放心", "with an origin you can trace"},
	{[]string{"保修", "warranty"}, "售后有保障", "backed by the stated warranty"},
}

// hasKey matches a Chinese key anywhere and an English key at the start of
// a word, so "age" does not match "storage" while "charg" matches "charging".
func hasKey(text, k string) bool {
	if words.HasHan(k) {
		return strings.Contains(text, k)
	}
	for from := 0; ; {
		i := strings.Index(text[from:], k)
		if i < 0 {
			return false
		}
		i += from
		if i == 0 || !words.IsWordByte(text[i-1]) {
			return true
		}
		from = i + 1
	}
}

func benefitFor(keys string, zh bool) string {
	for _, b := range benefits {
		for _, k := range b.keys {
			if hasKey(keys, k) {
				if zh {
					return b.zh
				}
				return b.en
			}
		}
	}
	return ""
}

// rankPoints puts the selling points this persona cares about first, then
// what the channel needs: a title leads with a number a shopper compares
// (5000万像素), a push or a slogan with a point that has a benefit to say.
// Ties keep the listing's order, which sellers usually sort by importance.
func rankPoints(pts []point, persona persona.Persona, ch Channel) []point {
	score := make([]int, len(pts))
	w := 3
	for _, k := range persona.Interests {
		au, ok := audiences[k]
		if !ok {
			continue
		}
		for i, pt := range pts {
			for _, a := range au.attrs {
				if hasKey(pt.keys, a) {
					score[i] += w
					break
				}
			}
		}
		if w > 1 {
			w--
		}
	}
	for i, pt := range pts {
		if pt.numeric && ch != ChannelPush && ch != ChannelAdSlogan {
			score[i]++
		}
		if pt.benefit != "" && (ch == ChannelPush || ch == ChannelAdSlogan || ch == ChannelPromotion) {
			score[i]++
		}
		if persona.Style == "quality" && (strings.Contains(pt.keys, "材质") || strings.Contains(pt.keys, "material") || strings.Contains(pt.keys, "处理器")) {
			score[i] += 2
		}
		if pt.name != "" {
			score[i]++ // a named attribute reads better than a loose clause
		}
	}
	idx := make([]int, len(pts))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return score[idx[a]] > score[idx[b]] })
	out := make([]point, len(pts))
	for i, k := range idx {
		out[i] = pts[k]
	}
	return out
}

// relevantInterest is the persona's first interest this product serves:
// one its category supports, or one its own category, title or tags name.
// A photographer reading about a vacuum cleaner, or a hiker about a dress,
// is not addressed as one, however many of its attributes an interest
// cares about (a vacuum's 续航 is not an outdoor feature).
func relevantInterest(reader persona.Persona, p *shop.Product) string {
	if len(reader.Interests) == 0 {
		return ""
	}
	ok := supportedInterests(p)
	for _, k := range reader.Interests {
		if ok[k] {
			return k
		}
	}
	return ""
}

// zhPunct turns ASCII commas and semicolons between Chinese text into
// full-width ones.
func zhPunct(s string) string {
	rs := []rune(s)
	for i, r := range rs {
		if (r == ',' || r == ';') && i > 0 && unicode.Is(unicode.Han, rs[i-1]) {
			rs[i] = map[rune]rune{',': '，', ';': '；'}[r]
		}
	}
	return string(rs)
}

// viewPersona is how copy may address the reader. It never states the
// reader's age or gender back at them: "22岁的你看过来" reads as
// surveillance in a push notification, and says nothing about the product.
func viewPersona(p persona.Persona, zh bool, top, catScene string) personaView {
	var v personaView
	if in, ok := persona.InterestByKey(top); ok {
		au := audiences[top]
		if zh {
			v.forWhom, v.tag, v.scene = au.zhFor, in.ZH, au.zhScene
		} else {
			v.forWhom, v.tag, v.scene = au.enFor, in.EN, au.enScene
		}
	}
	if v.forWhom == "" {
		// neutral: says nothing about who the reader is
		if zh {
			v.forWhom = "懂生活的你"
		} else {
			v.forWhom = "anyone who likes things done well"
		}
	}
	if v.scene == "" {
		switch {
		case zh && catScene != "":
			v.scene = catScene
		case zh:
			v.scene = "日常生活"
		default:
			v.scene = "everyday life"
		}
	}
	v.style = p.Style
	v.budget = p.Style == "value" || p.PriceBand == "budget" || p.TopInterest() == "student"
	v.quality = p.Style == "quality" || p.PriceBand == "premium" || p.TopInterest() == "business"
	return v
}

func fnv64(s string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 1099511628211
	}
	return h
}
