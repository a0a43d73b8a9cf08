package resolvers

import (
	"context"

	"github.com/shopmuse/shopmuse/graph/model"
	"github.com/shopmuse/shopmuse/shop"
)

func (r *mutationResolver) UpsertProducts(ctx context.Context, input []shop.ProductInput) (*model.UpsertProductsPayload, error) {
	products, errs := shop.NormalizeProducts(input, "input")
	if errs != nil {
		return &model.UpsertProductsPayload{Products: []shop.Product{}, UserErrors: errs}, nil
	}
	saved, err := r.Store.UpsertProducts(ctx, products)
	if err != nil {
		return nil, err
	}
	r.productsChanged(ctx, saved, nil)
	return &model.UpsertProductsPayload{Products: saved, UserErrors: []shop.UserError{}}, nil
}

func (r *mutationResolver) DeleteProducts(ctx context.Context, ids []string) (*model.DeletePayload, error) {
	if errs := checkIDs(ids, "ids"); errs != nil {
		return &model.DeletePayload{DeletedIDs: []string{}, UserErrors: errs}, nil
	}
	deleted, err := r.Store.DeleteProducts(ctx, ids)
	if err != nil {
		return nil, err
	}
	r.productsChanged(ctx, nil, deleted)
	return &model.DeletePayload{DeletedIDs: nonNil(deleted), UserErrors: []shop.UserError{}}, nil
}

func (r *mutationResolver) UpsertUsers(ctx context.Context, input []shop.UserInput) (*model.UpsertUsersPayload, error) {
	users, errs := shop.NormalizeUsers(input, "input")
	if errs != nil {
		return &model.UpsertUsersPayload{Users: []shop.User{}, UserErrors: errs}, nil
	}
	saved, err := r.Store.UpsertUsers(ctx, users)
	if err != nil {
		return nil, err
	}
	if r.Recommend != nil {
		if err := r.Recommend.UpsertUsers(saved); err != nil {
			r.Log.Error("recommend: upsert users", "err", err)
		}
	}
	return &model.UpsertUsersPayload{Users: saved, UserErrors: []shop.UserError{}}, nil
}

func (r *mutationResolver) DeleteUser(ctx context.Context, id string) (*model.DeletePayload, error) {
	if code, msg := shop.ValidateID(id); code != "" {
		return &model.DeletePayload{DeletedIDs: []string{},
			UserErrors: []shop.UserError{{Field: []string{"id"}, Message: msg, Code: code}}}, nil
	}
	existed, err := r.Store.DeleteUser(ctx, id)
	if err != nil {
		return nil, err
	}
	if r.Recommend != nil {
		// Erasure reaches the serving models too, not only the store.
		if r.Recommend.DeleteUser(id) && r.SaveModels != nil {
			r.SaveModels(ctx)
		}
	}
	deleted := []string{}
	if existed {
		deleted = append(deleted, id)
	}
	return &model.DeletePayload{DeletedIDs: deleted, UserErrors: []shop.UserError{}}, nil
}

func (r *mutationResolver) RecordInteractions(ctx context.Context, input []shop.InteractionInput) (*model.RecordInteractionsPayload, error) {
	its, errs := shop.NormalizeInteractions(input, r.Store.Now(), "input")
	if errs != nil {
		return &model.RecordInteractionsPayload{UserErrors: errs}, nil
	}
	res, errs, err := r.Store.RecordInteractions(ctx, its, "input")
	if err != nil {
		return nil, err
	}
	if errs != nil {
		return &model.RecordInteractionsPayload{UserErrors: errs}, nil
	}
	if r.Recommend != nil && len(res.Recorded) > 0 {
		// The user's very next recommendations reflect what they just did.
		if err := r.Recommend.AddInteractions(res.Recorded); err != nil {
			r.Log.Error("recommend: add interactions", "err", err)
		}
	}
	return &model.RecordInteractionsPayload{Accepted: len(input), Duplicates: res.Duplicates, UserErrors: []shop.UserError{}}, nil
}

// checkIDs validates a list of IDs given to a delete.
func checkIDs(ids []string, field string) []shop.UserError {
	if errs := shop.BatchTooLarge(len(ids), field); errs != nil {
		return errs
	}
	var errs []shop.UserError
	for i, id := range ids {
		if code, msg := shop.ValidateID(id); code != "" {
			errs = append(errs, shop.UserError{Field: []string{field, itoa(i)}, Message: msg, Code: code})
		}
	}
	return errs
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// productsChanged brings the derived indexes up to date after a committed
// catalogue write. The store is the truth: a failure here is logged, and the
// index reconciles with the store at the next start.
func (r *Resolver) productsChanged(ctx context.Context, upserted []shop.Product, deleted []string) {
	if r.Recommend != nil {
		if err := r.Recommend.UpsertProducts(upserted); err != nil {
			r.Log.Error("recommend: upsert products", "err", err)
		}
		r.Recommend.DeleteProducts(deleted)
	}
	if r.Search == nil {
		return
	}
	if len(upserted) > 0 {
		if err := r.Search.Upsert(ctx, upserted); err != nil {
			r.Log.Error("index upserted products", "err", err, "count", len(upserted))
		}
	}
	if len(deleted) > 0 {
		if err := r.Search.Delete(ctx, deleted); err != nil {
			r.Log.Error("unindex deleted products", "err", err, "count", len(deleted))
		}
	}
}
