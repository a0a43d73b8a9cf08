package assistant

import (
	"math"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/shopmuse/shopmuse/internal/words"
	"github.com/shopmuse/shopmuse/shop"
)

// normalize folds full-width forms (NFKC), lower-cases, drops control and
// zero-width characters and turns Chinese numerals into digits, so that
// "５０００ＭＡＨ", "五千毫安" and "5000mah" read alike.
func normalize(s string) string {
	s = norm.NFKC.String(words.StripControl(s))
	s = strings.Map(func(r rune) rune {
		if unicode.Is(unicode.Cf, r) {
			return -1
		}
		switch r {
		case '，', '。', '？', '！', '、', '；', '：':
			return ' '
		}
		return unicode.ToLower(r)
	}, s)
	return hanNumerals(s)
}

// has reports whether the normalised text contains w: Chinese words as
// substrings, English words and phrases as whole words.
func has(text, w string) bool {
	if w == "" {
		return false
	}
	if words.HasHan(w) || !words.IsWordByte(w[0]) || !words.IsWordByte(w[len(w)-1]) {
		return strings.Contains(text, w)
	}
	return words.Contains(text, w)
}

var hanDigit = map[rune]int{'零': 0, '〇': 0, '一': 1, '二': 2, '两': 2, '三': 3, '四': 4, '五': 5, '六': 6, '七': 7, '八': 8, '九': 9}
var hanUnit = map[rune]int{'十': 10, '百': 100, '千': 1000, '万': 10000}

// hanNumerals rewrites runs of Chinese numerals that carry a unit (两千,
// 三千五, 五百, 一万五, 千元) as digits. Lone digits (一个, 三件) stay as they
// are: they are counts, not amounts.
func hanNumerals(s string) string {
	rs := []rune(s)
	var b strings.Builder
	for i := 0; i < len(rs); {
		j := i
		hasUnit := false
		for j < len(rs) {
			if _, ok := hanDigit[rs[j]]; ok {
				j++
				continue
			}
			if _, ok := hanUnit[rs[j]]; ok {
				hasUnit = true
				j++
				continue
			}
			break
		}
		if j == i {
			b.WriteRune(rs[i])
			i++
			continue
		}
		// a unit alone (千元) counts one of it; idioms such as 十全十美 and
		// 一万个 are rare in shopping questions and harmless here.
		_, startsWithUnit := hanUnit[rs[i]]
		moneyNext := j < len(rs) && (rs[j] == '元' || rs[j] == '块')
		if v, ok := hanValue(rs[i:j]); ok && hasUnit && (j-i >= 2 && !startsWithUnit || moneyNext) {
			b.WriteString(strconv.Itoa(v))
		} else {
			b.WriteString(string(rs[i:j]))
		}
		i = j
	}
	return b.String()
}

func hanValue(rs []rune) (int, bool) {
	total, section, digit := 0, 0, -1
	lastUnit := 0
	for _, r := range rs {
		if d, ok := hanDigit[r]; ok {
			digit = d
			continue
		}
		u := hanUnit[r]
		if digit < 0 {
			digit = 1
		}
		if u == 10000 {
			section = (section + digit) * u
			total += section
			section = 0
		} else {
			section += digit * u
		}
		lastUnit = u
		digit = -1
	}
	if digit >= 0 {
		// 三千五 is 3500: a trailing digit is one unit below the last one
		if lastUnit >= 100 {
			digit *= lastUnit / 10
		}
		section += digit
	}
	total += section
	return total, total > 0
}

// quantity is a number with its canonical unit: 5000mAh → 5000 "mah",
// 1.5kg → 1500 "g", 7天 → 10080 "min".
type quantity struct {
	value      float64
	unit       string
	start, end int // byte span in the text it was read from
}

// units, longest first within a prefix, as written after a number
// (lower-case, after normalize).
var units = []struct {
	form  string
	unit  string
	scale float64
}{
	{"万像素", "px", 1e4}, {"亿像素", "px", 1e8}, {"megapixels", "px", 1e6}, {"mp", "px", 1e6},
	{"毫安时", "mah", 1}, {"毫安", "mah", 1}, {"mah", "mah", 1},
	{"英寸", "in", 1}, {"inches", "in", 1}, {"inch", "in", 1}, {"寸", "in", 1}, {"in", "in", 1}, {"\"", "in", 1},
	{"千克", "g", 1000}, {"公斤", "g", 1000}, {"kg", "g", 1000}, {"克", "g", 1}, {"斤", "g", 500}, {"grams", "g", 1}, {"g/100ml", "g/100ml", 1}, {"g", "g", 1},
	{"个小时", "min", 60}, {"小时", "min", 60}, {"hours", "min", 60}, {"hour", "min", 60}, {"hrs", "min", 60}, {"h", "min", 60},
	{"分钟", "min", 1}, {"minutes", "min", 1}, {"min", "min", 1},
	{"天", "min", 1440}, {"days", "min", 1440}, {"day", "min", 1440}, {"个月", "min", 43200}, {"months", "min", 43200},
	{"毫升", "ml", 1}, {"ml", "ml", 1}, {"升", "ml", 1000}, {"l", "ml", 1000},
	{"瓦", "w", 1}, {"w", "w", 1}, {"gb", "gb", 1}, {"tb", "gb", 1024},
	{"毫米", "mm", 1}, {"mm", "mm", 1}, {"厘米", "mm", 10}, {"cm", "mm", 10},
	{"db", "db", 1}, {"分贝", "db", 1}, {"pa", "pa", 1}, {"aw", "aw", 1}, {"atm", "atm", 1},
	{"元", "CNY", 1}, {"块钱", "CNY", 1}, {"块", "CNY", 1}, {"yuan", "CNY", 1}, {"rmb", "CNY", 1},
	{"%", "%", 1}, {"蓬", "fp", 1}, {"fill power", "fp", 1}, {"支", "s", 1},
	{"码", "size", 1}, {"号", "size", 1}, {"人", "person", 1}, {"片", "pcs", 1}, {"层", "layer", 1},
}

