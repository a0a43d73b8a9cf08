package recommend

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/shopmuse/shopmuse/shop"
	"github.com/shopmuse/shopmuse/vector"
	"github.com/shopmuse/shopmuse/vector/exact"
)

var t0 = time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)

// tableEmbedder embeds known words to fixed vectors.
type tableEmbedder map[string][]float32

func (tableEmbedder) Name() string { return "table-4" }
func (tableEmbedder) Dim() int     { return 4 }
func (t tableEmbedder) EmbedQuery(_ context.Context, s string) ([]float32, error) {
	if v, ok := t[s]; ok {
		return v, nil
	}
	return nil, fmt.Errorf("unknown word %q", s)
}

type fixture struct {
	t   *testing.T
	e   *Engine
	idx *exact.Index
	clk *clock
}

func prod(id, title, cat string) shop.Product {
	return shop.Product{ID: id, Title: title, Category: cat, Available: true, Language: shop.LanguageZH,
		Brand: "B", Price: shop.Money{Amount: 10000, CurrencyCode: "CNY"}}
}

// newFixture builds an engine over crafted products with 4-d embeddings.
func newFixture(t *testing.T, weights map[string]float64, mutate func(*Config)) *fixture {
	t.Helper()
	clk := &clock{t: t0}
	cfg := DefaultConfig()
	cfg.Now = clk.now
	cfg.Logger = quiet
	cfg.MMRLambda = 1 // crafted tests check relevance order; MMR has its own test
	cfg.MaxPerCategory = 1
	if weights != nil { // isolate retrievers for warm and cold users alike
		cfg.Weights, cfg.ColdWeights = weights, weights
	}
	if mutate != nil {
		mutate(&cfg)
	}
	idx := exact.New(4)
	e, err := New(cfg, Deps{Products: idx, Embedder: tableEmbedder{
		"摄影": {1, 0, 0, 0}, "时尚": {0, 1, 0, 0}, "美食": {0, 0, 1, 0},
	}})
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{t: t, e: e, idx: idx, clk: clk}
}

func (f *fixture) products(ps []shop.Product, vecs map[string][]float32) {
	f.t.Helper()
	if err := f.e.UpsertProducts(ps); err != nil {
		f.t.Fatal(err)
	}
	var pts []vector.Point
	for i := range ps {
		if v, ok := vecs[ps[i].ID]; ok {
			pts = append(pts, vector.Point{ID: ps[i].ID, Vector: v, Payload: vector.PayloadOf(&ps[i])})
		}
	}
	if err := f.idx.Upsert(context.Background(), pts); err != nil {
		f.t.Fatal(err)
	}
}

func (f *fixture) event(user, item string, kind shop.InteractionKind, ago time.Duration) {
	f.t.Helper()
	if err := f.e.AddInteractions([]shop.Interaction{{UserID: user, ProductID: item, Kind: kind, OccurredAt: f.clk.now().Add(-ago)}}); err != nil {
		f.t.Fatal(err)
	}
}

func (f *fixture) recommend(req Request) []Recommendation {
	f.t.Helper()
	recs, err := f.e.Recommend(context.Background(), req)
	if err != nil {
		f.t.Fatal(err)
	}
	return recs
}

func (f *fixture) train() TrainingReport {
	f.t.Helper()
	rep, err := f.e.Train(context.Background())
	if err != nil {
		f.t.Fatal(err)
	}
	return rep
}

func ids(recs []Recommendation) []string {
	out := make([]string, len(recs))
	for i, r := range recs {
		out[i] = r.ItemID
	}
	return out
}

func only(name string) map[string]float64 { return map[string]float64{name: 1} }

func TestSeenButNotBought(t *testing.T) {
	f := newFixture(t, only(RetrieverSeen), nil)
	f.products([]shop.Product{prod("A", "相机A", "数码/相机"), prod("B", "镜头B", "数码/镜头"),
		prod("C", "三脚架C", "数码/配件"), prod("D", "耳机D", "数码/耳机"), prod("E", "手机E", "数码/手机")}, nil)
	f.event("u", "A", shop.KindView, 2*time.Hour)
	f.event("u", "B", shop.KindAddToCart, 3*time.Hour)
	f.event("u", "C", shop.KindClick, 5*time.Hour)
	f.event("u", "C", shop.KindPurchase, 4*time.Hour) // bought after clicking: not offered
	f.event("u", "D", shop.KindView, 30*24*time.Hour) // outside the window
	f.event("u", "E", shop.KindPurchase, 10*time.Hour)
	f.event("u", "E", shop.KindView, 1*time.Hour) // bought before: purchased items are excluded
	recs := f.recommend(Request{UserID: "u", N: 10})
	if got := ids(recs); !slices.Equal(got, []string{"B", "A"}) {
		t.Fatalf("seen = %v, want [B A]", got)
	}
	if recs[0].Reasons[0].Message != "还在你的购物车里" || recs[0].Reasons[0].Kind != ReasonInCart {
		t.Errorf("cart reason = %+v", recs[0].Reasons[0])
	}
	if recs[1].Reasons[0].Message != "你最近看过" {
		t.Errorf("seen reason = %+v", recs[1].Reasons[0])
	}
	en := f.recommend(Request{UserID: "u", N: 10, Language: shop.LanguageEN})
	if en[0].Reasons[0].Message != "Still in your cart" || en[1].Reasons[0].Message != "You viewed this recently" {
		t.Errorf("EN reasons = %+v / %+v", en[0].Reasons, en[1].Reasons)
	}
}

