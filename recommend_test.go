package main

import (
	"testing"
)

type recommendation struct {
	Score   float64
	Product struct{ ID, Title, Category string }
	Reasons []struct {
		Kind, Message  string
		RelatedProduct *struct{ ID string }
	}
}

func TestRecommendationsOverGraphQL(t *testing.T) {
	base, stop := startServer(t, map[string]string{"SHOPMUSE_ADDR": "127.0.0.1:0", "SHOPMUSE_DATA": t.TempDir()})
	defer stop()
	var tr struct {
		TrainModels struct {
			DurationMs float64
			Users      int
			Products   int
			Models     []struct {
				Name      string
				SizeBytes int
			}
		}
	}
	fromJSON(t, gqlPost(t, base, `mutation { trainModels { durationMs users products models { name sizeBytes } } }`, nil), &tr)
	if tr.TrainModels.Users < 50 || tr.TrainModels.Products < 300 || len(tr.TrainModels.Models) < 2 || tr.TrainModels.Models[0].SizeBytes == 0 {
		t.Fatalf("trainModels %+v", tr)
	}
	const q = `query($u: ID!) { recommendations(userID: $u, first: 10) { score product { id title category } reasons { kind message relatedProduct { id } } } }`
	var before struct{ Recommendations []recommendation }
	fromJSON(t, gqlPost(t, base, q, map[string]any{"u": "u010"}), &before)
	if len(before.Recommendations) != 10 {
		t.Fatalf("got %d recommendations", len(before.Recommendations))
	}
	for _, r := range before.Recommendations {
		if len(r.Reasons) == 0 || r.Reasons[0].Message == "" {
			t.Fatalf("recommendation without a reason: %+v", r)
		}
	}
	// Real time: the user carts a product they never touched; the very next
	// answer offers it back ("still in your cart") or builds on it.
	var pick struct {
		Products struct {
			Edges []struct{ Node struct{ ID string } }
		}
	}
	fromJSON(t, gqlPost(t, base, `{ products(first: 1, filter: {category: "母婴", availableOnly: true}) { edges { node { id } } } }`, nil), &pick)
	target := pick.Products.Edges[0].Node.ID
	gqlPost(t, base, `mutation($p: ID!) { recordInteractions(input: [{userID: "u010", productID: $p, kind: ADD_TO_CART}]) { accepted } }`, map[string]any{"p": target})
	var after struct{ Recommendations []recommendation }
	fromJSON(t, gqlPost(t, base, q, map[string]any{"u": "u010"}), &after)
	if toJSON(after) == toJSON(before) {
		t.Fatal("recording an interaction did not change the next answer")
	}
	found := false
	for _, r := range after.Recommendations {
		if r.Product.ID == target {
			found = true
		}
		for _, reason := range r.Reasons {
			if reason.RelatedProduct != nil && reason.RelatedProduct.ID == target {
				found = true
			}
		}
	}
	if !found {
		t.Fatalf("the carted product %s shows nowhere in %+v", target, after.Recommendations)
	}
	// Purchased items are not recommended again.
	gqlPost(t, base, `mutation($p: ID!) { recordInteractions(input: [{userID: "u010", productID: $p, kind: PURCHASE}]) { accepted } }`, map[string]any{"p": target})
	fromJSON(t, gqlPost(t, base, q, map[string]any{"u": "u010"}), &after)
	for _, r := range after.Recommendations {
		if r.Product.ID == target {
			t.Fatal("a purchased product is recommended again")
		}
	}
	// Related and complementary products; an unknown product is NOT_FOUND.
	var rel struct {
		Related, Complementary []recommendation
	}
	fromJSON(t, gqlPost(t, base, `{ related: productRecommendations(productID: "sku-phone-0001", first: 5) { product { id category } reasons { kind message } }
	  complementary: productRecommendations(productID: "sku-phone-0001", intent: COMPLEMENTARY, first: 5) { product { id category } reasons { kind } } }`, nil), &rel)
	if len(rel.Related) == 0 {
		t.Fatal("no related products")
	}
	for _, r := range rel.Related {
		if r.Product.ID == "sku-phone-0001" {
			t.Fatal("a product is related to itself")
		}
	}
	if _, out, _ := post(t, base, "", `{ productRecommendations(productID: "nope") { score } }`); toJSON(errorCodes(out)) != `["NOT_FOUND"]` {
		t.Fatalf("unknown product: %v", out)
	}
	// A brand-new user with only interests gets interest-based picks.
	gqlPost(t, base, `mutation { upsertUsers(input: [{id: "newbie", interests: ["拍照"]}]) { users { id } } }`, nil)
	var cold struct{ Recommendations []recommendation }
	fromJSON(t, gqlPost(t, base, q, map[string]any{"u": "newbie"}), &cold)
	if len(cold.Recommendations) != 10 {
		t.Fatalf("cold start gave %d", len(cold.Recommendations))
	}
}
