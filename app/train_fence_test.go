package app

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/shopmuse/shopmuse/bus"
	"github.com/shopmuse/shopmuse/internal/natstest"
	"github.com/shopmuse/shopmuse/shop"
)

func TestAStaleTrainersSaveIsRefused(t *testing.T) { backends(t, testAStaleTrainersSaveIsRefused) }

// trainersFromOneModel opens replicas a and b over one store and bus (no
// background trainers: the test trains), with a model b trained saved.
func trainersFromOneModel(t *testing.T, st backend) (a, b *App) {
	t.Helper()
	ctx := context.Background()
	url := natstest.URL(t)
	bc := bus.Config{URLs: url, Stream: natstest.Stream(t, url), LeaseTTL: 1500 * time.Millisecond}
	open := func(name string) *App {
		c := bc
		c.Replica = name
		cfg := Config{Data: t.TempDir(), Bus: &c, Replica: name, Logger: slog.New(quiet())}
		st.use(&cfg)
		r, err := Open(ctx, cfg)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { r.Close() })
		return r
	}
	a = open("a")
	seedShop(t, a)
	b = open("b")
	if _, err := b.train(ctx, true); err != nil {
		t.Fatal(err)
	}
	return a, b
}

// pausedBeforeSave starts a training on a that stops just before its save
// until resume is called (at the latest when the test ends, before a
// closes); its error arrives on done.
func pausedBeforeSave(t *testing.T, a *App) (resume func(), done chan error) {
	t.Helper()
	paused, resumed := make(chan struct{}), make(chan struct{})
	var once, resumeOnce sync.Once
	saveHook = func(r *App) {
		if r == a {
			once.Do(func() {
				close(paused)
				<-resumed
			})
		}
	}
	resume = func() { resumeOnce.Do(func() { close(resumed) }) }
	t.Cleanup(func() { resume(); saveHook = nil })
	done = make(chan error, 1)
	go func() { _, err := a.train(context.Background(), true); done <- err }()
	<-paused
	return resume, done
}

// Two trainers start from the same stored model: a pauses just before its
// save (past its lease, as after a GC pause or SIGSTOP, but after its last
// look at the lease), b trains on newer data and saves. a's save is
// refused and counted as superseded; the store keeps b's model, and a
// serves it too.
func testAStaleTrainersSaveIsRefused(t *testing.T, st backend) {
	ctx := context.Background()
	a, b := trainersFromOneModel(t, st)
	resume, aDone := pausedBeforeSave(t, a)

	// Meanwhile b, the trainer now, learns from newer events and saves.
	when := time.Now().Add(-time.Hour)
	var its []shop.InteractionInput
	for k := range 10 {
		its = append(its, shop.InteractionInput{UserID: "user-01", ProductID: fmt.Sprintf("p%02d", 2*k), Kind: shop.KindPurchase, OccurredAt: &when})
	}
	if _, errs, err := b.RecordInteractions(ctx, its); err != nil || errs != nil {
		t.Fatal(err, errs)
	}
	if _, err := b.train(ctx, true); err != nil {
		t.Fatalf("b's training: %v", err)
	}
	newer := b.ModelInfo().Version

	resume()
	err := <-aDone
	var sup *SupersededError
	if !errors.As(err, &sup) {
		t.Fatalf("a's late save: %v, want it refused as superseded", err)
	}
	if n := counted(t, a.Metrics.TrainingRuns.WithLabelValues("superseded")); n != 1 {
		t.Errorf("a: training_runs{outcome=superseded} = %v, want 1", n)
	}
	if n := counted(t, a.Metrics.TrainingRuns.WithLabelValues("ok")); n != 0 {
		t.Errorf("a: training_runs{outcome=ok} = %v, want 0", n)
	}
	info, ok, err := a.storedModelInfo(ctx)
	if err != nil || !ok {
		t.Fatalf("stored model info: %v %v", ok, err)
	}
	if info.TrainedBy != "b" || info.Version != newer {
		t.Fatalf("the store holds the model of %s (%s), want b's (%s)", info.TrainedBy, info.Version, newer)
	}
	snap, ok, err := a.readSnapshot(ctx)
	if err != nil || !ok || snapshotVersion(snap) != newer {
		t.Fatalf("the stored snapshot is not b's: %v %v", ok, err)
	}
	if got := a.ModelInfo(); got.Version != newer || got.TrainedBy != "b" {
		t.Fatalf("a serves %s by %s, want b's %s", got.Version, got.TrainedBy, newer)
	}

	// A training that starts after b's save is no stale one: it saves.
	if _, err := a.train(ctx, true); err != nil {
		t.Fatalf("a's next training: %v", err)
	}
	if info, _, _ := a.storedModelInfo(ctx); info.TrainedBy != "a" || info.Generation != 3 {
		t.Fatalf("after a's next training the store holds %+v, want a's, generation 3", info)
	}
}

