package store

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/shopmuse/shopmuse/shop"
)

var ctx = context.Background()

func openMem(t testing.TB) *Badger {
	t.Helper()
	s, err := Open("", Options{InMemory: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func ptr[T any](v T) *T { return &v }

func product(id, category string, price shop.Decimal) shop.ProductInput {
	return shop.ProductInput{ID: id, Title: "商品 " + id, Category: category,
		Price: &shop.MoneyInput{Amount: price}, Brand: ptr("华为"), Tags: []string{"5G"}}
}

func mustProducts(t testing.TB, s *Badger, in ...shop.ProductInput) []shop.Product {
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

func mustUsers(t testing.TB, s *Badger, ids ...string) {
	t.Helper()
	var in []shop.UserInput
	for _, id := range ids {
		in = append(in, shop.UserInput{ID: id, Age: ptr(25), Interests: []string{"拍照"}})
	}
	us, errs := shop.NormalizeUsers(in, "input")
	if errs != nil {
		t.Fatal(errs)
	}
	if _, err := s.UpsertUsers(ctx, us); err != nil {
		t.Fatal(err)
	}
}

func TestProductVersionsAndTimestamps(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	s, err := Open("", Options{InMemory: true, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	p := mustProducts(t, s, product("a", "数码/手机", 599900))[0]
	if p.Version != 1 || !p.CreatedAt.Equal(now) {
		t.Fatalf("new product: version %d createdAt %v", p.Version, p.CreatedAt)
	}
	now = now.Add(time.Hour)
	same := mustProducts(t, s, product("a", "数码/手机", 599900))[0]
	if same.Version != 1 || !same.UpdatedAt.Equal(p.UpdatedAt) {
		t.Fatalf("unchanged upsert bumped the version: %+v", same)
	}
	changed := mustProducts(t, s, product("a", "数码/手机", 549900))[0]
	if changed.Version != 2 || !changed.CreatedAt.Equal(p.CreatedAt) || !changed.UpdatedAt.Equal(now) {
		t.Fatalf("changed product: %+v", changed)
	}
	got, _ := s.Product(ctx, "a")
	if got == nil || got.Price.Amount != 549900 || got.Version != 2 {
		t.Fatalf("stored product: %+v", got)
	}
	if missing, _ := s.Product(ctx, "nope"); missing != nil {
		t.Fatal("unknown id returned a product")
	}
}

func TestListProductsPaginatesPastAHundred(t *testing.T) {
	s := openMem(t)
	var in []shop.ProductInput
	for i := range 250 {
		in = append(in, product(fmt.Sprintf("p%03d", i), "家居/杯具", shop.Decimal(i*100)))
	}
	mustProducts(t, s, in...)
	seen := map[string]bool{}
	after := ""
	pages := 0
	for {
		page, err := s.ListProducts(ctx, 100, after, nil)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, p := range page.Items {
			if seen[p.ID] {
				t.Fatalf("%s seen twice", p.ID)
			}
			seen[p.ID] = true
			after = p.ID
		}
		if !page.HasNext {
			break
		}
	}
	if len(seen) != 250 || pages != 3 {
		t.Fatalf("saw %d products in %d pages", len(seen), pages)
	}
	n, _ := s.CountProducts(ctx, nil)
	if n != 250 {
		t.Fatalf("count %d", n)
	}
}

func TestFilters(t *testing.T) {
	s := openMem(t)
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

func TestBadBatchWritesNothing(t *testing.T) {
	s := openMem(t)
	in := []shop.ProductInput{product("a", "数码", 100), product("b", "数码", 100), product("c", "数码", 100), product("d", "数码", -5)}
	_, errs := shop.NormalizeProducts(in, "input")
	if len(errs) != 1 || fmt.Sprint(errs[0].Field) != "[input 3 price amount]" {
		t.Fatalf("errors %+v", errs)
	}
	mustProducts(t, s, product("p1", "数码", 100))
	mustUsers(t, s, "u1")
	its := []shop.Interaction{
		{UserID: "u1", ProductID: "p1", Kind: shop.KindView, OccurredAt: time.Now()},
		{UserID: "u1", ProductID: "ghost", Kind: shop.KindView, OccurredAt: time.Now()},
	}
	res, uerrs, err := s.RecordInteractions(ctx, its, "input")
	if err != nil {
		t.Fatal(err)
	}
	if len(uerrs) != 1 || uerrs[0].Code != shop.CodeNotFound || fmt.Sprint(uerrs[0].Field) != "[input 1 productID]" {
		t.Fatalf("user errors %+v", uerrs)
	}
	if len(res.Recorded) != 0 {
		t.Fatal("recorded despite errors")
	}
	if n, _ := s.CountEvents(ctx); n != 0 {
		t.Fatalf("%d events written by a rejected batch", n)
	}
}

func TestInteractionsIndexesCountsAndDedup(t *testing.T) {
	s := openMem(t)
	mustProducts(t, s, product("p1", "数码", 100), product("p2", "数码", 100))
	mustUsers(t, s, "u1", "u2")
	base := time.Now().Add(-time.Hour).UTC()
	rating := 4.5
	its := []shop.Interaction{
		{UserID: "u1", ProductID: "p1", Kind: shop.KindView, OccurredAt: base},
		{UserID: "u1", ProductID: "p1", Kind: shop.KindPurchase, OccurredAt: base.Add(time.Minute), CopyVariantID: "v1"},
		{UserID: "u1", ProductID: "p2", Kind: shop.KindRate, Value: &rating, OccurredAt: base.Add(2 * time.Minute)},
		{UserID: "u2", ProductID: "p1", Kind: shop.KindView, OccurredAt: base.Add(3 * time.Minute)},
		{UserID: "u2", ProductID: "p1", Kind: shop.KindView, OccurredAt: base.Add(3 * time.Minute)}, // repeat in batch
	}
	res, uerrs, err := s.RecordInteractions(ctx, its, "input")
	if err != nil || uerrs != nil {
		t.Fatal(err, uerrs)
	}
	if len(res.Recorded) != 4 || res.Duplicates != 1 {
		t.Fatalf("recorded %d duplicates %d", len(res.Recorded), res.Duplicates)
	}
	res, _, _ = s.RecordInteractions(ctx, its[:2], "input")
	if len(res.Recorded) != 0 || res.Duplicates != 2 {
		t.Fatalf("re-record: recorded %d duplicates %d", len(res.Recorded), res.Duplicates)
	}
	evs, err := s.UserInteractions(ctx, "u1", 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 3 || evs[0].Kind != shop.KindRate || *evs[0].Value != 4.5 || evs[2].Kind != shop.KindView {
		t.Fatalf("user events newest first: %+v", evs)
	}
	if evs[1].CopyVariantID != "v1" {
		t.Fatalf("copy variant lost: %+v", evs[1])
	}
	if evs, _ := s.UserInteractions(ctx, "u1", 2); len(evs) != 2 {
		t.Fatalf("first=2 gave %d", len(evs))
	}
	counts, _ := s.ProductCounts(ctx, "p1")
	if counts[shop.KindView] != 2 || counts[shop.KindPurchase] != 1 {
		t.Fatalf("counts %v", counts)
	}
	pevs, _ := s.ProductInteractions(ctx, "p1", 10)
	if len(pevs) != 3 || pevs[0].UserID != "u2" {
		t.Fatalf("product events %+v", pevs)
	}
}

func TestDeleteUserErasesEverything(t *testing.T) {
	s := openMem(t)
	mustProducts(t, s, product("p1", "数码", 100))
	mustUsers(t, s, "u1", "u2")
	now := time.Now().UTC()
	var its []shop.Interaction
	for i := range 30 {
		its = append(its, shop.Interaction{UserID: "u1", ProductID: "p1", Kind: shop.KindView, OccurredAt: now.Add(-time.Duration(i) * time.Second)})
	}
	its = append(its, shop.Interaction{UserID: "u2", ProductID: "p1", Kind: shop.KindView, OccurredAt: now})
	if _, _, err := s.RecordInteractions(ctx, its, "input"); err != nil {
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
	s.EachEvent(ctx, func(ev Event) error {
		if ev.UserID == "u1" {
			t.Fatal("event log still has u1")
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
	// The dedup markers went too: the same fact may be recorded again.
	res, _, _ := s.RecordInteractions(ctx, []shop.Interaction{its[0]}, "input")
	if len(res.Recorded) != 0 {
		// u1 no longer exists, so it must be rejected, not deduplicated.
		t.Fatal("recorded for an erased user")
	}
	if existed, _ := s.DeleteUser(ctx, "u1"); existed {
		t.Fatal("second erasure reported existing data")
	}
}

func TestPersistenceAcrossReopen(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	mustProducts(t, s, product("p1", "数码", 100))
	mustUsers(t, s, "u1")
	if _, _, err := s.RecordInteractions(ctx, []shop.Interaction{{UserID: "u1", ProductID: "p1", Kind: shop.KindLike, OccurredAt: time.Now()}}, "input"); err != nil {
		t.Fatal(err)
	}
	if err := s.PutBlob(ctx, "models", "bpr", []byte("snapshot")); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s, err = Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if p, _ := s.Product(ctx, "p1"); p == nil || p.Price.Amount != 100 {
		t.Fatalf("product after reopen: %+v", p)
	}
	if evs, _ := s.UserInteractions(ctx, "u1", 10); len(evs) != 1 || evs[0].Kind != shop.KindLike {
		t.Fatalf("events after reopen: %+v", evs)
	}
	if b, ok, _ := s.GetBlob(ctx, "models", "bpr"); !ok || string(b) != "snapshot" {
		t.Fatalf("blob after reopen: %q %v", b, ok)
	}
	// New events after a reopen get numbers after the old ones.
	mustUsers(t, s, "u2")
	s.RecordInteractions(ctx, []shop.Interaction{{UserID: "u2", ProductID: "p1", Kind: shop.KindView, OccurredAt: time.Now()}}, "input")
	var seqs []uint64
	s.EachEvent(ctx, func(ev Event) error { seqs = append(seqs, ev.Seq); return nil })
	if len(seqs) != 2 || seqs[1] <= seqs[0] {
		t.Fatalf("event order after reopen %v", seqs)
	}
	if empty, _ := s.IsEmpty(); empty {
		t.Fatal("store with data reports empty")
	}
}

func TestUsersListAndUpsert(t *testing.T) {
	s := openMem(t)
	var ids []string
	for i := range 130 {
		ids = append(ids, fmt.Sprintf("u%03d", i))
	}
	mustUsers(t, s, ids...)
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
}

func TestEventCodecRoundTrip(t *testing.T) {
	v := 3.5
	in := shop.Interaction{UserID: "用户-1", ProductID: "sku/9", Kind: shop.KindRate, Value: &v,
		OccurredAt: time.Unix(1700000000, 123).UTC(), CopyVariantID: "cv-1"}
	ev, err := decodeEvent(encodeEvent(42, &in))
	if err != nil {
		t.Fatal(err)
	}
	if ev.Seq != 42 || ev.UserID != in.UserID || ev.ProductID != in.ProductID || *ev.Value != 3.5 ||
		!ev.OccurredAt.Equal(in.OccurredAt) || ev.CopyVariantID != "cv-1" || ev.Kind != shop.KindRate {
		t.Fatalf("round trip %+v", ev)
	}
	if _, err := decodeEvent([]byte{1, 2}); err == nil {
		t.Fatal("short event decoded")
	}
}

func TestCountersAddUpAndListByPrefix(t *testing.T) {
	s := openMem(t)
	ctx := context.Background()
	if err := s.AddCounters(ctx, "exp", map[string]int64{"e1/a/x": 2, "e1/b/x": 1, "e2/a/x": 5}); err != nil {
		t.Fatal(err)
	}
	if err := s.AddCounters(ctx, "exp", map[string]int64{"e1/a/x": 3}); err != nil {
		t.Fatal(err)
	}
	got, err := s.Counters(ctx, "exp", "e1/")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got["e1/a/x"] != 5 || got["e1/b/x"] != 1 {
		t.Fatalf("counters = %v, want e1/a/x=5 e1/b/x=1", got)
	}
	if err := s.DeleteCounters(ctx, "exp", "e1/"); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Counters(ctx, "exp", ""); len(got) != 1 || got["e2/a/x"] != 5 {
		t.Fatalf("after delete: %v, want only e2/a/x=5", got)
	}
}
