package app

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/shopmuse/shopmuse/embeddings"
	"github.com/shopmuse/shopmuse/shop"
)

// onLog is a slog handler that calls fn once when a record with the given
// message is logged: a test's hook into the middle of training.
type onLog struct {
	slog.Handler
	msg  string
	once *sync.Once
	fn   func()
}

func (h onLog) Handle(ctx context.Context, r slog.Record) error {
	if r.Message == h.msg {
		h.once.Do(h.fn)
	}
	return h.Handler.Handle(ctx, r)
}
func (h onLog) WithAttrs(as []slog.Attr) slog.Handler {
	h.Handler = h.Handler.WithAttrs(as)
	return h
}
func (h onLog) WithGroup(g string) slog.Handler { h.Handler = h.Handler.WithGroup(g); return h }

func quiet() slog.Handler { return slog.NewTextHandler(io.Discard, nil) }

func open(t *testing.T, dir string, h slog.Handler) *App {
	t.Helper()
	a, err := Open(context.Background(), Config{Data: dir, Logger: slog.New(h)})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// seedShop writes a small shop through the use cases: 30 products in two
// categories, 12 users, each viewing and buying within one category.
func seedShop(t testing.TB, a *App) {
	t.Helper()
	ctx := context.Background()
	var ps []shop.ProductInput
	for i := range 30 {
		ps = append(ps, shop.ProductInput{ID: fmt.Sprintf("p%02d", i), Title: fmt.Sprintf("商品%d", i),
			Category: []string{"数码/手机", "家居/杯具"}[i%2], Price: &shop.MoneyInput{Amount: shop.Decimal(100 * (i + 1))}})
	}
	if _, errs, err := a.UpsertProducts(ctx, ps); err != nil || errs != nil {
		t.Fatal(err, errs)
	}
	var us []shop.UserInput
	var its []shop.InteractionInput
	at := time.Now().Add(-48 * time.Hour)
	for u := range 12 {
		id := fmt.Sprintf("user-%02d", u)
		us = append(us, shop.UserInput{ID: id})
		for k := range 8 {
			when := at.Add(time.Duration(u*10+k) * time.Minute)
			kind := shop.KindView
			if k%3 == 0 {
				kind = shop.KindPurchase
			}
			its = append(its, shop.InteractionInput{UserID: id, ProductID: fmt.Sprintf("p%02d", (u%2)+2*((u+k)%15)),
				Kind: kind, OccurredAt: &when})
		}
	}
	if _, errs, err := a.UpsertUsers(ctx, us); err != nil || errs != nil {
		t.Fatal(err, errs)
	}
	if _, errs, err := a.RecordInteractions(ctx, its); err != nil || errs != nil {
		t.Fatal(err, errs)
	}
}

func counted(t *testing.T, c prometheus.Counter) float64 {
	t.Helper()
	var m dto.Metric
	if err := c.Write(&m); err != nil {
		t.Fatal(err)
	}
	return m.GetCounter().GetValue()
}

func savedSnapshot(t *testing.T, a *App) []byte {
	t.Helper()
	b, ok, err := readSnapshotFile(a.cfg.SnapshotPath())
	if err != nil {
		t.Fatal(err)
	}
	if !ok {
		return nil
	}
	return b
}

// A client that hangs up in the middle of trainModels still gets the
// models trained and saved (the snapshot used to be saved with the request
// context, which the store refuses once cancelled).
func TestTrainSavesWhenTheClientHangsUpMidTraining(t *testing.T) {
	ctx, hangUp := context.WithCancel(context.Background())
	defer hangUp()
	a := open(t, t.TempDir(), onLog{Handler: quiet(), msg: "training started", once: &sync.Once{}, fn: hangUp})
	defer a.Close()
	seedShop(t, a)
	if _, err := a.Train(ctx); err != nil {
		t.Fatalf("Train after the client hung up: %v", err)
	}
	if ctx.Err() == nil {
		t.Fatal("the hook did not hang up mid-training")
	}
	if savedSnapshot(t, a) == nil {
		t.Fatal("no model snapshot saved after the client hung up")
	}
	if n := counted(t, a.Metrics.TrainingRuns.WithLabelValues("ok")); n != 1 {
		t.Fatalf("training_runs{outcome=ok} = %v, want 1", n)
	}
}

// hangsUpAfterCommit is a request context that the client abandons once
// the store has erased the user: the snapshot save comes after that. It
// checks whenever anyone looks at it.
type hangsUpAfterCommit struct {
	context.Context
	cancel context.CancelFunc
	gone   func() bool
}

func (c hangsUpAfterCommit) check() {
	if c.gone() {
		c.cancel()
	}
}
func (c hangsUpAfterCommit) Err() error            { c.check(); return c.Context.Err() }
func (c hangsUpAfterCommit) Done() <-chan struct{} { c.check(); return c.Context.Done() }

// deleteUser's model save survives a cancelled request: the erased user's
// factors must leave the disk, not only the memory.
func TestDeleteUserSavesModelsDespiteACancelledRequest(t *testing.T) {
	dir := t.TempDir()
	a := trainedWithVictim(t, dir)
	req, cancel := context.WithCancel(context.Background())
	defer cancel()
	ctx := hangsUpAfterCommit{Context: req, cancel: cancel, gone: func() bool {
		u, _ := a.Store.User(context.Background(), victim)
		return u == nil
	}}
	existed, errs, err := a.DeleteUser(ctx, victim)
	if err != nil || errs != nil || !existed {
		t.Fatalf("DeleteUser: %v %v %v", existed, errs, err)
	}
	if ctx.Err() == nil {
		t.Fatal("the request does not read as abandoned after the erasure: the test proves nothing")
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	a = open(t, dir, quiet())
	defer a.Close()
	if snap := savedSnapshot(t, a); snap == nil || bytes.Contains(snap, []byte(victim)) {
		t.Fatalf("after the erasure the saved snapshot still names %s (or is gone: %v)", victim, snap == nil)
	}
}

// Every training run is counted: a background training that shutdown
// interrupts counts as an error, and the next one as ok.
func TestTrainingRunsAreCounted(t *testing.T) {
	bg, shutdown := context.WithCancel(context.Background())
	a := open(t, t.TempDir(), onLog{Handler: quiet(), msg: "training started", once: &sync.Once{}, fn: shutdown})
	defer a.Close()
	seedShop(t, a)
	if _, err := a.train(bg, true); err == nil {
		t.Fatal("a background training interrupted by shutdown reported success")
	}
	if _, err := a.Train(context.Background()); err != nil {
		t.Fatal(err)
	}
	for outcome, want := range map[string]float64{"error": 1, "ok": 1} {
		if n := counted(t, a.Metrics.TrainingRuns.WithLabelValues(outcome)); n != want {
			t.Errorf("training_runs{outcome=%s} = %v, want %v", outcome, n, want)
		}
	}
}

// The background trainer trains when enough interactions arrived, and
// saves what it trained.
func TestBackgroundTrainerTrainsWhenDue(t *testing.T) {
	a, err := Open(context.Background(), Config{Data: t.TempDir(), Logger: slog.New(quiet()),
		TrainAfter: 5, TrainEvery: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { a.Run(ctx); close(done) }()
	seedShop(t, a)
	deadline := time.Now().Add(20 * time.Second)
	for (savedSnapshot(t, a) == nil || a.Recommend.Untrained() > 0) && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	<-done
	if savedSnapshot(t, a) == nil {
		t.Fatal("the background trainer did not train and save")
	}
	if a.Recommend.Untrained() != 0 {
		t.Errorf("%d interactions still untrained after the background training", a.Recommend.Untrained())
	}
}

// A failed snapshot save after an erasure must not let the old snapshot,
// with the erased user's factors, serve again after a restart: the next
// start trains without the user.
func TestFailedSaveAfterErasureRetrainsAtStart(t *testing.T) {
	dir := t.TempDir()
	a := trainedWithVictim(t, dir)
	a.putSnapshot = func(context.Context, []byte) error { return fmt.Errorf("disk full") }
	if _, _, err := a.DeleteUser(context.Background(), victim); err == nil {
		t.Fatal("DeleteUser reported success although the snapshot could not be saved")
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	a = open(t, dir, quiet())
	defer a.Close()
	if !a.trainFirst {
		t.Fatal("the snapshot from before the erasure was restored")
	}
	if _, err := a.Train(context.Background()); err != nil {
		t.Fatal(err)
	}
	if snap := savedSnapshot(t, a); snap == nil || bytes.Contains(snap, []byte(victim)) {
		t.Fatalf("after retraining the snapshot names %s (or is gone: %v)", victim, snap == nil)
	}
	a.Close()
	a = open(t, dir, quiet())
	if a.trainFirst {
		t.Fatal("a snapshot saved after the erasure was not restored")
	}
}

// allocated is the disk space the files under dir take (blocks, not
// apparent sizes: Badger's files are sparse).
func allocated(t *testing.T, dir string) int64 {
	t.Helper()
	var n int64
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		if st, ok := fi.Sys().(*syscall.Stat_t); ok {
			n += st.Blocks * 512
		} else {
			n += fi.Size()
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// Training rewrites the snapshot each time; 50 trainings of the demo shop
// must not leave 50 snapshots on disk.
func TestDiskStaysBoundedOverTrainings(t *testing.T) {
	dir := t.TempDir()
	a, err := Open(context.Background(), Config{Data: dir, Demo: true, Logger: slog.New(quiet())})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	var base int64
	for i := range 50 {
		if _, err := a.Train(context.Background()); err != nil {
			t.Fatal(err)
		}
		if i == 4 {
			base = allocated(t, dir)
		}
	}
	snap := int64(len(savedSnapshot(t, a)))
	grew := allocated(t, dir) - base
	t.Logf("snapshot %d bytes; disk grew %d bytes over 45 trainings", snap, grew)
	if grew > 4*snap {
		t.Fatalf("disk grew %d bytes over 45 trainings of a %d-byte snapshot", grew, snap)
	}
}

// The demo shop goes in through the use cases after search opened on an
// empty store; the built-in embedder must still be fitted on it before the
// first query (it used to wait for a restart).
func TestDemoSeedFitsTheEmbedder(t *testing.T) {
	a, err := Open(context.Background(), Config{Data: t.TempDir(), Demo: true, Logger: slog.New(quiet())})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, ok := a.Search.Embedder().(*embeddings.Builtin)
	if !ok {
		t.Fatalf("embedder %T, want the built-in one", a.Search.Embedder())
	}
	n, err := a.Store.CountProducts(context.Background(), nil)
	if err != nil || n < 100 {
		t.Fatalf("demo catalogue: %d products, %v", n, err)
	}
	if b.ShouldRefit(n) {
		t.Fatalf("the built-in embedder is not fitted on the %d demo products", n)
	}
}

// victim is the user the erasure tests erase.
const victim = "user-07"

// trainedWithVictim opens an app on dir with the small shop trained and
// saved, and checks the saved snapshot names the victim, so a test can see
// it leave.
func trainedWithVictim(t *testing.T, dir string) *App {
	t.Helper()
	a := open(t, dir, quiet())
	seedShop(t, a)
	if _, err := a.Train(context.Background()); err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(savedSnapshot(t, a), []byte(victim)) {
		t.Fatalf("the snapshot does not name %s before the erasure; the test cannot see it leave", victim)
	}
	return a
}
