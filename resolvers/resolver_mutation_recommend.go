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

func (r *mutationResolver) TrainModels(ctx context.Context) (*recommend.TrainingReport, error) {
	// Training and its save outlive a client that hangs up (see app.Train).
	rep, err := r.app.Train(ctx)
	var elsewhere *app.TrainsElsewhereError
	if errors.As(err, &elsewhere) {
		return nil, &gqlerror.Error{Message: elsewhere.Error(),
			Extensions: map[string]any{"code": CodeTrainsElsewhere, "replica": elsewhere.Replica}}
	}
	if err != nil {
		return nil, err
	}
	return &rep, nil
}
