package copywriter

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"text/template"
	"unicode"
	"unicode/utf8"

	"github.com/shopmuse/shopmuse/persona"
	"github.com/shopmuse/shopmuse/shop"
)

// GeneratorTemplate names the built-in writer in results and cache keys.
const GeneratorTemplate = "template"

// Angles are the built-in writer's ways into a product. Each variant takes a
// different angle and leads with a different selling point, so variants
// differ in argument and structure, not just in word order.
const (
	AngleFit   = "fit"   // written to the persona's interest
	AngleSpec  = "spec"  // leads with the facts
	AngleOffer = "offer" // price and promotion
	AngleScene = "scene" // a usage scene from the persona's life
	AngleStory = "story" // brand and make
)

// angleOrder picks which angles come first for a persona: a bargain hunter
// sees the offer first, a quality seeker the make.
func angleOrder(pv personaView, hasPersona bool) []string {
	switch {
	case pv.budget:
		return []string{AngleOffer, AngleFit, AngleSpec, AngleScene, AngleStory}
	case pv.quality:
		return []string{AngleFit, AngleStory, AngleSpec, AngleScene, AngleOffer}
	case hasPersona:
		return []string{AngleFit, AngleSpec, AngleOffer, AngleScene, AngleStory}
	}
	return []string{AngleSpec, AngleOffer, AngleScene, AngleStory, AngleFit}
}

// Draft is a generated text before checks and identity.
type draft struct {
	Angle    string
	Headline string
	Text     string
	Checks   []Check
}

// tp is a selling point as templates see it. Name is "" when the value
// already says it (基站: 标准基站), so no template can echo it.
type tp struct{ Name, Value, Short, Benefit, Say string }

// tdata is what a template may use. Every field is a product fact or a
// neutral phrase in the copy's language.
type tdata struct {
	Name, Full, Brand, Noun, Price, Promo, PromoShort string
	// BrandX is the brand when the name does not already say it, so
	// "来自华为的华为 P50 Pro" cannot happen.
	BrandX              string
	For, Tag, Scene     string
	Lead, Second, Third tp
	Points              []tp
	Pad                 []string
	Rot                 int // picks phrasings per product and variant
}

var errMissing = errors.New("missing")

var funcs = template.FuncMap{
	// req aborts a template alternative that needs a field the product lacks,
	// so the next alternative is tried instead of printing a hole.
	"req": func(s string) (string, error) {
		if strings.TrimSpace(s) == "" {
			return "", errMissing
		}
		return s, nil
	},
	// glue joins a name and a spec as Chinese copy writes them, with a
	// space only where two Latin or digit runs would otherwise merge
	// (索尼 A7 IV 2420万像素, not A7 IV2420万像素); it aborts like req when
	// either is missing.
	"glue": func(a, b string) (string, error) {
		if strings.TrimSpace(a) == "" || strings.TrimSpace(b) == "" {
			return "", errMissing
		}
		if isASCIIAlnum(lastRune(a)) && isASCIIAlnum(firstRune(b)) {
			return a + " " + b, nil
		}
		return a + b, nil
	},
	"lower": strings.ToLower,
	// soft lower-cases a capitalised word for use mid-sentence ("Stainless
	// steel" → "stainless steel") but leaves acronyms and models (OLED, XM5).
	"soft": func(s string) string {
		rs := []rune(s)
		if len(rs) > 1 && unicode.IsUpper(rs[0]) && unicode.IsLower(rs[1]) {
			rs[0] = unicode.ToLower(rs[0])
		}
		return string(rs)
	},
	// cap upper-cases the first letter. It works on the first rune, not the
	// first byte: "¥150 off" must not lose half of its "¥".
	"cap": func(s string) string {
		r, n := utf8.DecodeRuneInString(s)
		if n == 0 || r == utf8.RuneError {
			return s
		}
		return string(unicode.ToUpper(r)) + s[n:]
	},
}

func parseAll(m map[string][]string) map[string][]*template.Template {
	out := map[string][]*template.Template{}
	for k, alts := range m {
		for i, a := range alts {
			out[k] = append(out[k], template.Must(template.New(fmt.Sprintf("%s#%d", k, i)).Funcs(funcs).Parse(a)))
		}
	}
	return out
}

