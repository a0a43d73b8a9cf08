package resolvers

import (
	"context"
	"fmt"

	"github.com/shopmuse/shopmuse/app"
)

func (r *subscriptionResolver) CopyBatchProgress(ctx context.Context, id string) (<-chan *app.CopyBatchJob, error) {
	in, err := r.app.WatchCopyBatch(ctx, id)
	if err != nil {
		return nil, err
	}
	if in == nil {
		return nil, notFound(fmt.Sprintf("no copy batch job with id %q", id))
	}
	out := make(chan *app.CopyBatchJob, 1)
	go func() {
		defer close(out)
		for j := range in {
			select {
			case out <- &j:
			case <-ctx.Done():
				return
			}
		}
	}()
	return out, nil
}
