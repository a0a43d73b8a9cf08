package recommend

import (
	"testing"
	"time"

	"github.com/shopmuse/shopmuse/shop"
)

// A replica applies its own writes twice (locally and from the bus) and a
// change may arrive again: AddInteractionsOnce counts each event once.
func TestAddInteractionsOnceSkipsWhatTheUserHolds(t *testing.T) {
	f := newFixture(t, only(RetrieverItemCF), nil)
	f.products([]shop.Product{prod("x", "X", "数码/相机"), prod("y", "Y", "数码/镜头")}, nil)
	at := f.clk.now().Add(-time.Hour)
	v := 4.0
	batch := []shop.Interaction{
		{UserID: "u", ProductID: "x", Kind: shop.KindView, OccurredAt: at},
		{UserID: "u", ProductID: "y", Kind: shop.KindAddToCart, OccurredAt: at.Add(time.Second)},
		{UserID: "w", ProductID: "x", Kind: shop.KindRate, Value: &v, OccurredAt: at},
	}
	n, err := f.e.AddInteractionsOnce(batch)
	if err != nil || n != 3 {
		t.Fatalf("first apply: %d, %v; want 3", n, err)
	}
	want := f.e.Dataset().Stats()
	if n, err := f.e.AddInteractionsOnce(batch); err != nil || n != 0 {
		t.Fatalf("second apply added %d (%v); want 0", n, err)
	}
	if got := f.e.Dataset().Stats(); got.Interactions != want.Interactions {
		t.Fatalf("interactions %d after a repeat, want %d", got.Interactions, want.Interactions)
	}
	// Another kind, second, product or value is another event.
	v2 := 2.0
	more := []shop.Interaction{
		{UserID: "u", ProductID: "x", Kind: shop.KindClick, OccurredAt: at},
		{UserID: "u", ProductID: "x", Kind: shop.KindView, OccurredAt: at.Add(2 * time.Second)},
		{UserID: "u", ProductID: "y", Kind: shop.KindView, OccurredAt: at},
		{UserID: "w", ProductID: "x", Kind: shop.KindRate, Value: &v2, OccurredAt: at},
		{UserID: "u", ProductID: "x", Kind: shop.KindView, OccurredAt: at}, // held
	}
	if n, err := f.e.AddInteractionsOnce(more); err != nil || n != 4 {
		t.Fatalf("added %d (%v); want 4 new of 5", n, err)
	}
	// An event added by AddInteractions (the local write) is held too.
	late := shop.Interaction{UserID: "z", ProductID: "y", Kind: shop.KindPurchase, OccurredAt: at}
	if err := f.e.AddInteractions([]shop.Interaction{late}); err != nil {
		t.Fatal(err)
	}
	if n, _ := f.e.AddInteractionsOnce([]shop.Interaction{late}); n != 0 {
		t.Fatal("the echo of a local write was counted again")
	}
}