func TestAnErasuresSaveDoesNotSupersedeATraining(t *testing.T) {
	backends(t, testAnErasuresSaveDoesNotSupersedeATraining)
}

// An erasure re-saves the stored model without the user while a training
// runs: that rewrites the model's info, but it is no newer training, so
// the training still saves (the fence is the generation, not the info's
// version).
func testAnErasuresSaveDoesNotSupersedeATraining(t *testing.T, st backend) {
	ctx := context.Background()
	a, b := trainersFromOneModel(t, st)
	_, before, err := a.Store.GetBlobVersion(ctx, modelsNS, modelsInfoKey)
	if err != nil {
		t.Fatal(err)
	}
	resume, aDone := pausedBeforeSave(t, a)
	if _, errs, err := b.DeleteUser(ctx, "user-03"); err != nil || errs != nil {
		t.Fatal(err, errs)
	}
	info, _, err := a.storedModelInfo(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, after, _ := a.Store.GetBlobVersion(ctx, modelsNS, modelsInfoKey); after == before || info.Generation != 1 {
		t.Fatalf("the erasure did not re-save the stored model (version %d → %d, %+v): the test tests nothing", before, after, info)
	}
	resume()
	if err := <-aDone; err != nil {
		t.Fatalf("a's training after an erasure's save: %v, want saved", err)
	}
	if info, _, _ := a.storedModelInfo(ctx); info.TrainedBy != "a" || info.Generation != 2 {
		t.Fatalf("the store holds %+v, want a's training, generation 2", info)
	}
}

// Trainings on one replica take turns: the second, queued behind the
// first, saves after it rather than being taken for a stale trainer.
func TestTrainingsOnOneReplicaQueueRatherThanSupersede(t *testing.T) {
	shared := sharedStore(t)
	st := backend{use: func(c *Config) { c.OpenedStore = shared }}
	a, _ := trainersFromOneModel(t, st)
	resume, first := pausedBeforeSave(t, a)
	second := make(chan error, 1)
	go func() { _, err := a.train(context.Background(), true); second <- err }()
	time.Sleep(50 * time.Millisecond) // the second reaches the turn (no timing is asserted)
	resume()
	for i, done := range []chan error{first, second} {
		if err := <-done; err != nil {
			t.Fatalf("training %d: %v", i+1, err)
		}

	}
	if n := counted(t, a.Metrics.TrainingRuns.WithLabelValues("ok")); n != 2 {
		t.Fatalf("training_runs{outcome=ok} = %v, want 2", n)
	}
	if info, _, _ := a.storedModelInfo(context.Background()); info.TrainedBy != "a" || info.Generation != 3 {
		t.Fatalf("the store holds %+v, want a's second training, generation 3", info)
	}
}

func TestAnErasuresSaveKeepsTheStoredGeneration(t *testing.T) {
	backends(t, testAnErasuresSaveKeepsTheStoredGeneration)
}

// A replica still serving an older model erases a user and saves that
// model after a newer training was saved (it does not load the newer one,
// as in TestAnErasuresSaveKeepsANewerTraining, while a training of its
// own runs): the stored generation is not lowered, so a trainer that
// started from the older model is still refused afterwards. (The eraser here is the paused trainer's replica
// itself, serving generation 1: erasures save under their own lock, not
// the trainings' turn.)
func testAnErasuresSaveKeepsTheStoredGeneration(t *testing.T, st backend) {
	ctx := context.Background()
	a, b := trainersFromOneModel(t, st)
	if err := a.reloadModel(ctx); err != nil {
		t.Fatal(err)
	}
	resume, aDone := pausedBeforeSave(t, a) // a stale trainer, from generation 1
	if _, err := b.train(ctx, true); err != nil {
		t.Fatal(err)
	}
	if g := a.ModelInfo(); g.TrainedBy != "b" || a.rep.model.Load().Generation != 1 {
		t.Fatalf("a serves %+v, want b's generation 1", g)
	}
	if _, errs, err := a.DeleteUser(ctx, "user-03"); err != nil || errs != nil {
		t.Fatal(err, errs)
	}
	info, _, err := a.storedModelInfo(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if info.TrainedBy != "a" || info.Generation != 2 {
		t.Fatalf("after a's erasure the store holds %+v, want a's save keeping generation 2", info)
	}
	resume()
	var sup *SupersededError
	if err := <-aDone; !errors.As(err, &sup) {
		t.Fatalf("the stale trainer's save: %v, want superseded", err)
	}
}

func TestAnErasuresSaveKeepsANewerTraining(t *testing.T) {
	backends(t, testAnErasuresSaveKeepsANewerTraining)
}

// A replica whose bus lags (it serves generation 1) erases a user after
// another replica saved a newer training (generation 2). The erasure's
// save must not put the older model back over the newer one: the store
// ends up with the newer training without the erased user, and the
// eraser serves it.
func testAnErasuresSaveKeepsANewerTraining(t *testing.T, st backend) {
	ctx := context.Background()
	a, b := trainersFromOneModel(t, st)
	if err := a.reloadModel(ctx); err != nil {
		t.Fatal(err)
	}
	when := time.Now().Add(-time.Hour)
	var its []shop.InteractionInput
	for k := range 10 {
		its = append(its, shop.InteractionInput{UserID: "user-01", ProductID: fmt.Sprintf("p%02d", 2*k+1), Kind: shop.KindPurchase, OccurredAt: &when})
	}
	if _, errs, err := b.RecordInteractions(ctx, its); err != nil || errs != nil {
		t.Fatal(err, errs)
	}
	if _, err := b.train(ctx, true); err != nil {
		t.Fatal(err)
	}
	if g := a.rep.model.Load(); g.Generation != 1 {
		t.Fatalf("a serves generation %d, want 1 (no consumer runs here)", g.Generation)
	}
	const erased = "user-03"
	if _, errs, err := a.DeleteUser(ctx, erased); err != nil || errs != nil {
		t.Fatal(err, errs)
	}
	snap, ok, err := a.readSnapshot(ctx)
	if err != nil || !ok {
		t.Fatalf("stored snapshot: %v %v", ok, err)
	}
	if bytes.Contains(snap, []byte(erased)) {
		t.Fatal("the stored snapshot holds the erased user")
	}
	// What b holds once the erasure reaches it: its own training without
	// the user. The eraser saved that, not its older model.
	b.Recommend.DeleteUser(erased)
	want, err := b.Recommend.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(snap, want) {
		t.Fatalf("the erasure's save replaced b's newer training (%s) with another model (%s)", snapshotVersion(want), snapshotVersion(snap))
	}
	if info, _, _ := a.storedModelInfo(ctx); info.Generation != 2 || info.Version != snapshotVersion(snap) {
		t.Fatalf("stored info %+v, want generation 2 describing the stored snapshot", info)
	}
	if got := a.ModelInfo(); got.Version != snapshotVersion(snap) {
		t.Fatalf("a serves %s, want the saved %s", got.Version, snapshotVersion(snap))
	}
}
