package resolvers

import (
	"context"

	"github.com/shopmuse/shopmuse/api"
	"github.com/shopmuse/shopmuse/recommend"
)

// RuleID names the merchandising rule behind a reason to admins; to
// anyone else the shop's rules are its own business.
func (r *recommendationReasonResolver) RuleID(ctx context.Context, obj *recommend.Reason) (*string, error) {
	if api.RoleFrom(ctx) < api.RoleAdmin || obj.RuleID == "" {
		return nil, nil
	}
	id := obj.RuleID
	return &id, nil
}
