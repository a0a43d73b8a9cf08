package persona

import (
	"regexp"
	"strconv"
	"strings"
	"unicode"

	"github.com/shopmuse/shopmuse/internal/words"
	"github.com/shopmuse/shopmuse/shop"
)

// Persona is who the copy is written for: declared or parsed facts about a
// person plus what their behaviour says. Interests hold canonical keys (see
// Interests) first, then any declared interests outside the vocabulary.
type Persona struct {
	Age           *int
	Gender        *shop.Gender
	Interests     []string
	Style         string // quality | value | trendy | practical | minimal | ""
	Description   string // the free text it was parsed from, bounded
	TopCategories []string
	PriceBand     string   // budget | mid | premium | ""
	RecentViews   []string // product titles, most recent first
}

// MaxDescription is the most runes of free text a persona keeps as its
// Description, and the longest description Merge accepts.
const MaxDescription = 500

// Bounds on what a persona carries, so that a hostile free-text persona
// cannot blow up prompts, cache keys or logs.
const (
	maxPersonaList     = 10
	maxPersonaListItem = 100 // runes
)

// Behaviour is what the caller computed from a user's interactions.
type Behaviour struct {
	TopCategories  []string
	MedianPurchase *shop.Decimal
	RecentViews    []string
}

var (
	reAgeZH    = regexp.MustCompile(`(\d{1,3})\s*(?:周岁|岁)`)
	reAgeEN    = regexp.MustCompile(`(?i)\b(\d{1,3})[\s-]*(?:years?|yrs?)[\s-]*old\b`)
	reAgeAged  = regexp.MustCompile(`(?i)\b(?:aged?)\s+(\d{1,3})\b`)
	reAgeDec   = regexp.MustCompile(`(?i)\bin\s+(?:his|her|their|my)\s+(?:early\s+|mid\s+|late\s+)?(\d)0s\b`)
	reAgeDecZH = regexp.MustCompile(`([二三四五六七八])十多岁`)
)

var zhDigit = map[string]int{"二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8}

// ParsePersona reads a free-text persona such as "25岁,女性,喜欢拍照,热爱户外运动"
// or "a 45-year-old business traveller who values quality". It never fails:
// what it cannot read stays unset, and the text itself is kept (bounded) as
// the Description.
func ParsePersona(text string) Persona {
	text = strings.TrimSpace(words.Clip(words.StripControl(text), MaxDescription))
	p := Persona{Description: text}
	lower := strings.ToLower(text)

	if age, ok := parseAge(text); ok {
		p.Age = &age
	}
	if g, ok := parseGender(lower); ok {
		p.Gender = &g
	}
	p.Interests = findInterests(lower)
	p.Style = findStyle(lower)
	return p
}

func parseAge(text string) (int, bool) {
	for _, re := range []*regexp.Regexp{reAgeZH, reAgeEN, reAgeAged} {
		if m := re.FindStringSubmatch(text); m != nil {
			if n, err := strconv.Atoi(m[1]); err == nil && n > 0 && n <= shop.MaxAge {
				return n, true
			}
		}
	}
	if m := reAgeDec.FindStringSubmatch(text); m != nil {
		n, _ := strconv.Atoi(m[1])
		if n >= 1 {
			return n*10 + 5, true // "in her 30s": the middle of the decade
		}
	}
	if m := reAgeDecZH.FindStringSubmatch(text); m != nil {
		return zhDigit[m[1]]*10 + 5, true
	}
	return 0, false
}

// Gender is read only from words that state it; 女儿 (daughter) or 男朋友 say
// nothing about the reader, so bare 女/男 count only as a whole segment.
var (
	femaleZH = []string{"女性", "女生", "女士", "女孩", "姑娘", "宝妈", "妈妈", "准妈妈"}
	maleZH   = []string{"男性", "男生", "男士", "男孩", "宝爸", "爸爸", "准爸爸"}
	femaleEN = []string{"woman", "women", "female", "she", "her", "girl", "lady", "mother", "mom", "mum"}
	maleEN   = []string{"man", "men", "male", "he", "his", "him", "guy", "gentleman", "father", "dad", "businessman"}
)

func parseGender(lower string) (shop.Gender, bool) {
	f, m := false, false
	for _, s := range femaleZH {
		f = f || strings.Contains(lower, s)
	}
	for _, s := range maleZH {
		m = m || strings.Contains(lower, s)
	}
	for _, seg := range splitSegments(lower) {
		f = f || seg == "女"
		m = m || seg == "男"
	}
	if !f && !m {
		for _, s := range femaleEN {
			f = f || words.Contains(lower, s)
		}
		for _, s := range maleEN {
			m = m || words.Contains(lower, s)
		}
	}
	switch {
	case f && !m:
		return shop.GenderFemale, true
	case m && !f:
		return shop.GenderMale, true
	}
	return "", false
}

func splitSegments(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool {
		return unicode.IsSpace(r) || unicode.IsPunct(r) || r == '，' || r == '、'
	})
}