// coBought makes n users who view x and buy y.
func (f *fixture) coBought(prefix, x, y string, n int, kindY shop.InteractionKind) {
	for i := 0; i < n; i++ {
		u := fmt.Sprintf("%s%d", prefix, i)
		f.event(u, x, shop.KindView, time.Duration(i+2)*time.Hour)
		f.event(u, y, kindY, time.Duration(i+1)*time.Hour)
	}
}

func TestItemCF(t *testing.T) {
	f := newFixture(t, only(RetrieverItemCF), nil)
	f.products([]shop.Product{prod("x", "相机X", "数码/相机"), prod("y", "镜头Y", "数码/镜头"),
		prod("z", "背包Z", "户外/背包"), prod("w", "水杯W", "家居/杯具")}, nil)
	f.coBought("a", "x", "y", 20, shop.KindPurchase)
	f.coBought("b", "x", "z", 4, shop.KindView)
	f.coBought("c", "w", "z", 10, shop.KindView)
	rep := f.train()
	if len(rep.Models) != 3 || rep.Models[0].Size == 0 || rep.Models[2].Name != RetrieverRepeat {
		t.Fatalf("report = %+v", rep)
	}
	f.event("me", "x", shop.KindView, time.Minute)
	recs := f.recommend(Request{UserID: "me", N: 3})
	if len(recs) < 2 || recs[0].ItemID != "y" || recs[1].ItemID != "z" {
		t.Fatalf("item-CF = %v, want y then z", ids(recs))
	}
	r := recs[0].Reasons[0]
	if r.Message != "因为你浏览过「相机X」" || r.RelatedItemID != "x" || r.Kind != ReasonItemCF {
		t.Errorf("reason = %+v", r)
	}
	// Kind-specific verb: a buyer of x (x itself is then excluded).
	f.event("buyer", "x", shop.KindPurchase, time.Minute)
	recs = f.recommend(Request{UserID: "buyer", N: 3, Language: shop.LanguageEN})
	if recs[0].ItemID != "y" || recs[0].Reasons[0].Message != "Because you bought “相机X”" {
		t.Errorf("buyer recs = %v %+v", ids(recs), recs[0].Reasons)
	}
	if slices.Contains(ids(recs), "x") {
		t.Error("purchased item recommended")
	}
}

func TestRealTimeItemCFWithoutTraining(t *testing.T) {
	f := newFixture(t, only(RetrieverItemCF), nil)
	f.products([]shop.Product{prod("x", "X", "数码/相机"), prod("y", "Y", "数码/镜头"), prod("z", "Z", "家居/杯具")}, nil)
	f.event("me", "x", shop.KindView, time.Minute)
	if recs := f.recommend(Request{UserID: "me"}); len(recs) != 0 {
		t.Fatalf("no co-occurrence yet, got %v", ids(recs))
	}
	f.coBought("a", "x", "y", 3, shop.KindAddToCart) // no Train call
	recs := f.recommend(Request{UserID: "me"})
	if len(recs) == 0 || recs[0].ItemID != "y" {
		t.Fatalf("real-time co-occurrence not served: %v", ids(recs))
	}
	// A training run keeps serving it (now from the model), and the next
	// real-time event adds to it.
	f.train()
	if recs := f.recommend(Request{UserID: "me"}); len(recs) == 0 || recs[0].ItemID != "y" {
		t.Fatalf("after training: %v", ids(recs))
	}
	f.coBought("b", "x", "z", 10, shop.KindPurchase)
	if recs := f.recommend(Request{UserID: "me"}); len(recs) < 2 || recs[0].ItemID != "z" {
		t.Fatalf("after more real-time events z should lead: %v", ids(recs))
	}
}

func TestRealTimeChangesNextAnswer(t *testing.T) {
	f := newFixture(t, nil, nil)
	f.products([]shop.Product{prod("x", "X", "数码/相机"), prod("y", "Y", "数码/镜头"), prod("z", "Z", "家居/杯具")}, nil)
	f.event("other", "z", shop.KindPurchase, time.Hour)
	before := f.recommend(Request{UserID: "me"})
	f.event("me", "y", shop.KindAddToCart, time.Minute)
	after := f.recommend(Request{UserID: "me"})
	if len(after) == 0 || after[0].ItemID != "y" || slices.Equal(ids(before), ids(after)) {
		t.Fatalf("before %v after %v: the cart event should lead", ids(before), ids(after))
	}
}

