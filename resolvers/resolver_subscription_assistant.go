package resolvers

import (
	"context"

	"github.com/shopmuse/shopmuse/graph/model"
)

// AskStream validates before the stream opens (a bad question is an error,
// not an empty stream), then sends the checked answer's text in pieces and
// the answer last.
func (r *subscriptionResolver) AskStream(ctx context.Context, input model.AskInput) (<-chan *model.AnswerChunk, error) {
	q, err := question(ctx, input)
	if err != nil {
		return nil, err
	}
	if err := r.app.CheckQuestion(ctx, &q); err != nil {
		return nil, askErr(err)
	}
	out := make(chan *model.AnswerChunk, 16)
	go func() {
		defer close(out)
		send := func(c *model.AnswerChunk) error {
			select {
			case out <- c:
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		ans, err := r.app.AskStream(ctx, q, func(delta string) error { return send(&model.AnswerChunk{Delta: delta}) })
		if err != nil {
			if ctx.Err() == nil {
				r.log.Error("ask stream", "err", err)
			}
			return
		}
		_ = send(&model.AnswerChunk{Done: true, Answer: &ans})
	}()
	return out, nil
}
