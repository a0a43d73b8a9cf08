// Package storetest is the conformance suite every store.Store backend
// must pass (Badger, PostgreSQL): validation and userErrors, versions,
// ordering and cursors, filters, counts, erasure, blobs, cache blobs, the
// blobs' compare-and-swap, counters and copy-variant statistics.
package storetest

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shopmuse/shopmuse/shop"
	"github.com/shopmuse/shopmuse/store"
)

// Open returns a fresh, empty store whose clock is now (nil: time.Now).
// Run closes it when the subtest ends.
type Open func(t *testing.T, now func() time.Time) store.Store

var ctx = context.Background()

// Run runs the suite; each subtest gets its own store.
func Run(t *testing.T, open Open) {
	tests := []struct {
		name string
		fn   func(t *testing.T, open Open)
	}{
		{"ProductVersionsAndTimestamps", testProductVersions},
		{"ListProductsPaginatesPastAHundred", testListProducts},
		{"IDsSortByBytes", testByteOrder},
		{"Filters", testFilters},
		{"DeleteProducts", testDeleteProducts},
		{"BadBatchWritesNothing", testBadBatch},
		{"InteractionsIndexesCountsAndDedup", testInteractions},
		{"EachEventInArrivalOrder", testEachEvent},
		{"DeleteUserErasesEverything", testDeleteUser},
		{"UsersListAndUpsert", testUsers},
		{"Blobs", testBlobs},
		{"ListBlobs", testListBlobs},
		{"BlobSwap", testBlobSwap},
		{"BlobSwapConcurrent", testBlobSwapConcurrent},
		{"TTLBlobsExpireAndFollowTheirSubject", testTTLBlobs},
		{"CountersAddUpAndListByPrefix", testCounters},
		{"CountersAddedOnce", testCountersOnce},
		{"CountersAddedOnceConcurrent", testCountersOnceConcurrent},
		{"WritesDuringPrefixDeletes", testWritesDuringPrefixDeletes},
		{"HotCountersAtOnce", HotCounters},
		{"VariantCounters", testVariantCounters},
		{"IsEmptyAndExist", testIsEmpty},
		{"EdgeKeys", testEdgeKeys},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.fn(t, func(t *testing.T, now func() time.Time) store.Store {
				t.Helper()
				s := open(t, now)
				if s == nil {
					t.Fatal("open returned nil")
				}
				t.Cleanup(func() {
					if err := s.Close(); err != nil {
						t.Errorf("Close: %v", err)
					}
				})
				return s
			})
		})
	}
}

func ptr[T any](v T) *T { return &v }

func product(id, category string, price shop.Decimal) shop.ProductInput {
	return shop.ProductInput{ID: id, Title: "商品 " + id, Category: category,
		Price: &shop.MoneyInput{Amount: price}, Brand: ptr("华为"), Tags: []string{"5G"}}
}