// Short channels: per channel, language and angle, alternatives from the
// richest to the leanest; the first that fits and passes is used.
var shortTemplates = parseAll(map[string][]string{
	// ---- TITLE (≤30 / ≤80)
	"TITLE/zh/fit": {
		"{{req .Name}} {{req .Lead.Short}}｜{{req .Tag}}好搭档",
		"{{req .Name}}｜{{req .Tag}}好搭档",
		"{{req .Name}} {{req .Lead.Short}}",
		"{{req .Tag}}好搭档 {{req .Noun}}",
		"为{{req .For}}挑的{{req .Noun}}",
	},
	"TITLE/zh/spec": {
		"{{req .Name}} {{req .Lead.Short}} {{req .Second.Short}}",
		"{{req .Name}} {{req .Lead.Short}}",
		"{{req .Full}}",
		"{{req .Name}}｜规格详见详情页",
	},
	"TITLE/zh/offer": {
		"{{req .Name}} {{req .Price}} {{req .PromoShort}}",
		"{{req .Name}} 现价{{req .Price}}",
		"{{req .Noun}} 现价{{req .Price}}",
		"{{req .Price}}入手{{req .Noun}}",
	},
	"TITLE/zh/scene": {
		"{{req .Scene}}之选 {{req .Name}} {{req .Lead.Short}}",
		"{{req .Scene}}之选 {{req .Name}}",
		"{{req .Scene}}之选 {{req .Noun}} {{req .Lead.Value}}",
		"{{req .Scene}}之选 {{req .Noun}}",
	},
	"TITLE/zh/story": {
		"{{req .BrandX}}出品 {{req .Full}}",
		"{{req .Full}} {{req .Lead.Value}}",
		"{{req .Name}}",
		"{{req .Brand}}{{req .Noun}} {{req .Lead.Value}}",
		"认真做的{{req .Noun}}",
	},
	"TITLE/en/fit": {
		"{{req .Name}} with {{req .Lead.Short}}, made for {{req .For}}",
		"{{req .Name}}, made for {{req .For}}",
		"A {{req .Noun}} made for {{req .For}}",
	},
	"TITLE/en/spec": {
		"{{req .Name}}: {{req .Lead.Short}}, {{req .Second.Short}}",
		"{{req .Name}}: {{req .Lead.Short}}",
		"{{req .Full}}",
		"{{req .Name}}: full specs inside",
	},
	"TITLE/en/offer": {
		"{{req .Name}} at {{req .Price}}: {{req .PromoShort}}",
		"{{req .Name}}, now {{req .Price}}",
		"A {{req .Noun}} for {{req .Price}}",
	},
	"TITLE/en/scene": {
		"{{req .Name}} for {{req .Scene}}, with {{req .Lead.Short}}",
		"{{req .Name}} for {{req .Scene}}",
		"A {{req .Noun}} for {{req .Scene}}",
	},
	"TITLE/en/story": {
		"{{req .Full}} | {{req .Lead.Short}}",
		"{{req .Full}}",
		"{{req .Name}}, made with care",
	},
	// ---- AD_SLOGAN (≤20 / ≤60)
	"AD_SLOGAN/zh/fit": {
		"给{{req .For}}：{{req .Lead.Benefit}}",
		"{{req .Lead.Benefit}}，为{{req .Tag}}而来",
		"{{req .Tag}}路上，有{{req .Noun}}相伴",
		"为{{req .For}}而选",
	},
	"AD_SLOGAN/zh/spec": {
		"{{req .Lead.Short}}，{{req .Lead.Benefit}}",
		"{{req .Lead.Short}}，说到做到",
		"{{req .Lead.Value}}，实打实",
		"参数看得见，{{req .Noun}}更安心",
		"参数清楚，用着安心",
	},
	"AD_SLOGAN/zh/offer": {
		"{{req .PromoShort}}，{{req .Noun}}到手",
		"{{req .Price}}，把{{req .Noun}}带回家",
		"{{req .Price}}，带它回家",
	},
	"AD_SLOGAN/zh/scene": {
		"{{req .Scene}}，{{req .Second.Benefit}}",
		"{{req .Scene}}，{{req .Lead.Benefit}}",
		"{{req .Scene}}，从容一点",
	},
	"AD_SLOGAN/zh/story": {
		"{{req .Brand}}{{req .Noun}}，用心看得见",
		"{{req .Third.Benefit}}",
		"认真做的{{req .Noun}}",
		"好好用，用得久",
	},
	"AD_SLOGAN/en/fit": {
		"For {{req .For}}: {{req .Lead.Short}}",
		"Made for {{req .For}}",
	},
	"AD_SLOGAN/en/spec": {
		"{{req .Lead.Short | cap}}, {{req .Lead.Benefit}}",
		"{{req .Lead.Short | cap}}. No fuss.",
		"Specs you can check.",
	},
	"AD_SLOGAN/en/offer": {
		"{{req .PromoShort | cap}}. Bring it home.",
		"{{req .Price}} and it's yours.",
	},
	"AD_SLOGAN/en/scene": {
		"Built for {{req .Scene}}, {{req .Second.Benefit}}",
		"Built for {{req .Scene}}, {{req .Lead.Benefit}}",
		"Built for {{req .Scene}}.",
	},
	"AD_SLOGAN/en/story": {
		"{{req .Brand}}, made with care.",
		"{{req .Third.Benefit | cap}}.",
		"Made with care, made to last.",
	},
	// ---- PUSH (≤60 / ≤120); headline is the notification title
	"PUSH/zh/fit": {
		"{{req .For}}看过来：{{glue .Name .Lead.Short}}，{{req .Lead.Benefit}}。",
		"{{req .For}}看过来：{{glue .Name .Lead.Short}}，点开看看。",
		"{{req .For}}看过来：{{req .Name}}，点开看看。",
	},
	"PUSH/zh/spec": {
		"{{req .Name}}：{{req .Lead.Say}}。",
		"{{req .Name}}：{{req .Lead.Short}}，{{req .Second.Short}}，参数一目了然。",
		"{{req .Name}}：{{req .Lead.Short}}，参数一目了然。",
		"{{req .Name}}参数一目了然，点击查看详情。",
	},
	"PUSH/zh/offer": {
		"{{req .Name}}现价{{req .Price}}，{{req .Promo}}，手慢别错过。",
		"{{req .Name}}现价{{req .Price}}，手慢别错过。",
	},
	"PUSH/zh/scene": {
		"{{req .Scene}}缺个帮手？{{glue .Name .Lead.Short}}，{{req .Lead.Benefit}}。",
		"{{req .Scene}}缺个帮手？{{req .Name}}了解一下。",
	},
	"PUSH/zh/story": {
		"{{req .Brand}}好物推荐：{{req .Full}}，{{req .Third.Benefit}}。",
		"为你推荐{{req .Full}}，{{req .Lead.Benefit}}。",
		"为你推荐{{req .Full}}，点开看看。",
	},
	"PUSH/en/fit": {
		"For {{req .For}}: {{req .Name}} with {{req .Lead.Short}}, {{req .Lead.Benefit}}.",
		"For {{req .For}}: {{req .Name}}. Take a look.",
	},
	"PUSH/en/spec": {
		"{{req .Name}}: {{req .Lead.Short}} and {{req .Second.Short}}. See the full specs.",
		"{{req .Name}}: {{req .Lead.Short}}. See the full specs.",
		"{{req .Name}}: see the full specs.",
	},
	"PUSH/en/offer": {
		"{{req .Name}} is {{req .Price}}, and {{req .Promo | lower}}. Don't miss it.",
		"{{req .Name}} is {{req .Price}}. Don't miss it.",
	},
	"PUSH/en/scene": {
		"Planning {{req .Scene}}? {{req .Name}} has {{req .Lead.Short}}, {{req .Lead.Benefit}}.",
		"Planning {{req .Scene}}? Meet {{req .Name}}.",
	},
	"PUSH/en/story": {
		"Picked for you: {{req .Full}}, {{req .Third.Benefit}}.",
		"Picked for you: {{req .Full}}.",
	},
	// ---- PROMOTION (≤80 / ≤160)
	"PROMOTION/zh/fit": {
		"写给{{req .For}}：{{glue .Name .Lead.Short}}，{{req .Lead.Benefit}}，现价{{req .Price}}。",
		"写给{{req .For}}：{{glue .Name .Lead.Short}}，现价{{req .Price}}。",
		"写给{{req .For}}：{{req .Name}}现价{{req .Price}}，{{req .Lead.Benefit}}。",
		"写给{{req .For}}：{{req .Name}}现价{{req .Price}}。",
	},
	"PROMOTION/zh/spec": {
		"{{req .Name}}，{{req .Lead.Say}}。现价{{req .Price}}。",
		"{{req .Lead.Short}}、{{req .Second.Short}}，{{req .Name}}只要{{req .Price}}，参数写在明处。",
		"{{req .Lead.Short}}，{{req .Name}}只要{{req .Price}}。",
		"{{req .Name}}只要{{req .Price}}，配置清楚写在详情页。",
		"{{req .Noun}}只要{{req .Price}}，配置清楚写在详情页。",
	},
	"PROMOTION/zh/offer": {
		"【限时活动】{{req .Promo}}！{{req .Name}}现价{{req .Price}}，数量有限，先到先得。",
		"【今日推荐】{{req .Name}}现价{{req .Price}}，{{req .Lead.Benefit}}，喜欢就别犹豫。",
		"【今日推荐】{{req .Name}}现价{{req .Price}}，喜欢就别犹豫。",
	},
	"PROMOTION/zh/scene": {
		"{{req .Scene}}好物：{{req .Name}}，{{req .Second.Benefit}}。{{req .Promo}}，现价{{req .Price}}。",
		"{{req .Scene}}好物：{{req .Name}}，{{req .Lead.Benefit}}。现价{{req .Price}}。",
		"{{req .Scene}}好物：{{req .Name}}，现价{{req .Price}}。",
	},
	"PROMOTION/zh/story": {
		"{{req .Brand}}{{req .Noun}}，{{req .Third.Benefit}}。现在入手{{req .Price}}，{{req .Promo}}。",
		"认真做的{{req .Full}}，现在入手{{req .Price}}，{{req .Promo}}。",
		"认真做的{{req .Full}}，现在入手{{req .Price}}。",
	},
	"PROMOTION/en/fit": {
		"For {{req .For}}: {{req .Name}} with {{req .Lead.Short}}, {{req .Lead.Benefit}}. Now {{req .Price}}.",
		"For {{req .For}}: {{req .Name}} with {{req .Lead.Short}}, now {{req .Price}}.",
		"For {{req .For}}: {{req .Name}}, now {{req .Price}}.",
	},
	"PROMOTION/en/spec": {
		"{{req .Lead.Short | cap}} and {{req .Second.Short}}: {{req .Name}} for {{req .Price}}, specs in plain sight.",
		"{{req .Lead.Short | cap}}: {{req .Name}} for {{req .Price}}.",
		"{{req .Name}} for {{req .Price}}, with every spec on the product page.",
	},
	"PROMOTION/en/offer": {
		"Limited-time offer: {{req .Promo | lower}}. {{req .Name}} is {{req .Price}} while stocks last.",
		"Today's pick: {{req .Name}} at {{req .Price}}, {{req .Lead.Benefit}}.",
		"Today's pick: {{req .Name}} at {{req .Price}}.",
	},
	"PROMOTION/en/scene": {
		"Ready for {{req .Scene}}: {{req .Name}}, {{req .Second.Benefit}}. {{req .Promo}}. Now {{req .Price}}.",
		"Ready for {{req .Scene}}: {{req .Name}}, {{req .Lead.Benefit}}. Now {{req .Price}}.",
		"Ready for {{req .Scene}}: {{req .Name}}, now {{req .Price}}.",
	},
	"PROMOTION/en/story": {
		"Made with care: {{req .Full}}, {{req .Third.Benefit}}. Yours for {{req .Price}}. {{req .Promo}}.",
		"Made with care: {{req .Full}}, yours for {{req .Price}}.",
	},
})

