package app

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shopmuse/shopmuse/bus"
	"github.com/shopmuse/shopmuse/copywriter"
	"github.com/shopmuse/shopmuse/engage"
	"github.com/shopmuse/shopmuse/internal/natstest"
	"github.com/shopmuse/shopmuse/internal/pgtest"
	"github.com/shopmuse/shopmuse/recommend"
	"github.com/shopmuse/shopmuse/shop"
	"github.com/shopmuse/shopmuse/store"
)

// Two replicas in one test process share one store with an outbox (in
// memory here, as PostgreSQL keeps it) and one NATS stream.

type replica struct {
	*App
	stop func()
}

// backend is the store replicas share in a test: PostgreSQL, as in
// production (SHOPMUSE_TEST_PG), or a Badger store with an outbox in
// memory, so that the bus is tested without PostgreSQL too.
type backend struct {
	name string
	// use points a replica's configuration at the store.
	use func(*Config)
	// pending counts the outbox changes not yet published.
	pending func() int
}

// open opens a replica without a bus over the backend's store, closed
// when the test ends.
func (be backend) open(t *testing.T, name string) *App {
	t.Helper()
	cfg := Config{Data: t.TempDir(), Replica: name, Logger: slog.New(quiet())}
	be.use(&cfg)
	a, err := Open(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	return a
}

// backends runs fn once per backend, each in a subtest.
func backends(t *testing.T, fn func(t *testing.T, be backend)) {
	t.Run("memory", func(t *testing.T) {
		st := sharedStore(t)
		fn(t, backend{name: "memory", use: func(c *Config) { c.OpenedStore = st }, pending: st.pending})
	})
	t.Run("postgres", func(t *testing.T) { fn(t, postgresBackend(t)) })
}

func postgresBackend(t testing.TB) backend {
	url := pgtest.NewDatabase(t)
	// The inspector's own connection: each replica opens its own pool.
	st, err := OpenStore(context.Background(), Config{Store: url, Logger: slog.New(quiet())})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	ob := st.(store.Outbox)
	return backend{name: "postgres", use: func(c *Config) { c.Store = url }, pending: func() int {
		cs, err := ob.PendingChanges(context.Background(), 0, 100_000)
		if err != nil {
			t.Errorf("outbox: %v", err)
		}
		return len(cs)
	}}
}

func sharedStore(t testing.TB) *outboxStore {
	t.Helper()
	st, err := store.Open("", store.Options{InMemory: true, Logger: slog.New(quiet())})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return &outboxStore{Store: st}
}

func startReplica(t testing.TB, be backend, bc bus.Config, name string, tweak func(*Config)) *replica {
	t.Helper()
	bc.LeaseTTL = 1500 * time.Millisecond
	cfg := Config{Data: t.TempDir(), Bus: &bc, Replica: name, Logger: slog.New(quiet())}
	be.use(&cfg)
	if tweak != nil {
		tweak(&cfg)
	}
	a, err := Open(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); a.Run(ctx) }()
	var once sync.Once
	r := &replica{App: a, stop: func() {
		once.Do(func() {
			cancel()
			<-done
			if err := a.Close(); err != nil {
				t.Errorf("close %s: %v", name, err)
			}
		})
	}}
	t.Cleanup(r.stop)
	return r
}

func eventually(t *testing.T, within time.Duration, what string, cond func() bool) time.Duration {
	t.Helper()
	start := time.Now()
	for !cond() {
		if time.Since(start) > within {
			t.Fatalf("%s: not within %v", what, within)
		}
		time.Sleep(5 * time.Millisecond)
	}
	return time.Since(start)
}

func recIDs(t *testing.T, a *App, user string) []string {
	t.Helper()
	recs, err := a.Recommend.Recommend(context.Background(), recommend.Request{UserID: user, N: 50, Placement: recommend.PlacementDiscover})
	if err != nil {
		t.Fatal(err)
	}
	ids := make([]string, len(recs))
	for i, r := range recs {
		ids[i] = r.ItemID
	}
	return ids
}

