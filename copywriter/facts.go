package copywriter

import (
	"math"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/shopmuse/shopmuse/persona"
	"github.com/shopmuse/shopmuse/shop"
)

// A quantity is a number as a reader understands it: 6.6英寸, 6.6-inch and
// 6.6" are the same quantity, 5000万像素 and 50MP too. Faithfulness compares
// quantities, never strings, so honest rephrasing and translation pass and
// invented or altered numbers fail.
type quantity struct {
	Value float64
	Unit  string // canonical unit; "" for a bare number; "CNY" etc. for money
	Raw   string // as written, for error messages
}

// unitDef maps a written unit to its canonical unit and scale.
type unitDef struct {
	canon string
	scale float64
}

// Han units, matched right after a number (longest first).
var hanUnits = []struct {
	form  string
	def   unitDef
	runes []rune
}{
	{form: "万像素", def: unitDef{"px", 1e4}}, {form: "亿像素", def: unitDef{"px", 1e8}},
	{form: "英寸", def: unitDef{"in", 1}}, {form: "寸", def: unitDef{"in", 1}},
	{form: "小时", def: unitDef{"h", 1}}, {form: "个小时", def: unitDef{"h", 1}}, {form: "分钟", def: unitDef{"min", 1}}, {form: "秒", def: unitDef{"s", 1}},
	{form: "天", def: unitDef{"day", 1}}, {form: "个月", def: unitDef{"month", 1}}, {form: "周岁", def: unitDef{"year", 1}}, {form: "岁", def: unitDef{"year", 1}}, {form: "年", def: unitDef{"year", 1}},
	{form: "毫升", def: unitDef{"ml", 1}}, {form: "升", def: unitDef{"ml", 1000}},
	{form: "千克", def: unitDef{"g", 1000}}, {form: "公斤", def: unitDef{"g", 1000}}, {form: "克", def: unitDef{"g", 1}}, {form: "斤", def: unitDef{"g", 500}},
	{form: "毫米", def: unitDef{"mm", 1}}, {form: "厘米", def: unitDef{"mm", 10}}, {form: "公里", def: unitDef{"mm", 1e6}}, {form: "米", def: unitDef{"mm", 1000}},
	{form: "毫安时", def: unitDef{"mah", 1}}, {form: "瓦", def: unitDef{"w", 1}}, {form: "伏", def: unitDef{"v", 1}}, {form: "赫兹", def: unitDef{"hz", 1}},
	{form: "元", def: unitDef{"CNY", 1}}, {form: "块", def: unitDef{"CNY", 1}},
	{form: "倍", def: unitDef{"x", 1}}, {form: "折", def: unitDef{"折", 1}}, {form: "核", def: unitDef{"core", 1}},
	{form: "度", def: unitDef{"deg", 1}}, {form: "℃", def: unitDef{"deg", 1}}, {form: "°C", def: unitDef{"deg", 1}},
	{form: "%", def: unitDef{"%", 1}}, {form: "％", def: unitDef{"%", 1}},
	{form: "万", def: unitDef{"", 1e4}}, {form: "亿", def: unitDef{"", 1e8}},
	{form: "件", def: unitDef{"pcs", 1}}, {form: "只", def: unitDef{"pcs", 1}}, {form: "片", def: unitDef{"pcs", 1}}, {form: "支", def: unitDef{"pcs", 1}}, {form: "颗", def: unitDef{"pcs", 1}}, {form: "包", def: unitDef{"pcs", 1}}, {form: "袋", def: unitDef{"pcs", 1}}, {form: "瓶", def: unitDef{"pcs", 1}}, {form: "双", def: unitDef{"pcs", 1}}, {form: "套", def: unitDef{"pcs", 1}},
	{form: "档", def: unitDef{"level", 1}}, {form: "色", def: unitDef{"colour", 1}}, {form: "种", def: unitDef{"kind", 1}}, {form: "人", def: unitDef{"person", 1}},
}

