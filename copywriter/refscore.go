package copywriter

import (
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"unicode"

	"github.com/shopmuse/shopmuse/persona"
	"github.com/shopmuse/shopmuse/shop"
)

// Reference scores compare generated copy with copy a person wrote for the
// same product, the way published work on attribute-to-copy generation
// (AdvertiseGen) is scored: sentence BLEU-4 on characters with NLTK's
// smoothing method 3, averaged over products, and ROUGE-L. ROUGE-L is
// computed on characters here, not on words: a word-level score needs a
// Chinese word segmenter, which the service does not carry. Character
// ROUGE-L runs higher than word ROUGE-L on the same texts.

// refTokens are the characters of s without white space.
func refTokens(s string) []string {
	var out []string
	for _, r := range s {
		if !unicode.IsSpace(r) {
			out = append(out, string(r))
		}
	}
	return out
}

// BLEU4 is sentence-level BLEU-4 of hyp against one reference on
// characters, 0–100: the geometric mean of the modified 1–4-gram
// precisions, zero counts smoothed as NLTK's method 3 does (1/2^k for the
// k-th empty order), times the brevity penalty.
func BLEU4(hyp, ref string) float64 {
	h, r := refTokens(hyp), refTokens(ref)
	if len(h) == 0 || len(r) == 0 {
		return 0
	}
	logSum := 0.0
	k := 1
	for n := 1; n <= 4; n++ {
		hc, rc := ngramCounts(h, n), ngramCounts(r, n)
		total := max(len(h)-n+1, 0)
		match := 0
		for g, c := range hc {
			match += min(c, rc[g])
		}
		var p float64
		switch {
		case total == 0:
			p = 1 / (math.Pow(2, float64(k)) * 1)
			k++
		case match == 0:
			p = 1 / (math.Pow(2, float64(k)) * float64(total))
			k++
		default:
			p = float64(match) / float64(total)
		}
		logSum += math.Log(p) / 4
	}
	bp := 1.0
	if len(h) < len(r) {
		bp = math.Exp(1 - float64(len(r))/float64(len(h)))
	}
	return 100 * bp * math.Exp(logSum)
}

func ngramCounts(ts []string, n int) map[string]int {
	m := make(map[string]int, len(ts))
	for i := 0; i+n <= len(ts); i++ {
		m[strings.Join(ts[i:i+n], "\x00")]++
	}
	return m
}

// ROUGEL is the ROUGE-L F1 of hyp against ref on characters, 0–100: the
// longest common subsequence over the lengths of both.
func ROUGEL(hyp, ref string) float64 {
	h, r := refTokens(hyp), refTokens(ref)
	if len(h) == 0 || len(r) == 0 {
		return 0
	}
	prev := make([]int, len(r)+1)
	cur := make([]int, len(r)+1)
	for i := 1; i <= len(h); i++ {
		for j := 1; j <= len(r); j++ {
			switch {
			case h[i-1] == r[j-1]:
				cur[j] = prev[j-1] + 1
			case prev[j] >= cur[j-1]:
				cur[j] = prev[j]
			default:
				cur[j] = cur[j-1]
			}
		}
		prev, cur = cur, prev
	}
	lcs := float64(prev[len(r)])
	if lcs == 0 {
		return 0
	}
	p, rec := lcs/float64(len(h)), lcs/float64(len(r))
	return 100 * 2 * p * rec / (p + rec)
}

//go:embed data/reference_apparel.json
var referenceJSON []byte

// RefProduct is one product of the reference set: attributes and the copy a
// person wrote for them.
type RefProduct struct {
	ID         string           `json:"id"`
	Noun       string           `json:"noun"`
	Attributes []shop.Attribute `json:"attributes"`
	Copy       string           `json:"copy"`
}

// ReferenceSet returns the built-in reference set (data/reference_apparel.json).
func ReferenceSet() ([]RefProduct, error) {
	var f struct {
		Products []RefProduct `json:"products"`
	}
	if err := json.Unmarshal(referenceJSON, &f); err != nil {
		return nil, fmt.Errorf("parse reference set: %w", err)
	}
	return f.Products, nil
}

// Product is the reference product as the writer sees it: no brand, no
// price, a title that is just its noun.
func (rp RefProduct) Product() shop.Product {
	return shop.Product{
		ID: rp.ID, Version: 1, Title: rp.Noun, Category: "服饰/" + rp.Noun, Attributes: rp.Attributes,
		Language: shop.LanguageZH, Available: true, Price: shop.Money{CurrencyCode: "CNY"},
	}
}

// BareAttributeList is the baseline that says nothing but the attributes:
// "这款连衣裙，材质雪纺，版型宽松…。"
func BareAttributeList(noun string, attrs []shop.Attribute) string {
	var parts []string
	for _, a := range attrs {
		parts = append(parts, a.Name+a.Value)
	}
	return "这款" + noun + "，" + strings.Join(parts, "，") + "。"
}

// RefScores are mean scores over the reference set.
type RefScores struct {
	Products      int
	BLEU4, ROUGEL float64 // 0–100
	// Mentioned is the share of attribute values the copy states verbatim.
	Mentioned float64
}

// ReferenceReport compares the writer's DETAIL copy (no persona, the first
// variant) and the bare attribute list with the human copy.
type ReferenceReport struct {
	Writer, Bare RefScores
}

// ScoreReference runs the writer over the reference set.
func ScoreReference(ctx context.Context, w *Writer, set []RefProduct) (ReferenceReport, error) {
	var rep ReferenceReport
	for _, rp := range set {
		p := rp.Product()
		res, err := w.Generate(ctx, Request{Product: &p, Persona: persona.Persona{}, Channel: ChannelDetail})
		if err != nil {
			return rep, fmt.Errorf("reference %s: %w", rp.ID, err)
		}
		text := res.Variants[0].Text
		bare := BareAttributeList(rp.Noun, rp.Attributes)
		rep.Writer.add(text, rp)
		rep.Bare.add(bare, rp)
	}
	rep.Writer.finish()
	rep.Bare.finish()
	return rep, nil
}

func (s *RefScores) add(text string, rp RefProduct) {
	s.Products++
	s.BLEU4 += BLEU4(text, rp.Copy)
	s.ROUGEL += ROUGEL(text, rp.Copy)
	n := 0
	for _, a := range rp.Attributes {
		if strings.Contains(text, a.Value) {
			n++
		}
	}
	if len(rp.Attributes) > 0 {
		s.Mentioned += float64(n) / float64(len(rp.Attributes))
	}
}

func (s *RefScores) finish() {
	if s.Products == 0 {
		return
	}
	n := float64(s.Products)
	s.BLEU4 /= n
	s.ROUGEL /= n
	s.Mentioned /= n
}
