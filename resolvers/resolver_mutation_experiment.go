package resolvers

import (
	"context"

	"github.com/shopmuse/shopmuse/experiment"
	"github.com/shopmuse/shopmuse/graph/model"
	"github.com/shopmuse/shopmuse/shop"
)

func (r *mutationResolver) CreateExperiment(ctx context.Context, input model.ExperimentInput) (*model.ExperimentPayload, error) {
	e, errs, err := r.app.CreateExperiment(ctx, experimentInput(input))
	return experimentPayload(e, errs, err)
}

func (r *mutationResolver) StopExperiment(ctx context.Context, id string) (*model.ExperimentPayload, error) {
	e, errs, err := r.app.StopExperiment(ctx, id)
	return experimentPayload(e, errs, err)
}

func experimentPayload(e *experiment.Experiment, errs []shop.UserError, err error) (*model.ExperimentPayload, error) {
	if err != nil {
		return nil, err
	}
	if errs != nil {
		return &model.ExperimentPayload{UserErrors: errs}, nil
	}
	return &model.ExperimentPayload{Experiment: experimentModel(e), UserErrors: []shop.UserError{}}, nil
}

// experimentInput translates the GraphQL input; the experiment package
// validates it.
func experimentInput(in model.ExperimentInput) experiment.Input {
	out := experiment.Input{Name: in.Name, Arms: make([]experiment.ArmInput, len(in.Arms))}
	for i, a := range in.Arms {
		arm := experiment.ArmInput{Name: a.Name, Weight: a.Weight}
		if c := a.Config; c != nil {
			arm.Config = experiment.ArmConfig{MMRLambda: c.MmrLambda, CategoryCap: c.CategoryCap, Placement: c.Placement, RuleSets: c.RuleSets}
			for _, w := range c.Weights {
				arm.Config.Weights = append(arm.Config.Weights, experiment.Weight{Retriever: w.Retriever, Weight: w.Weight})
			}
		}
		out.Arms[i] = arm
	}
	return out
}
