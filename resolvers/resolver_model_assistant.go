package resolvers

import (
	"context"

	"github.com/shopmuse/shopmuse/app"
	"github.com/shopmuse/shopmuse/assistant"
	"github.com/shopmuse/shopmuse/graph"
	"github.com/shopmuse/shopmuse/search"
	"github.com/shopmuse/shopmuse/shop"
)

func (r *Resolver) Answer() graph.AnswerResolver { return &answerResolver{r} }
func (r *Resolver) UnansweredQuestion() graph.UnansweredQuestionResolver {
	return &unansweredQuestionResolver{r}
}

type answerResolver struct{ *Resolver }
type unansweredQuestionResolver struct{ *Resolver }

// Products are the answer's suggestions as ProductHits, with their reasons.
func (r *answerResolver) Products(ctx context.Context, obj *assistant.Answer) ([]search.Hit, error) {
	out := make([]search.Hit, len(obj.Products))
	for i, p := range obj.Products {
		out[i] = search.Hit{ProductID: p.ProductID, Score: p.Score, Reason: p.Reason}
	}
	return out, nil
}

func (r *productHitResolver) Reason(ctx context.Context, obj *search.Hit) (*string, error) {
	if obj.Reason == "" {
		return nil, nil
	}
	return &obj.Reason, nil
}

func (r *productResolver) Qas(ctx context.Context, obj *shop.Product) ([]assistant.QA, error) {
	return nonNil(r.app.ProductQAs(obj.ID)), nil
}

func (r *unansweredQuestionResolver) Product(ctx context.Context, obj *app.UnansweredQuestion) (*shop.Product, error) {
	if obj.ProductID == "" {
		return nil, nil
	}
	// null once the product is deleted
	return r.product(ctx, obj.ProductID)
}

func (r *unansweredQuestionResolver) ProductID(ctx context.Context, obj *app.UnansweredQuestion) (*string, error) {
	if obj.ProductID == "" {
		return nil, nil
	}
	return &obj.ProductID, nil
}
