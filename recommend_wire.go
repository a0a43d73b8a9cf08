package main

import (
	"context"
	"fmt"
	"maps"
	"time"

	"github.com/shopmuse/shopmuse/recommend"
	"github.com/shopmuse/shopmuse/shop"
	"github.com/shopmuse/shopmuse/store"
	"github.com/shopmuse/shopmuse/vector"
	"github.com/shopmuse/shopmuse/vector/hnsw"
)

// Where the serving models' snapshot lives in Badger.
const (
	modelsNS  = "models"
	modelsKey = "recommend"
)

// openRecommend builds the recommendation engine, replays the store into it
// and restores the last trained models, so a restart serves at once. With no
// snapshot the first training runs in the background while popularity,
// content and recent views already answer.
func (a *app) openRecommend(ctx context.Context) error {
	rc := recommend.DefaultConfig()
	rc.Logger = a.log
	rc.TrainAfter, rc.TrainEvery = a.cfg.TrainAfter, a.cfg.TrainEvery
	if len(a.cfg.RecWeights) > 0 {
		// Named retrievers override the defaults; the others keep theirs.
		rc.Weights = maps.Clone(rc.Weights)
		maps.Copy(rc.Weights, a.cfg.RecWeights)
	}
	if a.cfg.RecMMRLambda > 0 {
		rc.MMRLambda = a.cfg.RecMMRLambda
	}
	if a.cfg.RecCategoryCap > 0 {
		rc.MaxPerCategory = a.cfg.RecCategoryCap
	}
	a.cfg.RecMF.Apply(&rc.MF)
	rc.AfterTrain = a.afterTrain
	eng, err := recommend.New(rc, recommend.Deps{
		Products: a.search.Vectors(),
		Embedder: a.search.Embedder(),
		NewIndex: func(dim int) (vector.Index, error) { return hnsw.New(dim, hnsw.Options{}) },
	})
	if err != nil {
		return err
	}
	start := time.Now()
	var ps []shop.Product
	if err := a.store.EachProduct(ctx, func(p *shop.Product) error { ps = append(ps, *p); return nil }); err != nil {
		return err
	}
	if err := eng.UpsertProducts(ps); err != nil {
		return err
	}
	var us []shop.User
	if err := a.store.EachUser(ctx, func(u *shop.User) error { us = append(us, *u); return nil }); err != nil {
		return err
	}
	if err := eng.UpsertUsers(us); err != nil {
		return err
	}
	batch := make([]shop.Interaction, 0, 10000)
	n := 0
	err = a.store.EachEvent(ctx, func(ev store.Event) error {
		batch = append(batch, ev.Interaction)
		n++
		if len(batch) == cap(batch) {
			err := eng.LoadInteractions(batch)
			batch = batch[:0]
			return err
		}
		return nil
	})
	if err == nil {
		err = eng.LoadInteractions(batch)
	}
	if err != nil {
		return fmt.Errorf("replay interactions into the recommender: %w", err)
	}
	a.log.Info("recommender loaded", "products", len(ps), "users", len(us), "interactions", n,
		"took", time.Since(start).Round(time.Millisecond).String())
	a.recommend = eng

	snap, ok, err := a.store.GetBlob(ctx, modelsNS, modelsKey)
	if err != nil {
		return err
	}
	if ok {
		if err := eng.Restore(ctx, snap); err == nil {
			a.log.Info("recommendation models restored from the last training")
			return nil
		} else {
			a.log.Warn("model snapshot unusable; training again", "err", err)
		}
	}
	a.trainFirst = true
	return nil
}

// initialTraining trains the first models when there was no snapshot; it
// runs with the other background workers, so shutdown waits for it.
func (a *app) initialTraining(ctx context.Context) {
	if !a.trainFirst {
		return
	}
	if _, err := a.train(ctx); err != nil && ctx.Err() == nil {
		a.log.Error("initial training", "err", err)
	}
}

// train trains now and persists the snapshot.
func (a *app) train(ctx context.Context) (recommend.TrainingReport, error) {
	rep, err := a.recommend.Train(ctx)
	if err != nil {
		a.metrics.TrainingRuns.WithLabelValues("error").Inc()
		return rep, err
	}
	a.afterTrain(ctx, rep)
	return rep, nil
}

// afterTrain records the run and saves the serving models.
func (a *app) afterTrain(ctx context.Context, rep recommend.TrainingReport) {
	a.metrics.TrainingRuns.WithLabelValues("ok").Inc()
	a.metrics.TrainingTime.Observe(rep.Duration.Seconds())
	a.log.Info("recommendation models trained", "took", rep.Duration.Round(time.Millisecond).String(),
		"users", rep.Users, "products", rep.Items, "pairs", rep.Interactions)
	a.saveModels(ctx)
}

// saveModels persists the serving models' snapshot.
func (a *app) saveModels(ctx context.Context) {
	snap, err := a.recommend.Snapshot()
	if err == nil {
		err = a.store.PutBlob(ctx, modelsNS, modelsKey, snap)
	}
	if err != nil {
		a.log.Error("save model snapshot", "err", err)
	}
}
