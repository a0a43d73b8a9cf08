package copywriter

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/shopmuse/shopmuse/internal/words"
	"github.com/shopmuse/shopmuse/persona"
	"github.com/shopmuse/shopmuse/shop"
)

// Check is the outcome of one check on one variant.
type Check struct {
	Name   string `json:"name"`
	Passed bool   `json:"passed"`
	Detail string `json:"detail"`
}

// Check names, as reported to clients.
const (
	CheckFaithfulness = "faithfulness"
	CheckCompliance   = "compliance"
	CheckLength       = "length"
	CheckLanguage     = "language"
)

// BannedTerm is one entry of data/banned_terms.json.
type BannedTerm struct {
	Term     string `json:"term"`
	Category string `json:"category"`
	Source   string `json:"source"`
	// Exceptions are longer phrases containing the term that are lawful
	// (第一次 for 第一); a match inside one is not a hit.
	Exceptions []string `json:"exceptions,omitempty"`
	// Substantiable terms (generic green claims) are allowed when the
	// product's own facts state them.
	Substantiable bool   `json:"substantiable,omitempty"`
	Note          string `json:"note,omitempty"`

	lower  string
	first  rune // first rune of lower
	ascii  bool // matched on word boundaries, case-insensitively
	excLow []string
}

// runeSet is a set of runes of the Basic Multilingual Plane; runes above it
// are always reported present, so the set only ever rules terms out.
type runeSet [0x10000 / 64]uint64

func (rs *runeSet) addAll(s string) {
	for _, r := range s {
		if r < 0x10000 {
			rs[r>>6] |= 1 << (r & 63)
		}
	}
}

func (rs *runeSet) has(r rune) bool {
	return r >= 0x10000 || rs[r>>6]&(1<<(r&63)) != 0
}

//go:embed data/banned_terms.json
var bannedTermsJSON []byte

// bannedTerms is parsed once; a broken data file is a build defect, so it
// panics at init and the tests catch it.
var bannedTerms = mustLoadBannedTerms(bannedTermsJSON)

func mustLoadBannedTerms(b []byte) []BannedTerm {
	terms, err := LoadBannedTerms(b)
	if err != nil {
		panic(fmt.Sprintf("copywriter: data/banned_terms.json: %v", err))
	}
	return terms
}

// LoadBannedTerms parses a banned-terms file in the format of
// data/banned_terms.json.
func LoadBannedTerms(b []byte) ([]BannedTerm, error) {
	var f struct {
		Terms []BannedTerm `json:"terms"`
	}
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, fmt.Errorf("parse banned terms: %w", err)
	}
	for i := range f.Terms {
		t := &f.Terms[i]
		if t.Term == "" || t.Category == "" || t.Source == "" {
			return nil, fmt.Errorf("banned term %d: term, category and source are required", i)
		}
		t.lower = strings.ToLower(t.Term)
		t.first, _ = utf8.DecodeRuneInString(t.lower)
		t.ascii = !words.HasHan(t.Term)
		for _, e := range t.Exceptions {
			if !strings.Contains(strings.ToLower(e), t.lower) {
				return nil, fmt.Errorf("banned term %q: exception %q does not contain it", t.Term, e)
			}
			t.excLow = append(t.excLow, strings.ToLower(e))
		}
	}
	// longer terms first so that overlapping hits report the specific entry
	sort.SliceStable(f.Terms, func(i, j int) bool { return len(f.Terms[i].lower) > len(f.Terms[j].lower) })
	return f.Terms, nil
}

// BannedTerms returns the compiled list (read-only).
func BannedTerms() []BannedTerm { return bannedTerms }

// TermHit is one banned term found in a text.
type TermHit struct {
	Term     string
	Category string
	Source   string
	Offset   int // byte offset in the text
}

