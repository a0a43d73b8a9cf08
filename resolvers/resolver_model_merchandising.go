package resolvers

import (
	"context"

	"github.com/shopmuse/shopmuse/api"
	"github.com/shopmuse/shopmuse/graph"
	"github.com/shopmuse/shopmuse/merch"
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

type merchandisingRuleResolver struct{ *Resolver }

// MerchandisingRule resolves the fields of a stored rule.
func (r *Resolver) MerchandisingRule() graph.MerchandisingRuleResolver {
	return &merchandisingRuleResolver{r}
}

// RuleSet is null for a rule without a rule set (always active).
func (r *merchandisingRuleResolver) RuleSet(_ context.Context, obj *merch.Rule) (*string, error) {
	if obj.RuleSet == "" {
		return nil, nil
	}
	s := obj.RuleSet
	return &s, nil
}