// Headlines: per channel, language and angle; "" for TITLE, whose text is
// the headline already.
var headlineTemplates = parseAll(map[string][]string{
	"zh/fit":   {"{{req .Name}}，给{{req .For}}", "为{{req .For}}而选", "为你而选"},
	"zh/spec":  {"{{req .Name}}参数一览", "参数一览"},
	"zh/offer": {"{{req .Name}}：{{req .PromoShort}}", "{{req .Name}}现价{{req .Price}}", "今日推荐"},
	"zh/scene": {"{{req .Scene}}，带上{{req .Name}}", "{{req .Scene}}好物"},
	"zh/story": {"认识一下{{req .Full}}", "认识一下{{req .Name}}", "好物推荐"},
	"en/fit":   {"{{req .Name}}, picked for {{req .For}}", "Picked for {{req .For}}", "Picked for you"},
	"en/spec":  {"{{req .Name}}: the specs at a glance", "The specs at a glance"},
	"en/offer": {"{{req .Name}}: {{req .PromoShort}}", "{{req .Name}} for {{req .Price}}", "Today's pick"},
	"en/scene": {"Take {{req .Name}} along for {{req .Scene}}", "Ready for {{req .Scene}}"},
	"en/story": {"Meet {{req .Full}}", "Meet {{req .Name}}", "One to look at"},
})