// groups makes two taste groups over items a0..a9 (数码) and b0..b9 (服饰).
func (f *fixture) groups() {
	var ps []shop.Product
	for i := 0; i < 10; i++ {
		ps = append(ps, prod(fmt.Sprintf("a%d", i), fmt.Sprintf("数码%d", i), "数码/相机"),
			prod(fmt.Sprintf("b%d", i), fmt.Sprintf("服饰%d", i), "服饰/上衣"))
	}
	f.products(ps, nil)
	r := rand.New(rand.NewPCG(1, 2))
	for u := 0; u < 120; u++ {
		g := "a"
		if u%2 == 1 {
			g = "b"
		}
		for k, i := range r.Perm(10)[:4] {
			f.event(fmt.Sprintf("u%d", u), fmt.Sprintf("%s%d", g, i), shop.KindClick, time.Duration(u*5+k+1)*time.Hour)
		}
	}
}

func TestMatrixFactorization(t *testing.T) {
	for _, algo := range []string{AlgoEALS, AlgoBPR} {
		t.Run(algo, func(t *testing.T) {
			f := newFixture(t, only(RetrieverMF), func(c *Config) {
				c.MF.Algorithm, c.MF.Factors, c.MF.Epochs = algo, 4, 20
				c.MaxPerCategory = 1
			})
			f.groups()
			rep := f.train()
			if rep.Models[1].Name != "mf:"+algo {
				t.Fatalf("report %+v", rep.Models)
			}
			// precision of the top 4 within the user's taste group; the
			// groups never mix in the data, so a model that learned them
			// keeps to the group.
			inGroup, total := 0, 0
			check := func(user, group string) {
				t.Helper()
				recs := f.recommend(Request{UserID: user, N: 4})
				if len(recs) != 4 {
					t.Fatalf("%s: %v", user, ids(recs))
				}
				if !strings.HasPrefix(recs[0].ItemID, group) {
					t.Errorf("%s (group %s) got %v", user, group, ids(recs))
				}
				for _, r := range recs {
					total++
					if strings.HasPrefix(r.ItemID, group) {
						inGroup++
					}
				}
				if recs[0].Reasons[0].Kind != ReasonMF || recs[0].Reasons[0].Message != "根据你的购物偏好为你推荐" {
					t.Errorf("reason %+v", recs[0].Reasons)
				}
			}
			for u := 0; u < 20; u++ {
				check(fmt.Sprintf("u%d", u), string("ab"[u%2]))
			}
			if p := float64(inGroup) / float64(total); p < 0.9 {
				t.Errorf("trained users: in-group precision@4 = %.2f", p)
			}
			// Fold-in: users unseen at training time.
			inGroup, total = 0, 0
			for n, g := range []string{"a", "b", "a", "b"} {
				u := fmt.Sprintf("newbie%d", n)
				f.event(u, fmt.Sprintf("%s%d", g, n), shop.KindPurchase, time.Minute)
				f.event(u, fmt.Sprintf("%s%d", g, n+3), shop.KindView, time.Minute)
				f.event(u, fmt.Sprintf("%s%d", g, n+5), shop.KindView, time.Minute)
				check(u, g)
			}
			if p := float64(inGroup) / float64(total); p < 0.85 {
				t.Errorf("folded-in users: in-group precision@4 = %.2f", p)
			}
		})
	}
}

func TestFoldInMatchesTrainedUser(t *testing.T) {
	f := newFixture(t, only(RetrieverMF), func(c *Config) { c.MF.Factors, c.MF.Epochs = 8, 30 })
	f.groups()
	f.train()
	mf := f.e.models.Load().mf
	now := f.clk.now().Unix()
	for _, u := range []string{"u0", "u1", "u7"} {
		uv := f.e.ds.view(u, now)
		trained := mf.user(mf.userIdx[u])
		uv.nEvents = -1 // force fold-in
		folded := mf.userVector(u, uv)
		cos := float64(vector.Dot(normalized(trained), normalized(folded)))
		if cos < 0.95 {
			t.Errorf("%s: fold-in vector cosine to trained = %.3f", u, cos)
		}
	}
}

func TestContent(t *testing.T) {
	f := newFixture(t, only(RetrieverContent), nil)
	f.products([]shop.Product{prod("cam", "微单相机", "数码/相机"), prod("lens", "定焦镜头", "数码/镜头"),
		prod("dress", "连衣裙", "服饰/裙装"), prod("cake", "蛋糕", "食品/烘焙")},
		map[string][]float32{"cam": {1, 0, 0, 0}, "lens": {0.9, 0.1, 0, 0}, "dress": {0, 1, 0, 0}, "cake": {0, 0, 1, 0}})
	f.event("u", "cam", shop.KindView, time.Hour)
	recs := f.recommend(Request{UserID: "u", N: 2})
	if recs[0].ItemID != "lens" {
		t.Fatalf("content = %v", ids(recs))
	}
	if r := recs[0].Reasons[0]; r.Message != "与你浏览过的「微单相机」相似" || r.RelatedItemID != "cam" {
		t.Errorf("reason %+v", r)
	}
	// Declared interest, no history: cold start through content.
	if err := f.e.UpsertUsers([]shop.User{{ID: "fan", Interests: []string{"美食"}}}); err != nil {
		t.Fatal(err)
	}
	recs = f.recommend(Request{UserID: "fan", N: 1})
	if recs[0].ItemID != "cake" || recs[0].Reasons[0].Message != "符合你的兴趣：美食" {
		t.Fatalf("interest recs %v %+v", ids(recs), recs[0].Reasons)
	}
	en := f.recommend(Request{UserID: "fan", N: 1, Language: shop.LanguageEN})
	if en[0].Reasons[0].Message != "Matches your interest: 美食" {
		t.Errorf("EN %+v", en[0].Reasons)
	}
}