// findInterests returns canonical interest keys in the order the text names them.
func findInterests(lower string) []string {
	type hit struct {
		pos int
		key string
	}
	var hits []hit
	seen := map[string]bool{}
	for _, sf := range surfaces {
		if seen[sf.key] {
			continue
		}
		pos := -1
		if sf.han {
			pos = strings.Index(lower, sf.form)
		} else if words.Contains(lower, sf.form) {
			pos = words.Index(lower, sf.form)
		}
		if pos >= 0 {
			seen[sf.key] = true
			hits = append(hits, hit{pos, sf.key})
		}
	}
	for i := 1; i < len(hits); i++ {
		for j := i; j > 0 && hits[j].pos < hits[j-1].pos; j-- {
			hits[j], hits[j-1] = hits[j-1], hits[j]
		}
	}
	out := make([]string, 0, len(hits))
	for _, h := range hits {
		out = append(out, h.key)
	}
	if len(out) > maxPersonaList {
		out = out[:maxPersonaList]
	}
	return out
}

func findStyle(lower string) string {
	best, bestPos := "", -1
	for _, st := range styleForms {
		for _, f := range st.forms {
			var pos int
			if words.HasHan(f) {
				pos = strings.Index(lower, f)
			} else {
				pos = words.Index(lower, f)
			}
			if pos >= 0 && (bestPos < 0 || pos < bestPos) {
				best, bestPos = st.key, pos
			}
		}
	}
	return best
}

// FromUser builds a persona from a user's declared profile and the behaviour
// the caller computed from their interactions.
func FromUser(u *shop.User, b Behaviour) Persona {
	var p Persona
	if u != nil {
		if u.Age != nil && *u.Age > 0 && *u.Age <= shop.MaxAge {
			age := *u.Age
			p.Age = &age
		}
		if u.Gender != nil && u.Gender.Valid() {
			g := *u.Gender
			p.Gender = &g
		}
		var canon, other []string
		for _, in := range u.Interests {
			if k := NormalizeInterest(in); k != "" {
				canon = appendUnique(canon, k)
			} else if s := strings.TrimSpace(in); s != "" {
				other = appendUnique(other, words.Clip(s, maxPersonaListItem))
			}
		}
		p.Interests = boundList(append(canon, other...))
	}
	p.TopCategories = boundList(cleanList(b.TopCategories))
	p.RecentViews = boundList(cleanList(b.RecentViews))
	if b.MedianPurchase != nil {
		p.PriceBand = PriceBand(*b.MedianPurchase)
		switch p.PriceBand {
		case "budget":
			p.Style = "value"
		case "premium":
			p.Style = "quality"
		}
	}
	return p
}

// PriceBand classifies a typical spend. The bounds are in yuan and deliberately
// coarse: they feed copy tone and bandit segments, not pricing.
func PriceBand(d shop.Decimal) string {
	switch {
	case d < 200_00:
		return "budget"
	case d < 2000_00:
		return "mid"
	default:
		return "premium"
	}
}

func cleanList(in []string) []string {
	var out []string
	for _, s := range in {
		s = strings.TrimSpace(strings.ToValidUTF8(s, ""))
		if s != "" {
			out = appendUnique(out, words.Clip(s, maxPersonaListItem))
		}
	}
	return out
}