func TestReplicasApplyEachOthersWrites(t *testing.T) { backends(t, testReplicasApplyEachOthersWrites) }

func testReplicasApplyEachOthersWrites(t *testing.T, st backend) {
	url := natstest.URL(t)
	bc := bus.Config{URLs: url, Stream: natstest.Stream(t, url)}
	a := startReplica(t, st, bc, "a", nil)
	b := startReplica(t, st, bc, "b", nil)
	for _, r := range []*replica{a, b} {
		eventually(t, 10*time.Second, r.cfg.Replica+" ready", func() bool { ok, _ := r.Ready(); return ok })
	}
	seedShop(t, a.App)
	want := a.Recommend.Dataset().Stats()
	eventually(t, 10*time.Second, "b holds a's shop", func() bool { return b.Recommend.Dataset().Stats() == withSeq(b, want) })
	// a applied its own changes when they came back, and counted nothing twice.
	time.Sleep(200 * time.Millisecond)
	if got := a.Recommend.Dataset().Stats(); got != want {
		t.Fatalf("a after its own echo: %+v, want %+v", got, want)
	}

	// A write acknowledged by a changes b's recommendations within 1 s:
	// the viewed product leaves the shopper's list.
	ctx := context.Background()
	recs := recIDs(t, b.App, "user-00")
	if len(recs) == 0 {
		t.Fatal("no recommendations on b")
	}
	target := recs[0]
	if _, errs, err := a.RecordInteractions(ctx, []shop.InteractionInput{{UserID: "user-00", ProductID: target, Kind: shop.KindView}}); err != nil || errs != nil {
		t.Fatal(err, errs)
	}
	took := eventually(t, time.Second, "b's list to drop the product viewed on a", func() bool {
		return !slices.Contains(recIDs(t, b.App, "user-00"), target)
	})
	t.Logf("a's write reached b's recommendations in %v", took)

	// A product renamed on a is found by its new title on b; one deleted
	// on a leaves b's lists.
	if _, errs, err := a.UpsertProducts(ctx, []shop.ProductInput{{ID: "p01", Title: "独一无二的保温杯", Category: "家居/杯具",
		Price: &shop.MoneyInput{Amount: shop.Decimal(100)}}}); err != nil || errs != nil {
		t.Fatal(err, errs)
	}
	eventually(t, 2*time.Second, "b's search index to follow a rename", func() bool {
		hits := b.Search.Lexical("保温杯", 5, nil)
		return len(hits) > 0 && hits[0].ProductID == "p01"
	})
	victim := recIDs(t, b.App, "user-01")[0]
	if _, _, err := a.DeleteProducts(ctx, []string{victim}); err != nil {
		t.Fatal(err)
	}
	eventually(t, 2*time.Second, "b to stop recommending a product deleted on a", func() bool {
		return !slices.Contains(recIDs(t, b.App, "user-01"), victim)
	})
	// A new user on b, an erasure on a.
	if _, errs, err := b.UpsertUsers(ctx, []shop.UserInput{{ID: "newcomer"}}); err != nil || errs != nil {
		t.Fatal(err, errs)
	}
	eventually(t, 2*time.Second, "a to know b's new user", func() bool {
		return a.Recommend.Dataset().Stats().Users == b.Recommend.Dataset().Stats().Users
	})
	before := b.Recommend.Dataset().Stats()
	if _, _, err := a.DeleteUser(ctx, "user-02"); err != nil {
		t.Fatal(err)
	}
	eventually(t, 2*time.Second, "b to drop the user erased on a", func() bool {
		s := b.Recommend.Dataset().Stats()
		return s.Users == before.Users-1 && s.Interactions < before.Interactions
	})
	eventually(t, 2*time.Second, "the replicas to agree", func() bool {
		sa, sb := a.Recommend.Dataset().Stats(), b.Recommend.Dataset().Stats()
		sa.Seq, sb.Seq = 0, 0
		return sa == sb
	})
	eventually(t, 2*time.Second, "every outbox change published", func() bool { return st.pending() == 0 })

	// State another feature derives from blobs reloads through ReloadOn.
	var mu sync.Mutex
	var reloaded []string
	b.ReloadOn("rules", func(_ context.Context, keys []string) error {
		mu.Lock()
		defer mu.Unlock()
		reloaded = append(reloaded, keys...)
		return nil
	})
	if err := a.Store.PutBlob(ctx, "rules", "r1", []byte(`{}`)); err != nil {
		t.Fatal(err)
	}
	if err := a.Store.DeleteBlob(ctx, "rules", "r1"); err != nil {
		t.Fatal(err)
	}
	eventually(t, 2*time.Second, "b to reload the rules a wrote and deleted", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return slices.Equal(reloaded, []string{"r1", "r1"})
	})
}

