package resolvers

import (
	"context"

	"github.com/shopmuse/shopmuse/engage"
	"github.com/shopmuse/shopmuse/graph/model"
)

func (r *mutationResolver) CreateCampaign(ctx context.Context, input model.CampaignInput) (*model.CreateCampaignPayload, error) {
	in := engage.CampaignInput{Name: strOr(input.Name), Channel: input.Channel, UserIDs: input.UserIDs,
		ProductsPerUser: intOr(input.ProductsPerUser, 3), Language: input.Language, Exclude: input.Exclude}
	if sg := input.Segment; sg != nil {
		in.Segment = &engage.Segment{Interests: sg.Interests, MinAge: sg.MinAge, MaxAge: sg.MaxAge, Gender: sg.Gender}
	}
	c, errs, err := r.app.Engage.CreateCampaign(ctx, in)
	if err != nil {
		return nil, err
	}
	return &model.CreateCampaignPayload{Campaign: c, UserErrors: nonNil(errs)}, nil
}
