package embeddings

import (
	"context"
	"fmt"
	"strings"

	"github.com/shopmuse/shopmuse/shop"
)

// Field is one weighted piece of a product's text.
type Field struct {
	Text   string
	Weight float64
}

// Field weights for product embeddings. The title names the product and is
// what shoppers search for, so it dominates; brand, category and tags are
// short and precise; attribute values and the description add detail. Price,
// promotion and image are left out: they change often without changing
// what the product is, and filters handle price.
const (
	WeightTitle       = 3.0
	WeightBrand       = 1.5
	WeightCategory    = 1.5
	WeightTags        = 1.5
	WeightAttributes  = 1.0
	WeightDescription = 1.0
)

// ProductFields returns the product's non-empty text fields with their
// weights, title first. List fields are joined with "; " so that no token
// (a Chinese bigram, a number and its unit) spans two items.
func ProductFields(p *shop.Product) []Field {
	var fs []Field
	add := func(text string, w float64) {
		if text = strings.TrimSpace(text); text != "" {
			fs = append(fs, Field{Text: text, Weight: w})
		}
	}
	add(p.Title, WeightTitle)
	add(p.Brand, WeightBrand)
	add(strings.ReplaceAll(p.Category, "/", "; "), WeightCategory)
	add(strings.Join(p.Tags, "; "), WeightTags)
	if len(p.Attributes) > 0 {
		parts := make([]string, len(p.Attributes))
		for i, a := range p.Attributes {
			parts[i] = a.Name + ": " + a.Value
		}
		add(strings.Join(parts, "; "), WeightAttributes)
	}
	add(p.Description, WeightDescription)
	return fs
}

func productFieldTexts(p *shop.Product) []string {
	fs := ProductFields(p)
	out := make([]string, len(fs))
	for i, f := range fs {
		out[i] = f.Text
	}
	return out
}

// ProductText renders a product as one text for external embedding models,
// which weigh words by meaning and position themselves: the title comes
// first (models attend most to the start, and long texts are truncated at
// the end), once — repeating it would only look odd to a language model —
// then labelled brand, category, tags and attributes, then the description.
// Labels follow the product's language.
func ProductText(p *shop.Product) string {
	l := labelsEN
	if p.Language == shop.LanguageZH {
		l = labelsZH
	}
	var b strings.Builder
	line := func(label, text string) {
		if text = strings.TrimSpace(text); text == "" {
			return
		}
		if b.Len() > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(label)
		b.WriteString(text)
	}
	line("", p.Title)
	line(l.brand, p.Brand)
	line(l.category, strings.ReplaceAll(p.Category, "/", " > "))
	line(l.tags, strings.Join(p.Tags, l.listSep))
	if len(p.Attributes) > 0 {
		parts := make([]string, len(p.Attributes))
		for i, a := range p.Attributes {
			parts[i] = a.Name + l.kvSep + a.Value
		}
		line(l.attributes, strings.Join(parts, l.attrSep))
	}
	line("", p.Description)
	return b.String()
}

type labels struct{ brand, category, tags, attributes, listSep, kvSep, attrSep string }

var (
	labelsEN = labels{"Brand: ", "Category: ", "Tags: ", "Attributes: ", ", ", ": ", "; "}
	labelsZH = labels{"品牌：", "类目：", "标签：", "参数：", "、", "：", "；"}
)

// ProductEmbedder is implemented by embedders that embed a product from its
// structured fields rather than from ProductText (Builtin weights fields).
type ProductEmbedder interface {
	EmbedProducts(ctx context.Context, ps []*shop.Product) ([][]float32, error)
}

// EmbedProducts embeds products with e: from weighted fields when e is a
// ProductEmbedder, else from ProductText. It is the one entry point the
// write path should use, so product vectors are made the same way everywhere.
func EmbedProducts(ctx context.Context, e Embedder, ps []*shop.Product) ([][]float32, error) {
	if pe, ok := e.(ProductEmbedder); ok {
		return pe.EmbedProducts(ctx, ps)
	}
	texts := make([]string, len(ps))
	for i, p := range ps {
		texts[i] = ProductText(p)
	}
	vs, err := e.EmbedDocuments(ctx, texts)
	if err != nil {
		return nil, fmt.Errorf("embedding %d products with %s: %w", len(ps), e.Name(), err)
	}
	return vs, nil
}
