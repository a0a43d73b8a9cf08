package resolvers

import (
	"context"

	"github.com/shopmuse/shopmuse/copywriter"
	"github.com/shopmuse/shopmuse/engage"
	"github.com/shopmuse/shopmuse/graph"
	"github.com/shopmuse/shopmuse/pagination"
	"github.com/shopmuse/shopmuse/shop"
)

type campaignResolver struct{ *Resolver }

type campaignItemResolver struct{ *Resolver }

func (r *Resolver) Campaign() graph.CampaignResolver { return &campaignResolver{r} }

func (r *Resolver) CampaignItem() graph.CampaignItemResolver { return &campaignItemResolver{r} }

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

func (r *campaignResolver) MessageList(ctx context.Context, obj *engage.Campaign, first *int, after *string) (*engage.MessageConnection, error) {
	n, afterUser, err := r.pageArgs(first, after, pagination.KindCampaignMessage)
	if err != nil {
		return nil, err
	}
	msgs, more, err := r.app.Engage.Messages(ctx, obj.ID, n, afterUser)
	if err != nil {
		return nil, err
	}
	return pagination.NewConnection(msgs, pagination.KindCampaignMessage, func(m *engage.Message) string { return m.UserID },
		more, afterUser != "", nil), nil
}

func (r *campaignItemResolver) Product(ctx context.Context, obj *engage.MessageItem) (*shop.Product, error) {
	return r.product(ctx, obj.ProductID)
}
