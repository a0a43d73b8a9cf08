package app

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/shopmuse/shopmuse/bus"
	"github.com/shopmuse/shopmuse/internal/natstest"
	"github.com/shopmuse/shopmuse/internal/pgtest"
	"github.com/shopmuse/shopmuse/shop"
)

// GDPR across replicas: interactions written while NATS is down wait in the
// outbox; the user is erased before NATS comes back. Their interactions
// must never reach the stream (which keeps messages for a day), and a
// fresh replica catching up afterwards must not know the user.
func TestErasedUserNeverReachesTheStreamOrANewReplica(t *testing.T) {
	be := postgresBackend(t)
	srv := natstest.StartServer(t)
	bc := bus.Config{URLs: srv.URL(), Stream: "shopmuse"}
	a := startReplica(t, be, bc, "a", nil)
	ctx := context.Background()
	const erased = "erased-user-7f3a"
	if _, errs, err := a.UpsertProducts(ctx, []shop.ProductInput{{ID: "p1", Title: "相机", Category: "数码/相机",
		Price: &shop.MoneyInput{Amount: shop.Decimal(100)}}}); err != nil || errs != nil {
		t.Fatal(err, errs)
	}
	if _, errs, err := a.UpsertUsers(ctx, []shop.UserInput{{ID: erased}, {ID: "stays"}}); err != nil || errs != nil {
		t.Fatal(err, errs)
	}
	eventually(t, 5*time.Second, "the outbox to empty", func() bool { return be.pending() == 0 })
	srv.Stop()
	if _, errs, err := a.RecordInteractions(ctx, []shop.InteractionInput{
		{UserID: erased, ProductID: "p1", Kind: shop.KindPurchase}, {UserID: "stays", ProductID: "p1", Kind: shop.KindView}}); err != nil || errs != nil {
		t.Fatal(err, errs)
	}
	if _, errs, err := a.RecordInteractions(ctx, []shop.InteractionInput{{UserID: erased, ProductID: "p1", Kind: shop.KindLike}}); err != nil || errs != nil {
		t.Fatal(err, errs)
	}
	if _, _, err := a.DeleteUser(ctx, erased); err != nil {
		t.Fatal(err)
	}
	srv.Start()
	eventually(t, 15*time.Second, "the outbox to empty once NATS is back", func() bool { return be.pending() == 0 })

	c := startReplica(t, be, bc, "c", nil)
	eventually(t, 10*time.Second, "the new replica to be ready", func() bool { ok, _ := c.Ready(); return ok })
	if sa, sc := a.Recommend.Dataset().Stats(), c.Recommend.Dataset().Stats(); sc.Users != sa.Users || sc.Interactions != sa.Interactions || sc.Interactions != 1 {
		t.Fatalf("new replica %+v, a %+v: want the other user's one interaction only", sc, sa)
	}

	// Read the whole stream back.
	nc, err := nats.Connect(srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	cons, err := js.OrderedConsumer(ctx, "shopmuse", jetstream.OrderedConsumerConfig{})
	if err != nil {
		t.Fatal(err)
	}
	batch, err := cons.FetchNoWait(10_000)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for m := range batch.Messages() {
		n++
		if strings.HasSuffix(m.Subject(), ".interactions") && strings.Contains(string(m.Data()), erased) {
			t.Errorf("the stream carries the erased user's interactions: %s", m.Data())
		}
	}
	if n == 0 {
		t.Fatal("read nothing from the stream")
	}
}

// The replica that trained the shared snapshot learns of an erasure made
// elsewhere after its save (the erasure committed while it trained, or
// another replica's save lost the race to its own): it saves again, so the
// snapshot in the store loses the erased user's factors too.
func TestTheTrainerResavesItsSnapshotAfterAnErasureElsewhere(t *testing.T) {
	url := pgtest.NewDatabase(t)
	be := backend{name: "postgres", use: func(c *Config) { c.Store = url }, pending: func() int { return 0 }}
	nurl := natstest.URL(t)
	bc := bus.Config{URLs: nurl, Stream: natstest.Stream(t, nurl)}
	a := startReplica(t, be, bc, "a", nil)
	ctx := context.Background()
	// Its first training (of an empty shop) is over before ours.
	eventually(t, 10*time.Second, "a to be ready", func() bool { ok, _ := a.Ready(); return ok })
	seedShop(t, a.App)
	if _, err := a.Train(ctx); err != nil {
		t.Fatal(err)
	}
	other, err := OpenStore(ctx, Config{Store: url, Logger: slog.New(quiet())})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	const erased = "user-03"
	snapshotHas := func() bool {
		snap, ok, err := other.GetBlob(ctx, modelsNS, modelsSnapshotKey)
		if err != nil || !ok {
			t.Fatalf("snapshot: %v %v", ok, err)
		}
		return bytes.Contains(snap, []byte(erased))
	}
	if !snapshotHas() {
		t.Fatal("the trained snapshot does not name the user: the test shows nothing")
	}
	// Another replica's erasure, as the store commits it.
	if ok, err := other.DeleteUser(ctx, erased); err != nil || !ok {
		t.Fatal(ok, err)
	}
	eventually(t, 10*time.Second, "the stored snapshot to lose the erased user", func() bool { return !snapshotHas() })
}
