package resolvers

import (
	"context"

	"github.com/shopmuse/shopmuse/recommend"
)

func (r *mutationResolver) TrainModels(ctx context.Context) (*recommend.TrainingReport, error) {
	// Training and its save outlive a client that hangs up (see app.Train).
	rep, err := r.app.Train(ctx)
	if err != nil {
		return nil, err
	}
	return &rep, nil
}
