package resolvers

import (
	"context"

	"github.com/shopmuse/shopmuse/assistant"
	"github.com/shopmuse/shopmuse/graph/model"
)

func (r *mutationResolver) UpsertProductQAs(ctx context.Context, input []assistant.QA) (*model.UpsertProductQAsPayload, error) {
	saved, errs, err := r.app.UpsertProductQAs(ctx, input)
	if err != nil {
		return nil, err
	}
	return &model.UpsertProductQAsPayload{Qas: nonNil(saved), UserErrors: nonNil(errs)}, nil
}

func (r *mutationResolver) DeleteProductQAs(ctx context.Context, ids []string) (*model.DeletePayload, error) {
	deleted, errs, err := r.app.DeleteProductQAs(ctx, ids)
	if err != nil {
		return nil, err
	}
	return &model.DeletePayload{DeletedIDs: nonNil(deleted), UserErrors: nonNil(errs)}, nil
}
