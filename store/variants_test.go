package store

import (
	"testing"
	"time"

	"github.com/shopmuse/shopmuse/shop"
)

func TestVariantCounters(t *testing.T) {
	s := openMem(t)
	mustProducts(t, s, product("p1", "数码", 100))
	mustUsers(t, s, "u1")
	err := s.AddImpressions(ctx, map[Served]int64{
		{ProductID: "p1", Channel: "PUSH", Segment: "25-34/female/photography", VariantID: "cv-a"}: 10,
		{ProductID: "p1", Channel: "PUSH", Segment: "25-34/female/photography", VariantID: "cv-b"}: 4,
		{ProductID: "p1", Channel: "EMAIL", Segment: "all", VariantID: "cv-e"}:                     1,
	})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	its := []shop.Interaction{
		{UserID: "u1", ProductID: "p1", Kind: shop.KindClick, OccurredAt: now, CopyVariantID: "cv-a"},
		{UserID: "u1", ProductID: "p1", Kind: shop.KindClick, OccurredAt: now, CopyVariantID: "cv-a"}, // duplicate: not counted
		{UserID: "u1", ProductID: "p1", Kind: shop.KindPurchase, OccurredAt: now, CopyVariantID: "cv-a"},
		{UserID: "u1", ProductID: "p1", Kind: shop.KindView, OccurredAt: now, CopyVariantID: "cv-b"}, // not an outcome
	}
	if _, uerrs, err := s.RecordInteractions(ctx, its, "input"); err != nil || uerrs != nil {
		t.Fatal(err, uerrs)
	}
	st, err := s.VariantStats(ctx, []string{"cv-a", "cv-b", "cv-none"})
	if err != nil {
		t.Fatal(err)
	}
	if a := st["cv-a"]; a.Impressions != 10 || a.Clicks != 1 || a.Purchases != 1 {
		t.Fatalf("cv-a %+v", a)
	}
	if b := st["cv-b"]; b.Impressions != 4 || b.Clicks != 0 {
		t.Fatalf("cv-b %+v", b)
	}
	if st["cv-none"] != (VariantCounts{}) {
		t.Fatal("unknown variant has counts")
	}
	refs, _ := s.ProductVariants(ctx, "p1", "PUSH")
	if len(refs) != 2 || refs[0].VariantID != "cv-a" || refs[0].Segment != "25-34/female/photography" {
		t.Fatalf("refs %+v", refs)
	}
}

func TestListBlobs(t *testing.T) {
	s := openMem(t)
	var bs []Blob
	for _, k := range []string{"msg/c1/u1", "msg/c1/u2", "msg/c1/u3", "msg/c2/u1", "c1"} {
		bs = append(bs, Blob{Key: k, Value: []byte(k)})
	}
	if err := s.PutBlobs(ctx, "campaign", bs); err != nil {
		t.Fatal(err)
	}
	got, more, err := s.ListBlobs(ctx, "campaign", "msg/c1/", "", 2)
	if err != nil || len(got) != 2 || !more || got[0].Key != "msg/c1/u1" || string(got[1].Value) != "msg/c1/u2" {
		t.Fatalf("%+v %v %v", got, more, err)
	}
	got, more, _ = s.ListBlobs(ctx, "campaign", "msg/c1/", got[1].Key, 2)
	if len(got) != 1 || more || got[0].Key != "msg/c1/u3" {
		t.Fatalf("second page %+v %v", got, more)
	}
}
