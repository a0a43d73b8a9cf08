package demo

import (
	"fmt"
	"math/rand/v2"
	"strings"

	"github.com/shopmuse/shopmuse/shop"
)

// bilingual is a text with its English form; en == zh when the text needs no
// translation (model numbers, units such as 4400mAh).
type bilingual struct{ zh, en string }

func (b bilingual) in(lang shop.Language) string {
	if lang == shop.LanguageEN {
		return b.en
	}
	return b.zh
}

func parseBilingual(s string) (b bilingual, hasEN bool) {
	zh, en, ok := strings.Cut(strings.TrimSpace(s), "|")
	zh, en = strings.TrimSpace(zh), strings.TrimSpace(en)
	if !ok {
		return bilingual{zh, zh}, false
	}
	return bilingual{zh, en}, true
}

// option is one value of an attribute or variant, with the tags it implies
// (5000万像素 implies 拍照) and, for variants, the price it adds.
type option struct {
	value bilingual
	extra shop.Decimal
	tags  []string
}

// parseOption reads "value|English=extra#tag+tag".
func parseOption(s string) option {
	s, tags, _ := strings.Cut(s, "#")
	s, extra, _ := strings.Cut(s, "=")
	o := option{}
	o.value, _ = parseBilingual(s)
	if extra != "" {
		o.extra = mustDecimal(extra)
	}
	if tags != "" {
		o.tags = strings.Split(tags, "+")
	}
	return o
}

func parseOptions(s string) []option {
	var out []option
	for _, part := range strings.Split(s, ";") {
		if strings.TrimSpace(part) != "" {
			out = append(out, parseOption(part))
		}
	}
	return out
}

func mustDecimal(s string) shop.Decimal {
	d, err := shop.ParseDecimal(s)
	if err != nil {
		// Templates are code: a typo is a programming error caught by the tests.
		panic(fmt.Sprintf("demo template: %v", err))
	}
	return d
}

type attrSpec struct {
	name    bilingual
	options []option
}

func parseAttr(s string) attrSpec {
	name, vals, _ := strings.Cut(s, ":")
	n, _ := parseBilingual(name)
	return attrSpec{name: n, options: parseOptions(vals)}
}

// modelLine is one brand's product line within a sub-category.
type modelLine struct {
	brand   bilingual
	brandEN bool // the brand sells English listings
	line    option
}

func parseBrands(s string) []modelLine {
	var out []modelLine
	for _, b := range strings.Split(s, ";") {
		name, lines, _ := strings.Cut(b, ":")
		brand, hasEN := parseBilingual(name)
		for _, l := range strings.Split(lines, ",") {
			out = append(out, modelLine{brand: brand, brandEN: hasEN, line: parseOption(l)})
		}
	}
	return out
}

// Seeds are fixed so the catalogue is the same on every machine and every
// start; only interaction timestamps depend on now.
const (
	catalogSeed1, catalogSeed2     = 0x5eed_ca7a, 0x109e
	behaviourSeed1, behaviourSeed2 = 0x5eed_be4a, 0x7e57
)

// catalogue builds the product inputs from the templates.
func catalogue() []shop.ProductInput {
	rng := rand.New(rand.NewPCG(catalogSeed1, catalogSeed2))
	var out []shop.ProductInput
	for _, t := range templates {
		lines := parseBrands(t.brands)
		variants := []option{{}}
		var variantName bilingual
		if t.variantAttr != "" {
			variantName, _ = parseBilingual(t.variantAttr)
			variants = parseOptions(t.variants)
		}
		var specs []attrSpec
		for _, a := range t.attrs {
			specs = append(specs, parseAttr(a))
		}
		noun := bilingual{t.zh, t.en}
		baseTags := strings.Split(t.tags, "+")
		for i := 0; i < t.n; i++ {
			// Walk lines first and shift the variant per line so that the first
			// products already cover every brand and several variants.
			ml := lines[i%len(lines)]
			v := variants[(i/len(lines)+i%len(lines))%len(variants)]
			lang := shop.LanguageZH
			if ml.brandEN && i%3 == 1 {
				lang = shop.LanguageEN
			}
			out = append(out, buildProduct(rng, t, i, lang, noun, ml, variantName, v, specs, baseTags))
		}
	}
	return out
}

