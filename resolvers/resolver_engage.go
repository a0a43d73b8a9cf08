package resolvers

import (
	"context"
	"fmt"
	"sync"

	"github.com/shopmuse/shopmuse/api"
	"github.com/shopmuse/shopmuse/copywriter"
	"github.com/shopmuse/shopmuse/engage"
	"github.com/shopmuse/shopmuse/graph"
	"github.com/shopmuse/shopmuse/graph/model"
	"github.com/shopmuse/shopmuse/pagination"
	"github.com/shopmuse/shopmuse/persona"
	"github.com/shopmuse/shopmuse/shop"
)

// Recommendations carry copy written for the shopper; campaigns send it;
// copyPerformance shows what the clicks taught.

type campaignResolver struct{ *Resolver }
type campaignItemResolver struct{ *Resolver }

func (r *Resolver) Campaign() graph.CampaignResolver         { return &campaignResolver{r} }
func (r *Resolver) CampaignItem() graph.CampaignItemResolver { return &campaignItemResolver{r} }

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
	}
	served, err := r.app.Engage.ServeCopy(ctx, p, persona, ch, language)
	if err != nil {
		return nil, copyErr(err)
	}
	r.countCopy(served.Result)
	g := generatedCopy(p, served.Result)
	g.Variants = []copywriter.Variant{served.Variant}
	if api.RoleFrom(ctx) < api.RoleAdmin {
		// The persona text is this shopper's profile and history: personal
		// data, which read keys do not see.
		g.Persona = ""
	}
	return g, nil
}

func (r *queryResolver) CopyPerformance(ctx context.Context, productID string, channel *copywriter.Channel) (*model.CopyPerformance, error) {
	p, err := r.product(ctx, productID)
	if err != nil {
		return nil, err
	}
	if p == nil {
		return nil, notFound(fmt.Sprintf("no product with id %q", productID))
	}
	ch := copywriter.ChannelPush
	if channel != nil {
		ch = *channel
	}
	perf, err := r.app.Engage.Performance(ctx, productID, ch)
	if err != nil {
		return nil, err
	}
	out := &model.CopyPerformance{Product: p, Channel: ch, Variants: nonNil(perf.Variants)}
	for i := range perf.Variants {
		if perf.Variants[i].VariantID == perf.LeaderID {
			out.Leader = &perf.Variants[i]
		}
	}
	return out, nil
}

func (r *queryResolver) Campaign(ctx context.Context, id string) (*engage.Campaign, error) {
	return r.app.Engage.Campaign(ctx, id)
}

func (r *mutationResolver) CreateCampaign(ctx context.Context, input model.CampaignInput) (*model.CreateCampaignPayload, error) {
	in := engage.CampaignInput{Name: strOr(input.Name), Channel: input.Channel, UserIDs: input.UserIDs,
		ProductsPerUser: intOr(input.ProductsPerUser, 3), Language: input.Language}
	if sg := input.Segment; sg != nil {
		in.Segment = &engage.Segment{Interests: sg.Interests, MinAge: sg.MinAge, MaxAge: sg.MaxAge, Gender: sg.Gender}
	}
	c, errs, err := r.app.Engage.CreateCampaign(ctx, in)
	if err != nil {
		return nil, err
	}
	return &model.CreateCampaignPayload{Campaign: c, UserErrors: nonNil(errs)}, nil
}

func (r *subscriptionResolver) CampaignProgress(ctx context.Context, id string) (<-chan *engage.Campaign, error) {
	in, err := r.app.Engage.Watch(ctx, id)
	if err != nil {
		return nil, err
	}
	if in == nil {
		return nil, notFound(fmt.Sprintf("no campaign with id %q", id))
	}
	out := make(chan *engage.Campaign, 1)
	go func() {
		defer close(out)
		for c := range in {
			select {
			case out <- &c:
			case <-ctx.Done():
				return
			}
		}
	}()
	return out, nil
}

func (r *campaignResolver) Name(ctx context.Context, obj *engage.Campaign) (string, error) {
	return obj.Input.Name, nil
}

func (r *campaignResolver) Channel(ctx context.Context, obj *engage.Campaign) (copywriter.Channel, error) {
	return obj.Input.Channel, nil
}

func (r *campaignResolver) Progress(ctx context.Context, obj *engage.Campaign) (float64, error) {
	if obj.Total == 0 {
		if obj.Status == engage.StatusCompleted {
			return 1, nil
		}
		return 0, nil
	}
	return float64(obj.Done) / float64(obj.Total), nil
}

func (r *campaignResolver) MessageList(ctx context.Context, obj *engage.Campaign, first *int, after *string) (*model.CampaignMessageConnection, error) {
	n, afterUser, err := r.pageArgs(first, after, kindCampaignMessage)
	if err != nil {
		return nil, err
	}
	msgs, more, err := r.app.Engage.Messages(ctx, obj.ID, n, afterUser)
	if err != nil {
		return nil, err
	}
	conn := &model.CampaignMessageConnection{Edges: make([]model.CampaignMessageEdge, len(msgs)),
		PageInfo: &pagination.PageInfo{HasNextPage: more, HasPreviousPage: afterUser != ""}}
	for i := range msgs {
		conn.Edges[i] = model.CampaignMessageEdge{Cursor: pagination.EncodeCursor(kindCampaignMessage, msgs[i].UserID), Node: &msgs[i]}
	}
	if len(msgs) > 0 {
		start, end := conn.Edges[0].Cursor, conn.Edges[len(msgs)-1].Cursor
		conn.PageInfo.StartCursor, conn.PageInfo.EndCursor = &start, &end
	}
	return conn, nil
}

// kindCampaignMessage tags campaign message cursors.
const kindCampaignMessage = "cm"

func (r *campaignItemResolver) Product(ctx context.Context, obj *engage.MessageItem) (*shop.Product, error) {
	return r.product(ctx, obj.ProductID)
}