func TestColdStart(t *testing.T) {
	f := newFixture(t, nil, nil)
	f.products([]shop.Product{prod("cam", "相机", "数码/相机"), prod("dress", "连衣裙", "服饰/裙装")},
		map[string][]float32{"cam": {1, 0, 0, 0}, "dress": {0, 1, 0, 0}})
	f.event("someone", "dress", shop.KindPurchase, time.Hour)
	// No profile at all: trending and popular.
	recs := f.recommend(Request{UserID: "stranger", N: 5})
	if len(recs) == 0 || recs[0].ItemID != "dress" {
		t.Fatalf("stranger: %v", ids(recs))
	}
	kinds := map[string]bool{}
	for _, r := range recs[0].Reasons {
		kinds[r.Kind] = true
	}
	if !kinds[ReasonTrending] || !kinds[ReasonPopular] {
		t.Errorf("stranger reasons %+v", recs[0].Reasons)
	}
	// Declared interest: content first. A brand-new product without any
	// interaction is reachable at once.
	f.products([]shop.Product{prod("newcam", "新品相机", "数码/相机")}, map[string][]float32{"newcam": {0.99, 0.01, 0, 0}})
	if err := f.e.UpsertUsers([]shop.User{{ID: "photog", Interests: []string{"摄影"}}}); err != nil {
		t.Fatal(err)
	}
	recs = f.recommend(Request{UserID: "photog", N: 3})
	if len(recs) < 2 || !slices.Contains(ids(recs)[:2], "newcam") || !slices.Contains(ids(recs)[:2], "cam") {
		t.Fatalf("photog: %v", ids(recs))
	}
	if recs[0].Reasons[0].Message != "符合你的兴趣：摄影" {
		t.Errorf("photog reason %+v", recs[0].Reasons)
	}
}

func TestPopularAndTrending(t *testing.T) {
	f := newFixture(t, map[string]float64{RetrieverTrending: 1}, nil)
	f.products([]shop.Product{prod("old", "老爆款", "数码/手机"), prod("new", "新爆款", "数码/手机"),
		prod("cup", "杯子", "家居/杯具")}, nil)
	for i := 0; i < 50; i++ {
		f.event(fmt.Sprintf("o%d", i), "old", shop.KindView, 20*24*time.Hour)
	}
	for i := 0; i < 10; i++ {
		f.event(fmt.Sprintf("n%d", i), "new", shop.KindView, 12*time.Hour)
	}
	f.event("me", "cup", shop.KindView, 30*24*time.Hour) // history in 家居 only
	recs := f.recommend(Request{UserID: "stranger", N: 3})
	if ids(recs)[0] != "new" || recs[0].Reasons[0].Message != "近期热门" {
		t.Fatalf("trending %v %+v", ids(recs), recs[0].Reasons)
	}
	f.e.cfg.Weights, f.e.cfg.ColdWeights = only(RetrieverPopular), only(RetrieverPopular)
	recs = f.recommend(Request{UserID: "stranger", N: 3, Language: shop.LanguageEN})
	if ids(recs)[0] != "old" || recs[0].Reasons[0].Message != "Best seller" {
		t.Fatalf("popular %v %+v", ids(recs), recs[0].Reasons)
	}
	// A user with history in 家居 gets 家居's best sellers; with a 数码 filter,
	// 数码's — named by category.
	f.event("dig", "new", shop.KindView, time.Minute)
	cat := "数码"
	recs = f.recommend(Request{UserID: "me", N: 3, Filter: &shop.ProductFilter{Category: &cat}})
	if ids(recs)[0] != "old" || recs[0].Reasons[0].Message != "同类热销：数码" {
		t.Fatalf("popular in category %v %+v", ids(recs), recs[0].Reasons)
	}
	if en := f.recommend(Request{UserID: "me", N: 3, Filter: &shop.ProductFilter{Category: &cat}, Language: shop.LanguageEN}); en[0].Reasons[0].Message != "Popular in 数码" {
		t.Errorf("EN %+v", en[0].Reasons)
	}
}

