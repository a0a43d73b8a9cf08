package assistant

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/shopmuse/shopmuse/copywriter"
	"github.com/shopmuse/shopmuse/internal/words"
	"github.com/shopmuse/shopmuse/shop"
)

// compare answers a comparison of two products, attribute by attribute.
// The answer's Products are the two, the one the question favours first
// ("哪个续航长": the longer one) when the facts decide it.
func (b *Builtin) compare(ctx context.Context, q Question, p Parsed) (Answer, []*shop.Product, error) {
	var prods []*shop.Product
	if len(q.ProductIDs) >= 2 {
		ps, err := b.cat.Products(ctx, q.ProductIDs[:2])
		if err != nil {
			return Answer{}, nil, fmt.Errorf("assistant: products to compare: %w", err)
		}
		prods = ps
	} else {
		for _, m := range p.Mentions {
			pr, err := b.resolve(ctx, m)
			if err != nil {
				return Answer{}, nil, err
			}
			if pr != nil {
				prods = append(prods, pr)
			}
		}
	}
	lang := p.Language
	if len(prods) < 2 || prods[0].ID == prods[1].ID {
		a := unknownAnswer(lang, "")
		a.Text = pick(lang, "没有找到要比较的两款商品，请告诉我两款商品的完整名称。", "I couldn't find the two products to compare. Please name both products in full.")
		return a, nil, nil
	}
	x, y := prods[0], prods[1]
	if len(p.Mentions) > 0 {
		// the products' names are not the question: 全能基站 in a title does
		// not ask about the dock
		rest := q.Text
		for _, m := range p.Mentions {
			rest = strings.Replace(rest, m, " ", 1)
		}
		r := Parse(Question{Text: rest, Language: p.Language})
		p.Topics, p.norm, p.Number = r.Topics, r.norm, r.Number
	}
	type row struct{ fx, fy fact }
	var rows []row
	if len(p.Topics) > 0 || hasNamedAttr(p, x) {
		fxs, _ := factsFor(p, x, lang)
		fys, _ := factsFor(p, y, lang)
		for _, fx := range fxs {
			for _, fy := range fys {
				if fx.topic == fy.topic && (fx.topic != "" || strings.EqualFold(fx.label, fy.label)) {
					rows = append(rows, row{fx, fy})
					break
				}
			}
		}
	} else {
		// no topic: every attribute both state, and the price
		all := Parsed{Topics: []string{"price"}, Language: lang}
		fxs, _ := factsFor(all, x, lang)
		fys, _ := factsFor(all, y, lang)
		rows = append(rows, row{fxs[0], fys[0]})
		for _, ax := range x.Attributes {
			if vy, ok := y.Attribute(ax.Name); ok {
				rows = append(rows, row{
					fact{label: ax.Name, say: ax.Value, cite: Citation{ProductID: x.ID, Field: FieldAttrPrefix + ax.Name, Value: ax.Value}},
					fact{label: ax.Name, say: vy, cite: Citation{ProductID: y.ID, Field: FieldAttrPrefix + ax.Name, Value: vy}},
				})
			}
		}
	}
	if len(rows) == 0 {
		key := ""
		if len(p.Topics) > 0 {
			key = p.Topics[0]
		}
		return unknownAnswer(lang, key), nil, nil
	}
	cites := []Citation{
		{ProductID: x.ID, Field: FieldTitle, Value: x.Title},
		{ProductID: y.ID, Field: FieldTitle, Value: y.Title},
	}
	var sb strings.Builder
	winner := 0 // 1: x, 2: y
	for i, r := range rows {
		if i > 0 {
			sb.WriteString(pick(lang, "；", "; "))
		}
		if lang == shop.LanguageEN {
			fmt.Fprintf(&sb, "%s: %s %s, %s %s", r.fx.label, x.Title, r.fx.say, y.Title, r.fy.say)
		} else {
			fmt.Fprintf(&sb, "%s：%s是%s，%s是%s", r.fx.label, x.Title, r.fx.say, y.Title, r.fy.say)
		}
		cites = append(cites, r.fx.cite, r.fy.cite)
		if i == 0 && p.Compares {
			winner = decide(p, r.fx, r.fy)
		}
	}
	sb.WriteString(pick(lang, "。", "."))
	hits := []ProductHit{{ProductID: x.ID, Score: 0.5}, {ProductID: y.ID, Score: 0.5}}
	if winner != 0 {
		w, l := x, y
		if winner == 2 {
			w, l = y, x
			hits[0], hits[1] = hits[1], hits[0]
		}
		hits[0].Score, hits[1].Score = 1, 0
		if lang == shop.LanguageEN {
			fmt.Fprintf(&sb, " On this, %s comes out ahead of %s.", w.Title, l.Title)
		} else {
			fmt.Fprintf(&sb, "这一项上%s胜过%s。", w.Title, l.Title)
		}
		hits[0].Reason = pick(lang, "这一项更符合你的问题", "better on what you asked")
	} else if p.Compares {
		if r := rows[0]; sameFact(r.fx, r.fy) {
			sb.WriteString(pick(lang, "两款在这一项上相同。", " The two are the same on this."))
		}
	}
	return Answer{Kind: KindComparison, Text: strings.TrimSpace(sb.String()), Citations: cites, Products: hits}, []*shop.Product{x, y}, nil
}

