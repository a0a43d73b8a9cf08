package resolvers

import (
	"context"

	"github.com/shopmuse/shopmuse/pagination"
	"github.com/shopmuse/shopmuse/shop"
)

func (r *userResolver) Interactions(ctx context.Context, obj *shop.User, first *int) ([]shop.Interaction, error) {
	n := intOr(first, 20)
	if err := pagination.CheckFirst(n, r.maxFirst); err != nil {
		return nil, badInput(err.Error())
	}
	evs, err := r.app.Store.UserInteractions(ctx, obj.ID, n)
	if err != nil {
		return nil, err
	}
	out := make([]shop.Interaction, len(evs))
	for i, ev := range evs {
		out[i] = ev.Interaction
	}
	return out, nil
}

func (r *interactionResolver) User(ctx context.Context, obj *shop.Interaction) (*shop.User, error) {
	return r.user(ctx, obj.UserID)
}

func (r *interactionResolver) Product(ctx context.Context, obj *shop.Interaction) (*shop.Product, error) {
	return r.product(ctx, obj.ProductID)
}
