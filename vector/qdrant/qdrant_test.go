package qdrant

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	qc "github.com/qdrant/go-client/qdrant"

	"github.com/shopmuse/shopmuse/shop"
	"github.com/shopmuse/shopmuse/vector"
	"github.com/shopmuse/shopmuse/vector/vectortest"
)

func openFake(t *testing.T, f *fakeQdrant, coll string, dim int) *Index {
	t.Helper()
	idx, err := Open(t.Context(), Config{Addr: f.addr, Collection: coll, Dim: dim})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return idx
}

func TestConformanceFake(t *testing.T) {
	f := startFake(t, "")
	var n atomic.Int64
	vectortest.Run(t, func(t *testing.T, dim int) vector.Index {
		return openFake(t, f, fmt.Sprintf("conformance_%d", n.Add(1)), dim)
	})
}

// TestConformanceQdrant runs the suite against a real server when
// SHOPMUSE_TEST_QDRANT=host:port is set (QDRANT_API_KEY is used if set).
// Each subtest gets its own collection, dropped afterwards.
func TestConformanceQdrant(t *testing.T) {
	addr := os.Getenv("SHOPMUSE_TEST_QDRANT")
	if addr == "" {
		t.Skip("SHOPMUSE_TEST_QDRANT not set")
	}
	key := os.Getenv("QDRANT_API_KEY")
	prefix := fmt.Sprintf("shopmuse_test_%d", time.Now().UnixNano())
	var n atomic.Int64
	vectortest.Run(t, func(t *testing.T, dim int) vector.Index {
		coll := fmt.Sprintf("%s_%d", prefix, n.Add(1))
		idx, err := Open(t.Context(), Config{Addr: addr, APIKey: key, Collection: coll, Dim: dim})
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		// Registered before Run's Close, so it runs after it: drop the
		// collection through a client of its own.
		t.Cleanup(func() {
			raw := rawClient(t, Config{Addr: addr, APIKey: key})
			defer raw.Close()
			if err := raw.DeleteCollection(context.Background(), coll); err != nil {
				t.Errorf("drop %s: %v", coll, err)
			}
		})
		return idx
	})
}

func TestOpenCreatesCollection(t *testing.T) {
	f := startFake(t, "")
	idx := openFake(t, f, "products", 48)
	defer idx.Close()
	f.mu.Lock()
	c := f.collections["products"]
	if c == nil {
		f.mu.Unlock()
		t.Fatal("collection not created")
	}
	if c.size != 48 || c.distance != qc.Distance_Cosine {
		t.Errorf("collection has size %d, distance %v; want 48, Cosine", c.size, c.distance)
	}
	want := map[string]qc.PayloadSchemaType{
		"category": qc.PayloadSchemaType_Keyword, "category_path": qc.PayloadSchemaType_Keyword,
		"brand": qc.PayloadSchemaType_Keyword, "price": qc.PayloadSchemaType_Integer,
		"available": qc.PayloadSchemaType_Bool, "tags": qc.PayloadSchemaType_Keyword,
		"language": qc.PayloadSchemaType_Keyword,
	}
	for field, typ := range want {
		if c.schema[field] != typ {
			t.Errorf("payload index %q: %v, want %v", field, c.schema[field], typ)
		}
	}
	calls := f.fieldIndexCalls
	f.mu.Unlock()
	if idx.Dim() != 48 {
		t.Errorf("Dim() = %d", idx.Dim())
	}

	// Opening again reuses the collection and its indexes as they are.
	again := openFake(t, f, "products", 48)
	defer again.Close()
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fieldIndexCalls != calls {
		t.Errorf("second Open created %d more payload indexes", f.fieldIndexCalls-calls)
	}
	if len(f.collections) != 1 {
		t.Errorf("%d collections, want 1", len(f.collections))
	}
}

func TestOpenRejectsMismatchedCollection(t *testing.T) {
	f := startFake(t, "")
	idx := openFake(t, f, "products", 4)
	idx.Close()
	_, err := Open(t.Context(), Config{Addr: f.addr, Collection: "products", Dim: 8})
	if !errors.Is(err, vector.ErrDimension) || !strings.Contains(err.Error(), "4-dimensional") || !strings.Contains(err.Error(), "products") {
		t.Errorf("Open with another size: err = %v; want vector.ErrDimension naming the collection and its size", err)
	}

	idx = openFake(t, f, "products", 4) // still usable as it was
	idx.Close()

	raw := rawClient(t, Config{Addr: f.addr})
	defer raw.Close()
	err = raw.CreateCollection(t.Context(), &qc.CreateCollection{CollectionName: "dot",
		VectorsConfig: qc.NewVectorsConfig(&qc.VectorParams{Size: 4, Distance: qc.Distance_Dot})})
	if err != nil {
		t.Fatal(err)
	}
	_, err = Open(t.Context(), Config{Addr: f.addr, Collection: "dot", Dim: 4})
	if err == nil || !strings.Contains(err.Error(), "Cosine") {
		t.Errorf("Open on a Dot collection: err = %v, want a distance error", err)
	}
}