// Long channels share a body per language; the angle supplies the opening,
// the way each selling point is put, and the close.
var longParts = parseAll(map[string][]string{
	"zh/hook/offer":  {"{{req .Name}}现价{{req .Price}}，{{req .Promo}}。", "{{req .Name}}现价{{req .Price}}。"},
	"zh/hook/scene":  {"{{req .Scene}}，有{{req .Name}}会省心不少。"},
	"zh/hook/story":  {"这款{{req .Full}}来自{{req .BrandX}}。"},
	"zh/offer/fit":   {"现价{{req .Price}}，{{req .Promo}}。", "现价{{req .Price}}。"},
	"zh/offer/spec":  {"售价{{req .Price}}，{{req .Promo}}。", "售价{{req .Price}}。"},
	"zh/offer/scene": {"现在入手{{req .Price}}，{{req .Promo}}。", "现在入手{{req .Price}}。"},
	"zh/offer/story": {"标价{{req .Price}}，{{req .Promo}}。", "标价{{req .Price}}。"},
	"zh/close/fit":   {"把它带回家，让{{req .Scene}}多一分从容。"},
	"zh/close/spec":  {"{{req .Scene}}，交给它就好。"},
	"zh/close/offer": {"喜欢就加入购物车吧。"},
	"zh/close/scene": {"心动的话，现在就带它回家。"},
	"zh/close/story": {"认真做的{{req .Noun}}，值得慢慢挑。"},
	"en/hook/fit":    {"Written for {{req .For}}: {{req .Name}} takes care of the details you care about.", "Written for {{req .For}}."},
	"en/hook/spec":   {"Here is what {{req .Name}} brings:"},
	"en/hook/offer":  {"{{req .Name}} is now {{req .Price}}. {{req .Promo}}.", "{{req .Name}} is now {{req .Price}}."},
	"en/hook/scene":  {"{{req .Scene | cap}} call for something you can rely on, and {{req .Name}} fits the bill.", "{{req .Name}} is ready for {{req .Scene}}."},
	"en/hook/story":  {"{{req .Full}} from {{req .BrandX}} puts its effort into what you actually use.", "{{req .Full}} puts its effort into what you actually use."},
	"en/point/fit":   {"Its {{req .Name | lower}} is {{req .Value | soft}}, {{req .Benefit}}.", "{{req .Say | cap}}."},
	"en/point/spec":  {"{{req .Say | cap}}."},
	"en/point/offer": {"{{req .Say | cap}}."},
	"en/point/scene": {"{{req .Value | cap}} means {{req .Benefit}}.", "{{req .Say | cap}}."},
	"en/point/story": {"{{req .Say | cap}}."},
	"en/offer/fit":   {"It's {{req .Price}} now. {{req .Promo}}.", "It's {{req .Price}} now."},
	"en/offer/spec":  {"Price: {{req .Price}}. {{req .Promo}}.", "Price: {{req .Price}}."},
	"en/offer/offer": {"Check the order page for the final price, and don't wait too long."},
	"en/offer/scene": {"Pick one up for {{req .Price}}. {{req .Promo}}.", "Pick one up for {{req .Price}}."},
	"en/offer/story": {"Yours for {{req .Price}}. {{req .Promo}}.", "Yours for {{req .Price}}."},
	"en/close/fit":   {"Bring it home and make {{req .Scene}} a little easier."},
	"en/close/spec":  {"All the details are above, so choose what suits you."},
	"en/close/offer": {"Add it to your cart while you're thinking of it."},
	"en/close/scene": {"Next time you head out, take it with you."},
	"en/close/story": {"Carefully made things deserve a careful look."},
	"zh/greet":       {"你好，"},
	"en/greet":       {"Hello,"},
	"zh/signoff":     {"祝购物愉快！"},
	"en/signoff":     {"Happy shopping!"},
})