func boundList(in []string) []string {
	if len(in) > maxPersonaList {
		return in[:maxPersonaList]
	}
	return in
}

func appendUnique(list []string, s string) []string {
	for _, x := range list {
		if x == s {
			return list
		}
	}
	return append(list, s)
}

// TopInterest is the persona's first canonical interest, or "".
func (p Persona) TopInterest() string {
	for _, k := range p.Interests {
		if _, ok := interestByKey[k]; ok {
			return k
		}
	}
	return ""
}

// Segment is a coarse, stable key — age band, gender, top interest — under
// which bandit statistics for copy variants are pooled. It never contains
// free text, so it is safe as a metric label.
func (p Persona) Segment() string {
	band := "any"
	if p.Age != nil {
		switch a := *p.Age; {
		case a < 18:
			band = "u18"
		case a < 25:
			band = "18-24"
		case a < 35:
			band = "25-34"
		case a < 45:
			band = "35-44"
		case a < 55:
			band = "45-54"
		default:
			band = "55+"
		}
	}
	g := "any"
	if p.Gender != nil {
		g = strings.ToLower(string(*p.Gender))
	}
	top := p.TopInterest()
	if top == "" {
		top = "general"
	}
	return band + "/" + g + "/" + top
}

// IsZero reports whether the persona says nothing at all.
func (p Persona) IsZero() bool {
	return p.Age == nil && p.Gender == nil && len(p.Interests) == 0 && p.Style == "" && p.Description == "" &&
		len(p.TopCategories) == 0 && p.PriceBand == "" && len(p.RecentViews) == 0
}

// Text renders the persona as the short text reported with generated copy and
// given to LLMs: the original description when there is one.
func (p Persona) Text(lang shop.Language) string {
	if p.Description != "" {
		return p.Description
	}
	var parts []string
	zh := lang != shop.LanguageEN
	if p.Age != nil {
		if zh {
			parts = append(parts, strconv.Itoa(*p.Age)+"岁")
		} else {
			parts = append(parts, strconv.Itoa(*p.Age)+" years old")
		}
	}
	if p.Gender != nil {
		parts = append(parts, genderLabel(*p.Gender, zh))
	}
	for _, k := range p.Interests {
		if in, ok := interestByKey[k]; ok {
			if zh {
				parts = append(parts, "喜欢"+in.ZH)
			} else {
				parts = append(parts, "into "+in.EN)
			}
		} else {
			parts = append(parts, k)
		}
	}
	if p.Style != "" {
		parts = append(parts, styleLabel(p.Style, zh))
	}
	if p.PriceBand != "" {
		parts = append(parts, priceBandLabel(p.PriceBand, zh))
	}
	if len(p.TopCategories) > 0 {
		if zh {
			parts = append(parts, "常逛"+strings.Join(p.TopCategories, "、"))
		} else {
			parts = append(parts, "often browses "+strings.Join(p.TopCategories, ", "))
		}
	}
	sep := ", "
	if zh {
		sep = ","
	}
	return strings.Join(parts, sep)
}

func genderLabel(g shop.Gender, zh bool) string {
	switch g {
	case shop.GenderFemale:
		if zh {
			return "女性"
		}
		return "woman"
	case shop.GenderMale:
		if zh {
			return "男性"
		}
		return "man"
	}
	if zh {
		return "性别其他"
	}
	return "gender other"
}

func styleLabel(s string, zh bool) string {
	m := map[string][2]string{
		"quality": {"看重品质", "values quality"}, "value": {"看重性价比", "looks for value"},
		"trendy": {"追求潮流", "follows trends"}, "practical": {"注重实用", "wants practical things"},
		"minimal": {"偏爱简约", "likes minimal design"},
	}
	if v, ok := m[s]; ok {
		if zh {
			return v[0]
		}
		return v[1]
	}
	return s
}

func priceBandLabel(b string, zh bool) string {
	m := map[string][2]string{"budget": {"预算有限", "on a budget"}, "mid": {"中等消费", "mid-range spender"}, "premium": {"消费偏高端", "premium spender"}}
	if v, ok := m[b]; ok {
		if zh {
			return v[0]
		}
		return v[1]
	}
	return b
}