func buildProduct(rng *rand.Rand, t template, i int, lang shop.Language, noun bilingual, ml modelLine,
	variantName bilingual, v option, specs []attrSpec, baseTags []string) shop.ProductInput {
	id := fmt.Sprintf("sku-%s-%04d", t.key, i+1)
	brand := ml.brand.in(lang)
	line := ml.line.value.in(lang)

	var attrs []shop.AttributeInput
	tags := append([]string{}, baseTags...)
	tags = append(tags, ml.line.tags...)
	// A line named after its noun (每日坚果, Carved Lipstick) does not repeat it.
	name := brand + " " + line
	if !strings.Contains(strings.ToLower(line), strings.ToLower(noun.in(lang))) {
		name += " " + noun.in(lang)
	}
	title := name
	if variantName.zh != "" {
		attrs = append(attrs, shop.AttributeInput{Name: variantName.in(lang), Value: v.value.in(lang)})
		tags = append(tags, v.tags...)
		if lang == shop.LanguageEN {
			title += ", " + v.value.en
		} else {
			title += " " + v.value.zh
		}
	}
	for _, s := range specs {
		o := s.options[rng.IntN(len(s.options))]
		attrs = append(attrs, shop.AttributeInput{Name: s.name.in(lang), Value: o.value.in(lang)})
		tags = append(tags, o.tags...)
	}
	tags = dedupe(tags)
	if lang == shop.LanguageEN {
		// Shared Chinese keys first (filters work across languages), then the
		// English words an English shopper would type.
		for _, tg := range tags {
			if en, ok := tagEN[tg]; ok && en != tg {
				tags = append(tags, en)
			}
		}
	}

	price := shopPrice(ml.line.extra+v.extra, rng)
	in := shop.ProductInput{
		ID:         id,
		Title:      title,
		Brand:      &brand,
		Category:   t.path,
		Tags:       tags,
		Attributes: attrs,
		Price:      &shop.MoneyInput{Amount: price},
		Language:   &lang,
	}
	desc := describe(lang, name, attrs, tags)
	in.Description = &desc
	if rng.Float64() < 0.28 {
		p := promotion(rng, price, lang)
		in.Promotion = &p
	}
	img := "https://img.shopmuse.example/p/" + id + ".jpg"
	in.ImageURL = &img
	if rng.Float64() < 0.04 {
		no := false
		in.Available = &no
	}
	return in
}

func dedupe(in []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, s := range in {
		if s != "" && !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

// shopPrice turns a list price into the kind of number shops print: 5999.00,
// 299.00, 39.90 — and sometimes 299.90 for cheaper goods.
func shopPrice(p shop.Decimal, rng *rand.Rand) shop.Decimal {
	const yuan = 100
	switch {
	case p >= 1000*yuan:
		if p%(100*yuan) != 99*yuan {
			p = (p+50*yuan)/(100*yuan)*(100*yuan) - yuan
		}
	case p >= 100*yuan:
		if p%(10*yuan) != 9*yuan || p%yuan != 0 {
			p = (p+5*yuan)/(10*yuan)*(10*yuan) - yuan
		}
		if p < 300*yuan && rng.Float64() < 0.3 {
			p += 90 // 299.00 → 299.90
		}
	default:
		p = p/yuan*yuan + 90
	}
	return p
}

// promotion picks a promotion that fits the price: a fixed discount only on
// goods where it is small relative to the price, volume deals on cheap goods.
func promotion(rng *rand.Rand, price shop.Decimal, lang shop.Language) string {
	yuan := int64(price / 100)
	type promo struct{ zh, en string }
	var options []promo
	if yuan >= 500 {
		off := max(yuan/20/10*10, 20)
		options = append(options, promo{fmt.Sprintf("限时优惠,下单立减%d元", off), fmt.Sprintf("Save ¥%d for a limited time", off)})
	}
	if yuan < 500 {
		options = append(options, promo{"2件8折", "20% off when you buy 2"})
	}
	switch {
	case yuan < 100:
		options = append(options, promo{"满99减10", "¥10 off orders over ¥99"})
	case yuan < 300:
		options = append(options, promo{"满299减50", "¥50 off orders over ¥299"})
	default:
		th := (yuan/500 + 1) * 500
		off := th / 10
		options = append(options, promo{fmt.Sprintf("满%d减%d", th, off), fmt.Sprintf("¥%d off orders over ¥%d", off, th)})
	}
	p := options[rng.IntN(len(options))]
	if lang == shop.LanguageEN {
		return p.en
	}
	return p.zh
}

// describe writes one to three sentences that only restate the product's
// facts: what it is, its first attributes, and the uses its tags name.
func describe(lang shop.Language, name string, attrs []shop.AttributeInput, tags []string) string {
	var facts []string
	for i, a := range attrs {
		if i == 3 {
			break
		}
		if lang == shop.LanguageEN {
			facts = append(facts, a.Name+" "+a.Value)
		} else {
			facts = append(facts, a.Name+a.Value)
		}
	}
	var uses []string
	for _, t := range tags {
		if s, ok := scenes[t]; ok {
			if lang == shop.LanguageEN {
				uses = append(uses, s[1])
			} else {
				uses = append(uses, s[0])
			}
		}
	}
	if len(uses) > 3 {
		uses = uses[:3]
	}
	var b strings.Builder
	if lang == shop.LanguageEN {
		fmt.Fprintf(&b, "%s.", name)
		if len(facts) > 0 {
			fmt.Fprintf(&b, " Specs: %s.", strings.Join(facts, ", "))
		}
		if len(uses) > 0 {
			fmt.Fprintf(&b, " Suited to %s.", joinEN(uses))
		}
		return b.String()
	}
	b.WriteString(name)
	if len(facts) > 0 {
		fmt.Fprintf(&b, "，%s", strings.Join(facts, "，"))
	}
	b.WriteString("。")
	if len(uses) > 0 {
		fmt.Fprintf(&b, "适合%s。", strings.Join(uses, "、"))
	}
	return b.String()
}

func joinEN(xs []string) string {
	switch len(xs) {
	case 1:
		return xs[0]
	case 2:
		return xs[0] + " and " + xs[1]
	}
	return strings.Join(xs[:len(xs)-1], ", ") + " and " + xs[len(xs)-1]
}