// Neutral sentences that lengthen a text for products with few facts. They
// state nothing about the product, so they cannot be unfaithful.
var padding = map[bool][]string{
	true: {
		"如有任何疑问，欢迎随时咨询客服。",
		"下单前可以对照详情页，看看是否合适。",
		"详细信息请以商品详情页为准。",
		"也可以先收藏起来，慢慢比较。",
		"下单后，物流进度可以在订单页随时查看。",
		"收到后有任何问题，都可以联系我们。",
	},
	false: {
		"Compare the specifications with how you'll use it before you order.",
		"Questions before you buy? Customer service is happy to help.",
		"Full specifications are on the product page.",
		"Not ready yet? Save it to your wishlist.",
		"You can follow your delivery from the order page.",
		"If anything is not right when it arrives, let us know.",
	},
}

// builtinWriter is the template writer: no network, deterministic, every variant
// checked before it is returned.
type builtinWriter struct{}

// Name is the generator name reported with results.
func (builtinWriter) Name() string { return GeneratorTemplate }

// job is one generation request, resolved.
type job struct {
	p       *shop.Product
	persona persona.Persona
	ch      Channel
	lang    shop.Language
	n       int
	facts   *factSet
	rc      *rubricCtx
}

func (j *job) rubric() *rubricCtx {
	if j.rc == nil {
		j.rc = newRubricCtx(j.p)
	}
	return j.rc
}

