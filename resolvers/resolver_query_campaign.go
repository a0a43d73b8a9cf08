package resolvers

import (
	"context"

	"github.com/shopmuse/shopmuse/engage"
)

func (r *queryResolver) Campaign(ctx context.Context, id string) (*engage.Campaign, error) {
	return r.app.Engage.Campaign(ctx, id)
}
