package copywriter

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/shopmuse/shopmuse/persona"
	"github.com/shopmuse/shopmuse/shop"
)

// DefaultPersonas is a small spread of readers for evaluation: they differ in
// age, gender, interests and buying motive, in both languages.
func DefaultPersonas() []persona.Persona {
	texts := []string{
		"25岁,女性,喜欢拍照,热爱户外运动",
		"a 45-year-old business traveller who values quality",
		"20岁大学生,男生,爱打游戏,预算有限看重性价比",
		"32岁宝妈,关注育儿和家居,注重实用",
		"28岁女生,喜欢美妆和时尚穿搭,追求潮流",
		"a 38-year-old home cook and coffee lover on a budget",
	}
	out := make([]persona.Persona, len(texts))
	for i, t := range texts {
		out[i] = persona.ParsePersona(t)
	}
	return append(out, persona.Persona{}) // and nobody in particular
}

// EvalVariants is how many variants each evaluation call asks for.
const EvalVariants = 3

// Report is the outcome of an evaluation run. Rates are 0–1.
type Report struct {
	Calls, Variants                        int
	Generators                             map[string]int // result generator → calls
	Faithfulness, Compliance, Length, Lang float64
	AllPassed                              float64 // variants passing every check
	BannedHits                             int
	Distinct2Mean, Distinct2Min            float64
	Distinct2ByChannel                     map[Channel]float64 // mean per channel
	P50, P99, Max                          time.Duration
	Failures                               []string // first few failing variants, for debugging
	// InvalidUTF8 counts variants that are not valid UTF-8; each also fails
	// the language check.
	InvalidUTF8 int
	Rubric      RubricReport
	Reference   *ReferenceReport // built-in reference set; nil when not run
}

// RubricReport sums the rubric over an evaluation: counts of variants with
// each finding, per top category for persona angles, and the mean benefit
// density (benefit clauses per 100 characters).
type RubricReport struct {
	Variants, OK                                  int
	AngleMismatch, Echo, Filler, RepeatedOpenings int
	AngleMismatchByCategory                       map[string]int
	Density                                       float64
	Examples                                      []string // first few findings
}

func (rr *RubricReport) add(p *shop.Product, seg string, ch Channel, v Variant, r RubricResult) {
	rr.Variants++
	rr.Density += r.Density
	if r.OK() {
		rr.OK++
		return
	}
	if len(r.AngleMismatch) > 0 {
		rr.AngleMismatch++
		top := strings.SplitN(p.Category, "/", 2)[0]
		if rr.AngleMismatchByCategory == nil {
			rr.AngleMismatchByCategory = map[string]int{}
		}
		rr.AngleMismatchByCategory[top]++
	}
	if len(r.Echoes) > 0 {
		rr.Echo++
	}
	if len(r.Filler) > 0 {
		rr.Filler++
	}
	if len(r.RepeatedOpenings) > 0 {
		rr.RepeatedOpenings++
	}
	if len(rr.Examples) < 8 {
		rr.Examples = append(rr.Examples, fmt.Sprintf("%s %s %s: %q %v", p.ID, seg, ch, v.Headline+" | "+v.Text, r.Findings()))
	}
}