func newJob(p *shop.Product, persona persona.Persona, ch Channel, lang shop.Language, n int) *job {
	return &job{p: p, persona: persona, ch: ch, lang: lang, n: n, facts: buildFacts(p, persona)}
}

// write returns n drafts (fewer only if the product has nothing to say, which
// cannot happen: the last alternatives need only the name and price) and
// their checks. skip names angles already taken by other generators.
func (b builtinWriter) write(ctx context.Context, j *job, n int, skip map[string]bool) ([]draft, error) {
	zh := j.lang != shop.LanguageEN
	sh := buildSheet(j.p, j.persona, zh, j.facts, j.ch)
	order := angleOrder(sh.persona, !j.persona.IsZero())
	var out []draft
	taken := map[string]bool{} // two angles must not land on the same text
	for i, angle := range order {
		if len(out) == n {
			break
		}
		if skip[angle] {
			continue
		}
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("built-in writer: %w", err)
		}
		d, ok := b.writeAngle(j, sh, angle, i, taken)
		if !ok {
			continue
		}
		taken[d.Text] = true
		out = append(out, d)
	}
	return out, nil
}

func (b builtinWriter) writeAngle(j *job, sh *sheet, angle string, idx int, taken map[string]bool) (draft, bool) {
	data := sh.data(angle, idx, j.ch)
	lang := "zh"
	if !sh.zh {
		lang = "en"
	}
	heads := headlineTemplates[lang+"/"+angle]
	if j.ch == ChannelTitle {
		heads = nil
	}
	// fallback is the first candidate that passed the checks but not the
	// rubric: used only if no alternative passes both, since copy with a
	// blemish beats no copy
	var fallback *draft
	try := func(headline, text string) (draft, bool) {
		if taken[text] {
			return draft{}, false
		}
		d := draft{Angle: angle, Headline: headline, Text: text}
		d.Checks = checkWith(j.facts, j.ch, j.lang, Variant{Headline: headline, Text: text})
		if !Passed(d.Checks) {
			return draft{}, false
		}
		// a candidate the rubric faults (an echo, a repeated opening) gives
		// way to the next alternative, as a failed check does
		if !j.rubric().readWith(j.lang, Variant{Headline: headline, Text: text}, false).OK() {
			if fallback == nil {
				fallback = &d
			}
			return draft{}, false
		}
		return d, true
	}
	headline := ""
	for _, t := range heads {
		h, err := render(t, data)
		if err == nil && TextLength(h) <= HeadlineLimitFor(j.lang).Max && Passed(checkWith(j.facts, ChannelTitle, j.lang, Variant{Text: h})) {
			headline = h
			break
		}
	}
	if j.ch == ChannelDetail || j.ch == ChannelEmail {
		for k := len(data.Points); k >= 0; k-- {
			if d, ok := try(headline, b.long(j, sh, angle, data, k)); ok {
				return d, true
			}
		}
	} else {
		for _, t := range shortTemplates[string(j.ch)+"/"+lang+"/"+angle] {
			text, err := render(t, data)
			if err != nil {
				continue
			}
			if d, ok := try(headline, text); ok {
				return d, true
			}
		}
	}
	if fallback != nil {
		return *fallback, true
	}
	return draft{}, false
}

