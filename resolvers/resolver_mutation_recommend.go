package resolvers

import (
	"context"
	"errors"

	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/shopmuse/shopmuse/app"
	"github.com/shopmuse/shopmuse/recommend"
)

// CodeTrainsElsewhere is trainModels' error on a replica while another
// holds the trainer lease (extensions.replica names it): that one trains.
const CodeTrainsElsewhere = "TRAINS_ELSEWHERE"

// CodeTrainingSuperseded is trainModels' error when the trainer lease
// ended during the training and another replica saved a newer model
// meanwhile (extensions.replica names it): this training was not saved.
const CodeTrainingSuperseded = "TRAINING_SUPERSEDED"

func (r *mutationResolver) TrainModels(ctx context.Context) (*recommend.TrainingReport, error) {
	// Training and its save outlive a client that hangs up (see app.Train).
	rep, err := r.app.Train(ctx)
	if err != nil {
		return nil, trainError(err)
	}
	return &rep, nil
}

// trainError gives Train's answers about other replicas their codes.
func trainError(err error) error {
	var elsewhere *app.TrainsElsewhereError
	if errors.As(err, &elsewhere) {
		return &gqlerror.Error{Message: elsewhere.Error(),
			Extensions: map[string]any{"code": CodeTrainsElsewhere, "replica": elsewhere.Replica}}
	}
	var sup *app.SupersededError
	if errors.As(err, &sup) {
		return &gqlerror.Error{Message: sup.Error(),
			Extensions: map[string]any{"code": CodeTrainingSuperseded, "replica": sup.Replica}}
	}
	return err
}
