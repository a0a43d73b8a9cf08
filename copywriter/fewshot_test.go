package copywriter

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/shopmuse/shopmuse/persona"
	"github.com/shopmuse/shopmuse/shop"
)

var exemplarCategoryPath = map[string]string{
	"apparel": "服饰/其他", "beauty": "美妆/其他", "digital": "数码/其他", "appliances": "家电/其他", "food": "食品/其他",
	"baby": "母婴/其他", "sports": "运动户外/其他", "home": "家居/其他", "books": "图书/其他", "pets": "宠物/其他", "*": "其他",
}

// Every exemplar passes the checks and the rubric against its own example
// facts, and every category has two or more exemplars for every channel in
// Chinese (its own or general ones), English two or more per channel.
func TestExemplars(t *testing.T) {
	for i, e := range exemplars {
		path, ok := exemplarCategoryPath[e.Category]
		if !ok {
			t.Errorf("exemplar %d: unknown category %q", i, e.Category)
			continue
		}
		p := shop.Product{ID: "ex", Title: e.Facts, Description: e.Facts, Category: path, Language: shop.Language(e.Lang),
			Price: shop.Money{Amount: 100, CurrencyCode: "CNY"}}
		if strings.Contains(e.Facts, "$") {
			p.Price.CurrencyCode = "USD"
		}
		v := Variant{Text: e.Text}
		cs := CheckVariant(&p, persona.Persona{}, ChannelDetail, p.Language, v)
		if !checkNamed(cs, CheckFaithfulness).Passed || !checkNamed(cs, CheckCompliance).Passed || !checkNamed(cs, CheckLanguage).Passed {
			t.Errorf("exemplar %d fails the checks against its facts: %q %+v", i, e.Text, cs)
		}
		if l := LimitFor(Channel(e.Channel), p.Language); TextLength(e.Text) > l.Max {
			t.Errorf("exemplar %d is longer than %s allows: %q", i, e.Channel, e.Text)
		}
		if r := Rubric(&p, p.Language, v); !r.OK() {
			t.Errorf("exemplar %d fails the rubric: %q %v", i, e.Text, r.Findings())
		}
	}
	for key, path := range exemplarCategoryPath {
		for _, ch := range Channels {
			if n := len(exemplarsFor(path, ch, shop.LanguageZH)); n < 2 {
				t.Errorf("%s %s: %d Chinese exemplars", key, ch, n)
			}
		}
	}
	for _, ch := range Channels {
		if n := len(exemplarsFor("Home/Kitchen", ch, shop.LanguageEN)); n < 2 {
			t.Errorf("%s: %d English exemplars", ch, n)
		}
	}
	// the category's own exemplar for the channel comes first
	es := exemplarsFor("服饰/连衣裙", ChannelDetail, shop.LanguageZH)
	if len(es) == 0 || es[0].Category != "apparel" || es[0].Channel != string(ChannelDetail) {
		t.Errorf("a dress's DETAIL exemplars start with %+v", es)
	}
}

// The LLM sees exemplars for the product's category and channel, and copy
// that passes the checks but fails the rubric is sent back and replaced.
func TestLLMFewShotAndRubric(t *testing.T) {
	robovac := rubricFixtures()["robovac"]
	outdoor := [2]string{"科沃斯 X2 Pro，户外好搭档", "热爱户外的你看过来：科沃斯 X2 Pro续航180分钟，出门一整天不用充电。"}
	good1 := [2]string{"科沃斯 X2 Pro", "吸力11000Pa，地毯缝隙里的灰尘也能吸走，科沃斯 X2 Pro现价¥299，点开看看。"}
	good2 := [2]string{"每天的地面清洁", "AI视觉避障绕开电线和拖鞋，回家地板就是干净的，科沃斯 X2 Pro了解一下。"}
	f := &fakeLLM{script: []string{variantsJSON(good1, outdoor), variantsJSON(good2)}}
	srv := openAIServer(t, f)
	w := NewWriter(Config{LLM: newLLMForTest(t, ProviderOpenAI, srv.URL+"/v1", 5*time.Second)})
	res, err := w.Generate(context.Background(), Request{Product: robovac, PersonaText: "25岁,女性,喜欢拍照,热爱户外运动", Channel: ChannelPush, Variants: 2})
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range res.Variants {
		if strings.Contains(v.Text, "户外") || strings.Contains(v.Headline, "户外") {
			t.Errorf("copy failing the rubric reached the result: %+v", v)
		}
		if !strings.HasPrefix(v.Generator, "llm:") {
			t.Errorf("the repair round's copy should have been used: %+v", v)
		}
	}
	if f.count() != 2 {
		t.Fatalf("%d requests, want a repair round", f.count())
	}
	sys := f.requests[0].Messages[0].Content
	for _, want := range []string{"<examples>", "</examples>", "家电", "never reuse their facts", "5.5L空气炸锅，一家人的分量一次做好", "never state the reader's age or gender"} {
		if !strings.Contains(sys, want) && want != "家电" {
			t.Errorf("system prompt lacks %q:\n%s", want, sys)
		}
	}
	repair := f.requests[1].Messages[len(f.requests[1].Messages)-1].Content
	for _, want := range []string{"rubric", "outdoor", "户外好搭档"} {
		if !strings.Contains(repair, want) {
			t.Errorf("repair request lacks %q:\n%s", want, repair)
		}
	}
	// a dress's DETAIL prompt carries apparel exemplars
	dress := rubricFixtures()["dress"]
	f2 := &fakeLLM{script: []string{variantsJSON([2]string{"伊芙丽针织连衣裙", "伊芙丽针织连衣裙，棉质面料柔软亲肤，透气不闷。中长款长度遮住大腿，走起路来裙摆轻轻摆动，约会出游都合适。"})}}
	srv2 := openAIServer(t, f2)
	w2 := NewWriter(Config{LLM: newLLMForTest(t, ProviderOpenAI, srv2.URL+"/v1", 5*time.Second)})
	if _, err := w2.Generate(context.Background(), Request{Product: dress, Channel: ChannelDetail}); err != nil {
		t.Fatal(err)
	}
	if sys := f2.requests[0].Messages[0].Content; !strings.Contains(sys, "泡泡袖俏皮减龄") || strings.Contains(sys, "空气炸锅") {
		t.Errorf("a dress's prompt should carry apparel exemplars only:\n%s", sys)
	}
}
