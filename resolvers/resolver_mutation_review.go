package resolvers

import (
	"context"
	"strconv"

	"github.com/shopmuse/shopmuse/api"
	"github.com/shopmuse/shopmuse/app"
	"github.com/shopmuse/shopmuse/copywriter"
	"github.com/shopmuse/shopmuse/graph/model"
	"github.com/shopmuse/shopmuse/persona"
	"github.com/shopmuse/shopmuse/review"
	"github.com/shopmuse/shopmuse/shop"
)

func reviewPayload(vs []copywriter.Variant, ues []shop.UserError, err error) (*model.CopyReviewPayload, error) {
	if err != nil {
		return nil, err
	}
	return &model.CopyReviewPayload{Variants: nonNil(vs), UserErrors: nonNil(ues)}, nil
}

func (r *mutationResolver) ApproveCopy(ctx context.Context, ids, revisions []string) (*model.CopyReviewPayload, error) {
	return reviewPayload(r.app.ApproveCopy(ctx, api.ActorFrom(ctx), ids, revisions))
}

func (r *mutationResolver) RejectCopy(ctx context.Context, ids []string, reason string, revisions []string) (*model.CopyReviewPayload, error) {
	return reviewPayload(r.app.RejectCopy(ctx, api.ActorFrom(ctx), ids, revisions, reason))
}

func (r *mutationResolver) EditCopy(ctx context.Context, id string, headline *string, text string, revision *string) (*model.CopyReviewPayload, error) {
	return reviewPayload(r.app.EditCopy(ctx, api.ActorFrom(ctx), id, revision, headline, text))
}

func (r *mutationResolver) GenerateCopyBatch(ctx context.Context, filter *shop.ProductFilter, channels []copywriter.Channel, personas []model.PersonaInput) (*app.CopyBatchJob, error) {
	var ps []persona.Persona
	for i := range personas {
		if personas[i].UserID != nil {
			// Batch copy is for segments; a user's persona is their data.
			return nil, badInput("personas." + strconv.Itoa(i) + ".userID: batch personas describe segments; give description, age, gender or interests")
		}
		p, err := r.persona(ctx, &personas[i])
		if err != nil {
			return nil, err
		}
		ps = append(ps, p)
	}
	job, ues, err := r.app.GenerateCopyBatch(ctx, filter, channels, ps)
	if err != nil {
		return nil, err
	}
	if len(ues) > 0 {
		// The payload is the job itself (the console's contract), so input
		// problems travel as a BAD_USER_INPUT error naming the field.
		msg := ues[0].Message
		if len(ues[0].Field) > 0 {
			msg = ues[0].Field[0] + ": " + msg
		}
		return nil, badInput(msg)
	}
	return job, nil
}

func factsPayload(fs []review.Fact, ues []shop.UserError, err error) (*model.ImageFactsPayload, error) {
	if err != nil {
		return nil, err
	}
	return &model.ImageFactsPayload{Facts: nonNil(fs), UserErrors: nonNil(ues)}, nil
}

func (r *mutationResolver) ExtractImageFacts(ctx context.Context, productID string, image *string) (*model.ImageFactsPayload, error) {
	return factsPayload(r.app.ExtractImageFacts(ctx, productID, image))
}

func (r *mutationResolver) ApproveImageFacts(ctx context.Context, productID string, ids []string) (*model.ImageFactsPayload, error) {
	return factsPayload(r.app.ApproveImageFacts(ctx, api.ActorFrom(ctx), productID, ids))
}

func (r *mutationResolver) RejectImageFacts(ctx context.Context, productID string, ids []string) (*model.ImageFactsPayload, error) {
	return factsPayload(r.app.RejectImageFacts(ctx, api.ActorFrom(ctx), productID, ids))
}
