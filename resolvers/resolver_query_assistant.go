package resolvers

import (
	"context"
	"errors"
	"strings"

	"github.com/shopmuse/shopmuse/api"
	"github.com/shopmuse/shopmuse/app"
	"github.com/shopmuse/shopmuse/assistant"
	"github.com/shopmuse/shopmuse/graph/model"
	"github.com/shopmuse/shopmuse/pagination"
	"github.com/shopmuse/shopmuse/shop"
)

func (r *queryResolver) Ask(ctx context.Context, input model.AskInput) (*assistant.Answer, error) {
	q, err := question(ctx, input)
	if err != nil {
		return nil, err
	}
	ans, err := r.app.Ask(ctx, q)
	if err != nil {
		return nil, askErr(err)
	}
	return &ans, nil
}

// question translates AskInput. A shopper token's omitted userID is its
// own (api.Guard has checked that a given one is its own). An ID given
// empty is refused rather than read as omitted.
func question(ctx context.Context, in model.AskInput) (assistant.Question, error) {
	for name, id := range map[string]*string{"productID": in.ProductID, "userID": in.UserID} {
		if id == nil {
			continue
		}
		if code, msg := shop.ValidateID(*id); code != "" {
			return assistant.Question{}, badInput("input." + name + " " + msg)
		}
	}
	q := assistant.Question{Text: in.Question, ProductID: strOr(in.ProductID), UserID: strOr(in.UserID), ProductIDs: in.ProductIDs}
	if in.UserID == nil {
		if s, ok := api.ShopperFrom(ctx); ok {
			q.UserID = s
		}
	}
	if in.Language != nil {
		q.Language = *in.Language
	}
	return q, nil
}

// askErr turns the use case's refusals into top-level errors with codes.
func askErr(err error) error {
	var nf *app.NotFoundError
	switch {
	case errors.As(err, &nf):
		return notFound("input: " + nf.Error())
	case errors.Is(err, app.ErrBadQuestion):
		return badInput("input." + strings.TrimPrefix(err.Error(), app.ErrBadQuestion.Error()+": "))
	}
	return err
}

func (r *queryResolver) UnansweredQuestions(ctx context.Context, first *int, after *string) (*app.UnansweredConnection, error) {
	n := intOr(first, 20)
	if err := r.checkFirst(n); err != nil {
		return nil, err
	}
	conn, err := r.app.UnansweredQuestions(ctx, n, strOr(after))
	if errors.Is(err, pagination.ErrBadCursor) {
		return nil, badInput("after: " + err.Error())
	}
	return conn, err
}
