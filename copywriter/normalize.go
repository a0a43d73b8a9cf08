package copywriter

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// The checks read text the way a shopper does, not the way bytes compare:
// "國家級", "ｂｅｓｔ", "绝\u200b对" and "100 %" say the same as 国家级, best,
// 绝对 and 100%, and "九十九元" states a price as surely as "99元". Every
// check therefore runs on a normalised form of the text (and of the facts),
// never on the raw string.

// matchForm is the form banned terms are matched in: valid UTF-8, NFKC
// (full-width letters, digits and signs become ASCII), without format
// characters (zero-width spaces and joiners, soft hyphens, BOMs) or
// variation selectors, traditional characters folded to simplified, spaces
// between Han characters and before a percent sign removed, and 百分之百 /
// 百分百 written as 100%.
func matchForm(s string) string {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, " ")
	}
	if plainText(s) {
		return s
	}
	rs := make([]rune, 0, len(s))
	changed := false
	var buf [utf8.UTFMax * 4]byte
	for _, r := range s {
		switch {
		case r < utf8.RuneSelf:
			rs = append(rs, r)
			continue
		case unicode.Is(unicode.Cf, r) || unicode.Is(unicode.Variation_Selector, r):
			changed = true
			continue
		case keepPunct[r]:
			// Chinese punctuation stays: NFKC would make "，" a "," and glue
			// 4400mAh，6.6英寸 into one token.
			rs = append(rs, r)
			continue
		}
		if t, ok := tradToSimp[r]; ok {
			rs = append(rs, t)
			changed = true
			continue
		}
		n := utf8.EncodeRune(buf[:], r)
		if norm.NFKC.IsNormal(buf[:n]) {
			rs = append(rs, r)
			continue
		}
		changed = true
		for _, c := range norm.NFKC.String(string(r)) {
			if t, ok := tradToSimp[c]; ok {
				c = t
			}
			rs = append(rs, c)
		}
	}
	// Drop spaces that only split a word: between two Han characters
	// (国 家 级) and between a number and its percent sign (100 %).
	out := rs[:0]
	for i, r := range rs {
		if (r == ' ' || r == '\t') && len(out) > 0 {
			j := i + 1
			for j < len(rs) && (rs[j] == ' ' || rs[j] == '\t') {
				j++
			}
			if j < len(rs) {
				prev, next := out[len(out)-1], rs[j]
				if isHan(prev) && isHan(next) || prev >= '0' && prev <= '9' && next == '%' {
					changed = true
					continue
				}
			}
		}
		out = append(out, r)
	}
	if changed {
		s = string(out)
	}
	if strings.Contains(s, "百分") {
		s = strings.NewReplacer("百分之百", "100%", "百分百", "100%").Replace(s)
	}
	return s
}

// keepPunct is the Chinese punctuation matchForm leaves alone.
var keepPunct = map[rune]bool{
	'，': true, '。': true, '！': true, '？': true, '：': true, '；': true, '（': true, '）': true,
	'、': true, '“': true, '”': true, '‘': true, '’': true, '【': true, '】': true, '《': true, '》': true,
	'…': true, '—': true, '｜': true, '～': true, '·': true,
}

// plainText is the fast path: ASCII, Han characters that are not
// traditional forms and Chinese punctuation, with no space next to a Han
// character or a percent sign and no 百分: most copy, and every candidate
// the built-in writer renders, is such text and needs no copy.
func plainText(s string) bool {
	prev := rune(0)
	for _, r := range s {
		switch {
		case r < utf8.RuneSelf:
			if (r == ' ' || r == '\t') && isHan(prev) || r == '%' && (prev == ' ' || prev == '\t') {
				return false
			}
		case r >= 0x4E00 && r <= 0x9FFF:
			if tradBits[r>>6]&(1<<(r&63)) != 0 || r == '百' || prev == ' ' || prev == '\t' {
				return false
			}
		case keepPunct[r], r == '¥', r == '€', r == '£', r == '×', r == '–', r == '°':
		default:
			return false
		}
		prev = r
	}
	return true
}

// tradBits marks the keys of tradToSimp, for plainText.
var tradBits = func() (b [0x10000 / 64]uint64) {
	for r := range tradToSimp {
		if r < 0x10000 {
			b[r>>6] |= 1 << (r & 63)
		}
	}
	return b
}()

func isHan(r rune) bool { return unicode.Is(unicode.Han, r) }

// tradToSimp folds the traditional (and a few variant) forms of the
// characters in the banned terms, the Chinese numerals and the units the
// checks read. It is deliberately small: the checks need to see through
// 國家級 and 絕對, not to convert arbitrary text, and no well-kept Go
// library does the conversion without pulling in OpenCC's dictionaries.
// TestTraditionalFormsOfBannedTermsAreCaught holds it against the list.
var tradToSimp = map[rune]rune{
	'國': '国', '級': '级', '絕': '绝', '對': '对', '領': '领', '導': '导', '進': '进', '優': '优',
	'強': '强', '價': '价', '歡': '欢', '時': '时', '術': '术', '適': '适', '專': '专', '業': '业',
	'頂': '顶', '網': '网', '極': '极', '獨': '独', '個': '个', '發': '发', '無': '无', '敵': '敌',
	'軍': '军', '遙': '遥', '巔': '巅', '峯': '峰', '質': '质', '檢': '检', '測': '测', '馳': '驰',
	'標': '标', '療': '疗', '癒': '愈', '藥': '药', '環': '环', '綠': '绿', '續': '续', '萬': '万',
	'殺': '杀', '選': '选', '億': '亿', '兩': '两', '貳': '贰', '參': '叁', '陸': '陆', '塊': '块',
	'費': '费', '減': '减', '買': '买', '贈': '赠', '還': '还', '讓': '让', '實': '实', '點': '点',
	'險': '险', '證': '证', '認': '认', '衛': '卫', '產': '产', '體': '体',
	'錶': '表', '氣': '气', '電': '电', '機': '机', '號': '号', '純': '纯', '係': '系',
	'們': '们', '這': '这', '為': '为', '爲': '为', '於': '于', '與': '与', '從': '从', '來': '来',
	'將': '将', '會': '会', '後': '后', '開': '开', '關': '关', '頭': '头', '條': '条', '輕': '轻',
	'節': '节', '園': '园', '際': '际', '統': '统', '總': '总', '應': '应', '該': '该',
	'經': '经', '濟': '济', '當': '当', '別': '别', '間': '间', '問': '问', '題': '题', '長': '长',
	'鐘': '钟', '鍾': '钟', '週': '周', '歲': '岁', '釐': '厘', '瓩': '瓦',
}