// withSeq is want with b's own Seq (which counts what b added, not the shop).
func withSeq(b *replica, want recommend.Stats) recommend.Stats {
	want.Seq = b.Recommend.Dataset().Stats().Seq
	return want
}

func TestOneReplicaTrainsAndBothServeItsModel(t *testing.T) {
	backends(t, testOneReplicaTrainsAndBothServeItsModel)
}

func testOneReplicaTrainsAndBothServeItsModel(t *testing.T, st backend) {
	url := natstest.URL(t)
	bc := bus.Config{URLs: url, Stream: natstest.Stream(t, url)}
	fast := func(c *Config) { c.TrainAfter, c.TrainEvery = 1, 300*time.Millisecond }
	a := startReplica(t, st, bc, "a", fast)
	b := startReplica(t, st, bc, "b", fast)
	seedShop(t, a.App)
	var info ModelInfo
	eventually(t, 30*time.Second, "both replicas to serve one trained model", func() bool {
		ia, ib := a.ModelInfo(), b.ModelInfo()
		info = ia
		return ia.Version != "" && ia.Version == ib.Version
	})
	// The trainer counts its run after the save that both replicas already
	// serve, so wait for the count before reading who trained.
	var ra, rb float64
	eventually(t, 5*time.Second, "the trainer to count its run", func() bool {
		ra, rb = counted(t, a.Metrics.TrainingRuns.WithLabelValues("ok")), counted(t, b.Metrics.TrainingRuns.WithLabelValues("ok"))
		return ra+rb > 0
	})
	if (ra == 0) == (rb == 0) {
		t.Fatalf("trainings: a %v, b %v; want exactly one replica training", ra, rb)
	}
	trainer, other := a, b
	if rb > 0 {
		trainer, other = b, a
	}
	if info.TrainedBy != trainer.cfg.Replica || info.TrainedAt == nil {
		t.Fatalf("model info %+v, want trained by %s", info, trainer.cfg.Replica)
	}
	if got := other.ModelInfo(); got.Replica != other.cfg.Replica || got.TrainedBy != trainer.cfg.Replica {
		t.Fatalf("the other replica reports %+v", got)
	}
	// The trainer leaves: the other takes the lease and trains what comes.
	first := info.Version
	trainer.stop()
	ctx := context.Background()
	var its []shop.InteractionInput
	for u := range 12 {
		its = append(its, shop.InteractionInput{UserID: fmt.Sprintf("user-%02d", u), ProductID: "p03", Kind: shop.KindPurchase})
	}
	if _, errs, err := other.RecordInteractions(ctx, its); err != nil || errs != nil {
		t.Fatal(err, errs)
	}
	eventually(t, 30*time.Second, "the other replica to train after the trainer left", func() bool {
		m := other.ModelInfo()
		return m.Version != first && m.TrainedBy == other.cfg.Replica
	})
}

