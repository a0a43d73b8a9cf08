package search

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/shopmuse/shopmuse/demo"
	"github.com/shopmuse/shopmuse/embeddings"
	"github.com/shopmuse/shopmuse/shop"
	"github.com/shopmuse/shopmuse/store"
	"github.com/shopmuse/shopmuse/vector/hnsw"
)

var ctx = context.Background()

// demoStore is an in-memory store holding the demo catalogue.
func demoStore(t testing.TB) store.Store {
	t.Helper()
	st, err := store.Open("", store.Options{InMemory: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	d := demo.Generate(time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC))
	ps, errs := shop.NormalizeProducts(d.Products, "demo")
	if errs != nil {
		t.Fatal(errs)
	}
	if _, err := st.UpsertProducts(ctx, ps); err != nil {
		t.Fatal(err)
	}
	return st
}

func openService(t testing.TB, st store.Store) *Service {
	t.Helper()
	emb := embeddings.NewBuiltin(0)
	idx, err := hnsw.New(emb.Dim(), hnsw.Options{})
	if err != nil {
		t.Fatal(err)
	}
	s, err := Open(ctx, st, emb, idx, Options{})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// ndcg10 is binary-relevance NDCG@10.
func ndcg10(hits []Hit, relevant []string) float64 {
	rel := map[string]bool{}
	for _, id := range relevant {
		rel[id] = true
	}
	dcg := 0.0
	for i, h := range hits {
		if i == 10 {
			break
		}
		if rel[h.ProductID] {
			dcg += 1 / math.Log2(float64(i+2))
		}
	}
	ideal := 0.0
	for i := 0; i < min(10, len(relevant)); i++ {
		ideal += 1 / math.Log2(float64(i+2))
	}
	return dcg / ideal
}

// TestSearchQuality reports NDCG@10 of lexical, vector and hybrid search over
// the labelled demo queries; hybrid must not fall below the better of the two.
func TestSearchQuality(t *testing.T) {
	s := openService(t, demoStore(t))
	var lex, sem, hyb float64
	js := demo.SearchJudgements()
	for _, j := range js {
		l := s.Lexical(j.Query, 10, nil)
		v, err := s.Semantic(ctx, j.Query, 10, nil)
		if err != nil {
			t.Fatal(err)
		}
		h, err := s.Search(ctx, j.Query, 10, nil)
		if err != nil {
			t.Fatal(err)
		}
		lex += ndcg10(l, j.Relevant)
		sem += ndcg10(v, j.Relevant)
		hyb += ndcg10(h, j.Relevant)
	}
	n := float64(len(js))
	lex, sem, hyb = lex/n, sem/n, hyb/n
	t.Logf("NDCG@10 over %d queries: lexical %.4f  vector %.4f  hybrid %.4f", len(js), lex, sem, hyb)
	if hyb < max(lex, sem) {
		t.Fatalf("hybrid %.4f falls below the better single retriever %.4f", hyb, max(lex, sem))
	}
	if lex < 0.5 || sem < 0.5 {
		t.Fatalf("a retriever is broken: lexical %.4f vector %.4f", lex, sem)
	}
}

func ptr[T any](v T) *T { return &v }

func upsert(t *testing.T, st store.Store, s *Service, in ...shop.ProductInput) []shop.Product {
	t.Helper()
	ps, errs := shop.NormalizeProducts(in, "input")
	if errs != nil {
		t.Fatal(errs)
	}
	saved, err := st.UpsertProducts(ctx, ps)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Upsert(ctx, saved); err != nil {
		t.Fatal(err)
	}
	return saved
}

func ids(hs []Hit) []string {
	var out []string
	for _, h := range hs {
		out = append(out, h.ProductID)
	}
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func TestUpsertDeleteAndFilters(t *testing.T) {
	st := demoStore(t)
	s := openService(t, st)
	upsert(t, st, s, shop.ProductInput{ID: "new-kettle", Title: "象印 电热水壶 1.5L 不锈钢", Brand: ptr("象印"),
		Category: "家电/厨房电器", Price: &shop.MoneyInput{Amount: 39900}, Tags: []string{"烧水"}})
	hits, err := s.Search(ctx, "电热水壶", 5, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(hits) == 0 || hits[0].ProductID != "new-kettle" {
		t.Fatalf("a new product is not found at once: %v", ids(hits))
	}
	sem, _ := s.Semantic(ctx, "象印 电热水壶", 5, nil)
	if !contains(ids(sem), "new-kettle") {
		t.Fatalf("not in the vector index: %v", ids(sem))
	}
	// Filters apply to both retrievers.
	hits, _ = s.Search(ctx, "电热水壶", 5, &shop.ProductFilter{MinPrice: ptr(shop.Decimal(50000))})
	if contains(ids(hits), "new-kettle") {
		t.Fatal("price filter ignored")
	}
	hits, _ = s.Search(ctx, "耳机", 20, &shop.ProductFilter{Category: ptr("数码/耳机"), Language: ptr(shop.LanguageZH)})
	if len(hits) == 0 {
		t.Fatal("no earphones")
	}
	for _, h := range hits {
		p, _ := st.Product(ctx, h.ProductID)
		if !shop.CategoryMatches(p.Category, "数码/耳机") || p.Language != shop.LanguageZH {
			t.Fatalf("filter let through %s (%s, %s)", p.ID, p.Category, p.Language)
		}
	}
	// Similar products exclude the product itself and stay close.
	sim, ok, err := s.Similar(ctx, "new-kettle", 5, nil)
	if err != nil || !ok || len(sim) != 5 || contains(ids(sim), "new-kettle") {
		t.Fatalf("similar: %v %v %v", ids(sim), ok, err)
	}
	if _, ok, _ := s.Similar(ctx, "no-such-product", 5, nil); ok {
		t.Fatal("similar of an unknown product")
	}
	// Delete removes from both.
	if err := s.Delete(ctx, []string{"new-kettle"}); err != nil {
		t.Fatal(err)
	}
	hits, _ = s.Search(ctx, "象印 电热水壶 1.5L 不锈钢", 20, nil)
	if contains(ids(hits), "new-kettle") {
		t.Fatal("deleted product still found")
	}
}

func TestRestartReembedsOnlyWhatChanged(t *testing.T) {
	dir := t.TempDir()
	st, err := store.Open(dir+"/db", store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	d := demo.Generate(time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC))
	ps, _ := shop.NormalizeProducts(d.Products[:50], "demo")
	st.UpsertProducts(ctx, ps)
	emb := embeddings.NewBuiltin(64)
	path := dir + "/products.hnsw"
	open := func() (*Service, *hnsw.Index) {
		idx, err := hnsw.Open(path, emb.Dim(), hnsw.Options{})
		rebuild := err != nil
		if idx == nil {
			t.Fatal(err)
		}
		s, err := Open(ctx, st, emb, idx, Options{Save: idx.Save, Rebuild: rebuild})
		if err != nil {
			t.Fatal(err)
		}
		return s, idx
	}
	s, idx := open()
	if n, _ := idx.Count(ctx); n != 50 {
		t.Fatalf("indexed %d", n)
	}
	// While the service is down, a product changes and one is deleted.
	idx.Close()
	changed := d.Products[0]
	changed.Title = "全新 象印 电热水壶"
	cp, _ := shop.NormalizeProducts([]shop.ProductInput{changed}, "x")
	st.UpsertProducts(ctx, cp)
	st.DeleteProducts(ctx, []string{d.Products[1].ID})
	_ = s
	s, idx = open()
	defer idx.Close()
	if n, _ := idx.Count(ctx); n != 49 {
		t.Fatalf("after restart the index holds %d, want 49", n)
	}
	sem, _ := s.Semantic(ctx, "电热水壶 象印", 3, nil)
	if !contains(ids(sem), changed.ID) {
		t.Fatalf("the changed product was not re-embedded: %v", ids(sem))
	}
	// A corrupt index file is rebuilt from the store.
	idx.Close()
	if err := writeFile(path, []byte("garbage")); err != nil {
		t.Fatal(err)
	}
	s, idx = open()
	if n, _ := idx.Count(ctx); n != 49 {
		t.Fatalf("after a corrupt file the index holds %d", n)
	}
	if sem, _ := s.Semantic(ctx, "电热水壶 象印", 3, nil); !contains(ids(sem), changed.ID) {
		t.Fatalf("after the rebuild semantic search misses the changed product: %v", ids(sem))
	}
}
