package vectortest

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/shopmuse/shopmuse/shop"
	"github.com/shopmuse/shopmuse/vector"
)

// scoreEps is how far a reported score may be from the exact cosine. Backends
// store float32 and some normalise on write, so exact equality is too strict;
// 1e-4 is still far below the gaps between the crafted scores below.
const scoreEps = 1e-4

// Run is the conformance suite every vector.Index must pass. newIndex returns
// a fresh, empty index of the given dimension for each subtest; Run closes it
// when the subtest ends, so newIndex registers with t.Cleanup only what else
// it needs undone (temporary directories, remote collections).
//
// Results are compared against an exact scan: on a few hundred points an
// approximate index is expected to be exact, as Qdrant's and hnswlib's are.
func Run(t *testing.T, newIndex func(t *testing.T, dim int) vector.Index) {
	open := func(t *testing.T, dim int) vector.Index {
		t.Helper()
		idx := newIndex(t, dim)
		if idx == nil {
			t.Fatal("newIndex returned nil")
		}
		t.Cleanup(func() {
			if err := idx.Close(); err != nil {
				t.Errorf("Close: %v", err)
			}
		})
		if got := idx.Dim(); got != dim {
			t.Fatalf("Dim() = %d, want %d", got, dim)
		}
		return idx
	}
	t.Run("Empty", func(t *testing.T) { testEmpty(t, open(t, 4)) })
	t.Run("NearestFirst", func(t *testing.T) { testNearestFirst(t, open(t, 4)) })
	t.Run("UpsertReplaces", func(t *testing.T) { testUpsertReplaces(t, open(t, 4)) })
	t.Run("Delete", func(t *testing.T) { testDelete(t, open(t, 4)) })
	t.Run("VectorRoundTrip", func(t *testing.T) { testVectorRoundTrip(t, open(t, 8)) })
	t.Run("Dimension", func(t *testing.T) { testDimension(t, open(t, 4)) })
	t.Run("InvalidPoints", func(t *testing.T) { testInvalidPoints(t, open(t, 4)) })
	t.Run("KLargerThanCollection", func(t *testing.T) { testKLarger(t, open(t, 4)) })
	t.Run("IDs", func(t *testing.T) { testIDs(t, open(t, 8)) })
	t.Run("Filters", func(t *testing.T) { testFilters(t, open(t, 8)) })
	t.Run("Concurrent", func(t *testing.T) { testConcurrent(t, open(t, 8)) })
}

func testEmpty(t *testing.T, idx vector.Index) {
	ctx := t.Context()
	wantCount(t, idx, 0)
	hits := search(t, idx, []float32{1, 0, 0, 0}, 10, nil)
	if len(hits) != 0 {
		t.Errorf("Search on empty index = %v, want none", hits)
	}
	hits = search(t, idx, []float32{1, 0, 0, 0}, 10, &shop.ProductFilter{Brand: ptr("x"), AvailableOnly: ptr(true)})
	if len(hits) != 0 {
		t.Errorf("filtered Search on empty index = %v, want none", hits)
	}
	if _, ok, err := idx.Vector(ctx, "missing"); err != nil || ok {
		t.Errorf("Vector(missing) = ok %v, err %v; want false, nil", ok, err)
	}
	if err := idx.Delete(ctx, []string{"missing"}); err != nil {
		t.Errorf("Delete(unknown) on empty index: %v", err)
	}
	if err := idx.Delete(ctx, nil); err != nil {
		t.Errorf("Delete(nil): %v", err)
	}
	if err := idx.Upsert(ctx, nil); err != nil {
		t.Errorf("Upsert(nil): %v", err)
	}
	wantCount(t, idx, 0)
}

