package app

import (
	"context"
	"errors"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shopmuse/shopmuse/bus"
	"github.com/shopmuse/shopmuse/internal/natstest"
)

func TestExplicitTrainingRunsOnlyOnTheTrainer(t *testing.T) {
	backends(t, testExplicitTrainingRunsOnlyOnTheTrainer)
}

// trainModels on a replica that does not hold the trainer lease trains
// nothing and names the one that does; on the holder it trains; with the
// lease free, the replica asked takes it.
func testExplicitTrainingRunsOnlyOnTheTrainer(t *testing.T, st backend) {
	ctx := context.Background()
	url := natstest.URL(t)
	bc := bus.Config{URLs: url, Stream: natstest.Stream(t, url)}
	a := startReplica(t, st, bc, "a", nil)
	seedShop(t, a.App)
	holder := func(r *replica) string {
		h, err := r.rep.bus.Holder(ctx, leaseTrainer)
		if err != nil {
			t.Fatal(err)
		}
		return h
	}
	eventually(t, 10*time.Second, "a to hold the trainer lease", func() bool { return holder(a) == "a" })
	b := startReplica(t, st, bc, "b", nil)
	runs := func(r *replica) float64 {
		return counted(t, r.Metrics.TrainingRuns.WithLabelValues("ok")) + counted(t, r.Metrics.TrainingRuns.WithLabelValues("error")) +
			counted(t, r.Metrics.TrainingRuns.WithLabelValues("save_error"))
	}
	before := runs(b)
	_, err := b.Train(ctx)
	var elsewhere *TrainsElsewhereError
	if !errors.As(err, &elsewhere) || elsewhere.Replica != "a" {
		t.Fatalf("trainModels on b while a holds the trainer lease: %v, want a TrainsElsewhereError naming a", err)
	}
	if runs(b) != before {
		t.Fatal("b trained while a holds the trainer lease")
	}
	aBefore := counted(t, a.Metrics.TrainingRuns.WithLabelValues("ok"))
	if _, err := a.Train(ctx); err != nil {
		t.Fatalf("trainModels on the trainer: %v", err)
	}
	if counted(t, a.Metrics.TrainingRuns.WithLabelValues("ok")) != aBefore+1 {
		t.Fatal("the trainer did not train on request")
	}
	// The trainer leaves: b, asked, trains (under the lease it or its
	// background trainer takes).
	a.stop()
	bBefore := counted(t, b.Metrics.TrainingRuns.WithLabelValues("ok"))
	eventually(t, 10*time.Second, "the lease to be free or b's", func() bool { h := holder(b); return h == "" || h == "b" })
	if _, err := b.Train(ctx); err != nil {
		t.Fatalf("trainModels on b after a left: %v", err)
	}
	if counted(t, b.Metrics.TrainingRuns.WithLabelValues("ok")) != bBefore+1 {
		t.Fatal("b did not train on request")
	}
}

// A replica without a background trainer (Open, not Run) takes the free
// lease for the call and gives it back after.
func TestExplicitTrainingTakesAFreeTrainerLease(t *testing.T) {
	ctx := context.Background()
	url := natstest.URL(t)
	bc := bus.Config{URLs: url, Stream: natstest.Stream(t, url), Replica: "x", LeaseTTL: 1500 * time.Millisecond}
	st := sharedStore(t)
	x, err := Open(ctx, Config{Data: t.TempDir(), Bus: &bc, Replica: "x", Logger: slog.New(quiet()), OpenedStore: st})
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	seedShop(t, x)
	var during string
	trainHook = func() { during, _ = x.rep.bus.Holder(ctx, leaseTrainer) }
	defer func() { trainHook = nil }()
	if _, err := x.Train(ctx); err != nil {
		t.Fatal(err)
	}
	if during != "x" {
		t.Fatalf("the trainer lease was held by %q during the training, want x", during)
	}
	if h, err := x.rep.bus.Holder(ctx, leaseTrainer); err != nil || h != "" {
		t.Fatalf("after the training the trainer lease is held by %q (%v), want free", h, err)
	}
}

// Two trainModels at once on a replica that took the free lease for the
// first: the second trains under the same lease, after the first, instead
// of failing (it found its own replica holding the lease, neither free nor
// elsewhere), and the lease is free once both are done.
func TestExplicitTrainingsAtOnceShareTheLease(t *testing.T) {
	ctx := context.Background()
	url := natstest.URL(t)
	bc := bus.Config{URLs: url, Stream: natstest.Stream(t, url), Replica: "x", LeaseTTL: 1500 * time.Millisecond}
	st := sharedStore(t)
	x, err := Open(ctx, Config{Data: t.TempDir(), Bus: &bc, Replica: "x", Logger: slog.New(quiet()), OpenedStore: st})
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	seedShop(t, x)
	var calls atomic.Int32
	entered := make(chan struct{}, 2)
	hold := make(chan struct{})
	trainHook = func() {
		calls.Add(1)
		entered <- struct{}{}
		<-hold
	}
	defer func() { trainHook = nil }()
	errs := make(chan error, 2)
	go func() { _, err := x.Train(ctx); errs <- err }()
	<-entered // the first trains, holding the lease
	go func() { _, err := x.Train(ctx); errs <- err }()
	// The second shares the lease and waits its turn (this process's
	// trainings take turns, see modelFence): it must neither fail nor be
	// turned away while the first trains.
	select {
	case err := <-errs:
		close(hold)
		t.Fatalf("a second trainModels while the first trains on the same replica: %v", err)
	case <-time.After(500 * time.Millisecond):
	}
	close(hold)
	for range 2 {
		if err := <-errs; err != nil {
			t.Fatalf("trainModels: %v", err)
		}
	}
	x.rep.explicitMu.Lock()
	kept := x.rep.explicit
	x.rep.explicitMu.Unlock()
	if kept != nil {
		t.Fatal("after both trainings the explicit trainer lease is still kept")
	}
	if h, err := x.rep.bus.Holder(ctx, leaseTrainer); err != nil || h != "" {
		t.Fatalf("after both trainings the trainer lease is held by %q (%v), want free", h, err)
	}
	if n := calls.Load(); n != 2 {
		t.Fatalf("%d trainings, want 2", n)
	}
}
