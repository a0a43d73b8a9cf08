package store

import (
	"context"
	"testing"
	"time"

	"github.com/shopmuse/shopmuse/shop"
)

var ctx = context.Background()

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