func TestOpenRejectsWrongIndexType(t *testing.T) {
	f := startFake(t, "")
	raw := rawClient(t, Config{Addr: f.addr})
	defer raw.Close()
	if err := raw.CreateCollection(t.Context(), &qc.CreateCollection{CollectionName: "p",
		VectorsConfig: qc.NewVectorsConfig(&qc.VectorParams{Size: 4, Distance: qc.Distance_Cosine})}); err != nil {
		t.Fatal(err)
	}
	if _, err := raw.CreateFieldIndex(t.Context(), &qc.CreateFieldIndexCollection{CollectionName: "p", Wait: qc.PtrOf(true),
		FieldName: "price", FieldType: qc.PtrOf(qc.FieldType_FieldTypeFloat)}); err != nil {
		t.Fatal(err)
	}
	_, err := Open(t.Context(), Config{Addr: f.addr, Collection: "p", Dim: 4})
	if err == nil || !strings.Contains(err.Error(), `"price"`) {
		t.Errorf("Open with a float price index: err = %v, want an error naming price", err)
	}
}

func TestOpenValidatesConfig(t *testing.T) {
	ctx := t.Context()
	for _, cfg := range []Config{
		{Addr: "localhost:6334", Dim: 4},
		{Addr: "localhost:6334", Collection: "p"},
		{Addr: "localhost", Collection: "p", Dim: 4},
		{Addr: "localhost:http", Collection: "p", Dim: 4},
		{Addr: "localhost:70000", Collection: "p", Dim: 4},
	} {
		if _, err := Open(ctx, cfg); err == nil {
			t.Errorf("Open(%+v) succeeded", cfg)
		}
	}
}

func TestOpenUnreachable(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	// Port 1 (tcpmux) is not served on test machines.
	_, err := Open(ctx, Config{Addr: "127.0.0.1:1", Collection: "p", Dim: 4})
	if err == nil || !strings.Contains(err.Error(), "health check") {
		t.Errorf("Open on a closed port: err = %v, want a health check error", err)
	}
}

func TestAPIKey(t *testing.T) {
	f := startFake(t, "s3cret")
	ctx := t.Context()
	for _, key := range []string{"", "wrong"} {
		if _, err := Open(ctx, Config{Addr: f.addr, APIKey: key, Collection: "p", Dim: 4}); err == nil {
			t.Errorf("Open with key %q succeeded against a server that wants another", key)
		}
	}
	f.mu.Lock()
	f.apiKeysSeen = nil
	f.mu.Unlock()
	idx, err := Open(ctx, Config{Addr: f.addr, APIKey: "s3cret", Collection: "p", Dim: 4})
	if err != nil {
		t.Fatalf("Open with the right key: %v", err)
	}
	defer idx.Close()
	if err := idx.Upsert(ctx, []vector.Point{{ID: "a", Vector: []float32{1, 0, 0, 0}}}); err != nil {
		t.Fatal(err)
	}
	if hits, err := idx.Search(ctx, []float32{1, 0, 0, 0}, 1, nil); err != nil || len(hits) != 1 {
		t.Fatalf("Search: %v, %v", hits, err)
	}
	f.mu.Lock()
	seen := slices.Clone(f.apiKeysSeen)
	f.mu.Unlock()
	if len(seen) < 4 {
		t.Fatalf("server saw %d calls", len(seen))
	}
	for i, k := range seen {
		if k != "s3cret" {
			t.Errorf("call %d carried api-key %q", i, k)
		}
	}

	// Without a key configured, no api-key header is sent at all.
	open := startFake(t, "")
	idx2 := openFake(t, open, "p", 4)
	defer idx2.Close()
	open.mu.Lock()
	defer open.mu.Unlock()
	for i, k := range open.apiKeysSeen {
		if k != "" {
			t.Errorf("call %d carried api-key %q with none configured", i, k)
		}
	}
}