func toTP(p point) tp {
	t := tp{Name: p.name, Value: p.value, Short: p.short, Benefit: p.benefit, Say: p.say}
	if strings.Contains(strings.ToLower(p.value), strings.ToLower(p.name)) {
		t.Name = ""
	}
	return t
}

func render(t *template.Template, data any) (string, error) {
	var b strings.Builder
	if err := t.Execute(&b, data); err != nil {
		return "", err
	}
	return strings.TrimSpace(b.String()), nil
}

// first renders the first alternative that has what it needs.
func first(key string, data any) string {
	for _, t := range longParts[key] {
		if s, err := render(t, data); err == nil {
			return s
		}
	}
	return ""
}

// long assembles a DETAIL or EMAIL text with k selling points, padding with
// neutral sentences up to the channel minimum.
func (b builtinWriter) long(j *job, sh *sheet, angle string, data tdata, k int) string {
	if sh.zh {
		return b.longZH(j, angle, data, k)
	}
	lang := "zh"
	sep := ""
	if !sh.zh {
		lang, sep = "en", " "
	}
	var parts []string
	parts = append(parts, first(lang+"/hook/"+angle, data))
	var pts []string
	for _, p := range data.Points[:k] {
		pts = append(pts, first(lang+"/point/"+angle, p))
	}
	body := strings.Join(pts, sep)
	if body != "" {
		parts = append(parts, body)
	}
	parts = append(parts, first(lang+"/offer/"+angle, data))
	lim := LimitFor(j.ch, j.lang)
	closing := first(lang+"/close/"+angle, data)
	join := func(ps []string) string {
		var nonEmpty []string
		for _, p := range ps {
			if p != "" {
				nonEmpty = append(nonEmpty, p)
			}
		}
		if j.ch == ChannelEmail {
			return first(lang+"/greet", data) + "\n\n" + strings.Join(nonEmpty, "\n\n") + "\n\n" + first(lang+"/signoff", data)
		}
		return strings.Join(nonEmpty, "\n")
	}
	text := join(append(parts, closing))
	for i := 0; TextLength(text) < lim.Min && i < len(data.Pad); i++ {
		// a neutral sentence must not open like one already there ("Save
		// $10 this week." / "Save it to your wishlist.")
		if len(repeatedOpenings(text+"\n"+data.Pad[i], j.lang)) > len(repeatedOpenings(text, j.lang)) {
			continue
		}
		parts = append(parts, data.Pad[i])
		text = join(append(parts, closing))
	}
	return text
}

// data fills the template fields for one variant: variant idx leads with the
// idx-th selling point, so variants argue from different facts.
func (sh *sheet) data(angle string, idx int, ch Channel) tdata {
	d := tdata{
		Name: sh.name, Full: sh.full, Brand: sh.brand, Noun: sh.noun, Price: sh.price, Promo: sh.promo,
		For: sh.persona.forWhom, Tag: sh.persona.tag, Scene: sh.persona.scene,
	}
	if !strings.Contains(strings.ToLower(sh.full+" "+sh.name), strings.ToLower(sh.brand)) {
		d.BrandX = sh.brand
	}
	if TextLength(sh.promo) <= map[bool]int{true: 12, false: 40}[sh.zh] {
		d.PromoShort = sh.promo
	}
	if d.Noun == "" {
		if sh.zh {
			d.Noun = "好物"
		} else {
			d.Noun = "pick"
		}
	}
	n := len(sh.points)
	at := func(k int) tp {
		if n == 0 || k >= n+idx && n < 3 {
			return tp{}
		}
		p := sh.points[(idx+k)%n]
		return toTP(p)
	}
	d.Lead, d.Second, d.Third = at(0), at(1), at(2)
	if n > 0 && n < 2 {
		d.Second = tp{}
	}
	if n < 3 {
		d.Third = tp{}
	}
	// Long texts: every selling point, up to six, each variant starting at
	// its own offset so variants lead with different points.
	// The first variant states every point (up to six); the others lead
	// with a different one and keep to two, so they argue differently and
	// do not repeat the first variant sentence for sentence.
	maxPts := 6
	if ch == ChannelEmail {
		maxPts = 7
	}
	if idx > 0 {
		maxPts = 2
	}
	for k := 0; k < n && len(d.Points) < maxPts; k++ {
		d.Points = append(d.Points, toTP(sh.points[(idx*maxPts+k)%n]))
	}
	d.Rot = idx + int(sh.seed%7)
	pad := padding[sh.zh]
	for k := range pad {
		d.Pad = append(d.Pad, pad[(idx+k+int(sh.seed%uint64(len(pad))))%len(pad)])
	}
	return d
}