func hasNamedAttr(p Parsed, prod *shop.Product) bool {
	fs, _ := factsFor(p, prod, p.Language)
	return len(fs) > 0
}

func sameFact(a, b fact) bool {
	qa, oka := mainQuantity(a.say)
	qb, okb := mainQuantity(b.say)
	if oka && okb && qa.unit == qb.unit {
		return sameNumber(qa.value, qb.value)
	}
	return strings.EqualFold(a.say, b.say)
}

// decide returns which product the question favours on the row: 1 for x,
// 2 for y, 0 when the facts do not decide (equal, or not numbers).
func decide(p Parsed, fx, fy fact) int {
	var vx, vy float64
	if fx.cite.Field == FieldPrice {
		a, _ := shop.ParseDecimal(fx.cite.Value)
		b, _ := shop.ParseDecimal(fy.cite.Value)
		vx, vy = float64(a), float64(b)
	} else {
		qx, okx := mainQuantity(fx.say)
		qy, oky := mainQuantity(fy.say)
		if !okx || !oky || qx.unit != qy.unit {
			return 0
		}
		vx, vy = qx.value, qy.value
	}
	if sameNumber(vx, vy) {
		return 0
	}
	more := true
	if tp, ok := topicByKey[fx.topic]; ok {
		more = tp.more
	}
	if fx.cite.Field == FieldPrice {
		more = false // the cheaper one, unless the question asks for the dearer
	}
	// the wish follows the question word: 哪个续航更长, which is lighter
	// (小米 in a product's name is not 小)
	t := p.norm
	for _, cue := range []string{"哪个", "哪款", "谁", "更", "which"} {
		if i := strings.LastIndex(t, cue); i >= 0 {
			t = t[i+len(cue):]
			break
		}
	}
	switch {
	case hasAny(t, "轻", "小", "便宜", "短", "少", "低", "省", "lighter", "smaller", "cheaper", "less", "fewer", "shorter", "lower", "quieter"):
		more = false
	case hasAny(t, "重", "大", "长", "多", "贵", "高", "久", "heavier", "bigger", "larger", "longer", "more", "higher", "dearer", "pricier"):
		more = true
	}
	if (vx > vy) == more {
		return 1
	}
	return 2
}

