package recommend

import (
	"context"
	"testing"
	"time"

	"github.com/shopmuse/shopmuse/shop"
	"github.com/shopmuse/shopmuse/vector"
	"github.com/shopmuse/shopmuse/vector/exact"
)

// imageFixture is newFixture's content-only engine with an image index
// (nil images: none).
func imageFixture(t *testing.T, images map[string][]float32) *fixture {
	t.Helper()
	clk := &clock{t: t0}
	cfg := DefaultConfig()
	cfg.Now, cfg.Logger, cfg.MMRLambda, cfg.MaxPerCategory = clk.now, quiet, 1, 1
	cfg.Weights, cfg.ColdWeights = only(RetrieverContent), only(RetrieverContent)
	deps := Deps{Products: exact.New(4)}
	ps := []shop.Product{prod("cam", "微单相机", "数码/相机"), prod("lens", "定焦镜头", "数码/镜头"),
		prod("tripod", "三脚架", "数码/三脚架"), prod("dress", "连衣裙", "服饰/裙装")}
	if images != nil {
		idx := exact.New(4)
		var pts []vector.Point
		for i := range ps {
			if v, ok := images[ps[i].ID]; ok {
				pts = append(pts, vector.Point{ID: ps[i].ID, Vector: v, Payload: vector.PayloadOf(&ps[i])})
			}
		}
		if err := idx.Upsert(context.Background(), pts); err != nil {
			t.Fatal(err)
		}
		deps.Images, deps.ImageWeight = idx, 0.5
	}
	e, err := New(cfg, deps)
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{t: t, e: e, idx: deps.Products.(*exact.Index), clk: clk}
	f.products(ps, map[string][]float32{"cam": {1, 0, 0, 0}, "lens": {0.9, 0.1, 0, 0}, "tripod": {0.3, 0, 0, 1}, "dress": {0, 1, 0, 0}})
	f.event("u", "cam", shop.KindView, time.Hour)
	return f
}

// TestContentRetrieverMixesInImages: after viewing a camera, the lens is
// the text neighbour; with image vectors where the tripod's picture looks
// like the camera's, the tripod comes first. Without an image vector in
// the user's history the answer is exactly the text-only one.
func TestContentRetrieverMixesInImages(t *testing.T) {
	req := Request{UserID: "u", N: 3}
	text := imageFixture(t, nil).recommend(req)
	if len(text) == 0 || text[0].ItemID != "lens" {
		t.Fatalf("text only: %v", ids(text))
	}
	with := imageFixture(t, map[string][]float32{"cam": {1, 0, 0, 0}, "tripod": {0.95, 0.1, 0, 0}, "lens": {0, 0, 1, 0}}).recommend(req)
	if len(with) == 0 || with[0].ItemID != "tripod" {
		t.Fatalf("with images: %v", ids(with))
	}
	if r := with[0].Reasons[0]; r.RelatedItemID != "cam" {
		t.Errorf("reason %+v", r)
	}
	// Items have image vectors, the viewed camera has none: unchanged.
	same := imageFixture(t, map[string][]float32{"tripod": {1, 0, 0, 0}, "lens": {0, 0, 1, 0}}).recommend(req)
	if len(same) != len(text) {
		t.Fatalf("%v vs %v", ids(same), ids(text))
	}
	for i := range same {
		if same[i].ItemID != text[i].ItemID || same[i].Score != text[i].Score {
			t.Fatalf("without a history image vector %v (%v) differs from text only %v (%v)", ids(same), same[i].Score, ids(text), text[i].Score)
		}
	}
}
