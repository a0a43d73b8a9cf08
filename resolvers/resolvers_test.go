package resolvers

import (
	"fmt"
	"strings"
	"testing"

	"github.com/99designs/gqlgen/client"

	"github.com/shopmuse/shopmuse/store"
)

func newClient(t *testing.T) (*client.Client, store.Store) {
	t.Helper()
	a := newApp(t)
	return newAppClient(a), a.Store
}

type userError struct {
	Field   []string
	Message string
	Code    string
}

const upsertProducts = `mutation($input: [ProductInput!]!) {
  upsertProducts(input: $input) { products { id version } userErrors { field message code } }
}`

func seed(t *testing.T, c *client.Client) {
	t.Helper()
	var resp struct {
		UpsertProducts struct {
			Products []struct {
				ID      string
				Version int
			}
			UserErrors []userError
		}
	}
	var input []map[string]any
	for i := range 120 {
		cat := "数码/手机"
		if i%2 == 1 {
			cat = "家居/杯具"
		}
		input = append(input, map[string]any{"id": fmt.Sprintf("p%03d", i), "title": fmt.Sprintf("商品%d", i),
			"category": cat, "brand": "华为", "price": map[string]any{"amount": fmt.Sprintf("%d.50", 100+i)}})
	}
	c.MustPost(upsertProducts, &resp, client.Var("input", input))
	if len(resp.UpsertProducts.UserErrors) != 0 || len(resp.UpsertProducts.Products) != 120 {
		t.Fatalf("seed: %+v", resp.UpsertProducts.UserErrors)
	}
	var uresp struct {
		UpsertUsers struct{ UserErrors []userError }
	}
	c.MustPost(`mutation { upsertUsers(input: [{id: "u1", name: "小美", age: 25, gender: FEMALE, interests: ["拍照", "户外"]}]) { userErrors { code } } }`, &uresp)
	if len(uresp.UpsertUsers.UserErrors) != 0 {
		t.Fatalf("users: %+v", uresp.UpsertUsers.UserErrors)
	}
}

func TestProductsConnectionPaginates(t *testing.T) {
	c, _ := newClient(t)
	seed(t, c)
	const q = `query($after: String, $filter: ProductFilter) {
	  products(first: 50, after: $after, filter: $filter) {
	    edges { cursor node { id category price { amount } } }
	    nodes { id }
	    pageInfo { hasNextPage hasPreviousPage endCursor }
	    totalCount
	  }
	}`
	type page struct {
		Products struct {
			Edges []struct {
				Cursor string
				Node   struct {
					ID, Category string
					Price        struct{ Amount string }
				}
			}
			Nodes    []struct{ ID string }
			PageInfo struct {
				HasNextPage, HasPreviousPage bool
				EndCursor                    *string
			}
			TotalCount int
		}
	}
	var after *string
	seen := 0
	for pages := 0; ; pages++ {
		var resp page
		c.MustPost(q, &resp, client.Var("after", after), client.Var("filter", map[string]any{"category": "数码"}))
		p := resp.Products
		if p.TotalCount != 60 {
			t.Fatalf("totalCount %d", p.TotalCount)
		}
		if len(p.Nodes) != len(p.Edges) {
			t.Fatal("nodes and edges differ")
		}
		for _, e := range p.Edges {
			if e.Node.Category != "数码/手机" {
				t.Fatalf("filter let through %s", e.Node.Category)
			}
			if !strings.HasSuffix(e.Node.Price.Amount, ".50") {
				t.Fatalf("amount %q", e.Node.Price.Amount)
			}
		}
		seen += len(p.Edges)
		if (pages > 0) != p.PageInfo.HasPreviousPage {
			t.Fatal("hasPreviousPage wrong")
		}
		if !p.PageInfo.HasNextPage {
			break
		}
		after = p.PageInfo.EndCursor
	}
	if seen != 60 {
		t.Fatalf("saw %d", seen)
	}
}

func TestFirstOver100AndBadCursorAreErrors(t *testing.T) {
	c, _ := newClient(t)
	var resp map[string]any
	err := c.Post(`{ products(first: 101) { totalCount } }`, &resp)
	if err == nil || !strings.Contains(err.Error(), "first must be between 0 and 100") {
		t.Fatalf("first=101: %v", err)
	}
	err = c.Post(`{ products(after: "garbage") { totalCount } }`, &resp)
	if err == nil || !strings.Contains(err.Error(), "BAD_USER_INPUT") {
		t.Fatalf("bad cursor: %v", err)
	}
}

