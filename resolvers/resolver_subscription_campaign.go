package resolvers

import (
	"context"
	"fmt"

	"github.com/shopmuse/shopmuse/engage"
)

func (r *subscriptionResolver) CampaignProgress(ctx context.Context, id string) (<-chan *engage.Campaign, error) {
	in, err := r.app.Engage.Watch(ctx, id)
	if err != nil {
		return nil, err
	}
	if in == nil {
		return nil, notFound(fmt.Sprintf("no campaign with id %q", id))
	}
	out := make(chan *engage.Campaign, 1)
	go func() {
		defer close(out)
		for c := range in {
			select {
			case out <- &c:
			case <-ctx.Done():
				return
			}
		}
	}()
	return out, nil
}
