package resolvers

import (
	"context"
	"fmt"
	"unicode/utf8"

	"github.com/shopmuse/shopmuse/pagination"
	"github.com/shopmuse/shopmuse/search"
	"github.com/shopmuse/shopmuse/shop"
)

// maxQueryLen bounds a search query; longer text is not a query.
const maxQueryLen = 500

func (r *queryResolver) SearchProducts(ctx context.Context, query string, first *int, filter *shop.ProductFilter) ([]search.Hit, error) {
	n := intOr(first, 10)
	if err := pagination.CheckFirst(n, r.maxFirst); err != nil {
		return nil, badInput(err.Error())
	}
	if utf8.RuneCountInString(query) > maxQueryLen {
		return nil, badInput(fmt.Sprintf("query must be at most %d characters", maxQueryLen))
	}
	hits, err := r.app.Search.Search(ctx, query, n, filter)
	return nonNil(hits), err
}

func (r *queryResolver) SimilarProducts(ctx context.Context, productID string, first *int, filter *shop.ProductFilter) ([]search.Hit, error) {
	return r.similar(ctx, productID, first, filter)
}

func (r *Resolver) similar(ctx context.Context, productID string, first *int, filter *shop.ProductFilter) ([]search.Hit, error) {
	n := intOr(first, 10)
	if err := pagination.CheckFirst(n, r.maxFirst); err != nil {
		return nil, badInput(err.Error())
	}
	hits, _, err := r.app.Search.Similar(ctx, productID, n, filter)
	return nonNil(hits), err
}