func mustProducts(t testing.TB, s store.Store, in ...shop.ProductInput) []shop.Product {
	t.Helper()
	ps, errs := shop.NormalizeProducts(in, "input")
	if errs != nil {
		t.Fatalf("invalid test products: %v", errs)
	}
	out, err := s.UpsertProducts(ctx, ps)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func mustUsers(t testing.TB, s store.Store, ids ...string) []shop.User {
	t.Helper()
	var in []shop.UserInput
	for _, id := range ids {
		in = append(in, shop.UserInput{ID: id, Age: ptr(25), Interests: []string{"拍照"}})
	}
	us, errs := shop.NormalizeUsers(in, "input")
	if errs != nil {
		t.Fatal(errs)
	}
	out, err := s.UpsertUsers(ctx, us)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func mustRecord(t testing.TB, s store.Store, its ...shop.Interaction) store.RecordResult {
	t.Helper()
	res, uerrs, err := s.RecordInteractions(ctx, its, "input")
	if err != nil || uerrs != nil {
		t.Fatalf("record: %v %+v", err, uerrs)
	}
	return res
}

func testProductVersions(t *testing.T, open Open) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	s := open(t, func() time.Time { return now })
	p := mustProducts(t, s, product("a", "数码/手机", 599900))[0]
	if p.Version != 1 || !p.CreatedAt.Equal(now) {
		t.Fatalf("new product: version %d createdAt %v", p.Version, p.CreatedAt)
	}
	now = now.Add(time.Hour)
	same := mustProducts(t, s, product("a", "数码/手机", 599900))[0]
	if same.Version != 1 || !same.UpdatedAt.Equal(p.UpdatedAt) {
		t.Fatalf("unchanged upsert bumped the version: %+v", same)
	}
	changed := mustProducts(t, s, product("a", "数码/手机", 549900), product("b", "数码", 1))
	if c := changed[0]; c.Version != 2 || !c.CreatedAt.Equal(p.CreatedAt) || !c.UpdatedAt.Equal(now) {
		t.Fatalf("changed product: %+v", c)
	}
	if changed[1].Version != 1 || changed[1].ID != "b" {
		t.Fatalf("new product in a batch with a changed one: %+v", changed[1])
	}
	got, _ := s.Product(ctx, "a")
	if got == nil || got.Price.Amount != 549900 || got.Version != 2 || !got.UpdatedAt.Equal(now) {
		t.Fatalf("stored product: %+v", got)
	}
	// A caller changing its copy does not change the store's.
	got.Title = "changed by a caller"
	if again, _ := s.Product(ctx, "a"); again.Title == got.Title {
		t.Fatal("a returned product aliases the store's copy")
	}
	if missing, _ := s.Product(ctx, "nope"); missing != nil {
		t.Fatal("unknown id returned a product")
	}
	ps, err := s.Products(ctx, []string{"b", "nope", "a", "a"})
	if err != nil || len(ps) != 4 || ps[0].ID != "b" || ps[1] != nil || ps[2].ID != "a" || ps[3].ID != "a" {
		t.Fatalf("Products in input order: %v %v", ps, err)
	}
}

func collectProducts(t *testing.T, s store.Store, first int, f *shop.ProductFilter) ([]string, int) {
	t.Helper()
	var ids []string
	after, pages := "", 0
	for {
		page, err := s.ListProducts(ctx, first, after, f)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, p := range page.Items {
			ids = append(ids, p.ID)
			after = p.ID
		}
		if !page.HasNext {
			return ids, pages
		}
		if len(page.Items) == 0 {
			t.Fatal("HasNext on an empty page")
		}
	}
}

func testListProducts(t *testing.T, open Open) {
	s := open(t, nil)
	var in []shop.ProductInput
	for i := range 250 {
		in = append(in, product(fmt.Sprintf("p%03d", i), "家居/杯具", shop.Decimal(i*100)))
	}
	mustProducts(t, s, in...)
	ids, pages := collectProducts(t, s, 100, nil)
	if len(ids) != 250 || pages != 3 || !slices.IsSorted(ids) || len(slices.Compact(slices.Clone(ids))) != 250 {
		t.Fatalf("saw %d products in %d pages", len(ids), pages)
	}
	// A filtered listing pages the same way (cursor = last ID returned).
	f := &shop.ProductFilter{MinPrice: ptr(shop.Decimal(10000))}
	ids, pages = collectProducts(t, s, 40, f)
	if len(ids) != 150 || pages != 4 || ids[0] != "p100" {
		t.Fatalf("filtered: %d products in %d pages, first %v", len(ids), pages, ids[:1])
	}
	if n, _ := s.CountProducts(ctx, nil); n != 250 {
		t.Fatalf("count %d", n)
	}
	if n, _ := s.CountProducts(ctx, f); n != 150 {
		t.Fatalf("filtered count %d", n)
	}
	page, err := s.ListProducts(ctx, 10, "p245", nil)
	if err != nil || len(page.Items) != 4 || page.HasNext || page.Items[0].ID != "p246" {
		t.Fatalf("after p245: %d %v %v", len(page.Items), page.HasNext, err)
	}
	// A cursor that names no product still orders: after "p0995" comes p100.
	page, _ = s.ListProducts(ctx, 1, "p0995", nil)
	if len(page.Items) != 1 || page.Items[0].ID != "p100" || !page.HasNext {
		t.Fatalf("after a missing ID: %+v", page)
	}
	var each []string
	if err := s.EachProduct(ctx, func(p *shop.Product) error { each = append(each, p.ID); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(each) != 250 || !slices.IsSorted(each) {
		t.Fatalf("EachProduct saw %d", len(each))
	}
}

// testByteOrder: listings order IDs by their bytes, whatever the database's
// collation (an upper-case letter before a lower-case one, ASCII before
// CJK), so cursors mean the same on every backend.
func testByteOrder(t *testing.T, open Open) {
	s := open(t, nil)
	ids := []string{"b", "B", "a-1", "a_1", "a1", "中", "é", "Z", "a"}
	var in []shop.ProductInput
	for _, id := range ids {
		in = append(in, product(id, "数码", 1))
	}
	mustProducts(t, s, in...)
	mustUsers(t, s, ids...)
	want := slices.Clone(ids)
	sort.Strings(want)
	got, _ := collectProducts(t, s, 2, nil)
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("products in %v, want byte order %v", got, want)
	}
	page, err := s.ListUsers(ctx, 100, "Z")
	if err != nil {
		t.Fatal(err)
	}
	var us []string
	for _, u := range page.Items {
		us = append(us, u.ID)
	}
	if fmt.Sprint(us) != fmt.Sprint(want[slices.Index(want, "Z")+1:]) {
		t.Fatalf("users after Z: %v", us)
	}
}

func testFilters(t *testing.T, open Open) {
	s := open(t, nil)
	en := shop.LanguageEN
	mk := func(id, cat, brand string, price shop.Decimal, avail bool, tags []string, lang *shop.Language) shop.ProductInput {
		return shop.ProductInput{ID: id, Title: "商品 " + id, Category: cat, Brand: &brand,
			Price: &shop.MoneyInput{Amount: price}, Available: &avail, Tags: tags, Language: lang}
	}
	mustProducts(t, s,
		mk("cup", "家居/杯具", "膳魔师", 19900, true, []string{"保温"}, nil),
		mk("sofa", "家居用品", "宜家", 299900, true, nil, nil),
		mk("phone", "数码/手机", "华为", 599900, false, []string{"5G", "拍照"}, nil),
		mk("phone-en", "数码/手机", "Apple", 799900, true, []string{"5G"}, &en),
	)
	d := func(s string) *shop.Decimal { v, _ := shop.ParseDecimal(s); return &v }
	cases := []struct {
		name string
		f    shop.ProductFilter
		want []string
	}{
		{"category prefix by segment", shop.ProductFilter{Category: ptr("家居")}, []string{"cup"}},
		{"exact category", shop.ProductFilter{Category: ptr("数码/手机")}, []string{"phone", "phone-en"}},
		{"brand case-insensitive", shop.ProductFilter{Brand: ptr("apple")}, []string{"phone-en"}},
		{"min price", shop.ProductFilter{MinPrice: d("2999")}, []string{"phone", "phone-en", "sofa"}},
		{"max price", shop.ProductFilter{MaxPrice: d("199.00")}, []string{"cup"}},
		{"price range", shop.ProductFilter{MinPrice: d("200"), MaxPrice: d("6000")}, []string{"phone", "sofa"}},
		{"available only", shop.ProductFilter{AvailableOnly: ptr(true), Category: ptr("数码")}, []string{"phone-en"}},
		{"tags all of", shop.ProductFilter{Tags: []string{"5g", "拍照"}}, []string{"phone"}},
		{"language", shop.ProductFilter{Language: &en}, []string{"phone-en"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			page, err := s.ListProducts(ctx, 100, "", &c.f)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, p := range page.Items {
				got = append(got, p.ID)
			}
			if fmt.Sprint(got) != fmt.Sprint(c.want) {
				t.Fatalf("got %v want %v", got, c.want)
			}
			n, _ := s.CountProducts(ctx, &c.f)
			if n != len(c.want) {
				t.Fatalf("count %d want %d", n, len(c.want))
			}
		})
	}
}

func testDeleteProducts(t *testing.T, open Open) {
	s := open(t, nil)
	mustProducts(t, s, product("p1", "数码", 1), product("p2", "数码", 1), product("p3", "数码", 1))
	if p, _ := s.Product(ctx, "p2"); p == nil { // cached now
		t.Fatal("p2 missing")
	}
	got, err := s.DeleteProducts(ctx, []string{"p3", "ghost", "p2", "p3"})
	if err != nil || fmt.Sprint(got) != "[p3 p2]" {
		t.Fatalf("deleted %v %v, want [p3 p2]", got, err)
	}
	if p, _ := s.Product(ctx, "p2"); p != nil {
		t.Fatal("a deleted product is still served")
	}
	if n, _ := s.CountProducts(ctx, nil); n != 1 {
		t.Fatalf("count %d", n)
	}
	if got, _ := s.DeleteProducts(ctx, []string{"p2"}); len(got) != 0 {
		t.Fatalf("second delete reported %v", got)
	}
}

func testBadBatch(t *testing.T, open Open) {
	s := open(t, nil)
	mustProducts(t, s, product("p1", "数码", 100))
	mustUsers(t, s, "u1")
	its := []shop.Interaction{
		{UserID: "u1", ProductID: "p1", Kind: shop.KindView, OccurredAt: time.Now()},
		{UserID: "u1", ProductID: "ghost", Kind: shop.KindView, OccurredAt: time.Now()},
		{UserID: "nobody", ProductID: "p1", Kind: shop.KindClick, OccurredAt: time.Now()},
	}
	res, uerrs, err := s.RecordInteractions(ctx, its, "input")
	if err != nil {
		t.Fatal(err)
	}
	want := `[input.1.productID: no product with id "ghost" (NOT_FOUND) input.2.userID: no user with id "nobody" (NOT_FOUND)]`
	if got := fmt.Sprint(uerrs); got != want {
		t.Fatalf("user errors\n got %s\nwant %s", got, want)
	}
	if len(res.Recorded) != 0 {
		t.Fatal("recorded despite errors")
	}
	if n, _ := s.CountEvents(ctx); n != 0 {
		t.Fatalf("%d events written by a rejected batch", n)
	}
	if c, _ := s.ProductCounts(ctx, "p1"); len(c) != 0 {
		t.Fatalf("counts written by a rejected batch: %v", c)
	}
}

func testInteractions(t *testing.T, open Open) {
	s := open(t, nil)
	mustProducts(t, s, product("p1", "数码", 100), product("p2", "数码", 100))
	mustUsers(t, s, "u1", "u2")
	base := time.Now().Add(-time.Hour).UTC().Truncate(time.Microsecond).Add(123) // nanoseconds survive
	rating := 4.5
	its := []shop.Interaction{
		{UserID: "u1", ProductID: "p1", Kind: shop.KindView, OccurredAt: base},
		{UserID: "u1", ProductID: "p1", Kind: shop.KindPurchase, OccurredAt: base.Add(time.Minute), CopyVariantID: "v1"},
		{UserID: "u1", ProductID: "p2", Kind: shop.KindRate, Value: &rating, OccurredAt: base.Add(2 * time.Minute)},
		{UserID: "u2", ProductID: "p1", Kind: shop.KindView, OccurredAt: base.Add(3 * time.Minute)},
		{UserID: "u2", ProductID: "p1", Kind: shop.KindView, OccurredAt: base.Add(3 * time.Minute)}, // repeat in batch
	}
	res := mustRecord(t, s, its...)
	if len(res.Recorded) != 4 || res.Duplicates != 1 {
		t.Fatalf("recorded %d duplicates %d", len(res.Recorded), res.Duplicates)
	}
	for i, want := range []int{0, 1, 2, 3} {
		if got := res.Recorded[i]; got.UserID != its[want].UserID || got.Kind != its[want].Kind || !got.OccurredAt.Equal(its[want].OccurredAt) {
			t.Fatalf("Recorded[%d] = %+v, want input %d (input order)", i, got, want)
		}
	}
	res = mustRecord(t, s, its[0], its[1], shop.Interaction{UserID: "u2", ProductID: "p2", Kind: shop.KindLike, OccurredAt: base})
	if len(res.Recorded) != 1 || res.Duplicates != 2 || res.Recorded[0].Kind != shop.KindLike {
		t.Fatalf("re-record: recorded %+v duplicates %d", res.Recorded, res.Duplicates)
	}
	evs, err := s.UserInteractions(ctx, "u1", 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 3 || evs[0].Kind != shop.KindRate || *evs[0].Value != 4.5 || evs[2].Kind != shop.KindView {
		t.Fatalf("user events newest first: %+v", evs)
	}
	if !evs[2].OccurredAt.Equal(base) || evs[2].OccurredAt.Location() != time.UTC {
		t.Fatalf("time %v, want %v in UTC", evs[2].OccurredAt, base)
	}
	if evs[1].CopyVariantID != "v1" || evs[2].Value != nil {
		t.Fatalf("copy variant or value: %+v", evs[1:])
	}
	if evs, _ := s.UserInteractions(ctx, "u1", 2); len(evs) != 2 {
		t.Fatalf("first=2 gave %d", len(evs))
	}
	counts, _ := s.ProductCounts(ctx, "p1")
	if len(counts) != 2 || counts[shop.KindView] != 2 || counts[shop.KindPurchase] != 1 {
		t.Fatalf("counts %v", counts)
	}
	pevs, _ := s.ProductInteractions(ctx, "p1", 10)
	if len(pevs) != 3 || pevs[0].UserID != "u2" || pevs[2].UserID != "u1" || pevs[2].Kind != shop.KindView {
		t.Fatalf("product events %+v", pevs)
	}
	// Same time: kind code, then the other ID, break the tie.
	tie := mustRecord(t, s,
		shop.Interaction{UserID: "u2", ProductID: "p2", Kind: shop.KindView, OccurredAt: base.Add(time.Hour)},
		shop.Interaction{UserID: "u2", ProductID: "p1", Kind: shop.KindView, OccurredAt: base.Add(time.Hour)},
		shop.Interaction{UserID: "u2", ProductID: "p1", Kind: shop.KindAddToCart, OccurredAt: base.Add(time.Hour)})
	if len(tie.Recorded) != 3 {
		t.Fatal(tie)
	}
	evs, _ = s.UserInteractions(ctx, "u2", 3)
	if got := fmt.Sprint(evs[0].ProductID, evs[0].Kind, evs[1].ProductID, evs[1].Kind, evs[2].ProductID, evs[2].Kind); got != fmt.Sprint("p1", shop.KindView, "p2", shop.KindView, "p1", shop.KindAddToCart) {
		t.Fatalf("tie order %s", got)
	}
	if n, _ := s.CountEvents(ctx); n != 8 {
		t.Fatalf("CountEvents %d", n)
	}
}

func testEachEvent(t *testing.T, open Open) {
	s := open(t, nil)
	mustProducts(t, s, product("p1", "数码", 1))
	mustUsers(t, s, "u1", "u2")
	now := time.Now().UTC()
	// Arrival order, not occurrence order.
	mustRecord(t, s, shop.Interaction{UserID: "u1", ProductID: "p1", Kind: shop.KindView, OccurredAt: now})
	mustRecord(t, s, shop.Interaction{UserID: "u2", ProductID: "p1", Kind: shop.KindView, OccurredAt: now.Add(-time.Hour)},
		shop.Interaction{UserID: "u1", ProductID: "p1", Kind: shop.KindClick, OccurredAt: now.Add(-2 * time.Hour)})
	var got []string
	var seqs []uint64
	err := s.EachEvent(ctx, func(ev store.Event) error {
		got = append(got, ev.UserID+"/"+string(ev.Kind))
		seqs = append(seqs, ev.Seq)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 || got[0] != "u1/"+string(shop.KindView) || got[1] != "u2/"+string(shop.KindView) || !slices.IsSorted(seqs) || seqs[0] == seqs[1] {
		t.Fatalf("EachEvent %v %v", got, seqs)
	}
	stop := fmt.Errorf("stop")
	n := 0
	if err := s.EachEvent(ctx, func(store.Event) error { n++; return stop }); err != stop || n != 1 {
		t.Fatalf("an error from fn stops the walk: %v after %d", err, n)
	}
}

func testDeleteUser(t *testing.T, open Open) {
	s := open(t, nil)
	mustProducts(t, s, product("p1", "数码", 100))
	mustUsers(t, s, "u1", "u2")
	now := time.Now().UTC()
	var its []shop.Interaction
	for i := range 30 {
		its = append(its, shop.Interaction{UserID: "u1", ProductID: "p1", Kind: shop.KindView, OccurredAt: now.Add(-time.Duration(i) * time.Second)})
	}
	its = append(its, shop.Interaction{UserID: "u2", ProductID: "p1", Kind: shop.KindView, OccurredAt: now})
	mustRecord(t, s, its...)
	sctx := store.WithSubject(ctx, "u1")
	if err := s.PutBlobTTL(sctx, "copy", "for-u1", []byte("x"), time.Hour); err != nil {
		t.Fatal(err)
	}
	if err := s.PutBlobTTL(store.WithSubject(ctx, "u2"), "copy", "for-u2", []byte("y"), time.Hour); err != nil {
		t.Fatal(err)
	}
	existed, err := s.DeleteUser(ctx, "u1")
	if err != nil || !existed {
		t.Fatal(existed, err)
	}
	if u, _ := s.User(ctx, "u1"); u != nil {
		t.Fatal("profile survived")
	}
	if evs, _ := s.UserInteractions(ctx, "u1", 100); len(evs) != 0 {
		t.Fatalf("%d events survived", len(evs))
	}
	pevs, _ := s.ProductInteractions(ctx, "p1", 100)
	if len(pevs) != 1 || pevs[0].UserID != "u2" {
		t.Fatalf("product index still has %d events", len(pevs))
	}
	n := 0
	s.EachEvent(ctx, func(ev store.Event) error {
		if ev.UserID == "u1" {
			t.Error("event log still has u1")
		}
		n++
		return nil
	})
	if n != 1 {
		t.Fatalf("log has %d events", n)
	}
	if c, _ := s.ProductCounts(ctx, "p1"); c[shop.KindView] != 1 {
		t.Fatalf("counts %v", c)
	}
	if _, ok, _ := s.GetBlob(ctx, "copy", "for-u1"); ok {
		t.Fatal("a blob linked to the erased user survived")
	}
	if _, ok, _ := s.GetBlob(ctx, "copy", "for-u2"); !ok {
		t.Fatal("another user's blob was erased")
	}
	res, uerrs, _ := s.RecordInteractions(ctx, []shop.Interaction{its[0]}, "input")
	if len(res.Recorded) != 0 || len(uerrs) != 1 || uerrs[0].Code != shop.CodeNotFound {
		t.Fatalf("an erased user's interaction: recorded %d, errors %+v", len(res.Recorded), uerrs)
	}
	if existed, _ := s.DeleteUser(ctx, "u1"); existed {
		t.Fatal("second erasure reported existing data")
	}
	// A user with a profile and no events existed too.
	mustUsers(t, s, "u3")
	if existed, _ := s.DeleteUser(ctx, "u3"); !existed {
		t.Fatal("erasing a user without events reported nothing")
	}
}

func testUsers(t *testing.T, open Open) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	s := open(t, func() time.Time { return now })
	var ids []string
	for i := range 130 {
		ids = append(ids, fmt.Sprintf("u%03d", i))
	}
	first := mustUsers(t, s, ids...)
	page, _ := s.ListUsers(ctx, 100, "")
	if len(page.Items) != 100 || !page.HasNext {
		t.Fatalf("first page %d %v", len(page.Items), page.HasNext)
	}
	page, _ = s.ListUsers(ctx, 100, page.Items[99].ID)
	if len(page.Items) != 30 || page.HasNext || page.Items[0].ID != "u100" {
		t.Fatalf("second page %d %v", len(page.Items), page.HasNext)
	}
	if n, _ := s.CountUsers(ctx); n != 130 {
		t.Fatalf("count %d", n)
	}
	now = now.Add(time.Hour)
	same := mustUsers(t, s, "u000")[0]
	if !same.UpdatedAt.Equal(first[0].UpdatedAt) {
		t.Fatalf("unchanged user re-stamped: %v", same.UpdatedAt)
	}
	us, errs := shop.NormalizeUsers([]shop.UserInput{{ID: "u000", Age: ptr(40)}}, "input")
	if errs != nil {
		t.Fatal(errs)
	}
	changed, err := s.UpsertUsers(ctx, us)
	if err != nil || !changed[0].UpdatedAt.Equal(now) || !changed[0].CreatedAt.Equal(first[0].CreatedAt) {
		t.Fatalf("changed user %+v %v", changed, err)
	}
	got, _ := s.Users(ctx, []string{"u000", "ghost"})
	if got[0] == nil || got[0].Age == nil || *got[0].Age != 40 || got[1] != nil {
		t.Fatalf("Users %+v", got)
	}
	n := 0
	s.EachUser(ctx, func(*shop.User) error { n++; return nil })
	if n != 130 {
		t.Fatalf("EachUser %d", n)
	}
}

func testBlobs(t *testing.T, open Open) {
	s := open(t, nil)
	if _, ok, err := s.GetBlob(ctx, "models", "x"); ok || err != nil {
		t.Fatalf("missing blob: %v %v", ok, err)
	}
	big := make([]byte, 900<<10) // a model snapshot's worth (in-memory Badger takes at most 1 MB)
	for i := range big {
		big[i] = byte(i * 7)
	}
	if err := s.PutBlob(ctx, "models", "recommend", big); err != nil {
		t.Fatal(err)
	}
	if err := s.PutBlob(ctx, "models", "empty", nil); err != nil {
		t.Fatal(err)
	}
	if b, ok, _ := s.GetBlob(ctx, "models", "recommend"); !ok || !slices.Equal(b, big) {
		t.Fatal("big blob changed")
	}
	if b, ok, _ := s.GetBlob(ctx, "models", "empty"); !ok || len(b) != 0 {
		t.Fatalf("empty blob: %v %v", b, ok)
	}
	// Namespaces are separate; keys may hold any bytes.
	odd := "k\x00\xff/é"
	if err := s.PutBlob(ctx, "other", odd, []byte("o")); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := s.GetBlob(ctx, "other", "recommend"); ok {
		t.Fatal("namespaces leak")
	}
	if b, ok, _ := s.GetBlob(ctx, "other", odd); !ok || string(b) != "o" {
		t.Fatal("odd key lost")
	}
	if err := s.PutBlob(ctx, "models", "recommend", []byte("v2")); err != nil {
		t.Fatal(err)
	}
	if b, _, _ := s.GetBlob(ctx, "models", "recommend"); string(b) != "v2" {
		t.Fatal("PutBlob did not replace")
	}
	if err := s.DeleteBlob(ctx, "models", "recommend"); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteBlob(ctx, "models", "never"); err != nil {
		t.Fatalf("deleting a missing blob: %v", err)
	}
	if _, ok, _ := s.GetBlob(ctx, "models", "recommend"); ok {
		t.Fatal("deleted blob still there")
	}
	if b, ok, _ := s.GetBlob(ctx, "models", "empty"); !ok || len(b) != 0 {
		t.Fatal("DeleteBlob removed a neighbour")
	}
}

func blobKeys(bs []store.Blob) []string {
	var out []string
	for _, b := range bs {
		out = append(out, b.Key)
	}
	return out
}

func testListBlobs(t *testing.T, open Open) {
	s := open(t, nil)
	var bs []store.Blob
	for _, k := range []string{"msg/c1/u1", "msg/c1/u2", "msg/c1/u3", "msg/c2/u1", "c1", "msg/c1\xff", "msg/c1/u2"} {
		bs = append(bs, store.Blob{Key: k, Value: []byte(k)})
	}
	bs[len(bs)-1].Value = []byte("last wins")
	if err := s.PutBlobs(ctx, "campaign", bs); err != nil {
		t.Fatal(err)
	}
	if err := s.PutBlob(ctx, "campaignX", "msg/c1/u0", []byte("other namespace")); err != nil {
		t.Fatal(err)
	}
	got, more, err := s.ListBlobs(ctx, "campaign", "msg/c1/", "", 2)
	if err != nil || len(got) != 2 || !more || got[0].Key != "msg/c1/u1" || string(got[1].Value) != "last wins" {
		t.Fatalf("%+v %v %v", got, more, err)
	}
	got, more, _ = s.ListBlobs(ctx, "campaign", "msg/c1/", got[1].Key, 2)
	if len(got) != 1 || more || got[0].Key != "msg/c1/u3" {
		t.Fatalf("second page %+v %v", got, more)
	}
	got, more, _ = s.ListBlobs(ctx, "campaign", "", "", 100)
	if fmt.Sprintf("%q", blobKeys(got)) != `["c1" "msg/c1/u1" "msg/c1/u2" "msg/c1/u3" "msg/c1\xff" "msg/c2/u1"]` || more {
		t.Fatalf("whole namespace in byte order: %q %v", blobKeys(got), more)
	}
	got, more, _ = s.ListBlobs(ctx, "campaign", "msg/c1", "", 10)
	if len(got) != 4 || more {
		t.Fatalf("prefix msg/c1: %q", blobKeys(got))
	}
	if got, more, _ := s.ListBlobs(ctx, "campaign", "msg/c1/", "", 3); len(got) != 3 || more {
		t.Fatalf("exactly first: %d %v", len(got), more)
	}
	if err := s.DeleteBlobs(ctx, "campaign", "msg/c1/"); err != nil {
		t.Fatal(err)
	}
	got, _, _ = s.ListBlobs(ctx, "campaign", "", "", 100)
	if fmt.Sprintf("%q", blobKeys(got)) != `["c1" "msg/c1\xff" "msg/c2/u1"]` {
		t.Fatalf("after DeleteBlobs: %q", blobKeys(got))
	}
	if _, ok, _ := s.GetBlob(ctx, "campaignX", "msg/c1/u0"); !ok {
		t.Fatal("DeleteBlobs reached another namespace")
	}
	if err := s.DeleteBlobs(ctx, "campaign", ""); err != nil {
		t.Fatal(err)
	}
	if got, _, _ := s.ListBlobs(ctx, "campaign", "", "", 100); len(got) != 0 {
		t.Fatalf("DeleteBlobs with an empty prefix left %q", blobKeys(got))
	}
}

func testTTLBlobs(t *testing.T, open Open) {
	s := open(t, nil)
	if err := s.PutBlobTTL(ctx, "copy", "short", []byte("gone soon"), 1500*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	if err := s.PutBlobTTL(ctx, "copy", "long", []byte("stays"), time.Hour); err != nil {
		t.Fatal(err)
	}
	if b, ok, _ := s.GetBlob(ctx, "copy", "short"); !ok || string(b) != "gone soon" {
		t.Fatal("fresh TTL blob missing")
	}
	if got, _, _ := s.ListBlobs(ctx, "copy", "", "", 10); len(got) != 2 {
		t.Fatalf("fresh TTL blobs listed: %q", blobKeys(got))
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, ok, _ := s.GetBlob(ctx, "copy", "short"); !ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("TTL blob never expired")
		}
		time.Sleep(100 * time.Millisecond)
	}
	if got, _, _ := s.ListBlobs(ctx, "copy", "", "", 10); fmt.Sprint(blobKeys(got)) != "[long]" {
		t.Fatalf("expired blob listed: %q", blobKeys(got))
	}
	if err := s.CollectGarbage(ctx); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := s.GetBlob(ctx, "copy", "long"); !ok {
		t.Fatal("garbage collection took a live blob")
	}
}

func testCounters(t *testing.T, open Open) {
	s := open(t, nil)
	if err := s.AddCounters(ctx, "exp", map[string]int64{"e1/a/x": 2, "e1/b/x": 1, "e2/a/x": 5}); err != nil {
		t.Fatal(err)
	}
	if err := s.AddCounters(ctx, "exp", map[string]int64{"e1/a/x": 3}); err != nil {
		t.Fatal(err)
	}
	if err := s.AddCounters(ctx, "other", map[string]int64{"e1/a/x": 100}); err != nil {
		t.Fatal(err)
	}
	if err := s.AddCounters(ctx, "exp", nil); err != nil {
		t.Fatal(err)
	}
	got, err := s.Counters(ctx, "exp", "e1/")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got["e1/a/x"] != 5 || got["e1/b/x"] != 1 {
		t.Fatalf("counters = %v, want e1/a/x=5 e1/b/x=1", got)
	}
	// Falling to zero or below removes a counter; a new negative one is never kept.
	if err := s.AddCounters(ctx, "exp", map[string]int64{"e1/b/x": -1, "e3": -4, "e1/a/x": -2}); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Counters(ctx, "exp", ""); len(got) != 2 || got["e1/a/x"] != 3 || got["e2/a/x"] != 5 {
		t.Fatalf("after subtracting: %v", got)
	}
	if err := s.DeleteCounters(ctx, "exp", "e1/"); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Counters(ctx, "exp", ""); len(got) != 1 || got["e2/a/x"] != 5 {
		t.Fatalf("after delete: %v, want only e2/a/x=5", got)
	}
	if got, _ := s.Counters(ctx, "other", ""); got["e1/a/x"] != 100 {
		t.Fatalf("other namespace: %v", got)
	}
	// Concurrent writers add up (replicas flushing buffers).
	done := make(chan error, 8)
	for range 8 {
		go func() {
			var err error
			for range 10 {
				if err = s.AddCounters(ctx, "conc", map[string]int64{"a": 1, "b": 2}); err != nil {
					break
				}
			}
			done <- err
		}()
	}
	for range 8 {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	if got, _ := s.Counters(ctx, "conc", ""); got["a"] != 80 || got["b"] != 160 {
		t.Fatalf("concurrent adds: %v", got)
	}
}

func testCountersOnce(t *testing.T, open Open) {
	s := open(t, nil)
	add := func(once string, deltas map[string]int64) bool {
		t.Helper()
		added, err := s.AddCountersOnce(ctx, "exp", once, deltas)
		if err != nil {
			t.Fatal(err)
		}
		return added
	}
	if !add("d/u1/r1", map[string]int64{"x/a": 1, "x/rev": 250}) {
		t.Fatal("the first AddCountersOnce of a key added nothing")
	}
	// The same once-key again: nothing, whatever the deltas.
	if add("d/u1/r1", map[string]int64{"x/a": 1, "x/b": 7}) {
		t.Fatal("a second AddCountersOnce of the same key added")
	}
	// Another key adds; a delta on the once-key itself is ignored.
	if !add("d/u2/r1", map[string]int64{"x/a": 1, "d/u2/r1": 5}) {
		t.Fatal("AddCountersOnce of another key added nothing")
	}
	// Without deltas it still marks the key.
	if !add("d/u3/r1", nil) || add("d/u3/r1", nil) {
		t.Fatal("AddCountersOnce without deltas: want added once")
	}
	// The key is in another namespace's space of its own.
	if added, err := s.AddCountersOnce(ctx, "other", "d/u1/r1", map[string]int64{"x/a": 1}); err != nil || !added {
		t.Fatalf("the same once-key in another namespace: added %v, %v", added, err)
	}
	got, err := s.Counters(ctx, "exp", "")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int64{"x/a": 2, "x/rev": 250, "d/u1/r1": 1, "d/u2/r1": 1, "d/u3/r1": 1}
	if len(got) != len(want) {
		t.Fatalf("counters = %v, want %v", got, want)
	}
	for k, n := range want {
		if got[k] != n {
			t.Fatalf("counters = %v, want %v", got, want)
		}
	}
	// A once-key already set by AddCounters counts as there.
	if err := s.AddCounters(ctx, "exp", map[string]int64{"d/u4/r1": 1}); err != nil {
		t.Fatal(err)
	}
	if add("d/u4/r1", map[string]int64{"x/a": 1}) {
		t.Fatal("AddCountersOnce added although its key was set")
	}
	// Erasure: deleting the prefix forgets the keys, so they add again.
	if err := s.DeleteCounters(ctx, "exp", "d/u1/"); err != nil {
		t.Fatal(err)
	}
	if !add("d/u1/r1", map[string]int64{"x/a": 1}) {
		t.Fatal("AddCountersOnce after DeleteCounters of its key added nothing")
	}
	if got, _ := s.Counters(ctx, "exp", "x/"); got["x/a"] != 3 {
		t.Fatalf("x/a = %d, want 3", got["x/a"])
	}
	// Bad keys are refused and write nothing.
	over := strings.Repeat("k", store.MaxKeyBytes+1)
	if _, err := s.AddCountersOnce(ctx, "exp", over, map[string]int64{"x/a": 1}); err == nil {
		t.Error("AddCountersOnce took a once-key over MaxKeyBytes")
	}
	if _, err := s.AddCountersOnce(ctx, "exp", "d/u5/r1", map[string]int64{"x/a": 1, over: 1}); err == nil {
		t.Error("AddCountersOnce took a delta key over MaxKeyBytes")
	}
	if got, _ := s.Counters(ctx, "exp", ""); got["x/a"] != 3 || got["d/u5/r1"] != 0 {
		t.Fatalf("a refused AddCountersOnce wrote: %v", got)
	}
}

// Writers racing on one once-key (replicas handling the same retried
// click): exactly one adds, on every round.
func testCountersOnceConcurrent(t *testing.T, open Open) {
	s := open(t, nil)
	const writers, rounds = 8, 10
	for r := range rounds {
		once := fmt.Sprintf("d/u/r%d", r)
		start := make(chan struct{})
		var wg sync.WaitGroup
		var added atomic.Int32
		errs := make(chan error, writers)
		for range writers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				ok, err := s.AddCountersOnce(ctx, "race", once, map[string]int64{"x/clicks": 1, "x/revenue": 100})
				if err != nil {
					errs <- err
					return
				}
				if ok {
					added.Add(1)
				}
			}()
		}
		close(start)
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		if n := added.Load(); n != 1 {
			t.Fatalf("round %d: %d of %d racing writers added, want exactly 1", r, n, writers)
		}
	}
	got, err := s.Counters(ctx, "race", "x/")
	if err != nil {
		t.Fatal(err)
	}
	if got["x/clicks"] != rounds || got["x/revenue"] != 100*rounds {
		t.Fatalf("after %d raced rounds: %v, want clicks=%d revenue=%d", rounds, got, rounds, 100*rounds)
	}
}

// Writes racing prefix deletes (an erasure's DeleteCounters and
// DeleteBlobs while shoppers click elsewhere) all succeed, and so do prefix
// deletes racing each other (two erasures at once): a prefix delete is a
// write like any other, not a moment when the store refuses writes.
func testWritesDuringPrefixDeletes(t *testing.T, open Open) {
	s := open(t, nil)
	const n = 40
	var wg sync.WaitGroup
	errs := make(chan error, 8*n)
	run := func(f func(i int) error) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range n {
				if err := f(i); err != nil {
					errs <- err
				}
			}
		}()
	}
	run(func(i int) error {
		return s.AddCounters(ctx, "exp", map[string]int64{fmt.Sprintf("x/e/%d", i%3): 1})
	})
	run(func(i int) error {
		_, err := s.AddCountersOnce(ctx, "exp", fmt.Sprintf("d/kept/r%d", i), map[string]int64{"x/outcomes": 1})
		return err
	})
	run(func(i int) error { return s.PutBlob(ctx, "b", fmt.Sprintf("kept/%d", i), []byte("v")) })
	run(func(i int) error { return s.DeleteCounters(ctx, "exp", fmt.Sprintf("d/gone%d/", i)) })
	run(func(i int) error { return s.DeleteCounters(ctx, "exp", fmt.Sprintf("u/gone%d/", i)) })
	run(func(i int) error { return s.DeleteBlobs(ctx, "b", fmt.Sprintf("gone/%d/", i)) })
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("a write racing prefix deletes failed: %v", err)
	}
	got, err := s.Counters(ctx, "exp", "x/")
	if err != nil {
		t.Fatal(err)
	}
	if got["x/outcomes"] != n || got["x/e/0"]+got["x/e/1"]+got["x/e/2"] != n {
		t.Fatalf("counters after the race: %v, want outcomes=%d and %d in x/e/", got, n, n)
	}
	bs, _, err := s.ListBlobs(ctx, "b", "kept/", "", 2*n)
	if err != nil {
		t.Fatal(err)
	}
	if len(bs) != n {
		t.Fatalf("%d blobs kept, want %d", len(bs), n)
	}
}

