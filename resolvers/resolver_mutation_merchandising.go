package resolvers

import (
	"context"

	"github.com/shopmuse/shopmuse/graph/model"
	"github.com/shopmuse/shopmuse/merch"
)

func (r *mutationResolver) UpsertMerchandisingRules(ctx context.Context, input []merch.RuleInput) (*model.UpsertMerchandisingRulesPayload, error) {
	rules, errs, err := r.app.UpsertMerchandisingRules(ctx, input)
	if err != nil {
		return nil, err
	}
	return &model.UpsertMerchandisingRulesPayload{Rules: nonNil(rules), UserErrors: nonNil(errs)}, nil
}

func (r *mutationResolver) DeleteMerchandisingRules(ctx context.Context, ids []string) (*model.DeletePayload, error) {
	deleted, errs, err := r.app.DeleteMerchandisingRules(ctx, ids)
	if err != nil {
		return nil, err
	}
	return &model.DeletePayload{DeletedIDs: nonNil(deleted), UserErrors: nonNil(errs)}, nil
}
