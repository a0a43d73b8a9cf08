package assistant

import (
	"context"
	"sort"

	"github.com/shopmuse/shopmuse/search"
	"github.com/shopmuse/shopmuse/shop"
)

// MemCatalog is a Catalog over products and Q&A entries held in memory, with
// BM25 search for candidates (no recommendations). The evaluation and tests
// use it; the service's Catalog lives in app over the store and hybrid search.
type MemCatalog struct {
	byID   map[string]*shop.Product
	order  []*shop.Product
	qas    map[string][]QA
	lex    *search.Lexical
	cats   []string
	brands []string
}

// NewMemCatalog indexes products and qas. The products must not change
// afterwards.
func NewMemCatalog(products []shop.Product, qas []QA) *MemCatalog {
	m := &MemCatalog{byID: map[string]*shop.Product{}, qas: map[string][]QA{}, lex: search.NewLexical()}
	seen := map[string]bool{}
	for i := range products {
		p := &products[i]
		m.byID[p.ID] = p
		m.order = append(m.order, p)
		if !seen[p.Category] {
			seen[p.Category] = true
			m.cats = append(m.cats, p.Category)
		}
		if p.Brand != "" && !seen["brand:"+p.Brand] {
			seen["brand:"+p.Brand] = true
			m.brands = append(m.brands, p.Brand)
		}
	}
	sort.Strings(m.cats)
	sort.Strings(m.brands)
	m.lex.Upsert(products)
	for _, q := range qas {
		m.qas[q.ProductID] = append(m.qas[q.ProductID], q)
	}
	return m
}

// Product implements Catalog.
func (m *MemCatalog) Product(_ context.Context, id string) (*shop.Product, error) {
	return m.byID[id], nil
}

// Products implements Catalog.
func (m *MemCatalog) Products(_ context.Context, ids []string) ([]*shop.Product, error) {
	var out []*shop.Product
	for _, id := range ids {
		if p := m.byID[id]; p != nil {
			out = append(out, p)
		}
	}
	return out, nil
}

// QAs implements Catalog.
func (m *MemCatalog) QAs(_ context.Context, productID string) ([]QA, error) {
	return m.qas[productID], nil
}

// Brands implements Brands.
func (m *MemCatalog) Brands(context.Context) ([]string, error) { return m.brands, nil }

// Categories implements Facets.
func (m *MemCatalog) Categories(context.Context) ([]string, error) { return m.cats, nil }

// Candidates implements Catalog: BM25 hits that pass the filter, topped up
// with the other products that pass it (as the semantic half of hybrid
// search would), in catalogue order.
func (m *MemCatalog) Candidates(_ context.Context, query string, filter shop.ProductFilter, _ string, first int) ([]*shop.Product, error) {
	var out []*shop.Product
	seen := map[string]bool{}
	for _, h := range m.lex.Search(query, first, &filter) {
		if p := m.byID[h.ID]; p != nil && filter.Matches(p) {
			out = append(out, p)
			seen[p.ID] = true
		}
	}
	for _, p := range m.order {
		if len(out) >= first {
			break
		}
		if !seen[p.ID] && filter.Matches(p) {
			out = append(out, p)
		}
	}
	return out, nil
}