// HotCounters: many writers at once on one counter (clicks on one
// product, outcomes of one experiment arm, at a busy moment) all succeed
// and all count. Exported for a run on a Badger on disk, whose synced
// commits are slow enough for writers to collide.
func HotCounters(t *testing.T, open Open) {
	s := open(t, nil)
	const n = 64
	mustProducts(t, s, product("p1", "数码", 100))
	var users []string
	for i := range n {
		users = append(users, fmt.Sprintf("u%02d", i))
	}
	mustUsers(t, s, users...)
	at := time.Now().Add(-time.Minute)
	var wg sync.WaitGroup
	errs := make(chan error, 3*n)
	start := make(chan struct{})
	for _, u := range users {
		wg.Add(3)
		go func() {
			defer wg.Done()
			<-start
			if _, uerrs, err := s.RecordInteractions(ctx, []shop.Interaction{{UserID: u, ProductID: "p1", Kind: shop.KindClick, OccurredAt: at}}, "input"); err != nil || uerrs != nil {
				errs <- fmt.Errorf("record %s: %v %v", u, err, uerrs)
			}
		}()
		go func() {
			defer wg.Done()
			<-start
			if _, err := s.AddCountersOnce(ctx, "exp", "d/"+u+"/r", map[string]int64{"x/arm/clicks": 1}); err != nil {
				errs <- err
			}
		}()
		go func() {
			defer wg.Done()
			<-start
			if err := s.AddCounters(ctx, "exp", map[string]int64{"x/arm/exposures": 2}); err != nil {
				errs <- err
			}
		}()
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("a write on a hot counter failed: %v", err)
	}
	got, err := s.Counters(ctx, "exp", "x/")
	if err != nil {
		t.Fatal(err)
	}
	if got["x/arm/clicks"] != n || got["x/arm/exposures"] != 2*n {
		t.Fatalf("counters %v, want clicks=%d exposures=%d", got, n, 2*n)
	}
	counts, err := s.ProductCounts(ctx, "p1")
	if err != nil {
		t.Fatal(err)
	}
	if counts[shop.KindClick] != n {
		t.Fatalf("p1's clicks = %d, want %d", counts[shop.KindClick], n)
	}
}