// need answers a need question with products that pass its filter.
func (b *Builtin) need(ctx context.Context, q Question, p Parsed) (Answer, []*shop.Product, error) {
	filter := p.Filter
	leafOK := func(*shop.Product) bool { return true }
	if p.CategoryLeaf != "" {
		leaf := p.CategoryLeaf
		leafOK = func(pr *shop.Product) bool {
			for _, seg := range strings.Split(pr.Category, "/") {
				if seg == leaf {
					return true
				}
			}
			return false
		}
		if f, ok := b.cat.(Facets); ok {
			cats, err := f.Categories(ctx)
			if err != nil {
				return Answer{}, nil, fmt.Errorf("assistant: categories: %w", err)
			}
			if path := categoryPath(cats, leaf); path != "" {
				filter.Category = &path
			}
		}
	}
	if len(p.Brands) == 0 {
		if bl, ok := b.cat.(Brands); ok {
			all, err := bl.Brands(ctx)
			if err != nil {
				return Answer{}, nil, fmt.Errorf("assistant: brands: %w", err)
			}
			p.Brands = brandIn(q.Text, p.norm, all)
		}
	}
	cands, err := b.cat.Candidates(ctx, p.Query, filter, q.UserID, candidatePool)
	if err != nil {
		return Answer{}, nil, fmt.Errorf("assistant: candidates: %w", err)
	}
	var picked []*shop.Product
	for _, c := range cands {
		if c == nil || !filter.Matches(c) || !c.Available || !leafOK(c) || !brandOK(p.Brands, c) || !tagsOK(p.TagGroups, c) || !specsOK(p.Specs, c) {
			continue
		}
		picked = append(picked, c)
	}
	// soft wishes (a gift, for a student) order the products, never exclude
	sort.SliceStable(picked, func(i, j int) bool { return softScore(p, picked[i]) > softScore(p, picked[j]) })
	if len(picked) > MaxProducts {
		picked = picked[:MaxProducts]
	}
	lang := p.Language
	if len(picked) == 0 {
		a := unknownAnswer(lang, "")
		a.Text = pick(lang, "店里暂时没有完全符合这些条件的商品，可以放宽预算或条件再问我。", "The shop has no product that meets all of these conditions. Try a wider budget or fewer conditions.")
		return a, nil, nil
	}
	var sb strings.Builder
	var cites []Citation
	var hits []ProductHit
	if lang == shop.LanguageEN {
		fmt.Fprintf(&sb, "%d products fit:", len(picked))
	} else {
		fmt.Fprintf(&sb, "为你找到%d款符合条件的商品：", len(picked))
	}
	for i, c := range picked {
		reason, rc := reasonFor(p, c, lang)
		hits = append(hits, ProductHit{ProductID: c.ID, Reason: reason, Score: 1 - float64(i)/float64(2*MaxProducts)})
		cites = append(cites, Citation{ProductID: c.ID, Field: FieldTitle, Value: c.Title})
		cites = append(cites, rc...)
		if lang == shop.LanguageEN {
			fmt.Fprintf(&sb, "\n%d. %s (%s)", i+1, c.Title, reason)
		} else {
			fmt.Fprintf(&sb, "\n%d. %s（%s）", i+1, c.Title, reason)
		}
	}
	return Answer{Kind: KindProducts, Text: sb.String(), Citations: cites, Products: hits}, picked, nil
}

// reasonFor says why a product fits: its price, and the attribute behind
// the need (a camera for 拍照) or its first attribute.
func reasonFor(p Parsed, c *shop.Product, lang shop.Language) (string, []Citation) {
	parts := []string{copywriter.FormatPrice(c.Price)}
	cites := []Citation{{ProductID: c.ID, Field: FieldPrice, Value: c.Price.Amount.String()}}
	var chosen *shop.Attribute
	// the attribute a bound asks about is the reason first
	for _, sp := range p.Specs {
		if a, ok := specAttr(sp, c); ok {
			chosen = &a
			break
		}
	}
	for _, g := range p.TagGroups {
		if chosen != nil {
			break
		}
		if key, ok := tagTopic[g[0]]; ok {
			for _, an := range topicByKey[key].attrs {
				if a, ok := attrFor(c, an, key); ok {
					chosen = &a
					break
				}
			}
		}
		if chosen != nil {
			break
		}
	}
	if chosen == nil && len(p.Topics) > 0 {
		fs, _ := factsFor(Parsed{Topics: p.Topics, norm: p.norm}, c, lang)
		for _, f := range fs {
			if strings.HasPrefix(f.cite.Field, FieldAttrPrefix) {
				a := shop.Attribute{Name: f.label, Value: f.say}
				chosen = &a
				break
			}
		}
	}
	if chosen == nil && len(c.Attributes) > 0 {
		chosen = &c.Attributes[len(c.Attributes)-1]
	}
	if chosen != nil {
		if lang == shop.LanguageEN || !words.HasHan(chosen.Name) {
			parts = append(parts, chosen.Name+" "+chosen.Value)
		} else {
			parts = append(parts, chosen.Name+chosen.Value)
		}
		cites = append(cites, Citation{ProductID: c.ID, Field: FieldAttrPrefix + chosen.Name, Value: chosen.Value})
	}
	if c.Promotion != "" {
		parts = append(parts, c.Promotion)
		cites = append(cites, Citation{ProductID: c.ID, Field: FieldPromotion, Value: c.Promotion})
	}
	return strings.Join(parts, pick(lang, "，", ", ")), cites
}