// testNearestFirst checks order and scores on vectors whose cosines to the
// query are known by construction: 1, 0.8, 0.6, 0.2, 0, -0.5.
func testNearestFirst(t *testing.T, idx vector.Index) {
	s := float32(math.Sqrt(0.96))
	upsert(t, idx,
		pt("d", 0.2, 0, 0, s),
		pt("a", 1, 0, 0, 0),
		pt("f", -0.5, 0.5, 0.5, 0.5),
		pt("c", 1.8, 0, 2.4, 0), // not unit length: cosine 0.6 all the same
		pt("e", 0, 0, 0, 1),
		pt("b", 0.8, 0.6, 0, 0),
	)
	wantCount(t, idx, 6)
	want := []vector.Hit{hit("a", 1), hit("b", 0.8), hit("c", 0.6), hit("d", 0.2), hit("e", 0), hit("f", -0.5)}
	q := []float32{1, 0, 0, 0}
	wantHitsExact(t, "k=6", search(t, idx, q, 6, nil), want)
	wantHitsExact(t, "k=3", search(t, idx, q, 3, nil), want[:3])
	wantHitsExact(t, "k=1", search(t, idx, q, 1, nil), want[:1])
	// The query's length must not matter either.
	wantHitsExact(t, "scaled query", search(t, idx, []float32{3, 0, 0, 0}, 6, nil), want)
	if hits := search(t, idx, q, 0, nil); len(hits) != 0 {
		t.Errorf("k=0: got %v, want none", hits)
	}
	// From another direction the order changes completely.
	wantHitsExact(t, "query e", search(t, idx, []float32{0, 0, 0, 1}, 2, nil),
		[]vector.Hit{hit("e", 1), hit("d", s)})
}

func testUpsertReplaces(t *testing.T, idx vector.Index) {
	a := pt("a", 1, 0, 0, 0)
	a.Payload.Brand = "Old"
	upsert(t, idx, a, pt("b", 0.6, 0.8, 0, 0))
	a2 := pt("a", 0, 0, 1, 0)
	a2.Payload.Brand = "New"
	upsert(t, idx, a2)
	wantCount(t, idx, 2)
	wantVector(t, idx, "a", a2.Vector)
	wantHitsExact(t, "old direction", search(t, idx, []float32{1, 0, 0, 0}, 2, nil),
		[]vector.Hit{hit("b", 0.6), hit("a", 0)})
	wantHitsExact(t, "new direction", search(t, idx, []float32{0, 0, 1, 0}, 1, nil),
		[]vector.Hit{hit("a", 1)})
	// The payload is replaced with the vector.
	if hits := search(t, idx, []float32{0, 0, 1, 0}, 5, &shop.ProductFilter{Brand: ptr("old")}); len(hits) != 0 {
		t.Errorf("filter on replaced brand matched %v", hits)
	}
	wantHitsExact(t, "new brand", search(t, idx, []float32{0, 0, 1, 0}, 5, &shop.ProductFilter{Brand: ptr("new")}),
		[]vector.Hit{hit("a", 1)})

	// Within one batch the last point with an ID wins.
	upsert(t, idx, pt("c", 1, 0, 0, 0), pt("c", 0, 1, 0, 0))
	wantCount(t, idx, 3)
	wantVector(t, idx, "c", []float32{0, 1, 0, 0})

	// Callers may reuse their slices; the index must have copied them.
	v := []float32{0, 0, 0, 1}
	upsert(t, idx, vector.Point{ID: "d", Vector: v})
	v[0], v[3] = 1, 0
	wantVector(t, idx, "d", []float32{0, 0, 0, 1})
}

func testDelete(t *testing.T, idx vector.Index) {
	ctx := t.Context()
	rng := rand.New(rand.NewPCG(7, 7))
	var ids []string
	for i := range 10 {
		id := fmt.Sprintf("p%d", i)
		ids = append(ids, id)
		upsert(t, idx, vector.Point{ID: id, Vector: randUnit(rng, 4)})
	}
	gone := []string{"p1", "p4", "p7"}
	if err := idx.Delete(ctx, []string{"p1", "nope", "p4", "p7", "p4"}); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	wantCount(t, idx, 7)
	for _, id := range gone {
		if _, ok, err := idx.Vector(ctx, id); err != nil || ok {
			t.Errorf("Vector(%s) after delete: ok %v, err %v", id, ok, err)
		}
	}
	for range 5 {
		for _, h := range search(t, idx, randUnit(rng, 4), 10, nil) {
			if slices.Contains(gone, h.ID) {
				t.Errorf("Search returned deleted %s", h.ID)
			}
		}
	}
	if hits := search(t, idx, []float32{1, 0, 0, 0}, 10, nil); len(hits) != 7 {
		t.Errorf("Search k=10 after delete: %d hits, want 7", len(hits))
	}
	// Deleting again, or only unknown IDs, is not an error.
	if err := idx.Delete(ctx, gone); err != nil {
		t.Errorf("second Delete: %v", err)
	}
	if err := idx.Delete(ctx, []string{"never", "was"}); err != nil {
		t.Errorf("Delete unknown: %v", err)
	}
	wantCount(t, idx, 7)
	// A deleted ID can come back.
	upsert(t, idx, pt("p4", 0, 0, 0, 1))
	wantCount(t, idx, 8)
	wantVector(t, idx, "p4", []float32{0, 0, 0, 1})
	wantHitsExact(t, "revived", search(t, idx, []float32{0, 0, 0, 1}, 1, nil), []vector.Hit{hit("p4", 1)})
	if err := idx.Delete(ctx, ids); err != nil {
		t.Fatal(err)
	}
	wantCount(t, idx, 0)
	if hits := search(t, idx, []float32{0, 0, 0, 1}, 10, nil); len(hits) != 0 {
		t.Errorf("Search after deleting all: %v", hits)
	}
}

