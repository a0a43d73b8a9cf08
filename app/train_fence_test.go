package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"testing"
	"time"

	"github.com/shopmuse/shopmuse/bus"
	"github.com/shopmuse/shopmuse/internal/natstest"
	"github.com/shopmuse/shopmuse/shop"
)

func TestAStaleTrainersSaveIsRefused(t *testing.T) { backends(t, testAStaleTrainersSaveIsRefused) }

// Two trainers start from the same stored model: a pauses just before its
// save (past its lease, as after a GC pause or SIGSTOP, but after its last
// look at the lease), b trains on newer data and saves. a's save is
// refused and counted as superseded; the store keeps b's model, and a
// serves it too.
func testAStaleTrainersSaveIsRefused(t *testing.T, st backend) {
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
	a := open("a")
	seedShop(t, a)
	b := open("b")
	if _, err := b.train(ctx, true); err != nil { // the model both start from
		t.Fatal(err)
	}

	paused, resume := make(chan struct{}), make(chan struct{})
	saveHook = func(r *App) {
		if r == a {
			close(paused)
			<-resume
		}
	}
	defer func() { saveHook = nil }()
	aDone := make(chan error, 1)
	go func() { _, err := a.train(ctx, true); aDone <- err }()
	<-paused

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

	close(resume)
	err := <-aDone
	saveHook = nil
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