// tagTopic links a need's tag to the attribute that shows it.
var tagTopic = map[string]string{"拍照": "camera", "长续航": "battery", "防水": "water", "轻薄": "weight", "大屏": "screen", "快充": "power", "保湿": "benefit", "敏感肌": "skin"}

func categoryPath(cats []string, leaf string) string {
	found := ""
	for _, c := range cats {
		segs := strings.Split(c, "/")
		for i, s := range segs {
			if s == leaf {
				path := strings.Join(segs[:i+1], "/")
				if found != "" && found != path {
					return "" // the leaf is in two places: match segments instead
				}
				found = path
			}
		}
	}
	return found
}

func brandOK(brands []string, c *shop.Product) bool {
	if len(brands) == 0 {
		return true
	}
	for _, b := range brands {
		if strings.EqualFold(b, c.Brand) {
			return true
		}
	}
	return false
}

func tagsOK(groups [][]string, c *shop.Product) bool {
	for _, g := range groups {
		ok := false
		for _, t := range g {
			for _, ct := range c.Tags {
				if strings.EqualFold(t, ct) {
					ok = true
				}
			}
		}
		if !ok {
			return false
		}
	}
	return true
}

func softScore(p Parsed, c *shop.Product) int {
	n := 0
	for _, g := range p.SoftTags {
		if tagsOK([][]string{g}, c) {
			n++
		}
	}
	return n
}

// wordBrands are brand names that are also English words: they name the
// brand only when written capitalised ("Keep" the brand, "keeps warm").
var wordBrands = map[string]bool{"keep": true, "peak": true, "bear": true, "tiger": true, "camel": true, "fortune": true, "lee": true, "mac": true}

// brandIn finds the longest catalogue brand the question names, with its
// other-language name when the alias table knows it.
func brandIn(text, norm string, brands []string) []string {
	best := ""
	for _, b := range brands {
		lb := strings.ToLower(strings.TrimSpace(b))
		if utf8.RuneCountInString(lb) < 2 || len(lb) <= len(best) {
			continue
		}
		ok := has(norm, lb)
		if ok && wordBrands[lb] {
			ok = strings.Contains(text, b)
		}
		if ok {
			best = b
		}
	}
	if best == "" {
		return nil
	}
	for _, a := range brandAliases {
		if strings.EqualFold(a[0], best) || strings.EqualFold(a[1], best) {
			return []string{a[0], a[1]}
		}
	}
	return []string{best}
}

// specAttr is the product's first attribute in the bound's unit.
func specAttr(sp NumberAsk, c *shop.Product) (shop.Attribute, bool) {
	for _, a := range c.Attributes {
		if q, ok := mainQuantity(a.Value); ok && q.unit == sp.Unit {
			return a, true
		}
	}
	return shop.Attribute{}, false
}

// specsOK reports whether the product states every bound's attribute
// within the bound (a product that does not state it does not fit).
func specsOK(specs []NumberAsk, c *shop.Product) bool {
	for _, sp := range specs {
		a, ok := specAttr(sp, c)
		if !ok {
			return false
		}
		q, _ := mainQuantity(a.Value)
		switch sp.Op {
		case CmpGT:
			if q.value < sp.Value-1e-9 {
				return false
			}
		case CmpLT:
			if q.value > sp.Value+1e-9 {
				return false
			}
		}
	}
	return true
}