func testVectorRoundTrip(t *testing.T, idx vector.Index) {
	ctx := t.Context()
	rng := rand.New(rand.NewPCG(1, 2))
	want := map[string][]float32{}
	var pts []vector.Point
	for i := range 20 {
		id := fmt.Sprintf("v%02d", i)
		want[id] = randUnit(rng, 8)
		pts = append(pts, vector.Point{ID: id, Vector: want[id]})
	}
	upsert(t, idx, pts...)
	for id, v := range want {
		wantVector(t, idx, id, v)
	}
	// A vector that is not unit length may come back as given or normalised
	// (Qdrant normalises cosine collections), but always in the same direction.
	raw := []float32{3, 4, 0, 0, 0, 0, 0, 12}
	upsert(t, idx, vector.Point{ID: "raw", Vector: raw})
	got, ok, err := idx.Vector(ctx, "raw")
	if err != nil || !ok {
		t.Fatalf("Vector(raw): ok %v, err %v", ok, err)
	}
	if c := Cosine(got, raw); c < 1-scoreEps {
		t.Errorf("Vector(raw) = %v, cosine to upserted %v is %v", got, raw, c)
	}
	if !closeVec(got, raw) && math.Abs(norm(got)-1) > scoreEps {
		t.Errorf("Vector(raw) = %v, neither as upserted nor unit length", got)
	}
}

func testDimension(t *testing.T, idx vector.Index) {
	ctx := t.Context()
	// The bad point comes second: nothing of the batch may be written.
	for _, bad := range [][]float32{{1, 0, 0}, {1, 0, 0, 0, 0}, {}, nil} {
		err := idx.Upsert(ctx, []vector.Point{pt("good", 1, 0, 0, 0), {ID: "bad", Vector: bad}})
		if !errors.Is(err, vector.ErrDimension) {
			t.Errorf("Upsert with a %d-value vector: err = %v, want vector.ErrDimension", len(bad), err)
		}
	}
	wantCount(t, idx, 0)
	if _, ok, _ := idx.Vector(ctx, "good"); ok {
		t.Error("the valid point of a rejected batch was written")
	}
	upsert(t, idx, pt("good", 1, 0, 0, 0))
	for _, q := range [][]float32{{1, 0, 0}, {1, 0, 0, 0, 0}, {}} {
		if _, err := idx.Search(ctx, q, 5, nil); !errors.Is(err, vector.ErrDimension) {
			t.Errorf("Search with a %d-value query: err = %v, want vector.ErrDimension", len(q), err)
		}
	}
	wantCount(t, idx, 1)
}

// testInvalidPoints: every index applies vector.Point.Validate before it
// writes, so an empty ID or a non-finite value rejects the whole batch.
func testInvalidPoints(t *testing.T, idx vector.Index) {
	ctx := t.Context()
	nan, inf := float32(math.NaN()), float32(math.Inf(1))
	for _, bad := range []vector.Point{
		{ID: "", Vector: []float32{1, 0, 0, 0}},
		{ID: "nan", Vector: []float32{1, nan, 0, 0}},
		{ID: "inf", Vector: []float32{0, 0, 0, inf}},
	} {
		if err := idx.Upsert(ctx, []vector.Point{pt("good", 1, 0, 0, 0), bad}); err == nil {
			t.Errorf("Upsert of %+v succeeded", bad)
		}
	}
	wantCount(t, idx, 0)
}

