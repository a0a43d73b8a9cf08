package resolvers

import (
	"context"

	"github.com/shopmuse/shopmuse/graph/model"
	"github.com/shopmuse/shopmuse/search"
	"github.com/shopmuse/shopmuse/shop"
)

func (r *productResolver) InteractionCounts(ctx context.Context, obj *shop.Product) ([]model.InteractionCount, error) {
	counts, err := r.app.Store.ProductCounts(ctx, obj.ID)
	if err != nil {
		return nil, err
	}
	out := []model.InteractionCount{}
	for _, k := range shop.InteractionKinds {
		if n := counts[k]; n > 0 {
			out = append(out, model.InteractionCount{Kind: k, Count: int(n)})
		}
	}
	return out, nil
}

func (r *productResolver) Similar(ctx context.Context, obj *shop.Product, first *int) ([]search.Hit, error) {
	return r.similar(ctx, obj.ID, first, nil)
}
