package assistant

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/shopmuse/shopmuse/copywriter"
	"github.com/shopmuse/shopmuse/persona"
	"github.com/shopmuse/shopmuse/shop"
)

// CheckCitations is the name of the check that every citation quotes the
// catalogue.
const CheckCitations = "citations"

// CheckAnswer checks an answer as copy is checked, against the facts it
// cites: every citation must quote its product's field (or Q&A entry)
// exactly; every number, model and brand of the text (and of the products'
// reasons) must be in the cited facts (faithfulness); no barred term may
// appear (compliance). products and qas are what the citations may point
// at. It returns the citations check, then faithfulness and compliance.
// Refusals (UNKNOWN, HANDOFF) state no facts and pass.
func CheckAnswer(a Answer, products []*shop.Product, qas []QA) []copywriter.Check {
	byID := map[string]*shop.Product{}
	for _, p := range products {
		if p != nil {
			byID[p.ID] = p
		}
	}
	qaByID := map[string]QA{}
	for _, q := range qas {
		qaByID[q.ID] = q
	}
	var bad []string
	// the facts the text may use: only what is cited
	facts := shop.Product{ID: "answer", Available: true}
	var desc []string
	var titles []string
	pricesSeen := 0
	for _, c := range a.Citations {
		p := byID[c.ProductID]
		if p == nil {
			bad = append(bad, fmt.Sprintf("%s cites unknown product %q", c.Field, c.ProductID))
			continue
		}
		want, ok := fieldValue(p, c.Field, qaByID)
		if !ok {
			bad = append(bad, fmt.Sprintf("%s of %s does not exist", c.Field, c.ProductID))
			continue
		}
		if strings.TrimSpace(want) != strings.TrimSpace(c.Value) {
			bad = append(bad, fmt.Sprintf("%s of %s is %q, not %q", c.Field, c.ProductID, clip(want), clip(c.Value)))
			continue
		}
		switch {
		case c.Field == FieldTitle:
			titles = append(titles, p.Title)
		case c.Field == FieldPrice:
			if pricesSeen == 0 {
				facts.Price = p.Price
			} else {
				desc = append(desc, copywriter.FormatPrice(p.Price))
			}
			pricesSeen++
		case c.Field == FieldPromotion:
			if facts.Promotion == "" && p.Price == facts.Price {
				facts.Promotion = p.Promotion
			} else {
				desc = append(desc, p.Promotion)
			}
		case strings.HasPrefix(c.Field, FieldAttrPrefix):
			facts.Attributes = append(facts.Attributes, shop.Attribute{Name: strings.TrimPrefix(c.Field, FieldAttrPrefix), Value: want})
		default:
			desc = append(desc, want)
		}
		if c.Field != FieldTitle && c.Field != FieldBrand {
			// a fact is stated of a product its brand names
			desc = append(desc, p.Brand)
		}
	}
	facts.Title = strings.Join(titles, " / ")
	facts.Description = strings.Join(desc, "\n")
	cite := copywriter.Check{Name: CheckCitations, Passed: len(bad) == 0, Detail: fmt.Sprintf("%d citations quote the catalogue", len(a.Citations))}
	if len(bad) > 0 {
		cite.Detail = strings.Join(bad, "; ")
	}
	if !a.Kind.Refusal() && len(a.Citations) == 0 {
		cite.Passed, cite.Detail = false, "an answer must cite the facts it states"
	}
	text := a.Text
	for _, h := range a.Products {
		text += "\n" + h.Reason
	}
	lang := DetectLanguage(text)
	cs := copywriter.CheckVariant(&facts, persona.Persona{}, copywriter.ChannelDetail, lang, copywriter.Variant{Text: text})
	out := []copywriter.Check{cite}
	for _, c := range cs {
		if c.Name == copywriter.CheckFaithfulness || c.Name == copywriter.CheckCompliance {
			out = append(out, c)
		}
	}
	return out
}

// fieldValue is the catalogue's value of a citation field.
func fieldValue(p *shop.Product, field string, qas map[string]QA) (string, bool) {
	switch {
	case field == FieldTitle:
		return p.Title, true
	case field == FieldPrice:
		return p.Price.Amount.String(), true
	case field == FieldPromotion:
		return p.Promotion, p.Promotion != ""
	case field == FieldDescription:
		return p.Description, p.Description != ""
	case field == FieldBrand:
		return p.Brand, p.Brand != ""
	case field == FieldCategory:
		return p.Category, true
	case field == FieldAvailable:
		return strconv.FormatBool(p.Available), true
	case strings.HasPrefix(field, FieldAttrPrefix):
		return p.Attribute(strings.TrimPrefix(field, FieldAttrPrefix))
	case strings.HasPrefix(field, FieldQAPrefix):
		q, ok := qas[strings.TrimPrefix(field, FieldQAPrefix)]
		if !ok || q.ProductID != p.ID {
			return "", false
		}
		return q.Answer, true
	}
	return "", false
}

func clip(s string) string {
	if r := []rune(s); len(r) > 40 {
		return string(r[:40]) + "…"
	}
	return s
}