// Evaluate generates copy for every product × persona × channel, in each
// product's own language, with EvalVariants variants per call, and measures
// check pass rates, barred-term hits, Distinct-2 across each call's variants
// and per-call latency. It bypasses the cache so latency is generation time.
// A table is written to out.
func Evaluate(ctx context.Context, w *Writer, products []shop.Product, personas []persona.Persona, out io.Writer) (Report, error) {
	rep := Report{Generators: map[string]int{}, Distinct2Min: 1, Distinct2ByChannel: map[Channel]float64{}}
	chCalls := map[Channel]int{}
	var lat []time.Duration
	var d2sum float64
	counts := map[string]int{}
	if len(products) > 0 && len(personas) > 0 {
		// one untimed call first: latency should describe the steady state,
		// not template and data initialisation
		if r, err := w.resolve(Request{Product: &products[0], Persona: personas[0], Channel: ChannelDetail, Variants: EvalVariants}); err == nil {
			_, _, _ = w.generate(ctx, r, nil)
		}
	}
	for pi := range products {
		p := &products[pi]
		for _, persona := range personas {
			for _, ch := range Channels {
				req := Request{Product: p, Persona: persona, Channel: ch, Variants: EvalVariants}
				r, err := w.resolve(req)
				if err != nil {
					return rep, fmt.Errorf("evaluate %s/%s: %w", p.ID, ch, err)
				}
				start := time.Now()
				res, _, err := w.generate(ctx, r, nil)
				lat = append(lat, time.Since(start))
				if err != nil {
					return rep, fmt.Errorf("evaluate %s/%s/%s: %w", p.ID, persona.Segment(), ch, err)
				}
				rep.Calls++
				rep.Generators[res.Generator]++
				var texts []string
				for _, v := range res.Variants {
					rep.Variants++
					texts = append(texts, v.Headline+"\n"+v.Text)
					all := true
					for _, c := range v.Checks {
						if c.Passed {
							counts[c.Name]++
						} else {
							all = false
						}
					}
					if all {
						counts["all"]++
					} else if len(rep.Failures) < 10 {
						rep.Failures = append(rep.Failures, fmt.Sprintf("%s %s %s: %q %v", p.ID, persona.Segment(), ch, v.Text, v.Checks))
					}
					rep.BannedHits += len(FindBannedTerms(v.Headline+"\n"+v.Text, "", ""))
					if !utf8.ValidString(v.Headline) || !utf8.ValidString(v.Text) {
						rep.InvalidUTF8++
					}
					rep.Rubric.add(p, persona.Segment(), ch, v, Rubric(p, res.Language, v))
				}
				d2 := Distinct2(texts, res.Language)
				d2sum += d2
				rep.Distinct2ByChannel[ch] += d2
				chCalls[ch]++
				rep.Distinct2Min = min(rep.Distinct2Min, d2)
			}
		}
	}
	if rep.Variants > 0 {
		v := float64(rep.Variants)
		rep.Faithfulness = float64(counts[CheckFaithfulness]) / v
		rep.Compliance = float64(counts[CheckCompliance]) / v
		rep.Length = float64(counts[CheckLength]) / v
		rep.Lang = float64(counts[CheckLanguage]) / v
		rep.AllPassed = float64(counts["all"]) / v
	}
	if rep.Calls > 0 {
		rep.Distinct2Mean = d2sum / float64(rep.Calls)
	}
	if rep.Rubric.Variants > 0 {
		rep.Rubric.Density /= float64(rep.Rubric.Variants)
	}
	if set, err := ReferenceSet(); err == nil && len(set) > 0 {
		if rr, err := ScoreReference(ctx, w, set); err == nil {
			rep.Reference = &rr
		} else if ctx.Err() != nil {
			return rep, fmt.Errorf("evaluate reference set: %w", err)
		}
	}
	for ch, n := range chCalls {
		rep.Distinct2ByChannel[ch] /= float64(n)
	}
	slices.Sort(lat)
	rep.P50, rep.P99 = percentile(lat, 0.50), percentile(lat, 0.99)
	if len(lat) > 0 {
		rep.Max = lat[len(lat)-1]
	}
	if out != nil {
		fmt.Fprintf(out, "copy evaluation: %d products × %d personas × %d channels = %d calls, %d variants (%d per call)\n",
			len(products), len(personas), len(Channels), rep.Calls, rep.Variants, EvalVariants)
		fmt.Fprintf(out, "generators:        %v\n", rep.Generators)
		fmt.Fprintf(out, "faithfulness:      %6.2f%%\n", rep.Faithfulness*100)
		fmt.Fprintf(out, "compliance:        %6.2f%%   (barred-term hits: %d)\n", rep.Compliance*100, rep.BannedHits)
		fmt.Fprintf(out, "length:            %6.2f%%\n", rep.Length*100)
		fmt.Fprintf(out, "language:          %6.2f%%\n", rep.Lang*100)
		fmt.Fprintf(out, "all checks:        %6.2f%%\n", rep.AllPassed*100)
		fmt.Fprintf(out, "Distinct-2:        mean %.3f, min %.3f\n", rep.Distinct2Mean, rep.Distinct2Min)
		for _, ch := range Channels {
			fmt.Fprintf(out, "  Distinct-2 %-10s %.3f\n", ch, rep.Distinct2ByChannel[ch])
		}
		fmt.Fprintf(out, "latency per call:  p50 %v, p99 %v, max %v\n", rep.P50, rep.P99, rep.Max)
		fmt.Fprintf(out, "valid UTF-8:       %d invalid variants\n", rep.InvalidUTF8)
		rr := rep.Rubric
		fmt.Fprintf(out, "rubric:            %d/%d variants with no finding (%.2f%%)\n", rr.OK, rr.Variants, pct(rr.OK, rr.Variants))
		fmt.Fprintf(out, "  persona-angle mismatches %d %v\n", rr.AngleMismatch, rr.AngleMismatchByCategory)
		fmt.Fprintf(out, "  echoes                   %d\n", rr.Echo)
		fmt.Fprintf(out, "  filler                   %d\n", rr.Filler)
		fmt.Fprintf(out, "  repeated openings        %d\n", rr.RepeatedOpenings)
		fmt.Fprintf(out, "  benefit density          %.2f benefit clauses per 100 characters\n", rr.Density)
		for _, e := range rr.Examples {
			fmt.Fprintf(out, "  RUBRIC %s\n", e)
		}
		if ref := rep.Reference; ref != nil {
			fmt.Fprintf(out, "reference set (%d Chinese apparel products with human copy; DETAIL, no persona, first variant):\n", ref.Writer.Products)
			fmt.Fprintf(out, "  this writer          BLEU-4 (chars) %5.1f   ROUGE-L (chars) %5.1f   values mentioned %5.1f%%\n", ref.Writer.BLEU4, ref.Writer.ROUGEL, ref.Writer.Mentioned*100)
			fmt.Fprintf(out, "  bare attribute list  BLEU-4 (chars) %5.1f   ROUGE-L (chars) %5.1f   values mentioned %5.1f%%\n", ref.Bare.BLEU4, ref.Bare.ROUGEL, ref.Bare.Mentioned*100)
		}
		for _, f := range rep.Failures {
			fmt.Fprintf(out, "FAIL %s\n", f)
		}
	}
	return rep, nil
}

