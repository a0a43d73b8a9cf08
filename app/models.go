package app

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/shopmuse/shopmuse/recommend"
	"github.com/shopmuse/shopmuse/shop"
	"github.com/shopmuse/shopmuse/store"
	"github.com/shopmuse/shopmuse/vector"
	"github.com/shopmuse/shopmuse/vector/hnsw"
)

// The models' snapshot is a file (SnapshotPath) with Badger, the blob
// models/snapshot in a shared store (replicas.go); these name the
// blobs around it.
const (
	modelsNS  = "models"
	modelsKey = "recommend" // the snapshot, before it was a file
	// modelsStaleKey marks the saved snapshot as holding a user erased
	// since: it must not be restored (DeleteUser).
	modelsStaleKey = "stale"
)

// How a snapshot save is retried: Badger refuses writes only briefly (a
// conflict, a full memtable), so a few quick tries outlast it.
const (
	saveAttempts = 4
	saveBackoff  = 200 * time.Millisecond
	saveTimeout  = time.Minute
)

// openRecommend builds the recommendation engine, replays the store into it
// and restores the last trained models. With no usable snapshot the first
// training runs in Run while popularity, content and recent views already
// answer.
func (a *App) openRecommend(ctx context.Context) error {
	rc := recommend.DefaultConfig()
	rc.Logger = a.log
	rc.Now = a.cfg.Now
	a.cfg.Tuning.Apply(&rc)
	deps := recommend.Deps{
		Products: a.Search.Vectors(),
		Embedder: a.Search.Embedder(),
		NewIndex: func(dim int) (vector.Index, error) { return hnsw.New(dim, hnsw.Options{}) },
	}
	if a.Images != nil {
		deps.Images, deps.ImageWeight = a.Images.Index(), a.Images.Weight()
	}
	eng, err := recommend.New(rc, deps)
	if err != nil {
		return err
	}
	start := time.Now()
	var ps []shop.Product
	if err := a.Store.EachProduct(ctx, func(p *shop.Product) error { ps = append(ps, *p); return nil }); err != nil {
		return err
	}
	if err := eng.UpsertProducts(ps); err != nil {
		return err
	}
	var us []shop.User
	if err := a.Store.EachUser(ctx, func(u *shop.User) error { us = append(us, *u); return nil }); err != nil {
		return err
	}
	if err := eng.UpsertUsers(us); err != nil {
		return err
	}
	batch := make([]shop.Interaction, 0, 10000)
	n := 0
	err = a.Store.EachEvent(ctx, func(ev store.Event) error {
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
	a.Recommend = eng

	_, stale, err := a.Store.GetBlob(ctx, modelsNS, modelsStaleKey)
	if err != nil {
		return err
	}
	snap, ok, err := a.readSnapshot(ctx)
	if err != nil {
		return err
	}
	if ok && stale {
		a.log.Warn("model snapshot predates an erasure and was not saved since; training again without the erased user")
		ok = false
	}
	if ok {
		if err := eng.Restore(ctx, snap); err == nil {
			a.log.Info("recommendation models restored from the last training")
			a.restoredModel(ctx, snap)
			return nil
		} else {
			a.log.Warn("model snapshot unusable; training again", "err", err)
		}
	}
	a.trainFirst = true
	if eng.Untrained() == 0 {
		// Nothing to learn from yet: popularity and content answer.
		a.rep.modelReady.Store(true)
	}
	return nil
}

// Train trains the models now and saves their snapshot: the one entry for
// the trainModels mutation, background training and the first training.
//
// Training and saving are detached from ctx's cancellation (a client that
// hangs up, an operation deadline) but end when the App closes; ctx's values
// still reach the logs. Every run is counted in shopmuse_training_runs_total
// by outcome: ok, error (training failed), save_error (trained, but the
// snapshot could not be saved, so a restart would retrain), superseded
// (with replicas: another trainer saved a newer model while this one
// trained, so this one's was not saved; see modelFence).
//
// With replicas, only the holder of the trainer lease trains: on it, Train
// runs under the lease its background trainer holds (one training at a
// time, as without replicas); on a replica without it, Train takes the
// lease if it is free and trains under it; when another replica holds it,
// Train trains nothing and returns a *TrainsElsewhereError naming it.
func (a *App) Train(ctx context.Context) (recommend.TrainingReport, error) {
	if a.rep.bus == nil {
		return a.train(ctx, false)
	}
	for range 3 {
		if held := a.rep.trainer.Load(); held != nil && (*held).Err() == nil {
			return a.train(leaseCtx{Context: *held, values: ctx}, true)
		}
		held, done, ok, err := a.explicitTrainerLease(ctx)
		if err != nil {
			return recommend.TrainingReport{}, fmt.Errorf("train: %w", err)
		}
		if ok {
			defer done()
			return a.train(leaseCtx{Context: held, values: ctx}, true)
		}
		holder, err := a.rep.bus.Holder(ctx, leaseTrainer)
		if err != nil {
			return recommend.TrainingReport{}, fmt.Errorf("train: %w", err)
		}
		if holder != "" && holder != a.cfg.Replica {
			return recommend.TrainingReport{}, &TrainsElsewhereError{Replica: holder}
		}
		// Freed since, or taken by this replica's background trainer
		// between the two looks: look again.
		time.Sleep(50 * time.Millisecond)
	}
	return recommend.TrainingReport{}, fmt.Errorf("train: the trainer lease kept changing hands")
}

// explicitLease is the trainer lease explicit Trains took on a replica
// whose background trainer does not hold it. Trains at the same time on
// this replica share it (the lease's holder is this replica: a second
// TryLease would fail and find itself named), and the last to finish
// releases it.
type explicitLease struct {
	ctx     context.Context
	release func()
	users   int
}

// explicitTrainerLease returns the trainer lease for an explicit Train on
// this replica, taking it if it is free; ok=false when another holds it.
// done ends the caller's use; the last use releases the lease. The lease
// does not end with the client (it outlives a hang-up, as the training
// does), only with done.
func (a *App) explicitTrainerLease(ctx context.Context) (held context.Context, done func(), ok bool, err error) {
	a.rep.explicitMu.Lock()
	defer a.rep.explicitMu.Unlock()
	l := a.rep.explicit
	if l == nil || l.ctx.Err() != nil {
		held, release, ok, err := a.rep.bus.TryLease(context.WithoutCancel(ctx), leaseTrainer)
		if err != nil || !ok {
			return nil, nil, false, err
		}
		l = &explicitLease{ctx: held, release: release}
		a.rep.explicit = l
	}
	l.users++
	return l.ctx, func() {
		a.rep.explicitMu.Lock()
		l.users--
		last := l.users == 0
		if last && a.rep.explicit == l {
			a.rep.explicit = nil
		}
		a.rep.explicitMu.Unlock()
		if last {
			l.release()
		}
	}, true, nil
}

// trainHook, when set (tests), runs before each training; saveHook
// after it, just before the save (where a trainer's pause matters).
var (
	trainHook func()
	saveHook  func(*App)
)

// TrainsElsewhereError is Train's answer on a replica while another holds
// the trainer lease: that one trains, and this one must not train too.
type TrainsElsewhereError struct {
	// Replica holds the trainer lease.
	Replica string
}

func (e *TrainsElsewhereError) Error() string {
	return fmt.Sprintf("replica %q holds the trainer lease and trains the models (in the background, when due); send trainModels to it, or retry once it is gone", e.Replica)
}

// leaseCtx ends with a lease (Context) and carries a request's values.
type leaseCtx struct {
	context.Context
	values context.Context
}

func (c leaseCtx) Value(k any) any { return c.values.Value(k) }

// train is Train; with stopWithCtx the training (not the save) also stops
// when ctx ends, as background training does at shutdown.
func (a *App) train(ctx context.Context, stopWithCtx bool) (recommend.TrainingReport, error) {
	dctx, done, err := a.detach(ctx)
	if err != nil {
		return recommend.TrainingReport{}, err
	}
	defer done()
	var fence *modelFence
	if a.rep.bus != nil {
		// This process's trainings take turns, each reading the fence
		// under the lock, so that a training queued behind another here
		// is not taken for a stale trainer.
		a.rep.trainMu.Lock()
		defer a.rep.trainMu.Unlock()
		f, err := a.readModelFence(dctx)
		if err != nil {
			a.Metrics.TrainingRuns.WithLabelValues("error").Inc()
			return recommend.TrainingReport{}, fmt.Errorf("train: %w", err)
		}
		fence = &f
	}
	tctx := dctx
	if stopWithCtx {
		var cancel context.CancelFunc
		tctx, cancel = context.WithCancel(dctx)
		defer cancel()
		defer context.AfterFunc(ctx, cancel)()
	}
	if trainHook != nil {
		trainHook()
	}
	rep, err := a.Recommend.Train(tctx)
	if err != nil {
		a.Metrics.TrainingRuns.WithLabelValues("error").Inc()
		return rep, fmt.Errorf("train: %w", err)
	}
	a.Metrics.TrainingTime.Observe(rep.Duration.Seconds())
	if stopWithCtx && a.rep.bus != nil && ctx.Err() != nil {
		// Background training ran under the trainer lease, and the lease
		// ended (lapsed during a pause, lost, or shutdown): another
		// replica may be the trainer now, so the save is its to make.
		a.Metrics.TrainingRuns.WithLabelValues("save_error").Inc()
		return rep, fmt.Errorf("train: not saved, the trainer lease ended: %w", ctx.Err())
	}
	a.log.Info("recommendation models trained", "took", rep.Duration.Round(time.Millisecond).String(),
		"users", rep.Users, "products", rep.Items, "pairs", rep.Interactions)
	if saveHook != nil {
		saveHook(a)
	}
	if err := a.saveSnapshot(dctx, fence); err != nil {
		var sup *SupersededError
		if errors.As(err, &sup) {
			a.Metrics.TrainingRuns.WithLabelValues("superseded").Inc()
			a.log.Warn("model trained but not saved: another trainer saved a newer model meanwhile; serving that one",
				"trained_by", sup.Replica, "version", sup.Version)
			if err := a.loadStoredModel(dctx, true); err != nil {
				a.log.Error("load the newer model after a superseded training", "err", err)
			}
			return rep, err
		}
		a.Metrics.TrainingRuns.WithLabelValues("save_error").Inc()
		return rep, err
	}
	a.Metrics.TrainingRuns.WithLabelValues("ok").Inc()
	return rep, nil
}

// detach returns a context that keeps ctx's values but not its
// cancellation, ends when the App closes, and is counted until done is
// called, so Close waits for the work before closing the store.
func (a *App) detach(ctx context.Context) (context.Context, func(), error) {
	a.closeMu.Lock()
	if a.life.Err() != nil {
		a.closeMu.Unlock()
		return nil, nil, errors.New("app: closing")
	}
	a.work.Add(1)
	a.closeMu.Unlock()
	dctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	stop := context.AfterFunc(a.life, cancel)
	return dctx, func() { stop(); cancel(); a.work.Done() }, nil
}

// saveSnapshot writes the snapshot, retrying a failed write a few times,
// then clears the stale mark and collects the value log's garbage (the old
// snapshot). With nothing trained it removes the saved snapshot instead, so
// none with an erased user's factors can come back. A training's save
// passes its fence (nil: save whatever is stored, as erasures do).
func (a *App) saveSnapshot(ctx context.Context, fence *modelFence) error {
	a.rep.saveMu.Lock()
	defer a.rep.saveMu.Unlock()
	snap, err := a.Recommend.Snapshot()
	if errors.Is(err, recommend.ErrNotTrained) {
		if err := a.removeSnapshot(ctx); err != nil {
			return err
		}
		return a.snapshotSaved(ctx)
	}
	if err != nil {
		return fmt.Errorf("save model snapshot: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, saveTimeout)
	defer cancel()
	// An erasure's save with a bus catches up once with a newer stored
	// model (see errBehind); after that it saves what it has.
	catchUp := fence == nil && a.rep.bus != nil
	for attempt := 1; ; attempt++ {
		err = a.writeSnapshot(ctx, snap, fence, catchUp)
		if errors.Is(err, errBehind) {
			catchUp = false
			if s, ok := a.catchUpStoredModel(ctx); ok {
				snap = s
			}
			attempt--
			continue
		}
		var sup *SupersededError
		if err == nil || errors.As(err, &sup) || attempt == saveAttempts || ctx.Err() != nil {
			break
		}
		a.log.Warn("save model snapshot: retrying", "err", err, "attempt", attempt)
		select {
		case <-ctx.Done():
		case <-time.After(saveBackoff * time.Duration(attempt)):
		}
	}
	if sup := (*SupersededError)(nil); errors.As(err, &sup) {
		return fmt.Errorf("save model snapshot: %w", err)
	}
	if err != nil {
		a.log.Error("save model snapshot", "err", err)
		return fmt.Errorf("save model snapshot: %w", err)
	}
	return a.snapshotSaved(ctx)
}

// catchUpStoredModel loads the model stored by another replica's newer
// training, for an erasure's save on a replica that has not loaded it yet
// (its bus lags): Restore drops the users erased since, so the snapshot
// it returns is the newer training without them. ok=false: it could not
// be loaded, or a training runs here (loading would replace the model it
// is about to save), and the save goes on with the model served here.
func (a *App) catchUpStoredModel(ctx context.Context) ([]byte, bool) {
	// Not waiting: a training here takes trainMu before saveMu, held now.
	if !a.rep.trainMu.TryLock() {
		return nil, false
	}
	defer a.rep.trainMu.Unlock()
	if err := a.loadStoredModel(ctx, true); err != nil {
		a.log.Warn("after an erasure: load the newer stored model", "err", err)
		return nil, false
	}
	snap, err := a.Recommend.Snapshot()
	if err != nil {
		a.log.Warn("after an erasure: snapshot of the newer stored model", "err", err)
		return nil, false
	}
	return snap, true
}

// snapshotSaved clears what a successful save makes obsolete: the stale
// mark, a snapshot blob left by an older version, and the value log's
// garbage.
func (a *App) snapshotSaved(ctx context.Context) error {
	if err := a.Store.DeleteBlob(ctx, modelsNS, modelsStaleKey); err != nil {
		return fmt.Errorf("save model snapshot: %w", err)
	}
	if err := a.Store.DeleteBlob(ctx, modelsNS, modelsKey); err != nil {
		return fmt.Errorf("save model snapshot: %w", err)
	}
	if err := a.Store.CollectGarbage(ctx); err != nil {
		a.log.Warn("value log GC after saving the model snapshot", "err", err)
	}
	return nil
}

// trainWhenDue is the background trainer: the first training when there
// was no snapshot, then after TrainAfter new interactions or every
// TrainEvery if anything changed. Failures are logged (and counted by
// Train) and retried at the next trigger.
func (a *App) trainWhenDue(ctx context.Context) {
	// With replicas, another one may have trained since this one opened.
	if a.trainFirst && a.rep.model.Load() == nil {
		if _, err := a.train(ctx, true); err != nil && ctx.Err() == nil {
			a.log.Error("initial training", "err", err)
		}
		// Served or not, the model is what it can be for now.
		a.rep.modelReady.Store(true)
	}
	check := 5 * time.Second
	if every := a.cfg.TrainEvery; every > 0 && every < check {
		check = every
	}
	tick := time.NewTicker(check)
	defer tick.Stop()
	last := time.Now()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		pending := a.Recommend.Untrained()
		due := (a.cfg.TrainAfter > 0 && pending >= uint64(a.cfg.TrainAfter)) ||
			(a.cfg.TrainEvery > 0 && time.Since(last) >= a.cfg.TrainEvery && pending > 0)
		if !due {
			continue
		}
		a.log.InfoContext(ctx, "background training triggered", "new_interactions", pending)
		_, err := a.train(ctx, true)
		last = time.Now()
		var sup *SupersededError
		if err != nil && ctx.Err() == nil && !errors.As(err, &sup) { // superseded: logged by train
			a.log.ErrorContext(ctx, "background training failed", "err", err)
		}
	}
}