func TestBlendMergesReasons(t *testing.T) {
	f := newFixture(t, map[string]float64{RetrieverItemCF: 1, RetrieverTrending: 1}, nil)
	f.products([]shop.Product{prod("x", "相机X", "数码/相机"), prod("y", "镜头Y", "数码/镜头"), prod("z", "杯子Z", "家居/杯具")}, nil)
	f.coBought("a", "x", "y", 5, shop.KindView)
	for i := 0; i < 30; i++ {
		f.event(fmt.Sprintf("t%d", i), "z", shop.KindView, time.Hour) // z is trending
	}
	f.train()
	f.event("me", "x", shop.KindView, 2*time.Hour)
	recs := f.recommend(Request{UserID: "me", N: 3})
	// y: co-viewed with x (rank 1) and trending (rank 2); z: trending only.
	if got := ids(recs); !slices.Equal(got, []string{"y", "z"}) {
		t.Fatalf("blend %v", got)
	}
	top := recs[0]
	if len(top.Reasons) != 2 || top.Reasons[0].Kind != ReasonItemCF || top.Reasons[1].Kind != ReasonTrending {
		t.Errorf("merged reasons %+v", top.Reasons)
	}
	if !(recs[0].Score > recs[1].Score) || !approx(recs[1].Score, 1, 1e-9) {
		t.Errorf("scores: %v %v", recs[0].Score, recs[1].Score)
	}
}

func TestFilters(t *testing.T) {
	f := newFixture(t, only(RetrieverPopular), nil)
	mk := func(id, cat, brand string, price shop.Decimal, avail bool, tags []string, lang shop.Language) shop.Product {
		p := prod(id, id, cat)
		p.Brand, p.Price.Amount, p.Available, p.Tags, p.Language = brand, price, avail, tags, lang
		return p
	}
	f.products([]shop.Product{
		mk("phone", "数码/手机", "华为", 599900, true, []string{"5G"}, shop.LanguageZH),
		mk("case", "数码/配件", "小米", 4900, true, []string{"保护"}, shop.LanguageZH),
		mk("sold", "数码/手机", "华为", 299900, false, nil, shop.LanguageZH),
		mk("mug", "家居/杯具", "Muji", 3900, true, []string{"保护", "陶瓷"}, shop.LanguageEN),
		mk("rug", "家居用品/地毯", "Muji", 9900, true, nil, shop.LanguageZH),
	}, nil)
	for i, id := range []string{"phone", "case", "sold", "mug", "rug"} {
		for k := 0; k <= 5-i; k++ {
			f.event(fmt.Sprintf("x%d", k), id, shop.KindView, time.Hour)
		}
	}
	str := func(s string) *string { return &s }
	dec := func(d shop.Decimal) *shop.Decimal { return &d }
	lang := shop.LanguageEN
	yes := true
	cases := []struct {
		name   string
		filter *shop.ProductFilter
		want   []string
	}{
		{"none", nil, []string{"phone", "case", "mug", "rug"}}, // never the unavailable one
		{"category prefix by segment", &shop.ProductFilter{Category: str("家居")}, []string{"mug"}},
		{"category leaf", &shop.ProductFilter{Category: str("数码/手机")}, []string{"phone"}},
		{"brand", &shop.ProductFilter{Brand: str("muji")}, []string{"mug", "rug"}},
		{"price", &shop.ProductFilter{MinPrice: dec(4000), MaxPrice: dec(10000)}, []string{"case", "rug"}},
		{"tags", &shop.ProductFilter{Tags: []string{"保护", "陶瓷"}}, []string{"mug"}},
		{"language", &shop.ProductFilter{Language: &lang}, []string{"mug"}},
		{"available", &shop.ProductFilter{AvailableOnly: &yes}, []string{"phone", "case", "mug", "rug"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := ids(f.recommend(Request{UserID: "nobody", N: 10, Filter: c.filter}))
			if !slices.Equal(got, c.want) {
				t.Errorf("got %v, want %v", got, c.want)
			}
		})
	}
	t.Run("exclude", func(t *testing.T) {
		got := ids(f.recommend(Request{UserID: "nobody", N: 10, Exclude: []string{"phone", "mug"}}))
		if !slices.Equal(got, []string{"case", "rug"}) {
			t.Errorf("got %v", got)
		}
	})
	t.Run("purchased", func(t *testing.T) {
		f.event("buyer", "case", shop.KindPurchase, time.Minute)
		f.e.cfg.Weights = map[string]float64{RetrieverPopular: 1, RetrieverSeen: 1} // buyer has history
		got := ids(f.recommend(Request{UserID: "buyer", N: 10}))
		if slices.Contains(got, "case") {
			t.Errorf("purchased item recommended: %v", got)
		}
	})
	t.Run("deleted", func(t *testing.T) {
		f.e.DeleteProducts([]string{"rug"})
		got := ids(f.recommend(Request{UserID: "nobody", N: 10}))
		if slices.Contains(got, "rug") {
			t.Errorf("deleted product recommended: %v", got)
		}
	})
}