func TestUpsertBatches(t *testing.T) {
	f := startFake(t, "")
	idx := openFake(t, f, "p", 4)
	defer idx.Close()
	ctx := t.Context()
	rng := rand.New(rand.NewPCG(1, 1))
	pts := make([]vector.Point, 600)
	for i := range pts {
		pts[i] = vector.Point{ID: fmt.Sprintf("p%d", i), Vector: vectortest.RandUnit(rng, 4)}
	}
	if err := idx.Upsert(ctx, pts); err != nil {
		t.Fatal(err)
	}
	f.mu.Lock()
	sizes := slices.Clone(f.upsertSizes)
	f.mu.Unlock()
	if !slices.Equal(sizes, []int{256, 256, 88}) {
		t.Errorf("upsert requests of %v points, want [256 256 88]", sizes)
	}
	// A bad point anywhere means no request at all.
	pts[599].Vector = []float32{1}
	if err := idx.Upsert(ctx, pts); !errors.Is(err, vector.ErrDimension) {
		t.Errorf("err = %v", err)
	}
	pts[599].Vector = []float32{1, 0, 0, float32(nan())}
	if err := idx.Upsert(ctx, pts); err == nil || !strings.Contains(err.Error(), "599") {
		t.Errorf("NaN: err = %v, want an error naming point 599", err)
	}
	pts[599] = vector.Point{Vector: []float32{1, 0, 0, 0}}
	if err := idx.Upsert(ctx, pts); err == nil || !strings.Contains(err.Error(), "empty ID") {
		t.Errorf("empty ID: err = %v", err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.upsertSizes) != 3 {
		t.Errorf("rejected upserts reached the server: %v", f.upsertSizes)
	}
}

func nan() float64 { return math.NaN() }

func TestSearchRejectsForeignPoints(t *testing.T) {
	f := startFake(t, "")
	idx := openFake(t, f, "p", 4)
	defer idx.Close()
	ctx := t.Context()
	// A point some other program wrote, without the id payload.
	_, err := idx.client.Upsert(ctx, &qc.UpsertPoints{CollectionName: "p", Wait: qc.PtrOf(true), Points: []*qc.PointStruct{{
		Id: qc.NewIDUUID("5c56c793-69f3-4fbf-87e6-c4bf54c28c26"), Vectors: qc.NewVectorsDense([]float32{1, 0, 0, 0}),
	}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := idx.Search(ctx, []float32{1, 0, 0, 0}, 1, nil); err == nil || !strings.Contains(err.Error(), "shopmuse") {
		t.Errorf("Search over a point without an id payload: err = %v", err)
	}
}

func TestFilterOf(t *testing.T) {
	if filterOf(nil) != nil || filterOf(&shop.ProductFilter{}) != nil ||
		filterOf(&shop.ProductFilter{AvailableOnly: qc.PtrOf(false), Category: qc.PtrOf("/")}) != nil {
		t.Error("a filter that matches everything must send no filter")
	}
	min, max := shop.Decimal(500_00), shop.Decimal(1000_50)
	lang := shop.LanguageZH
	f := filterOf(&shop.ProductFilter{Category: qc.PtrOf("/家居/杯具/"), Brand: qc.PtrOf("MUJI"),
		MinPrice: &min, MaxPrice: &max, AvailableOnly: qc.PtrOf(true), Tags: []string{"New", "包邮"}, Language: &lang})
	want := &qc.Filter{Must: []*qc.Condition{
		qc.NewMatchKeyword("category_path", "家居/杯具"),
		qc.NewMatchKeyword("brand", "muji"),
		qc.NewRange("price", &qc.Range{Gte: qc.PtrOf(50000.0), Lte: qc.PtrOf(100050.0)}),
		qc.NewMatchBool("available", true),
		qc.NewMatchKeyword("tags", "new"),
		qc.NewMatchKeyword("tags", "包邮"),
		qc.NewMatchKeyword("language", "ZH"),
	}}
	if f.String() != want.String() {
		t.Errorf("filterOf =\n %v\nwant\n %v", f, want)
	}
}

// TestCategoryPrefixes checks that membership in category_path is exactly
// shop.CategoryMatches, over random paths with odd slashes.
func TestCategoryPrefixes(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 3))
	parts := []string{"家居", "家居用品", "杯具", "a", "ab", "/", "//", ""}
	randPath := func() string {
		var b strings.Builder
		for range rng.IntN(5) {
			b.WriteString(parts[rng.IntN(len(parts))])
			if rng.IntN(2) == 0 {
				b.WriteByte('/')
			}
		}
		return b.String()
	}
	for range 20000 {
		cat, prefix := randPath(), randPath()
		trimmed := strings.Trim(prefix, "/")
		got := trimmed == "" || slices.Contains(categoryPrefixes(cat), trimmed)
		if want := shop.CategoryMatches(cat, prefix); got != want {
			t.Fatalf("category %q, prefix %q: path membership %v, CategoryMatches %v (path %q)",
				cat, prefix, got, want, categoryPrefixes(cat))
		}
	}
	if got := categoryPrefixes("家居/杯具"); !slices.Equal(got, []string{"家居", "家居/杯具"}) {
		t.Errorf("categoryPrefixes(家居/杯具) = %q", got)
	}
}

// TestFoldKey proves foldKey agrees with strings.EqualFold for every rune:
// each rune's key is one member of its own folding orbit, the same member
// for the whole orbit. Orbits partition the runes, so equal keys mean equal
// under EqualFold and nothing else.
func TestFoldKey(t *testing.T) {
	for r := rune(0); r <= unicode.MaxRune; r++ {
		if !utf8.ValidRune(r) {
			continue
		}
		k := foldRune(r)
		if !strings.EqualFold(string(k), string(r)) {
			t.Fatalf("foldRune(%U) = %U, outside its orbit", r, k)
		}
		if f := unicode.SimpleFold(r); foldRune(f) != k {
			t.Fatalf("foldRune(%U) = %U but foldRune(%U) = %U", r, k, f, foldRune(f))
		}
	}
	for _, c := range []struct {
		a, b string
		eq   bool
	}{
		{"Apple", "aPPLE", true}, {"ſ", "S", true}, {"K", "k", true}, {"ΣΑΣ", "σας", true},
		{"İ", "i", false}, {"ı", "I", false}, {"ß", "ss", false}, {"小米", "小米", true}, {"a", "", false},
	} {
		if got := foldKey(c.a) == foldKey(c.b); got != c.eq || strings.EqualFold(c.a, c.b) != c.eq {
			t.Errorf("foldKey(%q) == foldKey(%q) is %v, want %v", c.a, c.b, got, c.eq)
		}
	}
	if got := foldKey("Xiaomi APPLE"); got != "xiaomi apple" {
		t.Errorf("foldKey keeps ASCII readable: got %q", got)
	}
}

func TestPointIDStable(t *testing.T) {
	// Pinned: a change here orphans every point already stored in Qdrant.
	got := pointID("sku-1").GetUuid()
	const want = "f2255f22-68c3-593a-aaf1-45e54c97ba50" // uuid5(uuid5(NAMESPACE_URL, "https://github.com/shopmuse/shopmuse/vector/qdrant"), "sku-1")
	if got != want {
		t.Errorf("pointID(sku-1) = %s, want %s", got, want)
	}
	if pointID("SKU-1").GetUuid() == got || pointID("sku-1 ").GetUuid() == got {
		t.Error("distinct IDs share a point ID")
	}
}

func TestParseURL(t *testing.T) {
	for _, c := range []struct {
		in   string
		want Config
	}{
		{"qdrant://localhost:6334", Config{Addr: "localhost:6334"}},
		{"qdrant://qdrant.internal", Config{Addr: "qdrant.internal:6334"}},
		{"qdrant://10.0.0.5:7000/", Config{Addr: "10.0.0.5:7000"}},
		{"qdrants://xyz.cloud.qdrant.io:6334", Config{Addr: "xyz.cloud.qdrant.io:6334", UseTLS: true}},
		{"qdrant://h:6334?tls=true", Config{Addr: "h:6334", UseTLS: true}},
		{"qdrant://[::1]:6334", Config{Addr: "[::1]:6334"}},
	} {
		got, err := ParseURL(c.in)
		if err != nil || got != c.want {
			t.Errorf("ParseURL(%q) = %+v, %v; want %+v", c.in, got, err, c.want)
		}
	}
	for _, bad := range []string{"", "embedded", "http://localhost:6334", "qdrant://", "qdrant://:6334",
		"qdrant://key@localhost:6334", "qdrant://h:6334/collection", "qdrant://h?tls=maybe", "qdrant://h?collection=x",
		"qdrant://h:port"} {
		if got, err := ParseURL(bad); err == nil {
			t.Errorf("ParseURL(%q) = %+v, want an error", bad, got)
		}
	}
}

// rawClient is a plain go-client for setting up what the adapter would
// refuse to create.
func rawClient(t *testing.T, cfg Config) *qc.Client {
	t.Helper()
	ccfg, err := clientConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	c, err := qc.NewClient(ccfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestClientConfig(t *testing.T) {
	for addr, host := range map[string]string{"localhost:6334": "localhost", "[::1]:6334": "[::1]", "10.1.2.3:6334": "10.1.2.3"} {
		c, err := clientConfig(Config{Addr: addr, APIKey: "k", UseTLS: true})
		if err != nil || c.Host != host || c.Port != 6334 || c.APIKey != "k" || !c.UseTLS {
			t.Errorf("clientConfig(%s) = %+v, %v; want host %s", addr, c, err, host)
		}
	}
}