func TestCampaignResumesOnAnotherReplicaWithEachUserOnce(t *testing.T) {
	backends(t, testCampaignResumesOnAnotherReplicaWithEachUserOnce)
}

func testCampaignResumesOnAnotherReplicaWithEachUserOnce(t *testing.T, st backend) {
	url := natstest.URL(t)
	bc := bus.Config{URLs: url, Stream: natstest.Stream(t, url)}
	a := startReplica(t, st, bc, "a", nil)
	ctx := context.Background()
	seedShop(t, a.App)
	// Enough users that the campaign is still running when its owner stops.
	var us []shop.UserInput
	for i := range 600 {
		us = append(us, shop.UserInput{ID: fmt.Sprintf("c-%04d", i), Interests: []string{"摄影"}})
	}
	if _, errs, err := a.UpsertUsers(ctx, us); err != nil || errs != nil {
		t.Fatal(err, errs)
	}
	b := startReplica(t, st, bc, "b", nil)
	c, errs, err := a.Engage.CreateCampaign(ctx, engage.CampaignInput{Channel: copywriter.ChannelPush, ProductsPerUser: 1,
		Segment: &engage.Segment{Interests: []string{"摄影"}}})
	if err != nil || errs != nil {
		t.Fatal(err, errs)
	}
	// A watcher on b follows the campaign a runs.
	wctx, stopWatch := context.WithCancel(ctx)
	defer stopWatch()
	watch, err := b.Engage.Watch(wctx, c.ID)
	if err != nil || watch == nil {
		t.Fatalf("watch on b: %v", err)
	}
	var seenOnB atomic.Int64
	go func() {
		for st := range watch {
			seenOnB.Store(max(seenOnB.Load(), int64(st.Done)))
		}
	}()
	eventually(t, 20*time.Second, "a to start writing messages", func() bool {
		cur, _ := a.Engage.Campaign(ctx, c.ID)
		return cur != nil && cur.Done > 0
	})
	eventually(t, 5*time.Second, "b's watcher to see a's progress", func() bool { return seenOnB.Load() > 0 })
	// b does not run a campaign a holds.
	if got, _ := b.Engage.Campaign(ctx, c.ID); got.Status == engage.StatusCompleted {
		t.Skip("the campaign finished before its owner could stop; the machine is faster than this test assumes")
	}
	a.stop()
	stopped, _ := b.Engage.Campaign(ctx, c.ID)
	if stopped.Status == engage.StatusCompleted {
		t.Skip("the campaign finished before its owner stopped")
	}
	eventually(t, 60*time.Second, "b to finish the campaign", func() bool {
		cur, _ := b.Engage.Campaign(ctx, c.ID)
		return cur != nil && cur.Status == engage.StatusCompleted
	})
	done, _ := b.Engage.Campaign(ctx, c.ID)
	var users []string
	after := ""
	for {
		msgs, more, err := b.Engage.Messages(ctx, c.ID, 200, after)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range msgs {
			users = append(users, m.UserID)
			after = m.UserID
		}
		if !more {
			break
		}
	}
	sort.Strings(users)
	if len(slices.Compact(slices.Clone(users))) != len(users) {
		t.Fatal("a user has two messages")
	}
	if done.Total != 600 || done.Done != 600 || len(users)+done.Skipped != 600 || done.Messages != len(users) {
		t.Fatalf("campaign %+v with %d messages; want each of 600 users handled once", done, len(users))
	}
	t.Logf("stopped at %d of %d on a; b finished: %d messages, %d skipped", stopped.Done, stopped.Total, done.Messages, done.Skipped)
}

func TestWritesDuringANATSOutageAreRelayedLater(t *testing.T) {
	backends(t, testWritesDuringANATSOutageAreRelayedLater)
}

