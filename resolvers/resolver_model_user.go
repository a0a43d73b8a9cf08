package resolvers

import (
	"context"

	"github.com/shopmuse/shopmuse/engage"
	"github.com/shopmuse/shopmuse/pagination"
	"github.com/shopmuse/shopmuse/persona"
	"github.com/shopmuse/shopmuse/recommend"
	"github.com/shopmuse/shopmuse/shop"
)

func (r *userResolver) Persona(ctx context.Context, obj *shop.User) (*persona.Persona, error) {
	p, err := r.userPersona(ctx, obj)
	return &p, err
}

func (r *userResolver) Recommendations(ctx context.Context, obj *shop.User, first *int, placement *recommend.Placement) ([]engage.Recommendation, error) {
	return r.recommend(ctx, obj.ID, intOr(first, 10), placement, nil, nil, nil)
}

func (r *userResolver) Interactions(ctx context.Context, obj *shop.User, first *int) ([]shop.Interaction, error) {
	n := intOr(first, 20)
	if err := pagination.CheckFirst(n, r.maxFirst); err != nil {
		return nil, badInput(err.Error())
	}
	evs, err := r.app.Store.UserInteractions(ctx, obj.ID, n)
	if err != nil {
		return nil, err
	}
	out := make([]shop.Interaction, len(evs))
	for i, ev := range evs {
		out[i] = ev.Interaction
	}
	return out, nil
}