func testKLarger(t *testing.T, idx vector.Index) {
	rng := rand.New(rand.NewPCG(3, 4))
	ref := NewBruteForce(4)
	var pts []vector.Point
	for i := range 5 {
		p := vector.Point{ID: fmt.Sprintf("k%d", i), Vector: randUnit(rng, 4),
			Payload: vector.Payload{Available: i%2 == 0, Brand: []string{"A", "B"}[i%2]}}
		pts = append(pts, p)
	}
	upsert(t, idx, pts...)
	mustRef(t, ref.Upsert(t.Context(), pts))
	q := randUnit(rng, 4)
	for _, f := range []*shop.ProductFilter{nil, {Brand: ptr("b")}, {AvailableOnly: ptr(true)}, {Brand: ptr("zzz")}} {
		want, err := ref.Search(t.Context(), q, 100, f)
		mustRef(t, err)
		compareHits(t, fmt.Sprintf("k=100 filter %s", describe(f)), search(t, idx, q, 100, f), want, ref, q, f)
	}
	if got := len(search(t, idx, q, 100, nil)); got != 5 {
		t.Errorf("k=100 over 5 points: %d hits", got)
	}
}

func testIDs(t *testing.T, idx vector.Index) {
	ctx := t.Context()
	ids := []string{
		"商品-杯子-001",
		"🙂✨ emoji",
		"SKU a/b?c#d&e=f%20",
		"sku-A", "SKU-a", // IDs are case-sensitive: two points
		"x",
		strings.Repeat("a", 128),
		strings.Repeat("杯", 128), // 128 characters, 384 bytes
		strings.Repeat("🙂", 127) + "Z",
		`quote"back\slash`,
	}
	rng := rand.New(rand.NewPCG(5, 6))
	vecs := map[string][]float32{}
	var pts []vector.Point
	for _, id := range ids {
		vecs[id] = randUnit(rng, 8)
		pts = append(pts, vector.Point{ID: id, Vector: vecs[id]})
	}
	upsert(t, idx, pts...)
	wantCount(t, idx, len(ids))
	for _, id := range ids {
		wantVector(t, idx, id, vecs[id])
		hits := search(t, idx, vecs[id], 1, nil)
		if len(hits) != 1 || hits[0].ID != id || math.Abs(float64(hits[0].Score)-1) > scoreEps {
			t.Errorf("Search with the vector of %q = %v, want it first with score 1", id, hits)
		}
	}
	if _, ok, err := idx.Vector(ctx, "SKU-A"); err != nil || ok {
		t.Errorf("Vector(SKU-A) found a point; IDs must be case-sensitive (err %v)", err)
	}
	if err := idx.Delete(ctx, []string{strings.Repeat("杯", 128), "sku-A"}); err != nil {
		t.Fatal(err)
	}
	wantCount(t, idx, len(ids)-2)
	if _, ok, _ := idx.Vector(ctx, "SKU-a"); !ok {
		t.Error("deleting sku-A removed SKU-a")
	}
}

// Vocabularies for random payloads. They are chosen so that every filter
// has near misses: 家居用品 is not under 家居, 数码/手机配件 is not under
// 数码/手机, brands and tags differ only in case.
var (
	categories = []string{"家居", "家居/杯具", "家居/杯具/马克杯", "家居/厨具", "家居用品", "家居用品/收纳",
		"数码", "数码/手机", "数码/手机配件", "服饰/女装", ""}
	brands    = []string{"Apple", "apple", "APPLE", "小米", "Xiaomi", "Muji", ""}
	tagPool   = []string{"新品", "New", "new", "NEW", "sale", "SALE", "包邮", "gift", "户外"}
	languages = []shop.Language{shop.LanguageZH, shop.LanguageEN, shop.LanguageZH, shop.LanguageEN, ""}
	// Prices land on the filter bounds now and then to test inclusiveness.
	boundaryPrices = []shop.Decimal{0, 500_00, 1000_00, 999_99, 500_01}
)

type filterCase struct {
	name  string
	f     *shop.ProductFilter
	empty bool // matches none of the reference points, by design
}