// FindBannedTerms returns the banned terms in text. facts is the lower-case
// text of the product's own facts, which substantiates green claims and
// excuses terms inside the brand name.
//
// The text is matched in its normalised form (see matchForm), so traditional
// characters, full-width letters, zero-width characters and "100 %" do not
// hide a term; Offset is a byte offset in that form.
func FindBannedTerms(text string, facts string, brand string) []TermHit {
	lower := strings.ToLower(matchForm(text))
	factsNormal := false
	var hits []TermHit
	var covered []bool
	brandLow := strings.ToLower(matchForm(strings.TrimSpace(brand)))
	// Most terms cannot occur: their first character is not in the text.
	// Checking that first keeps a check of every candidate cheap.
	var present runeSet
	present.addAll(lower)
	for i := range bannedTerms {
		t := &bannedTerms[i]
		if !present.has(t.first) || !strings.Contains(lower, t.lower) {
			continue
		}
		if covered == nil {
			covered = make([]bool, len(lower)+1)
		}
		if t.Substantiable {
			if !factsNormal {
				facts, factsNormal = strings.ToLower(matchForm(facts)), true
			}
			if strings.Contains(facts, t.lower) {
				continue
			}
		}
		for from := 0; from < len(lower); {
			k := strings.Index(lower[from:], t.lower)
			if k < 0 {
				break
			}
			k += from
			end := k + len(t.lower)
			from = k + 1
			if t.ascii && isWordTerm(t.lower) && !wordBounded(lower, k, end) {
				continue
			}
			if covered[k] || excused(lower, k, end, t.excLow) || insideWord(lower, k, end, brandLow) {
				continue
			}
			for x := k; x < end; x++ {
				covered[x] = true
			}
			hits = append(hits, TermHit{Term: t.Term, Category: t.Category, Source: t.Source, Offset: k})
		}
	}
	sort.Slice(hits, func(i, j int) bool { return hits[i].Offset < hits[j].Offset })
	return hits
}

func isWordTerm(t string) bool {
	return words.IsWordByte(t[0]) && words.IsWordByte(t[len(t)-1])
}

func wordBounded(s string, i, end int) bool {
	return (i == 0 || !words.IsWordByte(s[i-1])) && (end == len(s) || !words.IsWordByte(s[end]))
}

// excused reports whether s[i:end] lies inside an occurrence of an exception.
func excused(s string, i, end int, exceptions []string) bool {
	for _, e := range exceptions {
		for from := max(0, end-len(e)); from <= i && from < len(s); {
			k := strings.Index(s[from:], e)
			if k < 0 {
				break
			}
			k += from
			if k <= i && k+len(e) >= end {
				return true
			}
			if k > i {
				break
			}
			from = k + 1
		}
	}
	return false
}

func insideWord(s string, i, end int, w string) bool {
	if w == "" {
		return false
	}
	return excused(s, i, end, []string{w})
}

// CheckVariant runs every check on one variant and returns them in a fixed
// order: faithfulness, compliance, length, language.
func CheckVariant(p *shop.Product, persona persona.Persona, ch Channel, lang shop.Language, v Variant) []Check {
	return checkWith(buildFacts(p, persona), ch, lang, v)
}

func checkWith(fs *factSet, ch Channel, lang shop.Language, v Variant) []Check {
	all := v.Headline + "\n" + v.Text
	return []Check{
		checkFaithfulness(fs, all),
		checkCompliance(fs, all),
		checkLength(ch, lang, v),
		checkLanguage(lang, all),
	}
}

// Passed reports whether every check passed.
func Passed(cs []Check) bool {
	for _, c := range cs {
		if !c.Passed {
			return false
		}
	}
	return len(cs) > 0
}

func checkFaithfulness(fs *factSet, text string) Check {
	text = claimForm(text)
	c := extractClaims(text)
	var bad []string
	for _, q := range c.Quantities {
		ok := false
		switch {
		case q.Unit == "":
			ok = (q.Value == float64(int(q.Value)) && q.Value >= 0 && q.Value <= smallCount) || fs.hasNumber(q.Value)
		default:
			ok = fs.hasQuantity(q)
		}
		if !ok {
			what := q.Raw
			if q.Unit != "" && q.Unit != strings.ToLower(q.Raw) {
				what = fmt.Sprintf("%s (%s %s)", q.Raw, strconv.FormatFloat(q.Value, 'f', -1, 64), q.Unit)
			}
			if moneyish(q.Unit) {
				what = fmt.Sprintf("price %s %s (the product costs %s %s)", q.Unit, strconv.FormatFloat(q.Value, 'f', -1, 64), fs.price.CurrencyCode, fs.price.Amount.Trimmed())
			}
			bad = append(bad, what)
		}
	}
	for _, m := range c.Models {
		if !fs.hasModel(m) {
			bad = append(bad, "model "+m)
		}
	}
	for _, b := range otherBrands(text, fs) {
		bad = append(bad, "brand "+b)
	}
	if len(bad) > 0 {
		return Check{Name: CheckFaithfulness, Passed: false, Detail: "not in the product's facts: " + strings.Join(dedupe(bad), "; ")}
	}
	return Check{Name: CheckFaithfulness, Passed: true, Detail: fmt.Sprintf("%d quantities and %d model names match the product", len(c.Quantities), len(c.Models))}
}

