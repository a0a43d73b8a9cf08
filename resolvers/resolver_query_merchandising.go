package resolvers

import (
	"context"

	"github.com/shopmuse/shopmuse/merch"
)

// MerchandisingRules pages through the stored rules (admin only: api.Guard).
func (r *queryResolver) MerchandisingRules(ctx context.Context, first *int, after *string) (*merch.RuleConnection, error) {
	n, afterID, err := r.pageArgs(first, after, merch.CursorKind)
	if err != nil {
		return nil, err
	}
	page, more := r.app.Merch.List(n, afterID)
	return merch.NewRuleConnection(page, more, afterID != "", func(context.Context) (int, error) {
		return r.app.Merch.Count(), nil
	}), nil
}