func filterCases() []filterCase {
	d := func(s string) *shop.Decimal {
		v, err := shop.ParseDecimal(s)
		if err != nil {
			panic(err)
		}
		return &v
	}
	lang := func(l shop.Language) *shop.Language { return &l }
	return []filterCase{
		{name: "nil", f: nil},
		{name: "zero", f: &shop.ProductFilter{}},
		{name: "category 家居", f: &shop.ProductFilter{Category: ptr("家居")}},
		{name: "category 家居/杯具", f: &shop.ProductFilter{Category: ptr("家居/杯具")}},
		{name: "category 家居/ trailing slash", f: &shop.ProductFilter{Category: ptr("家居/")}},
		{name: "category 家居用品", f: &shop.ProductFilter{Category: ptr("家居用品")}},
		{name: "category 数码/手机", f: &shop.ProductFilter{Category: ptr("数码/手机")}},
		{name: "category leaf 家居/杯具/马克杯", f: &shop.ProductFilter{Category: ptr("家居/杯具/马克杯")}},
		{name: "category empty", f: &shop.ProductFilter{Category: ptr("")}},
		{name: "category unknown", f: &shop.ProductFilter{Category: ptr("食品")}, empty: true},
		{name: "category partial segment 家", f: &shop.ProductFilter{Category: ptr("家")}, empty: true},
		{name: "brand apple any case", f: &shop.ProductFilter{Brand: ptr("aPPle")}},
		{name: "brand 小米", f: &shop.ProductFilter{Brand: ptr("小米")}},
		{name: "minPrice 500", f: &shop.ProductFilter{MinPrice: d("500")}},
		{name: "maxPrice 1000", f: &shop.ProductFilter{MaxPrice: d("1000.00")}},
		{name: "price 500..1000", f: &shop.ProductFilter{MinPrice: d("500"), MaxPrice: d("1000")}},
		{name: "price exact 500", f: &shop.ProductFilter{MinPrice: d("500"), MaxPrice: d("500")}},
		{name: "price empty range", f: &shop.ProductFilter{MinPrice: d("1000"), MaxPrice: d("500")}, empty: true},
		{name: "availableOnly", f: &shop.ProductFilter{AvailableOnly: ptr(true)}},
		{name: "availableOnly false", f: &shop.ProductFilter{AvailableOnly: ptr(false)}},
		{name: "tag new any case", f: &shop.ProductFilter{Tags: []string{"new"}}},
		{name: "tags new+sale", f: &shop.ProductFilter{Tags: []string{"NEW", "sale"}}},
		{name: "tags 包邮+户外+gift", f: &shop.ProductFilter{Tags: []string{"包邮", "户外", "gift"}}},
		{name: "language EN", f: &shop.ProductFilter{Language: lang(shop.LanguageEN)}},
		{name: "language ZH", f: &shop.ProductFilter{Language: lang(shop.LanguageZH)}},
		{name: "every field", f: &shop.ProductFilter{Category: ptr("家居"), Brand: ptr("APPLE"), MaxPrice: d("1500"),
			MinPrice: d("100"), AvailableOnly: ptr(true), Tags: []string{"New"}, Language: lang(shop.LanguageZH)}},
		{name: "category+available+tag", f: &shop.ProductFilter{Category: ptr("家居"), AvailableOnly: ptr(true), Tags: []string{"sale"}}},
	}
}

func randomPayload(rng *rand.Rand, i int) vector.Payload {
	pl := vector.Payload{
		Category:  categories[(i+rng.IntN(2))%len(categories)],
		Brand:     brands[rng.IntN(len(brands))],
		Price:     shop.Decimal(rng.IntN(2000_00)),
		Available: rng.IntN(3) > 0,
		Language:  languages[rng.IntN(len(languages))],
	}
	if i%10 == 0 {
		pl.Price = boundaryPrices[(i/10)%len(boundaryPrices)]
	}
	for range rng.IntN(4) {
		pl.Tags = append(pl.Tags, tagPool[rng.IntN(len(tagPool))])
	}
	return pl
}