// numeralForm rewrites Chinese numerals as Arabic ones so the faithfulness
// check sees every number: 九十九元 → 99元, 两千 → 2000, 一万五 stays a
// number too (15000), 壹佰 → 100, 百分之九十 → 90%. To keep idioms out of
// the claims (一年四季, 十全十美, 千万别错过), a lone numeral up to ten is
// rewritten only before a money or percentage sign, and a run that starts
// with a multiplier (千万, 万一, 百搭) is not a number.
func numeralForm(s string) string {
	if !hasNumeral(s) {
		return s
	}
	rs := []rune(s)
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(rs); {
		r := rs[i]
		if r == '百' && i+2 < len(rs) && rs[i+1] == '分' && rs[i+2] == '之' {
			if j, v, ok := readNumeral(rs, i+3); ok {
				b.WriteString(strconv.FormatFloat(v, 'f', -1, 64))
				b.WriteString("%")
				i = j
				continue
			}
		}
		if _, isDigit := zhDigit[r]; !isDigit && r != '十' && r != '拾' {
			b.WriteRune(r)
			i++
			continue
		}
		j, v, ok := readNumeral(rs, i)
		if !ok {
			b.WriteRune(r)
			i++
			continue
		}
		single := j-i == 1 && v <= 10
		if single && !(j < len(rs) && strings.ContainsRune("元块%折倍万亿", rs[j])) {
			b.WriteString(string(rs[i:j]))
			i = j
			continue
		}
		// 1.5万 keeps its Arabic part: the run before was written already.
		b.WriteString(strconv.FormatFloat(v, 'f', -1, 64))
		i = j
	}
	return b.String()
}

var zhDigit = map[rune]float64{
	'零': 0, '〇': 0, '一': 1, '壹': 1, '二': 2, '贰': 2, '两': 2, '三': 3, '叁': 3, '四': 4, '肆': 4,
	'五': 5, '伍': 5, '六': 6, '陆': 6, '七': 7, '柒': 7, '八': 8, '捌': 8, '九': 9, '玖': 9,
}

var zhMult = map[rune]float64{'十': 10, '拾': 10, '百': 100, '佰': 100, '千': 1000, '仟': 1000}

func hasNumeral(s string) bool {
	for _, r := range s {
		if _, ok := zhDigit[r]; ok {
			return true
		}
		if r == '十' || r == '拾' {
			return true
		}
	}
	return false
}

// readNumeral reads a Chinese numeral starting at rs[i] and returns the
// index after it and its value. It reads positional digits (一九九八 →
// 1998) and multiplier forms (三千五百 → 3500, 两万 → 20000, 一万五 → 15000,
// 十五 → 15).
func readNumeral(rs []rune, i int) (int, float64, bool) {
	start := i
	// positional: two or more digits in a row with no multiplier after
	j := i
	for j < len(rs) {
		if _, ok := zhDigit[rs[j]]; !ok {
			break
		}
		j++
	}
	if j-i >= 2 && (j == len(rs) || !isMultiplier(rs[j])) {
		v := 0.0
		for _, r := range rs[i:j] {
			v = v*10 + zhDigit[r]
		}
		return j, v, true
	}
	var total, section, digit float64
	seen := false
	lastMult := 0.0
	for i < len(rs) {
		r := rs[i]
		if d, ok := zhDigit[r]; ok {
			if d == 0 {
				lastMult = 1 // 一百零五: the next digit is a unit
				i++
				continue
			}
			digit = d
			seen = true
			i++
			continue
		}
		if m, ok := zhMult[r]; ok {
			if digit == 0 {
				if i != start || m != 10 {
					break // 百 / 千 with nothing before: not a number here
				}
				digit = 1 // 十五 = 15
			}
			section += digit * m
			lastMult = m
			digit = 0
			seen = true
			i++
			continue
		}
		if (r == '万' || r == '亿') && seen {
			m := 1e4
			if r == '亿' {
				m = 1e8
			}
			total += (section + digit) * m
			section, digit = 0, 0
			lastMult = m
			i++
			continue
		}
		break
	}
	if !seen {
		return start, 0, false
	}
	// 一万五 / 三千五: a trailing digit counts in the unit below the last
	if digit > 0 && lastMult >= 100 {
		digit *= lastMult / 10
	}
	return i, total + section + digit, true
}

func isMultiplier(r rune) bool {
	_, ok := zhMult[r]
	return ok || r == '万' || r == '亿'
}

// claimForm is the form numbers are read from: matchForm plus Chinese
// numerals as Arabic ones.
func claimForm(s string) string { return numeralForm(matchForm(s)) }