func pct(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return 100 * float64(a) / float64(b)
}

func percentile(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(q*float64(len(sorted)-1) + 0.5)
	return sorted[i]
}

// Distinct2 is distinct bigrams over total bigrams across texts: character
// bigrams for Chinese (a run of Latin letters or digits counts as one
// character), word bigrams for English. Bigrams do not cross punctuation.
func Distinct2(texts []string, lang shop.Language) float64 {
	seen := map[[2]string]bool{}
	total := 0
	for _, t := range texts {
		for _, seg := range tokenSegments(t, lang) {
			for i := 1; i < len(seg); i++ {
				seen[[2]string{seg[i-1], seg[i]}] = true
				total++
			}
		}
	}
	if total == 0 {
		return 0
	}
	return float64(len(seen)) / float64(total)
}

func tokenSegments(s string, lang shop.Language) [][]string {
	var segs [][]string
	var cur []string
	var word []rune
	flushWord := func() {
		if len(word) > 0 {
			cur = append(cur, strings.ToLower(string(word)))
			word = word[:0]
		}
	}
	flushSeg := func() {
		flushWord()
		if len(cur) > 1 {
			segs = append(segs, cur)
		}
		cur = nil
	}
	for _, r := range s {
		switch {
		case unicode.Is(unicode.Han, r):
			flushWord()
			cur = append(cur, string(r))
		case unicode.IsLetter(r) || unicode.IsDigit(r) || r == '\'' || r == '-' && len(word) > 0:
			word = append(word, r)
		case unicode.IsSpace(r) && r != '\n':
			flushWord()
			if lang != shop.LanguageEN && len(cur) > 0 {
				continue // a space between 华为 and P50 does not break a Chinese phrase
			}
		default:
			flushSeg()
		}
	}
	flushSeg()
	return segs
}
