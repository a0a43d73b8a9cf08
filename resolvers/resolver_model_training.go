package resolvers

import (
	"context"
	"time"

	"github.com/shopmuse/shopmuse/recommend"
)

type trainingRunResolver struct{ *Resolver }

type modelTrainingResolver struct{ *Resolver }

func (r *trainingRunResolver) DurationMs(ctx context.Context, obj *recommend.TrainingReport) (float64, error) {
	return float64(obj.Duration) / float64(time.Millisecond), nil
}

func (r *trainingRunResolver) Products(ctx context.Context, obj *recommend.TrainingReport) (int, error) {
	return obj.Items, nil
}

func (r *modelTrainingResolver) DurationMs(ctx context.Context, obj *recommend.ModelReport) (float64, error) {
	return float64(obj.Duration) / float64(time.Millisecond), nil
}

func (r *modelTrainingResolver) SizeBytes(ctx context.Context, obj *recommend.ModelReport) (int, error) {
	return obj.Size, nil
}