// testFilters compares every filter field, alone and combined, against the
// exact scan over a few hundred random points, before and after a round of
// payload replacements and deletes (which stale secondary indexes get wrong).
func testFilters(t *testing.T, idx vector.Index) {
	ctx := t.Context()
	const n, dim = 300, 8
	rng := rand.New(rand.NewPCG(11, 12))
	ref := NewBruteForce(dim)
	pts := make([]vector.Point, n)
	for i := range pts {
		pts[i] = vector.Point{ID: fmt.Sprintf("prod-%03d", i), Vector: randUnit(rng, dim), Payload: randomPayload(rng, i)}
	}
	// One call with more points than a typical remote batch.
	upsert(t, idx, pts...)
	mustRef(t, ref.Upsert(ctx, pts))
	wantCount(t, idx, n)
	check := func(round string) {
		for _, fc := range filterCases() {
			matched := 0
			for _, p := range ref.points {
				if p.payload.Matches(fc.f) {
					matched++
				}
			}
			// The data is fixed, so this only guards the suite itself
			// against cases that stopped testing anything.
			if round == "fresh" && (matched == 0) != fc.empty {
				t.Errorf("suite: filter %q matches %d of the reference points", fc.name, matched)
			}
			for j := range 4 {
				q := randUnit(rng, dim)
				k := []int{1, 10, 25, n + 10}[j]
				want, err := ref.Search(ctx, q, k, fc.f)
				mustRef(t, err)
				got := search(t, idx, q, k, fc.f)
				compareHits(t, fmt.Sprintf("%s: %s (matches %d), k=%d", round, fc.name, matched, k), got, want, ref, q, fc.f)
			}
		}
	}
	check("fresh")

	// Replace the payloads (and vectors) of some points, delete others.
	var changed []vector.Point
	for i := 0; i < n; i += 7 {
		changed = append(changed, vector.Point{ID: pts[i].ID, Vector: randUnit(rng, dim), Payload: randomPayload(rng, i+3)})
	}
	upsert(t, idx, changed...)
	mustRef(t, ref.Upsert(ctx, changed))
	var gone []string
	for i := 3; i < n; i += 11 {
		gone = append(gone, pts[i].ID)
	}
	if err := idx.Delete(ctx, gone); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	mustRef(t, ref.Delete(ctx, gone))
	refCount, _ := ref.Count(ctx)
	wantCount(t, idx, refCount)
	check("after updates")
}

func testConcurrent(t *testing.T, idx vector.Index) {
	ctx := t.Context()
	const writers, perWriter, batch, dim = 4, 60, 15, 8
	var wg sync.WaitGroup
	errs := make(chan error, writers*perWriter)
	for w := range writers {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(w), 99))
			for b := 0; b < perWriter; b += batch {
				var pts []vector.Point
				for i := b; i < b+batch; i++ {
					pts = append(pts, vector.Point{ID: fmt.Sprintf("w%d-%d", w, i), Vector: randUnit(rng, dim)})
				}
				if err := idx.Upsert(ctx, pts); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	for r := range 2 {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(r), 7))
			for range 30 {
				hits, err := idx.Search(ctx, randUnit(rng, dim), 5, nil)
				if err != nil {
					errs <- err
					return
				}
				for i := 1; i < len(hits); i++ {
					if hits[i].Score > hits[i-1].Score+scoreEps {
						errs <- fmt.Errorf("hits out of order during writes: %v", hits)
						return
					}
				}
				if _, err := idx.Count(ctx); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	wantCount(t, idx, writers*perWriter)
	for w := range writers {
		if _, ok, err := idx.Vector(ctx, fmt.Sprintf("w%d-%d", w, perWriter-1)); err != nil || !ok {
			t.Errorf("Vector of writer %d's last point: ok %v, err %v", w, ok, err)
		}
	}
}

// compareHits accepts got when it is want up to the order of points with
// equal scores: same length, every hit passes the filter, carries its true
// cosine, and has the score of the hit ranked there by the exact scan.
func compareHits(t *testing.T, label string, got, want []vector.Hit, ref *BruteForce, q []float32, f *shop.ProductFilter) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s: %d hits, want %d\n got %v\nwant %v", label, len(got), len(want), got, want)
		return
	}
	seen := map[string]bool{}
	ref.mu.RLock()
	defer ref.mu.RUnlock()
	for i, h := range got {
		e, ok := ref.points[h.ID]
		switch {
		case seen[h.ID]:
			t.Errorf("%s: hit %d: %q returned twice", label, i, h.ID)
		case !ok:
			t.Errorf("%s: hit %d: %q is not in the index", label, i, h.ID)
		case !e.payload.Matches(f):
			t.Errorf("%s: hit %d: %q does not pass the filter (payload %+v)", label, i, h.ID, e.payload)
		case math.Abs(float64(h.Score-Cosine(q, e.vec))) > scoreEps:
			t.Errorf("%s: hit %d: %q has score %v, its cosine is %v", label, i, h.ID, h.Score, Cosine(q, e.vec))
		case math.Abs(float64(h.Score-want[i].Score)) > scoreEps:
			t.Errorf("%s: hit %d: %q (score %v) where the exact scan ranks %q (score %v)",
				label, i, h.ID, h.Score, want[i].ID, want[i].Score)
		}
		seen[h.ID] = true
	}
}

