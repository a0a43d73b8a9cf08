package demo

import (
	"fmt"
	"strings"

	"github.com/shopmuse/shopmuse/shop"
)

// Judgement is one labelled search query over the demo shop.
type Judgement struct {
	Query    string
	Language shop.Language
	// Relevant lists the IDs of the products that answer the query, in
	// catalogue order; all are equally relevant (binary judgements).
	Relevant []string
	// Rule says, in words, how Relevant was chosen, so an evaluation report
	// can show why a product counts.
	Rule string
}

// criteria select relevant products by their facts. Every set field must
// match; Tags are the shared Chinese tag keys, which English products carry too.
type criteria struct {
	category  string   // path prefix by whole segments
	tags      []string // all required
	brands    []string // any of, in either language
	attrValue string   // some attribute has exactly this value
	maxPrice  shop.Decimal
}

func (c criteria) matches(p *shop.Product) bool {
	if c.category != "" && !shop.CategoryMatches(p.Category, c.category) {
		return false
	}
	for _, t := range c.tags {
		if !hasTag(p.Tags, t) {
			return false
		}
	}
	if len(c.brands) > 0 && !hasTag(c.brands, p.Brand) {
		return false
	}
	if c.attrValue != "" {
		found := false
		for _, a := range p.Attributes {
			found = found || a.Value == c.attrValue
		}
		if !found {
			return false
		}
	}
	return c.maxPrice == 0 || p.Price.Amount <= c.maxPrice
}

func (c criteria) String() string {
	var parts []string
	if c.category != "" {
		parts = append(parts, "category "+c.category)
	}
	if len(c.tags) > 0 {
		parts = append(parts, "tags "+strings.Join(c.tags, "+"))
	}
	if len(c.brands) > 0 {
		parts = append(parts, "brand "+strings.Join(c.brands, "/"))
	}
	if c.attrValue != "" {
		parts = append(parts, "an attribute equal to "+c.attrValue)
	}
	if c.maxPrice != 0 {
		parts = append(parts, "price ≤ "+c.maxPrice.String())
	}
	return strings.Join(parts, ", ")
}

func hasTag(list []string, t string) bool {
	for _, x := range list {
		if strings.EqualFold(x, t) {
			return true
		}
	}
	return false
}

type labelledQuery struct {
	query string
	lang  shop.Language
	want  criteria
}

