package resolvers

import (
	"context"
	"errors"
	"fmt"

	"github.com/shopmuse/shopmuse/app"
	"github.com/shopmuse/shopmuse/copywriter"
	"github.com/shopmuse/shopmuse/graph/model"
	"github.com/shopmuse/shopmuse/pagination"
	"github.com/shopmuse/shopmuse/review"
)

func (r *queryResolver) CopyReviewQueue(ctx context.Context, first *int, after *string, filter *model.CopyReviewFilter) (*review.VariantConnection, error) {
	n, afterID, err := r.pageArgs(first, after, review.KindVariant)
	if err != nil {
		return nil, err
	}
	var f review.Filter
	if filter != nil {
		if filter.Status != nil {
			f.Status = *filter.Status
		}
		if filter.Channel != nil {
			f.Channel = *filter.Channel
		}
		f.ProductID, f.CategoryPrefix, f.FailedChecks = strOr(filter.ProductID), strOr(filter.CategoryPrefix), filter.FailedChecks
	}
	recs, more, err := r.app.Review.Queue(ctx, f, n, afterID)
	if err != nil {
		return nil, err
	}
	vs := make([]copywriter.Variant, len(recs))
	for i := range recs {
		vs[i] = recs[i].Variant()
	}
	return pagination.NewConnection(vs, review.KindVariant, func(v *copywriter.Variant) string { return v.ID }, more, afterID != "",
		func(ctx context.Context) (int, error) { return r.app.Review.Count(ctx, f) }), nil
}

func (r *queryResolver) CopyReviewAudit(ctx context.Context, variantID *string, first *int, after *string) (*review.DecisionConnection, error) {
	n, afterKey, err := r.pageArgs(first, after, review.KindDecision)
	if err != nil {
		return nil, err
	}
	ds, more, err := r.app.Review.Audit(ctx, strOr(variantID), n, afterKey)
	if errors.Is(err, review.ErrBadCursor) {
		return nil, badInput("after: " + err.Error())
	}
	if err != nil {
		return nil, err
	}
	return pagination.NewConnection(ds, review.KindDecision, func(d *review.Decision) string { return d.Key }, more, afterKey != "", nil), nil
}

func (r *queryResolver) CopyBatchJob(ctx context.Context, id string) (*app.CopyBatchJob, error) {
	return r.app.CopyBatch(ctx, id)
}

func (r *queryResolver) ProductImageFacts(ctx context.Context, productID string, status *copywriter.Status) ([]review.Fact, error) {
	p, err := r.product(ctx, productID)
	if err != nil {
		return nil, err
	}
	if p == nil {
		return nil, notFound(fmt.Sprintf("no product with id %q", productID))
	}
	var st copywriter.Status
	if status != nil {
		st = *status
	}
	fs, err := r.app.Review.Facts(ctx, productID, st)
	return nonNil(fs), err
}
