package embeddings

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/shopmuse/shopmuse/shop"
)

func phone() *shop.Product {
	return &shop.Product{
		ID: "p1", Title: "华为 Mate 60 Pro", Brand: "华为", Category: "数码/手机",
		Tags:        []string{"5G", "拍照"},
		Attributes:  []shop.Attribute{{Name: "屏幕尺寸", Value: "6.8英寸"}, {Name: "电池容量", Value: "5000mAh"}},
		Description: "卫星通话，超清影像。",
		Price:       shop.Money{Amount: 699900, CurrencyCode: "CNY"},
		Promotion:   "限时直降500元",
		ImageURL:    "https://img.example.com/p1.jpg",
		Language:    shop.LanguageZH,
	}
}

func TestProductFields(t *testing.T) {
	fs := ProductFields(phone())
	want := []Field{
		{"华为 Mate 60 Pro", WeightTitle},
		{"华为", WeightBrand},
		{"数码; 手机", WeightCategory},
		{"5G; 拍照", WeightTags},
		{"屏幕尺寸: 6.8英寸; 电池容量: 5000mAh", WeightAttributes},
		{"卫星通话，超清影像。", WeightDescription},
	}
	if !slices.Equal(fs, want) {
		t.Fatalf("ProductFields =\n%v\nwant\n%v", fs, want)
	}
	for _, f := range fs[1:] {
		if f.Weight >= fs[0].Weight {
			t.Errorf("field %q weighs %v, not less than the title", f.Text, f.Weight)
		}
	}
	// Empty fields are left out.
	if fs := ProductFields(&shop.Product{Title: "x", Category: "a"}); len(fs) != 2 {
		t.Fatalf("sparse product: %v", fs)
	}
	// The category separator keeps segments apart: no 码手 bigram.
	if cat := ProductFields(phone())[2].Text; slices.Contains(Tokens(cat), "码手") || !slices.Contains(Tokens(cat), "手机") {
		t.Fatal("category tokens span segments")
	}
}

func TestProductText(t *testing.T) {
	got := ProductText(phone())
	want := "华为 Mate 60 Pro\n品牌：华为\n类目：数码 > 手机\n标签：5G、拍照\n参数：屏幕尺寸：6.8英寸；电池容量：5000mAh\n卫星通话，超清影像。"
	if got != want {
		t.Fatalf("ProductText =\n%s\nwant\n%s", got, want)
	}
	for _, leak := range []string{"6999", "500元", "https://"} {
		if strings.Contains(got, leak) {
			t.Errorf("ProductText carries %q (price/promotion/image)", leak)
		}
	}
	en := &shop.Product{Title: "MAC lipstick", Brand: "MAC", Category: "Beauty/Lips", Tags: []string{"matte", "red"},
		Attributes: []shop.Attribute{{Name: "shade", Value: "Ruby Woo"}}, Language: shop.LanguageEN}
	if got, want := ProductText(en), "MAC lipstick\nBrand: MAC\nCategory: Beauty > Lips\nTags: matte, red\nAttributes: shade: Ruby Woo"; got != want {
		t.Fatalf("ProductText(en) =\n%s\nwant\n%s", got, want)
	}
}

// recorder is an Embedder that is not a ProductEmbedder.
type recorder struct{ texts []string }

func (r *recorder) Name() string { return "recorder" }
func (r *recorder) Dim() int     { return 2 }
func (r *recorder) EmbedDocuments(_ context.Context, texts []string) ([][]float32, error) {
	r.texts = append(r.texts, texts...)
	out := make([][]float32, len(texts))
	for i := range out {
		out[i] = []float32{1, 0}
	}
	return out, nil
}
func (r *recorder) EmbedQuery(context.Context, string) ([]float32, error) {
	return nil, errors.New("not used")
}

func TestEmbedProductsDispatch(t *testing.T) {
	ctx := context.Background()
	ps := []*shop.Product{phone(), catalogue()[7]}
	r := &recorder{}
	vs, err := EmbedProducts(ctx, r, ps)
	if err != nil || len(vs) != 2 {
		t.Fatalf("recorder: %v, %d vectors", err, len(vs))
	}
	if !slices.Equal(r.texts, []string{ProductText(ps[0]), ProductText(ps[1])}) {
		t.Fatalf("an external embedder must get ProductText, got %q", r.texts)
	}
	b := NewBuiltin(0)
	vs, err = EmbedProducts(ctx, b, ps)
	if err != nil {
		t.Fatal(err)
	}
	for i, p := range ps {
		if !slices.Equal(vs[i], b.EmbedProduct(p)) {
			t.Fatalf("builtin: product %d not embedded from weighted fields", i)
		}
	}
	// Weighted fields differ from embedding the flat text.
	if slices.Equal(vs[0], b.Embed(ProductText(ps[0]))) {
		t.Fatal("builtin EmbedProducts equals plain-text embedding; weights had no effect")
	}
}