// ASCII units, matched as the letters glued to a number (4400mAh) or as the
// next word (30 hours).
var asciiUnits = map[string]unitDef{
	"in": {"in", 1}, "inch": {"in", 1}, "inches": {"in", 1}, "\"": {"in", 1},
	"h": {"h", 1}, "hr": {"h", 1}, "hrs": {"h", 1}, "hour": {"h", 1}, "hours": {"h", 1},
	"min": {"min", 1}, "mins": {"min", 1}, "minute": {"min", 1}, "minutes": {"min", 1},
	"s": {"s", 1}, "sec": {"s", 1}, "seconds": {"s", 1}, "second": {"s", 1},
	"day": {"day", 1}, "days": {"day", 1}, "month": {"month", 1}, "months": {"month", 1},
	"year": {"year", 1}, "years": {"year", 1}, "yr": {"year", 1}, "yrs": {"year", 1},
	"ml": {"ml", 1}, "l": {"ml", 1000}, "litre": {"ml", 1000}, "liter": {"ml", 1000}, "litres": {"ml", 1000}, "liters": {"ml", 1000},
	"oz": {"oz", 1},
	"g":  {"g", 1}, "gram": {"g", 1}, "grams": {"g", 1}, "kg": {"g", 1000}, "kilograms": {"g", 1000}, "lb": {"lb", 1}, "lbs": {"lb", 1},
	"mm": {"mm", 1}, "cm": {"mm", 10}, "m": {"mm", 1000}, "km": {"mm", 1e6}, "metres": {"mm", 1000}, "meters": {"mm", 1000},
	"mah": {"mah", 1}, "wh": {"wh", 1}, "w": {"w", 1}, "watt": {"w", 1}, "watts": {"w", 1}, "kw": {"w", 1000}, "v": {"v", 1},
	"hz": {"hz", 1}, "khz": {"hz", 1e3}, "mhz": {"hz", 1e6}, "ghz": {"hz", 1e9},
	"mb": {"mb", 1}, "gb": {"gb", 1}, "tb": {"gb", 1024},
	"mp": {"px", 1e6}, "megapixel": {"px", 1e6}, "megapixels": {"px", 1e6},
	"%": {"%", 1}, "percent": {"%", 1}, "x": {"x", 1}, "nm": {"nm", 1}, "db": {"db", 1},
	"k": {"k", 1}, "p": {"p", 1}, "g-network": {"gen", 1},
	"yuan": {"CNY", 1}, "rmb": {"CNY", 1}, "cny": {"CNY", 1}, "usd": {"USD", 1}, "eur": {"EUR", 1},
	"core": {"core", 1}, "cores": {"core", 1}, "pcs": {"pcs", 1}, "pieces": {"pcs", 1}, "pack": {"pcs", 1},
	"colours": {"colour", 1}, "colors": {"colour", 1},
}

// numberedTokens are numbers glued to letters that name a thing rather than a
// quantity (5G, 4K, 1080P, 3D); they are compared as tokens.
func isGluedUnit(u string) (unitDef, bool) {
	if u == "g" || u == "G" {
		// 5G is a network generation, 500g a weight: case decides, as readers do.
		if u == "G" {
			return unitDef{"gen", 1}, true
		}
		return asciiUnits["g"], true
	}
	d, ok := asciiUnits[strings.ToLower(u)]
	return d, ok
}

// claims is every quantity and model-like token a text states.
type claims struct {
	Quantities []quantity
	Models     []string // tokens mixing letters and digits: P50, WH-1000XM5
}

// extractClaims reads quantities and model tokens from text.
func extractClaims(text string) claims {
	var c claims
	rs := []rune(text)
	n := len(rs)
	for i := 0; i < n; {
		r := rs[i]
		if !isASCIIAlnum(r) {
			i++
			continue
		}
		// an ASCII run: letters, digits, '.', '-', ',' inside
		j := i
		for j < n && (isASCIIAlnum(rs[j]) || ((rs[j] == '.' || rs[j] == ',' || rs[j] == '-') && j+1 < n && isASCIIAlnum(rs[j+1]) && j > i)) {
			j++
		}
		run := string(rs[i:j])
		prev := prevNonSpace(rs, i)
		c.addRun(run, prev, rs, j)
		i = j
	}
	return c
}