// quantities reads every number with its unit from a normalised text.
// Numbers glued to letters on the left (IP68, X100) are model names, not
// quantities.
func quantities(s string) []quantity {
	var out []quantity
	for i := 0; i < len(s); {
		c := s[i]
		if !(c >= '0' && c <= '9') || i > 0 && (isLetter(s[i-1]) || s[i-1] >= '0' && s[i-1] <= '9' || s[i-1] == '.') {
			i++
			continue
		}
		j := i
		for j < len(s) && (s[j] >= '0' && s[j] <= '9' || s[j] == '.' && j+1 < len(s) && s[j+1] >= '0' && s[j+1] <= '9' || s[j] == ',' && j+3 < len(s) && isDigits(s[j+1:j+4])) {
			j++
		}
		v, err := strconv.ParseFloat(strings.ReplaceAll(s[i:j], ",", ""), 64)
		if err != nil || math.IsInf(v, 0) {
			i = j
			continue
		}
		k := j
		for k < len(s) && s[k] == ' ' {
			k++
		}
		if k < len(s) && s[k] == 'k' && (k+1 == len(s) || !isLetter(s[k+1])) {
			v *= 1000
			k++
		}
		q := quantity{value: v, start: i}
		for _, u := range units {
			if strings.HasPrefix(s[k:], u.form) {
				end := k + len(u.form)
				if !words.HasHan(u.form) && end < len(s) && isLetter(s[end]) && u.form != "g/100ml" {
					continue // 5g in "5gb" is not grams
				}
				q.unit, q.value = u.unit, v*u.scale
				j = end
				break
			}
		}
		if q.unit == "" && k < len(s) && isLetter(s[k]) && k == j {
			// glued to unknown letters: a model name (14pro), not a quantity
			for j < len(s) && isLetter(s[j]) {
				j++
			}
			i = j
			continue
		}
		q.end = j
		out = append(out, q)
		i = j
	}
	return out
}

