package resolvers

import (
	"fmt"
	"testing"
	"time"

	"github.com/99designs/gqlgen/client"
)

// benchClient serves GraphQL over a store on disk, configured as the service
// runs it (fsync per commit, query cache).
func benchClient(b *testing.B) *client.Client {
	c := newAppClient(newApp(b))
	for start := 0; start < 5000; start += 1000 {
		var input []map[string]any
		for i := start; i < start+1000; i++ {
			input = append(input, map[string]any{"id": fmt.Sprintf("p%05d", i), "title": fmt.Sprintf("商品%d", i),
				"category": "数码/手机", "price": map[string]any{"amount": "99.00"}})
		}
		var resp map[string]any
		c.MustPost(`mutation($input: [ProductInput!]!) { upsertProducts(input: $input) { userErrors { code } } }`, &resp, client.Var("input", input))
	}
	var users []map[string]any
	for i := range 1000 {
		users = append(users, map[string]any{"id": fmt.Sprintf("u%04d", i)})
	}
	var resp map[string]any
	c.MustPost(`mutation($input: [UserInput!]!) { upsertUsers(input: $input) { userErrors { code } } }`, &resp, client.Var("input", users))
	return c
}

// BenchmarkRecordInteractionsGraphQL sends recordInteractions with 1,000
// events per request; compare events/s with the store-level benchmark.
func BenchmarkRecordInteractionsGraphQL(b *testing.B) {
	c := benchClient(b)
	base := time.Now().Add(-48 * time.Hour)
	n := 0
	for b.Loop() {
		input := make([]map[string]any, 1000)
		for i := range input {
			input[i] = map[string]any{"userID": fmt.Sprintf("u%04d", (n*7)%1000), "productID": fmt.Sprintf("p%05d", (n*13)%5000),
				"kind": "VIEW", "occurredAt": base.Add(time.Duration(n) * time.Millisecond).Format(time.RFC3339Nano)}
			n++
		}
		var resp struct {
			RecordInteractions struct{ Accepted int }
		}
		c.MustPost(`mutation($input: [InteractionInput!]!) { recordInteractions(input: $input) { accepted } }`, &resp, client.Var("input", input))
		if resp.RecordInteractions.Accepted != 1000 {
			b.Fatalf("accepted %d", resp.RecordInteractions.Accepted)
		}
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkProductQuery is product(id) through the whole GraphQL stack.
func BenchmarkProductQuery(b *testing.B) {
	c := benchClient(b)
	i := 0
	for b.Loop() {
		var resp struct{ Product struct{ ID string } }
		c.MustPost(`query($id: ID!) { product(id: $id) { id } }`, &resp, client.Var("id", fmt.Sprintf("p%05d", i%5000)))
		if resp.Product.ID == "" {
			b.Fatal("missing")
		}
		i++
	}
}
