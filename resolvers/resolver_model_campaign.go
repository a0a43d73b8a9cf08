package resolvers

import (
	"context"

	"github.com/shopmuse/shopmuse/copywriter"
	"github.com/shopmuse/shopmuse/engage"
	"github.com/shopmuse/shopmuse/graph"
	"github.com/shopmuse/shopmuse/graph/model"
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