func TestDiversityMMRAndCategoryCap(t *testing.T) {
	f := newFixture(t, only(RetrieverPopular), func(c *Config) {})
	f.e.cfg.MMRLambda = 0.5
	f.e.cfg.MaxPerCategory = 0.5
	var ps []shop.Product
	vecs := map[string][]float32{}
	for i := 0; i < 4; i++ { // four near-identical phones, most popular
		id := fmt.Sprintf("phone%d", i)
		ps = append(ps, prod(id, id, "数码/手机"))
		vecs[id] = []float32{1, 0.01 * float32(i), 0, 0}
	}
	ps = append(ps, prod("mug", "mug", "家居/杯具"), prod("tee", "tee", "服饰/上衣"))
	vecs["mug"], vecs["tee"] = []float32{0, 0, 1, 0}, []float32{0, 1, 0, 0}
	f.products(ps, vecs)
	for i, id := range []string{"phone0", "phone1", "phone2", "phone3", "mug", "tee"} {
		for k := 0; k < 10-i; k++ {
			f.event(fmt.Sprintf("v%d", k), id, shop.KindView, time.Hour)
		}
	}
	got := ids(f.recommend(Request{UserID: "nobody", N: 4}))
	phones := 0
	for _, id := range got {
		if strings.HasPrefix(id, "phone") {
			phones++
		}
	}
	if len(got) != 4 || phones != 2 || got[0] != "phone0" || !slices.Contains(got, "mug") || !slices.Contains(got, "tee") {
		t.Fatalf("diversified = %v, want phone0 first, 2 phones, mug and tee", got)
	}
	// The cap is relaxed when nothing else is left.
	cat := "数码"
	if got := ids(f.recommend(Request{UserID: "nobody", N: 4, Filter: &shop.ProductFilter{Category: &cat}})); len(got) != 4 {
		t.Fatalf("cap not relaxed: %v", got)
	}
}

func TestErasure(t *testing.T) {
	f := newFixture(t, nil, nil)
	f.groups()
	f.event("victim", "a1", shop.KindAddToCart, time.Hour)
	f.event("victim", "zz", shop.KindPurchase, time.Hour) // an item only the victim touched
	f.products([]shop.Product{prod("zz", "ZZ", "家居/杯具")}, nil)
	f.train()
	before := f.e.Dataset().Stats()
	if !f.e.DeleteUser("victim") {
		t.Fatal("victim unknown")
	}
	after := f.e.Dataset().Stats()
	if after.Users != before.Users-1 || after.Interactions != before.Interactions-2 {
		t.Errorf("stats before %+v after %+v", before, after)
	}
	if f.e.DeleteUser("victim") {
		t.Error("second erasure found the user again")
	}
	for _, s := range f.e.ds.topLists(f.clk.now().Add(time.Hour)).popular {
		if s.id == "zz" {
			t.Errorf("zz still counted as popular (%v) after its only user was erased", s.score)
		}
	}
	recs := f.recommend(Request{UserID: "victim", N: 20})
	for _, r := range recs {
		for _, rs := range r.Reasons {
			if rs.Kind == ReasonSeen || rs.Kind == ReasonInCart || rs.Kind == ReasonItemCF || rs.Kind == ReasonMF {
				t.Fatalf("erased user still gets personal reasons: %+v", r)
			}
		}
	}
	snap, err := f.e.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(snap), "victim") {
		t.Error("snapshot still holds the erased user")
	}
}

func TestRelated(t *testing.T) {
	f := newFixture(t, nil, nil)
	f.products([]shop.Product{prod("phone", "手机", "数码/手机"), prod("phone2", "手机二代", "数码/手机"),
		prod("case", "手机壳", "配件/手机壳"), prod("charger", "充电器", "配件/充电"), prod("mug", "杯子", "家居/杯具")},
		map[string][]float32{"phone": {1, 0, 0, 0}, "phone2": {0.95, 0.05, 0, 0}, "case": {0.5, 0.5, 0, 0},
			"charger": {0.3, 0.7, 0, 0}, "mug": {0, 0, 1, 0}})
	f.coBought("a", "phone", "case", 8, shop.KindPurchase)
	for i := 0; i < 8; i++ {
		f.event(fmt.Sprintf("a%d", i), "phone", shop.KindPurchase, time.Hour)
	}
	f.coBought("b", "phone", "phone2", 6, shop.KindView)
	f.coBought("c", "phone", "charger", 3, shop.KindView)
	f.train()
	ctx := context.Background()
	rel, err := f.e.Related(ctx, RelatedRequest{ItemID: "phone", N: 3})
	if err != nil {
		t.Fatal(err)
	}
	// phone2 is the most similar, case the most co-viewed; both have both
	// reasons; mug has neither and never shows up.
	got := ids(rel)
	if len(got) != 3 || !slices.Contains(got[:2], "phone2") || !slices.Contains(got[:2], "case") || got[2] != "charger" {
		t.Fatalf("related %v", got)
	}
	for _, r := range rel[:2] {
		msgs := []string{r.Reasons[0].Message, r.Reasons[1].Message}
		slices.Sort(msgs)
		if len(r.Reasons) != 2 || msgs[0] != "与「手机」相似" || msgs[1] != "看过「手机」的人也看了" {
			t.Errorf("related reasons of %s: %+v", r.ItemID, r.Reasons)
		}
	}
	comp, err := f.e.Related(ctx, RelatedRequest{ItemID: "phone", Intent: IntentComplementary, N: 3, Language: shop.LanguageEN})
	if err != nil {
		t.Fatal(err)
	}
	if got := ids(comp); len(got) != 2 || got[0] != "case" || got[1] != "charger" {
		t.Fatalf("complementary %v (want case then charger; never another phone)", got)
	}
	if comp[0].Reasons[0].Message != "Often bought with “手机”" || comp[0].Reasons[0].RelatedItemID != "phone" {
		t.Errorf("complementary reason %+v", comp[0].Reasons)
	}
	if _, err := f.e.Related(ctx, RelatedRequest{ItemID: "nope"}); !errors.Is(err, ErrUnknownItem) {
		t.Errorf("unknown item err = %v", err)
	}
}