func TestUpsertProductsRejectsWholeBatch(t *testing.T) {
	c, st := newClient(t)
	var resp struct {
		UpsertProducts struct {
			Products []struct {
				ID      string
				Version int
			}
			UserErrors []userError
		}
	}
	input := []map[string]any{}
	for i := range 4 {
		input = append(input, map[string]any{"id": fmt.Sprintf("x%d", i), "title": "t", "category": "c", "price": map[string]any{"amount": "1.00"}})
	}
	input[3]["price"] = map[string]any{"amount": "-5"}
	c.MustPost(upsertProducts, &resp, client.Var("input", input))
	errs := resp.UpsertProducts.UserErrors
	if len(errs) != 1 || strings.Join(errs[0].Field, ",") != "input,3,price,amount" || errs[0].Code != "INVALID" {
		t.Fatalf("errors %+v", errs)
	}
	if n, _ := st.CountProducts(t.Context(), nil); n != 0 {
		t.Fatalf("%d products written", n)
	}
	big := make([]map[string]any, 1001)
	for i := range big {
		big[i] = map[string]any{"id": fmt.Sprint(i), "title": "t", "category": "c", "price": map[string]any{"amount": "1"}}
	}
	c.MustPost(upsertProducts, &resp, client.Var("input", big))
	if errs := resp.UpsertProducts.UserErrors; len(errs) != 1 || errs[0].Code != "TOO_LARGE" {
		t.Fatalf("1001 items: %+v", errs)
	}
}

func TestInteractionsFlow(t *testing.T) {
	c, _ := newClient(t)
	seed(t, c)
	const rec = `mutation($input: [InteractionInput!]!) {
	  recordInteractions(input: $input) { accepted duplicates userErrors { field code message } }
	}`
	var resp struct {
		RecordInteractions struct {
			Accepted, Duplicates int
			UserErrors           []userError
		}
	}
	c.MustPost(rec, &resp, client.Var("input", []map[string]any{
		{"userID": "u1", "productID": "p001", "kind": "VIEW", "occurredAt": "2026-11-01T10:00:00Z"},
		{"userID": "u1", "productID": "p002", "kind": "PURCHASE", "occurredAt": "2026-11-01T11:00:00Z", "copyVariantID": "cv-9"},
		{"userID": "u1", "productID": "p003", "kind": "RATE", "value": 4.5, "occurredAt": "2026-11-01T12:00:00Z"},
	}))
	if r := resp.RecordInteractions; r.Accepted != 3 || r.Duplicates != 0 || len(r.UserErrors) != 0 {
		t.Fatalf("%+v", r)
	}
	c.MustPost(rec, &resp, client.Var("input", []map[string]any{
		{"userID": "u1", "productID": "p001", "kind": "VIEW"},
		{"userID": "nobody", "productID": "p001", "kind": "VIEW"},
		{"userID": "u1", "productID": "p001", "kind": "VIEW", "occurredAt": "2999-01-01T00:00:00Z"},
	}))
	errs := resp.RecordInteractions.UserErrors
	if len(errs) != 1 || errs[0].Code != "INVALID" || strings.Join(errs[0].Field, ",") != "input,2,occurredAt" {
		t.Fatalf("future time: %+v", errs)
	}
	c.MustPost(rec, &resp, client.Var("input", []map[string]any{
		{"userID": "u1", "productID": "p001", "kind": "VIEW"},
		{"userID": "nobody", "productID": "p001", "kind": "VIEW"},
	}))
	errs = resp.RecordInteractions.UserErrors
	if len(errs) != 1 || errs[0].Code != "NOT_FOUND" || strings.Join(errs[0].Field, ",") != "input,1,userID" {
		t.Fatalf("unknown user: %+v", errs)
	}
	var user struct {
		User struct {
			Name         string
			Age          int
			Gender       string
			Interests    []string
			Interactions []struct {
				Kind          string
				Value         *float64
				CopyVariantID *string
				Product       struct{ ID string }
				User          struct{ ID string }
			}
		}
		Product struct {
			InteractionCounts []struct {
				Kind  string
				Count int
			}
		}
	}
	c.MustPost(`{ user(id: "u1") { name age gender interests interactions(first: 10) { kind value copyVariantID product { id } user { id } } }
	  product(id: "p002") { interactionCounts { kind count } } }`, &user)
	its := user.User.Interactions
	if user.User.Gender != "FEMALE" || len(its) != 3 || its[0].Kind != "RATE" || *its[0].Value != 4.5 || its[1].Product.ID != "p002" ||
		*its[1].CopyVariantID != "cv-9" || its[2].User.ID != "u1" {
		t.Fatalf("user %+v", user.User)
	}
	if ic := user.Product.InteractionCounts; len(ic) != 1 || ic[0].Kind != "PURCHASE" || ic[0].Count != 1 {
		t.Fatalf("counts %+v", ic)
	}
	// Erasure.
	var del struct {
		DeleteUser struct{ DeletedIDs []string }
	}
	c.MustPost(`mutation { deleteUser(id: "u1") { deletedIDs } }`, &del)
	if len(del.DeleteUser.DeletedIDs) != 1 {
		t.Fatalf("deleteUser %+v", del)
	}
	var after struct {
		User    *struct{ ID string }
		Product struct {
			InteractionCounts []struct{ Count int }
		}
	}
	c.MustPost(`{ user(id: "u1") { id } product(id: "p002") { interactionCounts { count } } }`, &after)
	if after.User != nil || len(after.Product.InteractionCounts) != 0 {
		t.Fatalf("after erasure %+v", after)
	}
}