func checkCompliance(fs *factSet, text string) Check {
	hits := FindBannedTerms(text, fs.text, fs.brand)
	if len(hits) == 0 {
		return Check{Name: CheckCompliance, Passed: true, Detail: "no barred or unsubstantiated terms"}
	}
	var parts []string
	for _, h := range hits {
		parts = append(parts, fmt.Sprintf("%q (%s, %s)", h.Term, h.Category, h.Source))
	}
	return Check{Name: CheckCompliance, Passed: false, Detail: "barred terms: " + strings.Join(dedupe(parts), "; ")}
}

// TextLength counts characters the way the channels do: runes, after
// trimming surrounding space.
func TextLength(s string) int { return utf8.RuneCountInString(strings.TrimSpace(s)) }

func checkLength(ch Channel, lang shop.Language, v Variant) Check {
	l := LimitFor(ch, lang)
	hl := HeadlineLimitFor(lang)
	n, h := TextLength(v.Text), TextLength(v.Headline)
	var bad []string
	if n < l.Min {
		bad = append(bad, fmt.Sprintf("text has %d characters, at least %d needed", n, l.Min))
	}
	if n > l.Max {
		bad = append(bad, fmt.Sprintf("text has %d characters, at most %d allowed", n, l.Max))
	}
	if h > hl.Max {
		bad = append(bad, fmt.Sprintf("headline has %d characters, at most %d allowed", h, hl.Max))
	}
	if ch == ChannelEmail && h == 0 {
		bad = append(bad, "an email needs a subject line (headline)")
	}
	if len(bad) > 0 {
		return Check{Name: CheckLength, Passed: false, Detail: strings.Join(bad, "; ")}
	}
	return Check{Name: CheckLength, Passed: true, Detail: fmt.Sprintf("%d characters within %d–%d for %s/%s", n, l.Min, l.Max, ch, lang)}
}

// HanShare is the share of Han characters among "words": each Han character
// counts as one, and so does each run of Latin letters, since a Chinese
// character carries about as much as an English word. Digits, units glued
// to them and punctuation do not count.
func HanShare(s string) (share float64, words int) {
	han, latin := 0, 0
	inLatin := false
	var prev rune
	for _, r := range s {
		switch {
		case unicode.Is(unicode.Han, r):
			han++
			inLatin = false
		case unicode.IsLetter(r):
			// a unit glued to a number (4400mAh, 1.7L) is part of the number
			if !inLatin && !unicode.IsDigit(prev) {
				latin++
			}
			inLatin = true
		default:
			inLatin = false
		}
		prev = r
	}
	if han+latin == 0 {
		return 0, 0
	}
	return float64(han) / float64(han+latin), han + latin
}

// Thresholds for the language check: Chinese copy may carry brand and model
// names in Latin letters; English copy may carry at most a stray Han name.
const (
	minHanShareZH = 0.6
	maxHanShareEN = 0.05
)

func checkLanguage(lang shop.Language, text string) Check {
	if !utf8.ValidString(text) {
		// a string cut inside a character is not text in any language
		return Check{Name: CheckLanguage, Passed: false, Detail: "not valid UTF-8"}
	}
	share, words := HanShare(text)
	pct := fmt.Sprintf("%.0f%% Han", share*100)
	if words == 0 {
		return Check{Name: CheckLanguage, Passed: false, Detail: "no words"}
	}
	if lang == shop.LanguageEN {
		if share > maxHanShareEN {
			return Check{Name: CheckLanguage, Passed: false, Detail: pct + ": English copy must not contain Chinese"}
		}
		return Check{Name: CheckLanguage, Passed: true, Detail: pct + ": English"}
	}
	if share < minHanShareZH {
		return Check{Name: CheckLanguage, Passed: false, Detail: pct + ": Chinese copy must be mostly Chinese"}
	}
	return Check{Name: CheckLanguage, Passed: true, Detail: pct + ": Chinese"}
}

func dedupe(in []string) []string {
	var out []string
	for _, s := range in {
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}
