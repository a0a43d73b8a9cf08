package resolvers

import (
	"context"

	"github.com/shopmuse/shopmuse/pagination"
	"github.com/shopmuse/shopmuse/shop"
)

func (r *queryResolver) Product(ctx context.Context, id string) (*shop.Product, error) {
	return r.app.Store.Product(ctx, id)
}

func (r *queryResolver) Products(ctx context.Context, first *int, after *string, filter *shop.ProductFilter) (*pagination.ProductConnection, error) {
	n, afterID, err := r.pageArgs(first, after, pagination.KindProduct)
	if err != nil {
		return nil, err
	}
	page, err := r.app.Store.ListProducts(ctx, n, afterID, filter)
	if err != nil {
		return nil, err
	}
	return pagination.NewProductConnection(page.Items, page.HasNext, afterID != "", func(ctx context.Context) (int, error) {
		return r.app.Store.CountProducts(ctx, filter)
	}), nil
}

func (r *queryResolver) User(ctx context.Context, id *string) (*shop.User, error) {
	uid, err := selfID(ctx, id, "id")
	if err != nil {
		return nil, err
	}
	return r.app.Store.User(ctx, uid)
}

func (r *queryResolver) Users(ctx context.Context, first *int, after *string) (*pagination.UserConnection, error) {
	n, afterID, err := r.pageArgs(first, after, pagination.KindUser)
	if err != nil {
		return nil, err
	}
	page, err := r.app.Store.ListUsers(ctx, n, afterID)
	if err != nil {
		return nil, err
	}
	return pagination.NewUserConnection(page.Items, page.HasNext, afterID != "", r.app.Store.CountUsers), nil
}

// pageArgs checks first and decodes after.
func (r *Resolver) pageArgs(first *int, after *string, kind string) (int, string, error) {
	n := intOr(first, 20)
	if err := pagination.CheckFirst(n, r.maxFirst); err != nil {
		return 0, "", badInput(err.Error())
	}
	afterID, err := pagination.DecodeCursor(kind, strOr(after))
	if err != nil {
		return 0, "", badInput("after: " + err.Error())
	}
	return n, afterID, nil
}