// connectives join selling points the way a copywriter does: most sentences
// need none, and a sentence that would open like an earlier one gets one.
var connectives = []string{"此外，", "同时，", "另外，", "再加上"}

// longZH plans a Chinese DETAIL or EMAIL text: an opening for the angle,
// then k selling points, each a feature and what it does for the reader,
// joined so that no two sentences open alike, then the offer and an
// ending that fits the channel.
func (b builtinWriter) longZH(j *job, angle string, data tdata, k int) string {
	var sents []string
	opened := map[string]bool{}
	usedConn := 0
	rot := data.Rot // variants and products differ in their connectives
	push := func(s string) {
		if s == "" {
			return
		}
		op := opening(s)
		for opened[op] && usedConn < len(connectives) {
			s = connectives[(usedConn+rot)%len(connectives)] + s
			usedConn++
			op = opening(s)
		}
		opened[op] = true
		sents = append(sents, s)
	}
	lead := ""
	switch angle {
	case AngleSpec:
		if data.Name == data.Noun || strings.HasPrefix(data.Name, "这款") {
			lead = "这款" + strings.TrimPrefix(data.Name, "这款") + "，"
		} else {
			lead = data.Name + "，"
		}
	case AngleFit:
		if data.Tag != "" {
			lead = "写给" + data.For + "：" + data.Name + "，"
		} else {
			lead = data.Name + "，"
		}
	default:
		push(first("zh/hook/"+angle, data))
	}
	if angle == AngleStory && len(sents) == 0 {
		lead = data.Full + "，"
	}
	for i, p := range data.Points[:k] {
		say := strings.TrimRight(p.Say, "。.")
		if say == "" {
			continue
		}
		if i == 0 && lead != "" {
			say = lead + say
		} else if i == 2 && usedConn == 0 {
			say = connectives[rot%len(connectives)] + say
			usedConn++
		}
		push(say + "。")
	}
	offer := ""
	if angle != AngleOffer {
		offer = first("zh/offer/"+angle, data)
	}
	if len(data.Points[:k]) == 0 && lead != "" {
		// nothing to say about it but its name: the name alone would be a
		// sentence that states nothing, so it opens the offer instead
		if offer == "" {
			offer = "欢迎进店看看。"
		}
		offer = lead + offer
	}
	push(offer)
	closing := first("zh/close/"+angle, data)
	lim := LimitFor(j.ch, j.lang)
	join := func(extra []string) string {
		body := strings.Join(append(append([]string{}, sents...), extra...), "")
		if closing != "" {
			body += closing
		}
		if j.ch == ChannelEmail {
			return first("zh/greet", data) + "\n\n" + body + "\n\n" + first("zh/signoff", data)
		}
		return body
	}
	var pad []string
	text := join(nil)
	if closing != "" {
		opened[opening(closing)] = true
	}
	for i := 0; TextLength(text) < lim.Min && i < len(data.Pad); i++ {
		if opened[opening(data.Pad[i])] {
			continue
		}
		opened[opening(data.Pad[i])] = true
		pad = append(pad, data.Pad[i])
		text = join(pad)
	}
	return text
}

// opening is how a sentence starts, for spotting repeats: its first two
// runes.
func opening(s string) string {
	rs := []rune(s)
	if len(rs) > 2 {
		rs = rs[:2]
	}
	return string(rs)
}
