package resolvers

import (
	"context"

	"github.com/shopmuse/shopmuse/copywriter"
	"github.com/shopmuse/shopmuse/graph/model"
	"github.com/shopmuse/shopmuse/shop"
)

func (r *subscriptionResolver) CopyStream(ctx context.Context, productID string, persona *model.PersonaInput, channel *copywriter.Channel, language *shop.Language) (<-chan *model.CopyChunk, error) {
	req, err := r.copyRequest(ctx, productID, persona, channel, language, 1)
	if err != nil {
		return nil, err
	}
	ctx = reviewContext(ctx, persona)
	out := make(chan *model.CopyChunk, 16)
	go func() {
		defer close(out)
		send := func(c *model.CopyChunk) error {
			select {
			case out <- c:
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		var res copywriter.Result
		var err error
		approvedOnly := r.app.Review.On() && !seesDrafts(ctx)
		if approvedOnly {
			// Only approved words may reach a shopper: write (or read)
			// the copy first, keep what was approved, then stream that.
			if res, err = r.app.Copy.Generate(subjectOf(ctx, persona), req); err == nil {
				err = r.app.Review.Annotate(ctx, &res, req.Product, true)
			}
			for i, v := range res.Variants {
				if err != nil {
					break
				}
				delta := v.Text
				if i > 0 {
					delta = "\n\n" + delta
				}
				err = send(&model.CopyChunk{Delta: delta})
			}
		} else {
			res, err = r.app.Copy.Stream(subjectOf(ctx, persona), req, func(delta string) error { return send(&model.CopyChunk{Delta: delta}) })
			if err == nil {
				err = r.app.Review.Annotate(ctx, &res, req.Product, false)
			}
		}
		if err != nil {
			if ctx.Err() == nil {
				r.log.Error("copy stream", "err", err, "product", productID)
			}
			return
		}
		r.countCopy(res)
		send(&model.CopyChunk{Done: true, Copy: generatedCopy(req.Product, res)})
	}()
	return out, nil
}