func (c *claims) addRun(run string, prev rune, rs []rune, end int) {
	if !strings.ContainsAny(run, "0123456789") {
		return
	}
	numPart, rest := splitNumber(run)
	if numPart == "" || (rest != "" && strings.ContainsAny(rest, "0123456789")) {
		// letters first (P50) or digits-letters-digits (1000XM5): a model name
		c.Models = append(c.Models, strings.ToLower(strings.Trim(run, ".-,")))
		return
	}
	v, ok := parseNumber(numPart)
	if !ok {
		c.Models = append(c.Models, strings.ToLower(run))
		return
	}
	q := quantity{Value: v, Raw: run}
	currency := ""
	switch prev {
	case '¥', '￥':
		currency = "CNY"
	case '$':
		currency = "USD"
	case '€':
		currency = "EUR"
	}
	if currency == "" {
		if w := prevWord(rs, end-len([]rune(run))); w != "" {
			switch strings.ToLower(w) {
			case "rmb", "cny", "yuan":
				currency = "CNY"
			case "usd":
				currency = "USD"
			case "eur":
				currency = "EUR"
			}
		}
	}
	var def unitDef
	var found bool
	if rest != "" {
		rest = strings.TrimLeft(rest, "-")
		def, found = isGluedUnit(rest)
		if !found {
			// 3D, 2in1 and friends: a token, not a quantity
			c.Models = append(c.Models, strings.ToLower(run))
			return
		}
	} else {
		var surface string
		def, surface, found = unitAfter(rs, end)
		q.Raw += surface
	}
	switch {
	case currency != "":
		q.Unit = currency
		if found && def.canon == "" { // ¥1.2万
			q.Value *= def.scale
		}
	case found:
		q.Unit = def.canon
		q.Value *= def.scale
	}
	q.Value = round6(q.Value)
	c.Quantities = append(c.Quantities, q)
}

// unitAfter reads the unit that follows a number: Han units glued or after a
// space, ASCII unit words after a space or hyphen, a % sign.
func unitAfter(rs []rune, k int) (unitDef, string, bool) {
	n := len(rs)
	// Han and symbol units may follow directly or after one space.
	for _, skip := range []int{0, 1} {
		p := k + skip
		if skip == 1 && (p > n || p == 0 || (k < n && rs[k] != ' ')) {
			continue
		}
		for _, hu := range hanUnits {
			if p+len(hu.runes) <= n && runesEqual(rs[p:p+len(hu.runes)], hu.runes) {
				return hu.def, string(rs[k : p+len(hu.runes)]), true
			}
		}
	}
	if k < n && rs[k] == '"' {
		return asciiUnits["\""], "\"", true
	}
	// ASCII unit word after ' ' or '-'
	if k < n && (rs[k] == ' ' || rs[k] == '-') {
		p := k + 1
		q := p
		for q < n && (isASCIILetter(rs[q])) {
			q++
		}
		if q > p {
			w := string(rs[p:q])
			if d, ok := asciiUnits[strings.ToLower(w)]; ok && len(w) > 1 && w != "in" || ok && (w == "h" || w == "m" || w == "g" || w == "l" || w == "L" || w == "W" || w == "V") {
				// "3 x" or "5 s" in prose are too ambiguous for single letters
				// other than the common units above
				return d, string(rs[k:q]), true
			}
		}
	}
	return unitDef{}, "", false
}

func init() {
	for i := range hanUnits {
		hanUnits[i].runes = []rune(hanUnits[i].form)
	}
}