func testVariantCounters(t *testing.T, open Open) {
	s := open(t, nil)
	mustProducts(t, s, product("p1", "数码", 100))
	mustUsers(t, s, "u1")
	err := s.AddImpressions(ctx, map[store.Served]int64{
		{ProductID: "p1", Channel: "PUSH", Segment: "25-34/female/photography", VariantID: "cv-b"}: 4,
		{ProductID: "p1", Channel: "PUSH", Segment: "25-34/female/photography", VariantID: "cv-a"}: 10,
		{ProductID: "p1", Channel: "EMAIL", Segment: "all", VariantID: "cv-e"}:                     1,
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.AddImpressions(ctx, map[store.Served]int64{{ProductID: "p1", Channel: "PUSH", Segment: "25-34/female/photography", VariantID: "cv-b"}: 1}); err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	its := []shop.Interaction{
		{UserID: "u1", ProductID: "p1", Kind: shop.KindClick, OccurredAt: now, CopyVariantID: "cv-a"},
		{UserID: "u1", ProductID: "p1", Kind: shop.KindClick, OccurredAt: now, CopyVariantID: "cv-a"}, // duplicate: not counted
		{UserID: "u1", ProductID: "p1", Kind: shop.KindPurchase, OccurredAt: now, CopyVariantID: "cv-a"},
		{UserID: "u1", ProductID: "p1", Kind: shop.KindAddToCart, OccurredAt: now, CopyVariantID: "cv-a"},
		{UserID: "u1", ProductID: "p1", Kind: shop.KindView, OccurredAt: now, CopyVariantID: "cv-b"}, // not an outcome
	}
	mustRecord(t, s, its...)
	mustRecord(t, s, its[0]) // recorded before: not counted again
	st, err := s.VariantStats(ctx, []string{"cv-a", "cv-b", "cv-none"})
	if err != nil {
		t.Fatal(err)
	}
	if a := st["cv-a"]; a != (store.VariantCounts{Impressions: 10, Clicks: 1, Carts: 1, Purchases: 1}) {
		t.Fatalf("cv-a %+v", a)
	}
	if b := st["cv-b"]; b != (store.VariantCounts{Impressions: 5}) {
		t.Fatalf("cv-b %+v", b)
	}
	if c, ok := st["cv-none"]; !ok || c != (store.VariantCounts{}) {
		t.Fatal("unknown variant has counts or is missing")
	}
	refs, _ := s.ProductVariants(ctx, "p1", "PUSH")
	if len(refs) != 2 || refs[0].VariantID != "cv-a" || refs[1].VariantID != "cv-b" || refs[0].Segment != "25-34/female/photography" {
		t.Fatalf("refs %+v", refs)
	}
	if refs, _ := s.ProductVariants(ctx, "p1", "SMS"); len(refs) != 0 {
		t.Fatalf("SMS refs %+v", refs)
	}
}

func testIsEmpty(t *testing.T, open Open) {
	s := open(t, nil)
	if empty, err := s.IsEmpty(); !empty || err != nil {
		t.Fatalf("fresh store: empty=%v %v", empty, err)
	}
	if err := s.PutBlob(ctx, "meta", "x", []byte("1")); err != nil {
		t.Fatal(err)
	}
	if empty, _ := s.IsEmpty(); !empty {
		t.Fatal("a blob made the store non-empty")
	}
	mustUsers(t, s, "u1")
	if empty, _ := s.IsEmpty(); empty {
		t.Fatal("a store with a user is empty")
	}
	mustProducts(t, s, product("p1", "数码", 1))
	got, err := s.Exist(ctx, true, []string{"p1", "u1", "ghost"})
	if err != nil || fmt.Sprint(got) != "[true false false]" {
		t.Fatalf("products exist: %v %v", got, err)
	}
	got, _ = s.Exist(ctx, false, []string{"p1", "u1"})
	if fmt.Sprint(got) != "[false true]" {
		t.Fatalf("users exist: %v", got)
	}
	if s.Now().IsZero() {
		t.Fatal("no clock")
	}
}
