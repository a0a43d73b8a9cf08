package embeddings

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"math"
	"slices"
	"sync"
	"testing"

	"github.com/shopmuse/shopmuse/shop"
)

// catalogue is a small mixed-language catalogue; every product shares the
// shop's boilerplate ("官方旗舰店 正品保障" / "official store free shipping"),
// which IDF must learn to ignore.
func catalogue() []*shop.Product {
	zh := func(id, title, brand, cat, desc string, tags []string, attrs ...shop.Attribute) *shop.Product {
		return &shop.Product{ID: id, Title: title, Brand: brand, Category: cat, Description: desc + " 官方旗舰店 正品保障",
			Tags: tags, Attributes: attrs, Language: shop.LanguageZH}
	}
	en := func(id, title, brand, cat, desc string, tags []string, attrs ...shop.Attribute) *shop.Product {
		return &shop.Product{ID: id, Title: title, Brand: brand, Category: cat, Description: desc + " Official store, free shipping.",
			Tags: tags, Attributes: attrs, Language: shop.LanguageEN}
	}
	a := func(n, v string) shop.Attribute { return shop.Attribute{Name: n, Value: v} }
	return []*shop.Product{
		zh("zh-phone-1", "华为 Mate 60 Pro 5G智能手机 6.8英寸", "华为", "数码/手机", "卫星通话，5000毫安时大电池，超清影像拍照手机。", []string{"手机", "5G", "拍照"}, a("屏幕尺寸", "6.8英寸"), a("电池容量", "5000mAh")),
		zh("zh-phone-2", "小米14 徕卡影像 5G手机 骁龙8", "小米", "数码/手机", "徕卡光学镜头，4610毫安时电池，90W快充，轻薄手机。", []string{"手机", "拍照", "快充"}, a("屏幕尺寸", "6.36英寸"), a("电池容量", "4610mAh")),
		zh("zh-lipstick", "迪奥烈艳蓝金唇膏 999 哑光口红", "迪奥", "美妆/彩妆/口红", "经典正红色，哑光质地，持久显色，滋润不拔干。", []string{"口红", "哑光", "礼物"}, a("色号", "999"), a("净含量", "3.5g")),
		zh("zh-cup", "不锈钢保温杯 500毫升 便携水杯", "膳魔师", "家居/杯具", "双层真空不锈钢，长效保温保冷，户外办公皆宜。", []string{"保温杯", "户外"}, a("容量", "500ml")),
		zh("zh-shoes", "李宁 男子跑步鞋 轻量缓震运动鞋", "李宁", "运动/鞋", "䨻科技缓震中底，透气网面鞋面，适合长跑训练。", []string{"跑鞋", "运动"}, a("尺码", "42")),
		en("en-phone-1", "Apple iPhone 15 Pro 256GB smartphone, titanium", "Apple", "Electronics/Phones", "A17 Pro chip, 48MP camera system, USB-C, all-day battery life phone.", []string{"phone", "smartphone", "camera"}, a("storage", "256GB"), a("screen", "6.1 inch")),
		en("en-phone-2", "Samsung Galaxy S24 5G smartphone 128GB", "Samsung", "Electronics/Phones", "Galaxy AI, 50MP camera, 4000mAh battery, bright display phone.", []string{"phone", "smartphone", "android"}, a("storage", "128GB"), a("battery", "4000mAh")),
		en("en-lipstick", "MAC matte lipstick Ruby Woo", "MAC", "Beauty/Makeup/Lips", "Iconic blue-red matte lipstick with long-wearing colour for lips.", []string{"lipstick", "matte", "makeup"}, a("shade", "Ruby Woo")),
		en("en-earbuds", "Sony WF-1000XM5 wireless noise cancelling earbuds", "Sony", "Electronics/Audio", "Industry-leading noise cancelling true wireless earbuds with 8 hours battery.", []string{"earbuds", "wireless", "audio"}, a("battery", "8 hours")),
		en("en-bottle", "Stainless steel insulated water bottle 500 ml", "Hydro Flask", "Home/Drinkware", "Double-wall vacuum insulation keeps drinks cold for 24 hours.", []string{"bottle", "outdoor"}, a("capacity", "500ml")),
	}
}

func texts(ps []*shop.Product) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = ProductText(p)
	}
	return out
}

func cos(a, b []float32) float64 {
	var s float64
	for i := range a {
		s += float64(a[i]) * float64(b[i])
	}
	return s
}

func norm(v []float32) float64 { return math.Sqrt(cos(v, v)) }