func runesEqual(a, b []rune) bool {
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func splitNumber(run string) (num, rest string) {
	i := 0
	for i < len(run) && (run[i] >= '0' && run[i] <= '9' || run[i] == '.' || run[i] == ',') {
		i++
	}
	return strings.TrimRight(run[:i], ".,"), run[i:]
}

func parseNumber(s string) (float64, bool) {
	if strings.Contains(s, ",") {
		// 5,999 is thousands; 1,2 is not a number we write
		parts := strings.Split(s, ",")
		for _, p := range parts[1:] {
			if len(p) != 3 && !strings.Contains(p, ".") {
				return 0, false
			}
		}
		s = strings.ReplaceAll(s, ",", "")
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsInf(v, 0) || math.IsNaN(v) {
		return 0, false
	}
	return v, true
}

func round6(v float64) float64 { return math.Round(v*1e6) / 1e6 }

func prevNonSpace(rs []rune, i int) rune {
	for k := i - 1; k >= 0; k-- {
		if rs[k] != ' ' {
			return rs[k]
		}
	}
	return 0
}

func prevWord(rs []rune, i int) string {
	k := i - 1
	for k >= 0 && rs[k] == ' ' {
		k--
	}
	end := k + 1
	for k >= 0 && isASCIILetter(rs[k]) {
		k--
	}
	return string(rs[k+1 : end])
}

func isASCIIAlnum(r rune) bool {
	return r < utf8.RuneSelf && (isASCIILetter(r) || r >= '0' && r <= '9')
}
func isASCIILetter(r rune) bool {
	return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z'
}

// factSet is what a text may state about a product for a persona.
type factSet struct {
	quantities []quantity
	models     []string
	text       string // lower-case concatenation of every fact, for substring tests
	brand      string
	price      shop.Money
	// foreignBrands are the known brands the facts do not name; copy that
	// names one of them misattributes the product.
	foreignBrands []brandPair
	// age is the reader's age (0: unknown): "25岁的你" may be said to a
	// 25-year-old, and it is the only number a persona contributes.
	age float64
}

// smallCount bounds bare numbers accepted without support: "3 个理由", "两步".
const smallCount = 10

func buildFacts(p *shop.Product, reader persona.Persona) *factSet {
	var b strings.Builder
	add := func(s string) {
		b.WriteString(s)
		b.WriteString("\n")
	}
	add(p.Title)
	add(p.Description)
	add(p.Brand)
	add(p.Category)
	for _, t := range p.Tags {
		add(t)
	}
	for _, a := range p.Attributes {
		add(a.Name + " " + a.Value)
	}
	add(p.Promotion)
	// Only the product's own facts substantiate a claim. The persona is
	// what the reader told us about themselves: "预算99元，只买环保" must not
	// let copy claim ¥99 or 环保 for the product. The one persona fact copy
	// may state is the reader's age, as an age.
	all := matchForm(b.String())
	c := extractClaims(numeralForm(all))
	fs := &factSet{models: c.Models, text: strings.ToLower(all), brand: p.Brand, price: p.Price}
	fs.quantities = append(fs.quantities, c.Quantities...)
	if reader.Age != nil {
		fs.age = float64(*reader.Age)
	}
	price := float64(p.Price.Amount) / 100
	cur := p.Price.CurrencyCode
	if cur == "" {
		cur = shop.DefaultCurrency
	}
	fs.quantities = append(fs.quantities, quantity{Value: round6(price), Unit: cur})
	// Promotion figures are money even when written bare (满199减20), and the
	// price after a stated discount (到手价) is a fact the promotion implies.
	for _, q := range extractClaims(claimForm(p.Promotion)).Quantities {
		if q.Unit == "" || q.Unit == cur {
			fs.quantities = append(fs.quantities, quantity{Value: q.Value, Unit: cur})
			if d := price - q.Value; d > 0 {
				fs.quantities = append(fs.quantities, quantity{Value: round6(d), Unit: cur})
			}
		}
	}
	for _, bp := range brands {
		if !strings.Contains(fs.text, strings.ToLower(bp.zh)) && !strings.Contains(fs.text, strings.ToLower(bp.en)) {
			fs.foreignBrands = append(fs.foreignBrands, bp)
		}
	}
	return fs
}

func (fs *factSet) hasQuantity(q quantity) bool {
	if fs.age > 0 && q.Unit == "year" && sameNumber(q.Value, fs.age) && strings.Contains(q.Raw, "岁") {
		return true
	}
	for _, f := range fs.quantities {
		if sameNumber(f.Value, q.Value) && (f.Unit == q.Unit || moneyish(f.Unit) && moneyish(q.Unit) && f.Unit == q.Unit) {
			return true
		}
	}
	return false
}

func (fs *factSet) hasNumber(v float64) bool {
	for _, f := range fs.quantities {
		if sameNumber(f.Value, v) {
			return true
		}
	}
	return false
}

func (fs *factSet) hasModel(m string) bool {
	for _, f := range fs.models {
		if f == m || strings.Contains(f, m) || strings.Contains(m, f) && len(f) >= 3 {
			return true
		}
	}
	return strings.Contains(fs.text, m)
}

func sameNumber(a, b float64) bool {
	return math.Abs(a-b) <= 1e-6*math.Max(1, math.Abs(a))
}

func moneyish(u string) bool {
	return len(u) == 3 && strings.ToUpper(u) == u && !strings.ContainsFunc(u, unicode.IsDigit)
}