func TestDeleteProducts(t *testing.T) {
	c, _ := newClient(t)
	seed(t, c)
	var resp struct {
		DeleteProducts struct {
			DeletedIDs []string
			UserErrors []userError
		}
	}
	c.MustPost(`mutation { deleteProducts(ids: ["p000", "missing", "p001"]) { deletedIDs userErrors { field message code } } }`, &resp)
	if strings.Join(resp.DeleteProducts.DeletedIDs, ",") != "p000,p001" {
		t.Fatalf("%+v", resp)
	}
	var p struct{ Product *struct{ ID string } }
	c.MustPost(`{ product(id: "p000") { id } }`, &p)
	if p.Product != nil {
		t.Fatal("deleted product still served")
	}
	c.MustPost(`mutation { deleteProducts(ids: [""]) { deletedIDs userErrors { field message code } } }`, &resp)
	if len(resp.DeleteProducts.UserErrors) != 1 || resp.DeleteProducts.UserErrors[0].Code != "REQUIRED" {
		t.Fatalf("%+v", resp)
	}
}

// TestDataloadersBatchStoreReads: thirty interactions, each naming a product
// and the user, cost one product read and one user read, not sixty.
func TestDataloadersBatchStoreReads(t *testing.T) {
	a := newApp(t)
	st := a.Store.(*store.Badger)
	c := newAppClient(a)
	seed(t, c)
	var input []map[string]any
	for i := range 30 {
		input = append(input, map[string]any{"userID": "u1", "productID": fmt.Sprintf("p%03d", i), "kind": "VIEW"})
	}
	var rec map[string]any
	c.MustPost(`mutation($input: [InteractionInput!]!) { recordInteractions(input: $input) { accepted } }`, &rec, client.Var("input", input))
	before := st.Lookups()
	var resp struct {
		User struct {
			Interactions []struct {
				Product struct{ ID string }
				User    struct{ ID string }
			}
		}
	}
	c.MustPost(`{ user(id: "u1") { interactions(first: 30) { product { id } user { id } } } }`, &resp)
	if len(resp.User.Interactions) != 30 || resp.User.Interactions[29].Product.ID == "" {
		t.Fatalf("%+v", resp)
	}
	// One read for user(id), then batched product and user reads: 3 when
	// each batch catches all 30 lookups, a few more when a loaded machine
	// starts some resolvers after the batch window. Without loaders it is 61.
	if reads := st.Lookups() - before; reads > 7 {
		t.Fatalf("%d store reads for 30 interactions; dataloaders should batch them (3 ideally, 61 without)", reads)
	}
}