// queries are what shoppers type, each with the facts that make a product an
// answer. Relevance is restricted to listings in the query's language: a
// shopper searching in English is served English listings, and it keeps an
// evaluation from mixing cross-lingual retrieval into ranking quality.
var queries = []labelledQuery{
	{"拍照手机", shop.LanguageZH, criteria{category: "数码/手机", tags: []string{"拍照"}}},
	{"降噪耳机", shop.LanguageZH, criteria{category: "数码/耳机", tags: []string{"降噪"}}},
	{"保温杯", shop.LanguageZH, criteria{category: "家居/杯具"}},
	{"婴儿奶粉", shop.LanguageZH, criteria{category: "母婴/奶粉"}},
	{"戴森吸尘器", shop.LanguageZH, criteria{category: "家电/吸尘器", brands: []string{"戴森", "Dyson"}}},
	{"5000mAh", shop.LanguageZH, criteria{attrValue: "5000mAh"}},
	{"防水手机", shop.LanguageZH, criteria{category: "数码/手机", tags: []string{"防水"}}},
	{"跑步鞋", shop.LanguageZH, criteria{category: "运动户外/跑鞋"}},
	{"口红", shop.LanguageZH, criteria{category: "美妆/口红"}},
	{"保湿面霜", shop.LanguageZH, criteria{category: "美妆/面霜", tags: []string{"保湿"}}},
	{"冲锋衣", shop.LanguageZH, criteria{category: "运动户外/冲锋衣"}},
	{"空气炸锅", shop.LanguageZH, criteria{category: "家电/空气炸锅"}},
	{"电饭煲", shop.LanguageZH, criteria{category: "家电/电饭煲"}},
	{"纸尿裤", shop.LanguageZH, criteria{category: "母婴/纸尿裤"}},
	{"坚果零食", shop.LanguageZH, criteria{category: "食品/坚果"}},
	{"咖啡", shop.LanguageZH, criteria{category: "食品/咖啡"}},
	{"羽绒服", shop.LanguageZH, criteria{category: "服饰/羽绒服"}},
	{"智能手表", shop.LanguageZH, criteria{category: "数码/智能手表"}},
	{"华为手机", shop.LanguageZH, criteria{category: "数码/手机", brands: []string{"华为", "Huawei"}}},
	{"学生平板", shop.LanguageZH, criteria{category: "数码/平板", tags: []string{"学生"}}},
	{"千元以内耳机", shop.LanguageZH, criteria{category: "数码/耳机", maxPrice: 1000_00}},
	{"有机牛奶", shop.LanguageZH, criteria{category: "食品/牛奶", tags: []string{"有机"}}},
	{"送礼香水", shop.LanguageZH, criteria{category: "美妆/香水", tags: []string{"送礼"}}},
	{"扫地机器人", shop.LanguageZH, criteria{category: "家电/扫地机器人"}},
	{"吹风机", shop.LanguageZH, criteria{category: "家电/吹风机"}},
	{"露营帐篷", shop.LanguageZH, criteria{category: "运动户外/帐篷"}},
	{"床品四件套", shop.LanguageZH, criteria{category: "家居/床品"}},

	{"running shoes", shop.LanguageEN, criteria{category: "运动户外/跑鞋"}},
	{"noise cancelling headphones", shop.LanguageEN, criteria{category: "数码/耳机", tags: []string{"降噪"}}},
	{"lipstick", shop.LanguageEN, criteria{category: "美妆/口红"}},
	{"waterproof phone", shop.LanguageEN, criteria{category: "数码/手机", tags: []string{"防水"}}},
	{"smartwatch", shop.LanguageEN, criteria{category: "数码/智能手表"}},
	{"cordless vacuum cleaner", shop.LanguageEN, criteria{category: "家电/吸尘器", tags: []string{"无线"}}},
	{"Dyson", shop.LanguageEN, criteria{brands: []string{"戴森", "Dyson"}}},
	{"air fryer", shop.LanguageEN, criteria{category: "家电/空气炸锅"}},
	{"coffee", shop.LanguageEN, criteria{category: "食品/咖啡"}},
	{"insulated water bottle", shop.LanguageEN, criteria{category: "家居/杯具"}},
	{"hard shell jacket", shop.LanguageEN, criteria{category: "运动户外/冲锋衣"}},
	{"baby formula", shop.LanguageEN, criteria{category: "母婴/奶粉"}},
	{"diapers", shop.LanguageEN, criteria{category: "母婴/纸尿裤"}},
	{"mirrorless camera", shop.LanguageEN, criteria{category: "数码/相机"}},
	{"tablet for students", shop.LanguageEN, criteria{category: "数码/平板", tags: []string{"学生"}}},
	{"face cream", shop.LanguageEN, criteria{category: "美妆/面霜"}},
	{"perfume", shop.LanguageEN, criteria{category: "美妆/香水"}},
	{"down jacket", shop.LanguageEN, criteria{category: "服饰/羽绒服"}},
	{"5000mAh battery", shop.LanguageEN, criteria{attrValue: "5000mAh"}},
	{"rice cooker", shop.LanguageEN, criteria{category: "家电/电饭煲"}},
	{"hair dryer", shop.LanguageEN, criteria{category: "家电/吹风机"}},
	{"yoga mat", shop.LanguageEN, criteria{category: "运动户外/瑜伽垫"}},
	{"camping tent", shop.LanguageEN, criteria{category: "运动户外/帐篷"}},
	{"iPhone", shop.LanguageEN, criteria{category: "数码/手机", brands: []string{"Apple"}}},
}

// SearchJudgements labels the demo queries against the demo catalogue. It
// panics if a product template no longer validates, which the tests catch
// long before a release.
func SearchJudgements() []Judgement {
	inputs := catalogue()
	products := make([]shop.Product, len(inputs))
	for i := range inputs {
		p, errs := inputs[i].Normalize()
		if len(errs) > 0 {
			panic(fmt.Sprintf("demo product %s: %v", inputs[i].ID, errs[0]))
		}
		products[i] = p
	}
	out := make([]Judgement, 0, len(queries))
	for _, q := range queries {
		j := Judgement{Query: q.query, Language: q.lang, Rule: q.want.String() + ", language " + string(q.lang)}
		for i := range products {
			if products[i].Language == q.lang && q.want.matches(&products[i]) {
				j.Relevant = append(j.Relevant, products[i].ID)
			}
		}
		out = append(out, j)
	}
	return out
}
