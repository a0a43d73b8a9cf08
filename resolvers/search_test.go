package resolvers

import (
	"testing"

	"github.com/99designs/gqlgen/client"
)

// newSearchClient is newClient with the seed catalogue.
func newSearchClient(t *testing.T) *client.Client {
	t.Helper()
	c, _ := newClient(t)
	seed(t, c)
	return c
}

func TestSearchAndSimilarOverGraphQL(t *testing.T) {
	c := newSearchClient(t)
	var resp struct {
		UpsertProducts struct{ UserErrors []userError }
	}
	c.MustPost(`mutation { upsertProducts(input: [{id: "kettle", title: "象印 电热水壶 1.5L", category: "家电/厨房电器", price: {amount: "399"}}]) { userErrors { field message code } } }`, &resp)
	type hit struct {
		Product struct{ ID string }
		Score   float64
	}
	var q struct {
		SearchProducts  []hit
		SimilarProducts []hit
		Product         struct{ Similar []hit }
	}
	c.MustPost(`{ searchProducts(query: "电热水壶", first: 3) { product { id } score }
	  similarProducts(productID: "p001", first: 4, filter: {category: "家居"}) { product { id } score }
	  product(id: "p002") { similar(first: 2) { product { id } score } } }`, &q)
	if len(q.SearchProducts) == 0 || q.SearchProducts[0].Product.ID != "kettle" || q.SearchProducts[0].Score <= 0 {
		t.Fatalf("search: %+v", q.SearchProducts)
	}
	if len(q.SimilarProducts) != 4 {
		t.Fatalf("similar: %+v", q.SimilarProducts)
	}
	for _, h := range q.SimilarProducts {
		if h.Product.ID == "p001" {
			t.Fatal("a product is similar to itself")
		}
	}
	if len(q.Product.Similar) != 2 {
		t.Fatalf("Product.similar: %+v", q.Product.Similar)
	}
	var del struct{ DeleteProducts struct{ DeletedIDs []string } }
	c.MustPost(`mutation { deleteProducts(ids: ["kettle"]) { deletedIDs } }`, &del)
	c.MustPost(`{ searchProducts(query: "象印 电热水壶", first: 3) { product { id } score } similarProducts(productID: "kettle") { score } product(id: "p002") { similar(first: 0) { score } } }`, &q)
	for _, h := range q.SearchProducts {
		if h.Product.ID == "kettle" {
			t.Fatal("deleted product found")
		}
	}
	if len(q.SimilarProducts) != 0 {
		t.Fatal("similar of a deleted product")
	}
}
