package copywriter

import (
	"slices"
	"strings"

	"github.com/shopmuse/shopmuse/persona"
	"github.com/shopmuse/shopmuse/shop"
)

// CheckAnswer holds a shopping assistant's answer to the rules copy is held
// to: every number with its unit, every price, model name and brand it
// states must be in the grounds (faithfulness, with the same normalisation:
// 6.6英寸 = 6.6-inch, 两千元 = ¥2000), and it must use no barred term
// (compliance). The grounds are the facts the answer may rest on: the
// products it speaks of and free-text notes (a shop's Q&A answers).
//
// Length and language are not checked: an answer is as long as its facts,
// and an English answer may quote a Chinese product title.
func CheckAnswer(products []*shop.Product, notes []string, text string) []Check {
	fs := answerFacts(products, notes)
	return []Check{checkFaithfulness(fs, text), checkCompliance(fs, text)}
}

// answerFacts is the union of the fact sets of several products and of the
// notes. A brand is foreign only if no product and no note names it.
func answerFacts(products []*shop.Product, notes []string) *factSet {
	var sets []*factSet
	for _, p := range products {
		if p != nil {
			sets = append(sets, buildFacts(p, persona.Persona{}))
		}
	}
	if len(notes) > 0 {
		ns := buildFacts(&shop.Product{Description: strings.Join(notes, "\n")}, persona.Persona{})
		// buildFacts adds the (zero) price of the pseudo-product: a note
		// has no price, so "0元" must not pass on its account.
		ns.quantities = slices.DeleteFunc(ns.quantities, func(q quantity) bool { return moneyish(q.Unit) && q.Value == 0 && q.Raw == "" })
		sets = append(sets, ns)
	}
	if len(sets) == 0 {
		return buildFacts(&shop.Product{}, persona.Persona{})
	}
	out := &factSet{brand: sets[0].brand, price: sets[0].price, foreignBrands: sets[0].foreignBrands}
	var text []string
	for i, s := range sets {
		out.quantities = append(out.quantities, s.quantities...)
		out.models = append(out.models, s.models...)
		text = append(text, s.text)
		if i > 0 {
			out.foreignBrands = slices.DeleteFunc(slices.Clone(out.foreignBrands), func(b brandPair) bool {
				return !slices.Contains(s.foreignBrands, b)
			})
		}
	}
	out.text = strings.Join(text, "\n")
	return out
}
