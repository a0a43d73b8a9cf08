package resolvers

import (
	"context"

	"github.com/shopmuse/shopmuse/shop"
)

func (r *interactionResolver) User(ctx context.Context, obj *shop.Interaction) (*shop.User, error) {
	return r.user(ctx, obj.UserID)
}

func (r *interactionResolver) Product(ctx context.Context, obj *shop.Interaction) (*shop.Product, error) {
	return r.product(ctx, obj.ProductID)
}
