package resolvers

import (
	"context"

	"github.com/shopmuse/shopmuse/experiment"
	"github.com/shopmuse/shopmuse/graph/model"
	"github.com/shopmuse/shopmuse/pagination"
)

// cursorKindExperiment keeps experiment cursors apart from others.
const cursorKindExperiment = "x"

func (r *queryResolver) Experiments(ctx context.Context, first *int, after *string) (*model.ExperimentConnection, error) {
	n := intOr(first, 20)
	if err := r.checkFirst(n); err != nil {
		return nil, err
	}
	from := ""
	if after != nil {
		var err error
		if from, err = pagination.DecodeCursor(cursorKindExperiment, *after); err != nil {
			return nil, badInput("after: " + err.Error())
		}
	}
	exps, more := r.app.Experiments.List(from, n)
	c := &model.ExperimentConnection{Edges: []model.ExperimentEdge{}, Nodes: []model.Experiment{},
		PageInfo: &pagination.PageInfo{HasNextPage: more, HasPreviousPage: from != ""}}
	for _, e := range exps {
		m := experimentModel(e)
		c.Edges = append(c.Edges, model.ExperimentEdge{Cursor: pagination.EncodeCursor(cursorKindExperiment, e.ID), Node: m})
		c.Nodes = append(c.Nodes, *m)
	}
	if k := len(c.Edges); k > 0 {
		start, end := c.Edges[0].Cursor, c.Edges[k-1].Cursor
		c.PageInfo.StartCursor, c.PageInfo.EndCursor = &start, &end
	}
	return c, nil
}

func (r *queryResolver) Experiment(ctx context.Context, id string) (*model.Experiment, error) {
	e, ok := r.app.Experiments.Get(id)
	if !ok {
		return nil, nil
	}
	return experimentModel(e), nil
}

func (r *queryResolver) ExperimentReport(ctx context.Context, id string) (*model.ExperimentReport, error) {
	e, ok := r.app.Experiments.Get(id)
	if !ok {
		return nil, nil
	}
	rep, err := r.app.Experiments.Report(ctx, e)
	if err != nil {
		return nil, err
	}
	out := &model.ExperimentReport{Experiment: experimentModel(e), PrimaryMetric: rep.PrimaryMetric, Winner: rep.Winner,
		SampleRatioP: rep.SampleRatioP, SampleRatioMismatch: rep.SampleRatioMismatch, Arms: make([]model.ExperimentArmReport, len(rep.Arms))}
	est := func(i experiment.Interval) *model.Estimate {
		return &model.Estimate{Value: i.Value, Low: i.Low, High: i.High}
	}
	for i, a := range rep.Arms {
		out.Arms[i] = model.ExperimentArmReport{Name: a.Name, Weight: a.Weight, Control: a.Control, Users: int(a.Users),
			Exposures: int(a.Exposure), Clicks: int(a.Clicks), Carts: int(a.Carts), Purchases: int(a.Purchases), Revenue: a.Revenue,
			Ctr: est(a.CTR), Conversion: est(a.Conversion), RevenuePerExposure: est(a.RevenuePerExposure),
			PBest: a.PBest, PBestConversion: a.PBestConversion}
	}
	return out, nil
}

func experimentModel(e *experiment.Experiment) *model.Experiment {
	m := &model.Experiment{ID: e.ID, Name: e.Name, Status: model.ExperimentStatus(e.Status), CreatedAt: e.CreatedAt,
		StoppedAt: e.StoppedAt, Arms: make([]model.ExperimentArm, len(e.Arms))}
	for i, a := range e.Arms {
		c := &model.ExperimentArmConfig{Weights: []model.RetrieverWeight{}, MmrLambda: a.Config.MMRLambda,
			CategoryCap: a.Config.CategoryCap, Placement: a.Config.Placement, RuleSets: append([]string{}, a.Config.RuleSets...)}
		for _, w := range a.Config.Weights {
			c.Weights = append(c.Weights, model.RetrieverWeight{Retriever: w.Retriever, Weight: w.Weight})
		}
		m.Arms[i] = model.ExperimentArm{Name: a.Name, Weight: a.Weight, Config: c, Control: a.Config.IsControl()}
	}
	return m
}
