package resolvers

import (
	"context"
	"fmt"

	"github.com/shopmuse/shopmuse/search"
	"github.com/shopmuse/shopmuse/shop"
)

func (r *productHitResolver) Product(ctx context.Context, obj *search.Hit) (*shop.Product, error) {
	p, err := r.product(ctx, obj.ProductID)
	if err == nil && p == nil {
		// The index and the store disagree only in the instant between a
		// delete's two writes; say so rather than return null for non-null.
		return nil, fmt.Errorf("product %q is no longer in the catalogue", obj.ProductID)
	}
	return p, err
}