func testWritesDuringANATSOutageAreRelayedLater(t *testing.T, st backend) {
	srv := natstest.StartServer(t)
	bc := bus.Config{URLs: srv.URL(), Stream: "shopmuse"}
	a := startReplica(t, st, bc, "a", nil)
	b := startReplica(t, st, bc, "b", nil)
	ctx := context.Background()
	if _, errs, err := a.UpsertProducts(ctx, []shop.ProductInput{{ID: "p1", Title: "相机", Category: "数码/相机",
		Price: &shop.MoneyInput{Amount: shop.Decimal(100)}}}); err != nil || errs != nil {
		t.Fatal(err, errs)
	}
	eventually(t, 5*time.Second, "b to know p1", func() bool { return b.Recommend.Dataset().Stats().Products == 1 })
	srv.Stop()
	// Writes succeed with NATS down: the store holds them and their outbox rows.
	if _, errs, err := a.UpsertProducts(ctx, []shop.ProductInput{{ID: "p2", Title: "镜头", Category: "数码/相机",
		Price: &shop.MoneyInput{Amount: shop.Decimal(100)}}}); err != nil || errs != nil {
		t.Fatal(err, errs)
	}
	time.Sleep(500 * time.Millisecond)
	if n := st.pending(); n == 0 {
		t.Fatal("the change made with NATS down is not pending")
	}
	if b.Recommend.Dataset().Stats().Products != 1 {
		t.Fatal("b learnt of p2 with NATS down?")
	}
	srv.Start()
	eventually(t, 15*time.Second, "b to learn of p2 once NATS is back", func() bool { return b.Recommend.Dataset().Stats().Products == 2 })
	eventually(t, 5*time.Second, "the outbox to empty", func() bool { return st.pending() == 0 })
}

func TestARestartedReplicaCatchesUp(t *testing.T) { backends(t, testARestartedReplicaCatchesUp) }

func testARestartedReplicaCatchesUp(t *testing.T, st backend) {
	url := natstest.URL(t)
	bc := bus.Config{URLs: url, Stream: natstest.Stream(t, url)}
	a := startReplica(t, st, bc, "a", nil)
	b := startReplica(t, st, bc, "b", nil)
	seedShop(t, a.App)
	eventually(t, 10*time.Second, "b to hold a's shop", func() bool {
		return b.Recommend.Dataset().Stats().Interactions == a.Recommend.Dataset().Stats().Interactions
	})
	b.stop()
	// Writes while b is away.
	ctx := context.Background()
	var its []shop.InteractionInput
	for u := range 12 {
		its = append(its, shop.InteractionInput{UserID: fmt.Sprintf("user-%02d", u), ProductID: "p05", Kind: shop.KindClick})
	}
	if _, errs, err := a.RecordInteractions(ctx, its); err != nil || errs != nil {
		t.Fatal(err, errs)
	}
	// b comes back: it replays the store and consumes from the stream's end
	// as it found it; writes racing with its start count once.
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range 20 {
			a.RecordInteractions(ctx, []shop.InteractionInput{{UserID: "user-01", ProductID: fmt.Sprintf("p%02d", i), Kind: shop.KindLike}})
		}
	}()
	b2 := startReplica(t, st, bc, "b2", nil)
	<-done
	eventually(t, 10*time.Second, "the restarted replica to be ready", func() bool { ok, _ := b2.Ready(); return ok })
	eventually(t, 5*time.Second, "the restarted replica to hold exactly what a holds", func() bool {
		sa, sb := a.Recommend.Dataset().Stats(), b2.Recommend.Dataset().Stats()
		return sa.Interactions == sb.Interactions && sa.Users == sb.Users && sa.Products == sb.Products
	})
	time.Sleep(300 * time.Millisecond)
	if sa, sb := a.Recommend.Dataset().Stats(), b2.Recommend.Dataset().Stats(); sa.Interactions != sb.Interactions {
		t.Fatalf("interactions: a %d, restarted b %d", sa.Interactions, sb.Interactions)
	}
}
