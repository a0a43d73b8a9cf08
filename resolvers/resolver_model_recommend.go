package resolvers

import (
	"context"
	"fmt"
	"sync"

	"github.com/99designs/gqlgen/graphql"

	"github.com/shopmuse/shopmuse/api"
	"github.com/shopmuse/shopmuse/copywriter"
	"github.com/shopmuse/shopmuse/engage"
	"github.com/shopmuse/shopmuse/graph/model"
	"github.com/shopmuse/shopmuse/persona"
	"github.com/shopmuse/shopmuse/recommend"
	"github.com/shopmuse/shopmuse/shop"
	"github.com/shopmuse/shopmuse/store"
)

type recommendationResolver struct{ *Resolver }

type recommendationReasonResolver struct{ *Resolver }

func (r *recommendationResolver) Product(ctx context.Context, obj *engage.Recommendation) (*shop.Product, error) {
	p, err := r.product(ctx, obj.ItemID)
	if err == nil && p == nil {
		return nil, fmt.Errorf("product %q is no longer in the catalogue", obj.ItemID)
	}
	return p, err
}

func (r *recommendationReasonResolver) RelatedProduct(ctx context.Context, obj *recommend.Reason) (*shop.Product, error) {
	if obj.RelatedItemID == "" {
		return nil, nil
	}
	return r.product(ctx, obj.RelatedItemID)
}

// personaOf returns the persona of a user once per operation: twenty
// recommendations with copy share one persona computation.
func (r *Resolver) personaOf(ctx context.Context, userID string) (persona.Persona, error) {
	compute := func() (persona.Persona, error) {
		u, err := r.user(ctx, userID)
		if err != nil || u == nil {
			return persona.Persona{}, err
		}
		return engage.UserPersona(ctx, r.app.Store, u)
	}
	l, _ := ctx.Value(loadersKey{}).(*loaders)
	if l == nil {
		return compute()
	}
	// The list's elements resolve concurrently: the first computes, the
	// others wait for it.
	e, _ := l.personas.LoadOrStore(userID, &personaEntry{})
	pe := e.(*personaEntry)
	pe.once.Do(func() { pe.p, pe.err = compute() })
	return pe.p, pe.err
}

type personaEntry struct {
	once sync.Once
	p    persona.Persona
	err  error
}

func (r *recommendationResolver) Copy(ctx context.Context, obj *engage.Recommendation, channel *copywriter.Channel, language *shop.Language) (*model.GeneratedCopy, error) {
	ch := copywriter.ChannelPush
	if channel != nil {
		ch = *channel
	}
	p, err := r.product(ctx, obj.ItemID)
	if err != nil {
		return nil, err
	}
	if p == nil {
		return nil, fmt.Errorf("product %q is no longer in the catalogue", obj.ItemID)
	}
	var persona persona.Persona
	if obj.UserID != "" {
		if persona, err = r.personaOf(ctx, obj.UserID); err != nil {
			return nil, err
		}
		ctx = store.WithSubject(ctx, obj.UserID)
	}
	if api.RoleFrom(ctx) < api.RoleShopper || adminPreview(ctx) {
		// A catalog key is no shopper: what it is shown is no impression,
		// and a loop with it must not skew the bandit. Nor is an admin
		// looking at what a shopper would get.
		ctx = reviewContext(engage.WithoutImpressions(ctx), nil)
	}
	served, err := r.app.Engage.ServeCopy(ctx, p, persona, ch, language)
	if err != nil {
		return nil, copyErr(err)
	}
	r.countCopy(served.Result)
	g := generatedCopy(p, served.Result)
	g.Variants = []copywriter.Variant{}
	if served.Ok() {
		g.Variants = append(g.Variants, served.Variant)
	}
	if api.RoleFrom(ctx) < api.RoleAdmin {
		// The persona text is this shopper's profile and history: personal
		// data, which read keys do not see.
		g.Persona = ""
	}
	return g, nil
}

// Strength shows admins how strongly a cited product relates; to anyone
// else the link strength is the model's internals, not theirs to read.
func (r *recommendationReasonResolver) Strength(ctx context.Context, obj *recommend.Reason) (*float64, error) {
	if api.RoleFrom(ctx) < api.RoleAdmin || (obj.Kind != recommend.ReasonItemCF && obj.Kind != recommend.ReasonSession) {
		return nil, nil
	}
	s := obj.Strength
	return &s, nil
}

// adminPreview reports an admin request that carries the request extension
// {"preview": true}: the merchant console's shopper view, which shows the
// copy a shopper would be served without counting it as shown to them
// (each look would otherwise add impressions to the bandit's statistics).
// Other roles cannot use it: a shopper's own views are impressions.
func adminPreview(ctx context.Context) bool {
	if api.RoleFrom(ctx) < api.RoleAdmin || !graphql.HasOperationContext(ctx) {
		return false
	}
	v, _ := graphql.GetOperationContext(ctx).Extensions["preview"].(bool)
	return v
}