func TestValidation(t *testing.T) {
	f := newFixture(t, nil, nil)
	bad := []shop.Interaction{
		{UserID: "u", ProductID: "p", Kind: shop.KindView, OccurredAt: t0},
		{UserID: "u", ProductID: "p", Kind: "STARE", OccurredAt: t0},
	}
	if err := f.e.AddInteractions(bad); err == nil || !strings.Contains(err.Error(), "interaction 1") {
		t.Fatalf("err = %v", err)
	}
	if s := f.e.Dataset().Stats(); s.Interactions != 0 || s.Users != 0 {
		t.Errorf("a bad batch changed the dataset: %+v", s)
	}
	if _, err := f.e.Recommend(context.Background(), Request{UserID: "u", N: MaxN + 1}); err == nil {
		t.Error("N too large accepted")
	}
	if _, err := New(Config{MF: MFConfig{Algorithm: "svd"}}, Deps{}); err == nil {
		t.Error("unknown algorithm accepted")
	}
	if _, err := f.e.Snapshot(); err == nil {
		t.Error("snapshot of untrained engine succeeded")
	}
}

// Untrained is what the service's trainer reads to decide when to train.
func TestUntrainedCountsNewInteractions(t *testing.T) {
	f := newFixture(t, nil, nil)
	f.groups()
	before := f.e.Untrained()
	if before == 0 {
		t.Fatal("interactions loaded but Untrained is 0")
	}
	if _, err := f.e.Train(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := f.e.Untrained(); n != 0 {
		t.Fatalf("Untrained after training = %d, want 0", n)
	}
	var someUser string
	for u := range f.e.models.Load().mf.userIdx {
		someUser = u
		break
	}
	if !f.e.DeleteUser(someUser) {
		t.Fatalf("DeleteUser(%q) found nobody", someUser)
	}
	if n := f.e.Untrained(); n < before {
		t.Fatalf("after an erasure Untrained = %d, want everything (>= %d) so the trainer runs soon", n, before)
	}
}

func TestParseTuningOverrides(t *testing.T) {
	w, err := ParseWeights(" mf=1, itemcf=0.25 ,popular=0")
	if err != nil || len(w) != 3 || w[RetrieverItemCF] != 0.25 || w[RetrieverPopular] != 0 {
		t.Fatalf("ParseWeights: %v %v", w, err)
	}
	if w, err := ParseWeights(""); err != nil || w != nil {
		t.Fatalf("empty weights: %v %v", w, err)
	}
	for _, bad := range []string{"mf", "mf=x", "mf=-1", "mf=NaN", "mf=Inf", "deep=1", "mf=1,mf=2"} {
		if _, err := ParseWeights(bad); err == nil {
			t.Errorf("ParseWeights(%q) accepted", bad)
		}
	}
	o, err := ParseMFOverrides("factors=64,reg=0.2,nu=1,c0=20,omega=0,alpha=0.5,epochs=9")
	if err != nil {
		t.Fatal(err)
	}
	mf := DefaultConfig().MF
	o.Apply(&mf)
	if mf.Factors != 64 || mf.Reg != 0.2 || mf.RegExponent != 1 || mf.C0 != 20 || mf.Omega != 0 || mf.Alpha != 0.5 || mf.Epochs != 9 || mf.Algorithm != AlgoEALS {
		t.Fatalf("applied: %+v", mf)
	}
	for _, bad := range []string{"factors=0", "factors=1.5", "nu=2", "reg=-1", "speed=3", "reg"} {
		if _, err := ParseMFOverrides(bad); err == nil {
			t.Errorf("ParseMFOverrides(%q) accepted", bad)
		}
	}
	// Reg 0 means each algorithm's own default.
	for algo, want := range map[string]float64{AlgoEALS: DefaultEALSReg, AlgoBPR: DefaultBPRReg} {
		c := DefaultConfig()
		c.MF.Algorithm = algo
		c, err := c.withDefaults()
		if err != nil || c.MF.Reg != want {
			t.Errorf("%s: reg %v (%v), want %v", algo, c.MF.Reg, err, want)
		}
	}
}

func TestSession(t *testing.T) {
	f := newFixture(t, only(RetrieverSession), nil)
	f.products([]shop.Product{prod("A", "手机A", "数码/手机"), prod("B", "手机B", "数码/手机"), prod("C", "手机壳C", "数码/配件"),
		prod("D", "耳机D", "数码/耳机"), prod("E", "充电器E", "数码/配件")}, nil)
	// Within a session, shoppers go A → B (and sometimes on to C); over
	// days, A's viewers also looked at D, which is no session step.
	for i := range 8 {
		u := fmt.Sprintf("s%d", i)
		base := time.Duration(i+2) * 24 * time.Hour
		f.event(u, "A", shop.KindView, base)
		f.event(u, "A", shop.KindClick, base-time.Minute) // one item's funnel is one step
		f.event(u, "B", shop.KindView, base-5*time.Minute)
		if i%2 == 0 {
			f.event(u, "C", shop.KindView, base-10*time.Minute)
		}
		f.event(u, "D", shop.KindView, base-30*time.Hour)
	}
	rep := f.train()
	if rep.Users == 0 {
		t.Fatal("nothing trained")
	}
	// A shopper viewing A right now is offered what comes next: B first,
	// then C (two steps on), never D.
	f.event("now", "A", shop.KindView, 3*time.Minute)
	recs := f.recommend(Request{UserID: "now", N: 5})
	if got := ids(recs); !slices.Equal(got, []string{"B", "C"}) {
		t.Fatalf("session = %v, want [B C]", got)
	}
	if r := recs[0].Reasons[0]; r.Kind != ReasonSession || r.RelatedItemID != "A" || r.Message != "看过「手机A」的人接着看了" {
		t.Errorf("reason = %+v", r)
	}
	// The latest session item leads: after A then B, C (B's successor) beats
	// anything A alone suggests.
	f.event("now", "B", shop.KindView, 1*time.Minute)
	if got := ids(f.recommend(Request{UserID: "now", N: 5})); len(got) == 0 || got[0] != "C" {
		t.Fatalf("after B: %v, want C first", got)
	}
	// A session that ended more than SessionGap ago proposes nothing.
	f.event("later", "A", shop.KindView, 2*time.Hour)
	if got := f.recommend(Request{UserID: "later", N: 5}); len(got) != 0 {
		t.Fatalf("stale session proposed %v", ids(got))
	}
	// The model survives a snapshot round trip.
	snap, err := f.e.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	g := newFixture(t, only(RetrieverSession), nil)
	g.products([]shop.Product{prod("A", "手机A", "数码/手机"), prod("B", "手机B", "数码/手机"), prod("C", "手机壳C", "数码/配件")}, nil)
	if err := g.e.Restore(context.Background(), snap); err != nil {
		t.Fatal(err)
	}
	g.event("now", "A", shop.KindView, 3*time.Minute)
	if got := ids(g.recommend(Request{UserID: "now", N: 5})); !slices.Equal(got, []string{"B", "C"}) {
		t.Fatalf("restored session = %v, want [B C]", got)
	}
}

func TestSessionTransitions(t *testing.T) {
	ev := func(item int32, minute int64) event { return event{t: minute * 60, item: item} }
	// 1 1 2 3 | pause | 4 5
	got := sessionTransitions([]event{ev(1, 0), ev(1, 1), ev(2, 2), ev(3, 3), ev(4, 100), ev(5, 101)}, 30*60, nil)
	want := []transition{{1, 2, 1}, {2, 3, 1}, {1, 3, 0.5}, {4, 5, 1}}
	if !slices.Equal(got, want) {
		t.Fatalf("transitions %v, want %v", got, want)
	}
}

// TestCategoryCapIsCalibrated: the per-category cap follows the shopper's
// history. Someone who has only ever looked at phones may get a page of
// mostly phones; someone with a spread history still gets the fixed cap.
func TestCategoryCapIsCalibrated(t *testing.T) {
	f := newFixture(t, only(RetrieverTrending), func(c *Config) {})
	f.e.cfg.MaxPerCategory = 0.5
	var ps []shop.Product
	for i := 0; i < 8; i++ { // the trending items are phones (one global list for everyone)
		ps = append(ps, prod(fmt.Sprintf("phone%d", i), "phone", "数码/手机"))
	}
	for i := 0; i < 4; i++ {
		ps = append(ps, prod(fmt.Sprintf("home%d", i), "home", "家居/杯具"), prod(fmt.Sprintf("wear%d", i), "wear", "服饰/上衣"))
	}
	f.products(ps, nil)
	for i, p := range ps {
		for k := 0; k < 20-i; k++ {
			f.event(fmt.Sprintf("v%d", k), p.ID, shop.KindView, time.Hour)
		}
	}
	phones := func(user string) int {
		n := 0
		for _, id := range ids(f.recommend(Request{UserID: user, N: 6})) {
			if strings.HasPrefix(id, "phone") {
				n++
			}
		}
		return n
	}
	f.event("fan", "phone0", shop.KindPurchase, 2*time.Hour)
	f.event("fan", "phone1", shop.KindView, 2*time.Hour)
	f.event("broad", "phone0", shop.KindView, 2*time.Hour)
	f.event("broad", "home0", shop.KindView, 2*time.Hour)
	f.event("broad", "home1", shop.KindView, 2*time.Hour)
	f.event("broad", "wear0", shop.KindView, 2*time.Hour)
	if n := phones("fan"); n != 6 {
		t.Errorf("a phone-only shopper got %d phones of 6, want the page to follow their history", n)
	}
	if n := phones("broad"); n > 3 {
		t.Errorf("a broad shopper got %d phones of 6, want at most the fixed cap (3)", n)
	}
	if n := phones("stranger"); n != 3 {
		t.Errorf("a new shopper got %d phones of 6, want the fixed cap (3)", n)
	}
}
