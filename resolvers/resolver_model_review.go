package resolvers

import (
	"context"
	"time"

	"github.com/shopmuse/shopmuse/api"
	"github.com/shopmuse/shopmuse/copywriter"
	"github.com/shopmuse/shopmuse/graph"
	"github.com/shopmuse/shopmuse/review"
	"github.com/shopmuse/shopmuse/shop"
)

func (r *Resolver) CopyVariant() graph.CopyVariantResolver { return &copyVariantResolver{r} }

type copyVariantResolver struct{ *Resolver }

// state is the variant's review state: attached when the workflow served
// it, else read (with review off, and never reviewed: approved).
func (r *copyVariantResolver) state(ctx context.Context, v *copywriter.Variant) (*copywriter.Review, error) {
	if v.Review != nil {
		return v.Review, nil
	}
	if r.app.Review.On() {
		rec, err := r.app.Review.Get(ctx, v.ID)
		if err != nil {
			return nil, err
		}
		if rec != nil {
			return rec.Variant().Review, nil
		}
		return &copywriter.Review{Status: copywriter.StatusPending}, nil
	}
	return &copywriter.Review{Status: copywriter.StatusApproved}, nil
}

func (r *copyVariantResolver) Status(ctx context.Context, obj *copywriter.Variant) (copywriter.Status, error) {
	s, err := r.state(ctx, obj)
	if err != nil {
		return "", err
	}
	return s.Status, nil
}

// admin reports whether review details may be shown: who decided and why
// is the back office's business.
func admin(ctx context.Context) bool { return api.RoleFrom(ctx) == api.RoleAdmin }

func (r *copyVariantResolver) ReviewedBy(ctx context.Context, obj *copywriter.Variant) (*string, error) {
	if !admin(ctx) {
		return nil, nil
	}
	s, err := r.state(ctx, obj)
	if err != nil || s.ReviewedBy == "" {
		return nil, err
	}
	return &s.ReviewedBy, nil
}

func (r *copyVariantResolver) ReviewedAt(ctx context.Context, obj *copywriter.Variant) (*time.Time, error) {
	if !admin(ctx) {
		return nil, nil
	}
	s, err := r.state(ctx, obj)
	if err != nil || s.ReviewedAt.IsZero() {
		return nil, err
	}
	return &s.ReviewedAt, nil
}

func (r *copyVariantResolver) RejectReason(ctx context.Context, obj *copywriter.Variant) (*string, error) {
	if !admin(ctx) {
		return nil, nil
	}
	s, err := r.state(ctx, obj)
	if err != nil || s.RejectReason == "" {
		return nil, err
	}
	return &s.RejectReason, nil
}

func (r *copyVariantResolver) Edited(ctx context.Context, obj *copywriter.Variant) (bool, error) {
	s, err := r.state(ctx, obj)
	if err != nil {
		return false, err
	}
	return s.Edited, nil
}

// Revision is the revision of the words shown (review.Revision), which an
// admin gives back with a decision; admins only, like the rest of review.
func (r *copyVariantResolver) Revision(ctx context.Context, obj *copywriter.Variant) (*string, error) {
	if !admin(ctx) {
		return nil, nil
	}
	rev := review.Revision(obj.Headline, obj.Text)
	return &rev, nil
}

// Persona is the segment the variant was written for; admins only, as a
// shopper's segment names their age band, gender and interest.
func (r *copyVariantResolver) Persona(ctx context.Context, obj *copywriter.Variant) (*string, error) {
	if !admin(ctx) || obj.Segment == "" {
		return nil, nil
	}
	return &obj.Segment, nil
}

func (r *copyVariantResolver) Product(ctx context.Context, obj *copywriter.Variant) (*shop.Product, error) {
	if obj.ProductID == "" {
		return nil, nil
	}
	return r.product(ctx, obj.ProductID)
}
