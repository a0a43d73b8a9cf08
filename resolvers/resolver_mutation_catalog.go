package resolvers

import (
	"context"

	"github.com/shopmuse/shopmuse/api"
	"github.com/shopmuse/shopmuse/graph/model"
	"github.com/shopmuse/shopmuse/shop"
)

func (r *mutationResolver) UpsertProducts(ctx context.Context, input []shop.ProductInput) (*model.UpsertProductsPayload, error) {
	saved, errs, err := r.app.UpsertProducts(ctx, input)
	if err != nil {
		return nil, err
	}
	return &model.UpsertProductsPayload{Products: nonNil(saved), UserErrors: nonNil(errs)}, nil
}

func (r *mutationResolver) DeleteProducts(ctx context.Context, ids []string) (*model.DeletePayload, error) {
	deleted, errs, err := r.app.DeleteProducts(ctx, ids)
	if err != nil {
		return nil, err
	}
	return &model.DeletePayload{DeletedIDs: nonNil(deleted), UserErrors: nonNil(errs)}, nil
}

func (r *mutationResolver) UpsertUsers(ctx context.Context, input []shop.UserInput) (*model.UpsertUsersPayload, error) {
	saved, errs, err := r.app.UpsertUsers(ctx, input)
	if err != nil {
		return nil, err
	}
	return &model.UpsertUsersPayload{Users: nonNil(saved), UserErrors: nonNil(errs)}, nil
}

func (r *mutationResolver) DeleteUser(ctx context.Context, id string) (*model.DeletePayload, error) {
	existed, errs, err := r.app.DeleteUser(ctx, id)
	if err != nil {
		return nil, err
	}
	deleted := []string{}
	if existed {
		deleted = append(deleted, id)
	}
	return &model.DeletePayload{DeletedIDs: deleted, UserErrors: nonNil(errs)}, nil
}

func (r *mutationResolver) RecordInteractions(ctx context.Context, input []shop.InteractionInput) (*model.RecordInteractionsPayload, error) {
	record := r.app.RecordInteractions
	if _, ok := api.ShopperFrom(ctx); ok {
		// A browser holds the token: its events are checked harder.
		record = r.app.RecordShopperInteractions
	}
	res, errs, err := record(ctx, input)
	if err != nil {
		return nil, err
	}
	if errs != nil {
		return &model.RecordInteractionsPayload{UserErrors: errs}, nil
	}
	return &model.RecordInteractionsPayload{Accepted: len(input), Duplicates: res.Duplicates, UserErrors: []shop.UserError{}}, nil
}