func isLetter(b byte) bool { return b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' }

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// mainQuantity is the quantity an attribute value states: the largest of
// its numbers in the first unit seen (8GB+256GB → 256 gb).
func mainQuantity(value string) (quantity, bool) {
	qs := quantities(normalize(value))
	if len(qs) == 0 || qs[0].unit == "" {
		return quantity{}, false
	}
	best := qs[0]
	for _, q := range qs[1:] {
		if q.unit == best.unit && q.value > best.value {
			best = q
		}
	}
	return best, true
}

// priceRange is a budget read from a question.
type priceRange struct {
	min, max *shop.Decimal
}

func (r priceRange) empty() bool { return r.min == nil && r.max == nil }

// dec turns a budget into a Decimal, clamped to what a price can be (a
// question may say 99999999999999999999元).
func dec(v float64) *shop.Decimal {
	d := shop.MaxDecimal
	if c := math.Round(v * 100); c < float64(shop.MaxDecimal) {
		d = shop.Decimal(max(c, 0))
	}
	return &d
}

// parsePrice reads a price range from a normalised need question:
// 500以内, 3000元以内, 1000-2000, 1000到2000元, 不超过300, 3000左右, 2000以上,
// under $50, below 500, between 1000 and 2000, over 300, 3k. Numbers with a
// unit other than money (5000mah, 6.7英寸) are not prices. It returns the
// text with the price words removed.
func parsePrice(s string) (priceRange, string) {
	type num struct {
		v          float64
		start, end int // byte span including currency signs and units
	}
	var nums []num
	for i := 0; i < len(s); {
		c := s[i]
		if !(c >= '0' && c <= '9') || i > 0 && (isLetter(s[i-1]) || s[i-1] == '.') {
			i++
			continue
		}
		j := i
		for j < len(s) && (s[j] >= '0' && s[j] <= '9' || s[j] == '.' && j+1 < len(s) && s[j+1] >= '0' && s[j+1] <= '9' || s[j] == ',' && j+3 < len(s) && isDigits(s[j+1:j+4])) {
			j++
		}
		v, err := strconv.ParseFloat(strings.ReplaceAll(s[i:j], ",", ""), 64)
		if err != nil {
			i = j
			continue
		}
		start := i
		for start > 0 && (s[start-1] == ' ' || s[start-1] == '$' || s[start-1] == '(') {
			start--
		}
		if r, size := utf8.DecodeLastRuneInString(s[:start]); r == '¥' || r == '￥' {
			start -= size
		}
		end := j
		if end < len(s) && s[end] == 'k' && (end+1 == len(s) || !isLetter(s[end+1])) {
			v *= 1000
			end++
		}
		rest := s[end:]
		trim := strings.TrimLeft(rest, " ")
		money := false
		for _, m := range []string{"元", "块钱", "块", "yuan", "rmb", "cny", "dollars", "bucks"} {
			if strings.HasPrefix(trim, m) {
				money = true
				end += len(rest) - len(trim) + len(m)
				break
			}
		}
		if !money {
			// another unit follows: not a price
			if qs := quantities(s[i:]); len(qs) > 0 && qs[0].unit != "" && qs[0].unit != "CNY" {
				i = j
				continue
			}
			// a glued letter run (5g phone, 14pro) is a model or a spec
			if end < len(s) && isLetter(s[end]) {
				i = j
				continue
			}
		}
		nums = append(nums, num{v: v, start: start, end: end})
		i = j
	}
	var r priceRange
	if len(nums) == 0 {
		return r, s
	}
	after := func(n num) string { return strings.TrimLeft(s[n.end:], " ") }
	before := func(n num) string { return strings.TrimRight(s[:n.start], " ") }
	prefixed := func(n num, ws ...string) (string, bool) {
		b := before(n)
		for _, w := range ws {
			if strings.HasSuffix(b, w) && (words.HasHan(w) || len(b) == len(w) || !isLetter(b[len(b)-len(w)-1])) {
				return w, true
			}
		}
		return "", false
	}
	suffixed := func(n num, ws ...string) (string, bool) {
		a := after(n)
		for _, w := range ws {
			if strings.HasPrefix(a, w) {
				return w, true
			}
		}
		return "", false
	}
	cut := func(from, to int) string { return s[:from] + " " + s[to:] }
	// a range: A-B, A到B, between A and B, A to B
	if len(nums) >= 2 {
		a, b := nums[0], nums[1]
		mid := strings.TrimSpace(s[a.end:b.start])
		switch mid {
		case "-", "~", "—", "到", "至", "to", "and", "–", "-到":
			lo, hi := min(a.v, b.v), max(a.v, b.v)
			r.min, r.max = dec(lo), dec(hi)
			from := a.start
			if w, ok := prefixed(a, "between", "价格在", "在"); ok {
				from -= len(w)
				from = max(0, from)
				for from > 0 && s[from-1] == ' ' {
					from--
				}
				from = strings.LastIndex(s[:a.start], w)
			}
			to := b.end
			if w, ok := suffixed(b, "之间", "以内", "元"); ok {
				to = strings.Index(s[b.end:], w) + b.end + len(w)
			}
			return r, cut(from, to)
		}
	}
	n := nums[0]
	from, to := n.start, n.end
	if w, ok := suffixed(n, "以内", "以下", "之内", "内", "以里", "封顶", "左右", "上下", "以上", "起", "多"); ok {
		to = strings.Index(s[n.end:], w) + n.end + len(w)
		switch w {
		case "左右", "上下":
			r.min, r.max = dec(n.v*0.8), dec(n.v*1.2)
		case "以上", "起", "多":
			r.min = dec(n.v)
		default:
			r.max = dec(n.v)
		}
		if w, ok := prefixed(n, "预算", "价格", "价位"); ok {
			from = strings.LastIndex(s[:n.start], w)
		}
		return r, cut(from, to)
	}
	if w, ok := prefixed(n, "不超过", "不高于", "低于", "少于", "小于", "不到", "预算", "价格", "价位", "最多", "under", "below", "less than", "cheaper than", "within", "up to", "max", "at most", "no more than", "budget of", "budget is", "budget", "for under", "under the"); ok {
		from = strings.LastIndex(s[:n.start], w)
		r.max = dec(n.v)
		return r, cut(from, to)
	}
	if w, ok := prefixed(n, "高于", "超过", "不低于", "大于", "over", "above", "more than", "at least", "from"); ok {
		from = strings.LastIndex(s[:n.start], w)
		r.min = dec(n.v)
		return r, cut(from, to)
	}
	if w, ok := prefixed(n, "around", "about", "roughly", "大概", "差不多"); ok {
		from = strings.LastIndex(s[:n.start], w)
		r.min, r.max = dec(n.v*0.8), dec(n.v*1.2)
		return r, cut(from, to)
	}
	if strings.Contains(s[n.start:n.end], "元") || strings.Contains(s[n.start:n.end], "块") || strings.Contains(s[n.start:n.end], "$") || strings.Contains(s[n.start:n.end], "¥") {
		// a bare amount (千元机, 3000块的手机): about that much
		r.min, r.max = dec(n.v*0.8), dec(n.v*1.2)
		return r, cut(from, to)
	}
	return r, s
}