func fitted(t testing.TB) (*Builtin, map[string][]float32) {
	t.Helper()
	b := NewBuiltin(0)
	ps := catalogue()
	b.FitProducts(ps)
	vs, err := b.EmbedProducts(context.Background(), ps)
	if err != nil {
		t.Fatal(err)
	}
	byID := map[string][]float32{}
	for i, p := range ps {
		byID[p.ID] = vs[i]
	}
	return b, byID
}

func TestBuiltinNameAndDim(t *testing.T) {
	if b := NewBuiltin(0); b.Dim() != 256 || b.Name() != "builtin-hash-v1-256" {
		t.Fatalf("NewBuiltin(0): dim %d name %q", b.Dim(), b.Name())
	}
	b := NewBuiltin(64)
	if b.Dim() != 64 || b.Name() != "builtin-hash-v1-64" {
		t.Fatalf("NewBuiltin(64): dim %d name %q", b.Dim(), b.Name())
	}
	if v := b.Embed("手机 phone"); len(v) != 64 {
		t.Fatalf("vector length %d, want 64", len(v))
	}
}

func TestBuiltinNormalisedDeterministicZero(t *testing.T) {
	b1, b2 := NewBuiltin(128), NewBuiltin(128)
	ctx := context.Background()
	in := []string{"华为 Mate 60 Pro 手机", "wireless earbuds 8 hours", "６．６英寸 4400mAh", "x"}
	v1, err := b1.EmbedDocuments(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	v2, _ := b2.EmbedDocuments(ctx, in)
	for i := range in {
		if n := norm(v1[i]); math.Abs(n-1) > 1e-5 {
			t.Errorf("%q: norm %v, want 1", in[i], n)
		}
		if !slices.Equal(v1[i], v2[i]) {
			t.Errorf("%q: two embedders disagree", in[i])
		}
	}
	q, err := b1.EmbedQuery(ctx, in[0])
	if err != nil || !slices.Equal(q, v1[0]) {
		t.Errorf("EmbedQuery differs from EmbedDocuments (err %v)", err)
	}
	for _, s := range []string{"", "  ", "，。！"} {
		v := b1.Embed(s)
		if len(v) != 128 {
			t.Fatalf("%q: length %d", s, len(v))
		}
		for _, x := range v {
			if x != 0 {
				t.Fatalf("%q: want the zero vector, got %v", s, v)
			}
		}
	}
	// A product with no text at all also embeds to zero, not NaN.
	for _, x := range b1.EmbedProduct(&shop.Product{}) {
		if x != 0 {
			t.Fatal("empty product: want the zero vector")
		}
	}
}

func TestBuiltinSimilarity(t *testing.T) {
	b, v := fitted(t)
	closer := func(a, near, far string) {
		t.Helper()
		if cn, cf := cos(v[a], v[near]), cos(v[a], v[far]); cn <= cf {
			t.Errorf("cos(%s,%s)=%.3f should exceed cos(%s,%s)=%.3f", a, near, cn, a, far, cf)
		}
	}
	closer("zh-phone-1", "zh-phone-2", "zh-lipstick")
	closer("zh-phone-2", "zh-phone-1", "zh-cup")
	closer("en-phone-1", "en-phone-2", "en-lipstick")
	closer("en-phone-2", "en-phone-1", "en-earbuds")
	closer("zh-cup", "en-bottle", "en-lipstick") // shared 500ml token

	// Sub-words make plurals meet; unrelated words stay apart.
	if pp, pl := cos(b.Embed("phone"), b.Embed("phones")), cos(b.Embed("phone"), b.Embed("lipstick")); pp < pl+0.2 {
		t.Errorf("cos(phone, phones)=%.3f should clearly exceed cos(phone, lipstick)=%.3f", pp, pl)
	}

	// Queries rank the right product first.
	ctx := context.Background()
	ids := make([]string, 0, len(v))
	for _, p := range catalogue() {
		ids = append(ids, p.ID)
	}
	for q, want := range map[string]string{
		"拍照手机":                     "zh-phone-1",
		"哑光口红":                     "zh-lipstick",
		"保温杯":                      "zh-cup",
		"跑步鞋":                      "zh-shoes",
		"noise cancelling earbuds": "en-earbuds",
		"lipsticks":                "en-lipstick", // only the sub-words match the plural
		"water bottle":             "en-bottle",
		"bottles":                  "en-bottle",
		"smartphones":              "en-phone-1",
	} {
		qv, err := b.EmbedQuery(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		best, bestScore := "", -2.0
		for _, id := range ids {
			if s := cos(qv, v[id]); s > bestScore {
				best, bestScore = id, s
			}
		}
		if best != want {
			t.Errorf("query %q: best %s (%.3f), want %s (%.3f)", q, best, bestScore, want, cos(qv, v[want]))
		}
	}
}

// IDF must down-weight the boilerplate every document shares.
func TestBuiltinIDFDownweightsCommonTokens(t *testing.T) {
	a := "official store free shipping phone"
	c := "official store free shipping lipstick"
	unfit := NewBuiltin(0)
	before := cos(unfit.Embed(a), unfit.Embed(c))
	b, _ := fitted(t)
	after := cos(b.Embed(a), b.Embed(c))
	if after >= before-0.1 {
		t.Fatalf("shared boilerplate: cos %.3f after fit, %.3f before; IDF should lower it clearly", after, before)
	}
}

// The title outweighs a long description.
func TestBuiltinTitleWeighting(t *testing.T) {
	b, _ := fitted(t)
	p := &shop.Product{
		Title:       "Phone case",
		Description: "Compatible with many devices. " + repeatWords("lipstick makeup mirror pouch ", 20),
		Language:    shop.LanguageEN,
	}
	v := b.EmbedProduct(p)
	if qa, qb := cos(v, b.Embed("phone case")), cos(v, b.Embed("lipstick makeup mirror pouch")); qa <= qb {
		t.Fatalf("title query %.3f should beat description query %.3f", qa, qb)
	}
}

func repeatWords(s string, n int) string {
	out := ""
	for i := 0; i < n; i++ {
		out += s
	}
	return out
}

func TestBuiltinFingerprintGenerationRefit(t *testing.T) {
	b := NewBuiltin(0)
	if b.Fingerprint() != "" || b.Generation() != 0 || b.Docs() != 0 {
		t.Fatalf("unfitted: fp %q gen %d docs %d", b.Fingerprint(), b.Generation(), b.Docs())
	}
	if !b.ShouldRefit(1) || b.ShouldRefit(0) {
		t.Fatal("unfitted: ShouldRefit(1) must be true, ShouldRefit(0) false")
	}
	docs := texts(catalogue())
	b.Fit(docs)
	fp1, g1 := b.Fingerprint(), b.Generation()
	if fp1 == "" || g1 != 1 || b.Docs() != len(docs) {
		t.Fatalf("after Fit: fp %q gen %d docs %d", fp1, g1, b.Docs())
	}
	// Same data, same fingerprint (content-derived), new generation.
	b2 := NewBuiltin(32)
	b2.Fit(docs)
	if b2.Fingerprint() != fp1 {
		t.Fatalf("equal fits differ: %q vs %q", b2.Fingerprint(), fp1)
	}
	v0 := b.Embed("手机")
	b.Observe([]string{"手机 手机壳", "手机支架"})
	if b.Fingerprint() == fp1 || b.Generation() != g1+1 || b.Docs() != len(docs)+2 {
		t.Fatalf("after Observe: fp %q gen %d docs %d", b.Fingerprint(), b.Generation(), b.Docs())
	}
	if slices.Equal(v0, b.Embed("手机 耳机")) {
		t.Fatal("sanity: different texts gave equal vectors")
	}
	// Policy: ±20% of the fitted count.
	n := b.Docs()
	if b.ShouldRefit(n) || b.ShouldRefit(n+n/5) || !b.ShouldRefit(n+n/5+1) || !b.ShouldRefit(n/2) {
		t.Fatalf("ShouldRefit policy wrong around %d docs", n)
	}
	// Observe equals Fit on the union.
	b3 := NewBuiltin(0)
	b3.Fit(append(slices.Clone(docs), "手机 手机壳", "手机支架"))
	if b3.Fingerprint() != b.Fingerprint() {
		t.Fatal("Observe after Fit differs from Fit on all documents")
	}
}

func TestBuiltinPersistenceRoundTrip(t *testing.T) {
	b, _ := fitted(t)
	b.Observe([]string{"extra document"})
	data, err := b.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	r := NewBuiltin(0)
	if err := r.UnmarshalBinary(data); err != nil {
		t.Fatal(err)
	}
	if r.Fingerprint() != b.Fingerprint() || r.Generation() != b.Generation() || r.Docs() != b.Docs() {
		t.Fatalf("restored fp %q gen %d docs %d, want %q %d %d",
			r.Fingerprint(), r.Generation(), r.Docs(), b.Fingerprint(), b.Generation(), b.Docs())
	}
	for _, p := range catalogue() {
		if !slices.Equal(r.EmbedProduct(p), b.EmbedProduct(p)) {
			t.Fatalf("%s: restored embedder gives a different vector", p.ID)
		}
	}
	// The state is independent of the dimension.
	r64 := NewBuiltin(64)
	if err := r64.UnmarshalBinary(data); err != nil || r64.Fingerprint() != b.Fingerprint() {
		t.Fatalf("64-dim restore: %v", err)
	}
	// An unfitted state round-trips too.
	empty, _ := NewBuiltin(0).MarshalBinary()
	e := NewBuiltin(0)
	if err := e.UnmarshalBinary(empty); err != nil || e.Docs() != 0 || e.Fingerprint() != "" {
		t.Fatalf("empty state: err %v docs %d", err, e.Docs())
	}
}

func TestBuiltinUnmarshalRejectsBadData(t *testing.T) {
	b, _ := fitted(t)
	good, _ := b.MarshalBinary()
	victim, _ := fitted(t)
	fp, gen := victim.Fingerprint(), victim.Generation()

	flip := slices.Clone(good)
	flip[len(flip)/2] ^= 0x40
	wrongVersion := []byte("SMBE")
	wrongVersion = append(wrongVersion, 9, 1, idfBits, 0, 0, 0)
	wrongVersion = appendCRC(wrongVersion)
	for name, data := range map[string][]byte{
		"empty":     nil,
		"magic":     append([]byte("XXXX"), good[4:]...),
		"flipped":   flip,
		"truncated": good[:len(good)-7],
		"version":   wrongVersion,
	} {
		err := victim.UnmarshalBinary(data)
		if err == nil {
			t.Errorf("%s: accepted", name)
			continue
		}
		if name == "version" && !errors.Is(err, ErrIncompatibleState) {
			t.Errorf("version: %v, want ErrIncompatibleState", err)
		}
		if victim.Fingerprint() != fp || victim.Generation() != gen {
			t.Errorf("%s: a rejected state changed the embedder", name)
		}
	}
}

// appendCRC adds the trailer MarshalBinary writes, so a hand-made state
// fails on its content, not its checksum.
func appendCRC(b []byte) []byte { return binary.LittleEndian.AppendUint32(b, crc32.ChecksumIEEE(b)) }

// Embedding while the IDF is refitted, observed, persisted and restored must
// be race-free (run with -race) and always give unit or zero vectors.
func TestBuiltinConcurrent(t *testing.T) {
	b, _ := fitted(t)
	ps := catalogue()
	docs := texts(ps)
	state, _ := b.MarshalBinary()
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < 30; i++ {
				vs, err := b.EmbedDocuments(ctx, docs)
				if err != nil {
					errs <- err
					return
				}
				pv, _ := b.EmbedProducts(ctx, ps)
				for _, v := range append(vs, pv...) {
					if n := norm(v); math.Abs(n-1) > 1e-4 {
						errs <- fmt.Errorf("goroutine %d: norm %v", g, n)
						return
					}
				}
			}
		}(g)
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; i < 10; i++ {
			b.Observe(docs[:3])
			b.FitProducts(ps)
			if _, err := b.MarshalBinary(); err != nil {
				errs <- err
			}
			if err := b.UnmarshalBinary(state); err != nil {
				errs <- err
			}
			_ = b.Fingerprint()
			_ = b.ShouldRefit(100)
		}
	}()
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestBuiltinCancelledContext(t *testing.T) {
	b := NewBuiltin(0)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := b.EmbedDocuments(ctx, []string{"a"}); !errors.Is(err, context.Canceled) {
		t.Fatalf("EmbedDocuments on a cancelled context: %v", err)
	}
	if _, err := b.EmbedQuery(ctx, "a"); !errors.Is(err, context.Canceled) {
		t.Fatalf("EmbedQuery on a cancelled context: %v", err)
	}
}

func BenchmarkBuiltinEmbedDocuments(b *testing.B) {
	e := NewBuiltin(0)
	ps := catalogue()
	e.FitProducts(ps)
	docs := texts(ps)
	ctx := context.Background()
	var bytes int64
	for _, d := range docs {
		bytes += int64(len(d))
	}
	b.SetBytes(bytes)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := e.EmbedDocuments(ctx, docs); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(docs)), "ns/doc")
}

func BenchmarkBuiltinEmbedProducts(b *testing.B) {
	e := NewBuiltin(0)
	ps := catalogue()
	e.FitProducts(ps)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := e.EmbedProducts(ctx, ps); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(ps)), "ns/product")
}

func BenchmarkTokens(b *testing.B) {
	docs := texts(catalogue())
	b.ReportAllocs()
	for b.Loop() {
		for _, d := range docs {
			_ = Tokens(d)
		}
	}
}