// wantHitsExact is for crafted data without ties: IDs must match in order.
func wantHitsExact(t *testing.T, label string, got, want []vector.Hit) {
	t.Helper()
	ok := len(got) == len(want)
	for i := 0; ok && i < len(got); i++ {
		ok = got[i].ID == want[i].ID && math.Abs(float64(got[i].Score-want[i].Score)) <= scoreEps
	}
	if !ok {
		t.Errorf("%s:\n got %v\nwant %v", label, got, want)
	}
}

func wantVector(t *testing.T, idx vector.Index, id string, want []float32) {
	t.Helper()
	got, ok, err := idx.Vector(t.Context(), id)
	if err != nil || !ok {
		t.Errorf("Vector(%q): ok %v, err %v", id, ok, err)
		return
	}
	if !closeVec(got, want) {
		t.Errorf("Vector(%q) = %v, want %v", id, got, want)
	}
}

func wantCount(t *testing.T, idx vector.Index, want int) {
	t.Helper()
	got, err := idx.Count(t.Context())
	if err != nil {
		t.Fatalf("Count: %v", err)
	}
	if got != want {
		t.Errorf("Count = %d, want %d", got, want)
	}
}

func upsert(t *testing.T, idx vector.Index, pts ...vector.Point) {
	t.Helper()
	if err := idx.Upsert(t.Context(), pts); err != nil {
		t.Fatalf("Upsert: %v", err)
	}
}

func search(t *testing.T, idx vector.Index, q []float32, k int, f *shop.ProductFilter) []vector.Hit {
	t.Helper()
	hits, err := idx.Search(t.Context(), q, k, f)
	if err != nil {
		t.Fatalf("Search(k=%d, filter %s): %v", k, describe(f), err)
	}
	return hits
}

func mustRef(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("reference index: %v", err)
	}
}

func describe(f *shop.ProductFilter) string {
	if f == nil {
		return "nil"
	}
	var parts []string
	if f.Category != nil {
		parts = append(parts, "category="+*f.Category)
	}
	if f.Brand != nil {
		parts = append(parts, "brand="+*f.Brand)
	}
	if f.MinPrice != nil {
		parts = append(parts, "min="+f.MinPrice.String())
	}
	if f.MaxPrice != nil {
		parts = append(parts, "max="+f.MaxPrice.String())
	}
	if f.AvailableOnly != nil {
		parts = append(parts, fmt.Sprintf("availableOnly=%v", *f.AvailableOnly))
	}
	if len(f.Tags) > 0 {
		parts = append(parts, "tags="+strings.Join(f.Tags, ","))
	}
	if f.Language != nil {
		parts = append(parts, "language="+string(*f.Language))
	}
	return "{" + strings.Join(parts, " ") + "}"
}

func hit(id string, score float32) vector.Hit { return vector.Hit{ID: id, Score: score} }

func pt(id string, v ...float32) vector.Point { return vector.Point{ID: id, Vector: v} }

func ptr[T any](v T) *T { return &v }

// RandUnit returns a random vector of length dim with unit L2 norm.
func RandUnit(rng *rand.Rand, dim int) []float32 { return randUnit(rng, dim) }

func randUnit(rng *rand.Rand, dim int) []float32 {
	for {
		v := make([]float32, dim)
		for i := range v {
			v[i] = float32(rng.NormFloat64())
		}
		n := norm(v)
		if n < 1e-6 {
			continue
		}
		for i := range v {
			v[i] = float32(float64(v[i]) / n)
		}
		return v
	}
}

func closeVec(a, b []float32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Abs(float64(a[i]-b[i])) > 1e-5 {
			return false
		}
	}
	return true
}
