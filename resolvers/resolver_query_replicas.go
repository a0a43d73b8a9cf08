package resolvers

import (
	"context"

	"github.com/shopmuse/shopmuse/graph/model"
)

// ModelInfo says which model this replica serves (see app.ModelInfo).
func (r *queryResolver) ModelInfo(ctx context.Context) (*model.ModelInfo, error) {
	m := r.app.ModelInfo()
	out := &model.ModelInfo{Replica: m.Replica, TrainedAt: m.TrainedAt}
	if m.Version != "" {
		out.Version = &m.Version
	}
	if m.TrainedBy != "" {
		out.TrainedBy = &m.TrainedBy
	}
	return out, nil
}
