package app

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/shopmuse/shopmuse/internal/pgtest"
	"github.com/shopmuse/shopmuse/recommend"
	"github.com/shopmuse/shopmuse/shop"
	"github.com/shopmuse/shopmuse/store"
)

func openPostgres(t *testing.T, dir, url string) *App {
	t.Helper()
	a, err := Open(context.Background(), Config{Data: dir, Store: url, Logger: slog.New(quiet())})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// Through the use cases on PostgreSQL: the shop is written, trained and
// served; the snapshot lives in the store, not under Data, so a second
// replica with its own data directory restores it without training; every
// write left its change in the outbox.
func TestPostgresEndToEnd(t *testing.T) {
	url := pgtest.NewDatabase(t)
	ctx := context.Background()
	a := openPostgres(t, t.TempDir(), url)
	defer a.Close()
	seedShop(t, a)
	if _, err := a.Train(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(a.cfg.SnapshotPath()); !os.IsNotExist(err) {
		t.Fatalf("a shared store's snapshot went to a file: %v", err)
	}
	snap, ok, err := a.Store.GetBlob(ctx, modelsNS, modelsSnapshotKey)
	if err != nil || !ok || len(snap) == 0 {
		t.Fatalf("snapshot blob: %d bytes, %v %v", len(snap), ok, err)
	}
	recs, err := a.Recommend.Recommend(ctx, recommend.Request{UserID: "user-03", N: 5})
	if err != nil || len(recs) == 0 {
		t.Fatalf("recommendations on postgres: %v %v", recs, err)
	}

	// A second replica: another data directory, the same database.
	b := openPostgres(t, filepath.Join(t.TempDir(), "replica-b"), url)
	defer b.Close()
	if b.trainFirst {
		t.Fatal("the second replica found no snapshot in the store and would train")
	}
	recsB, err := b.Recommend.Recommend(ctx, recommend.Request{UserID: "user-03", N: 5})
	if err != nil || len(recsB) != len(recs) || recsB[0].ItemID != recs[0].ItemID {
		t.Fatalf("replica B serves %v, A %v (%v)", recsB, recs, err)
	}
	if n, _ := b.Store.CountEvents(ctx); n != 96 {
		t.Fatalf("replica B sees %d events, want 96", n)
	}

	ob, ok := a.Store.(store.Outbox)
	if !ok {
		t.Fatal("the postgres store has no outbox")
	}
	changes, err := ob.PendingChanges(ctx, 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]int{}
	for i, c := range changes {
		kinds[c.Kind]++
		if i > 0 && c.Seq <= changes[i-1].Seq {
			t.Fatalf("outbox out of order at %d", i)
		}
	}
	if kinds[store.ChangeProducts] != 1 || kinds[store.ChangeUsers] != 1 || kinds[store.ChangeInteractions] != 1 || kinds[store.ChangeBlob] == 0 {
		t.Fatalf("outbox kinds %v", kinds)
	}
	for _, c := range changes {
		// The snapshot and its info, in one PutBlobs (app/replicas.go).
		if c.Kind == store.ChangeBlob && strings.Contains(string(c.Payload), `"namespace":"models"`) &&
			strings.Contains(string(c.Payload), `"snapshot"`) {
			return
		}
	}
	t.Fatal("saving the snapshot left no blob change for the other replicas")
}

func TestStoreConfig(t *testing.T) {
	for _, ok := range []string{"", "badger", "postgres://u:p@h:5432/db", "postgresql://h/db?sslmode=disable"} {
		if err := ParseStore(ok); err != nil {
			t.Errorf("ParseStore(%q): %v", ok, err)
		}
	}
	for _, bad := range []string{"mysql://u:secret@h/db", "Badger", "postgres://u:secret@h:notaport/db"} {
		err := ParseStore(bad)
		if err == nil {
			t.Errorf("ParseStore(%q) accepted", bad)
			continue
		}
		if strings.Contains(err.Error(), "secret") {
			t.Errorf("ParseStore(%q) repeats the password: %v", bad, err)
		}
	}
	// Unreachable: a clear error at start, not a hang.
	_, err := Open(context.Background(), Config{Data: t.TempDir(), Store: "postgres://nobody@127.0.0.1:1/db?connect_timeout=2", Logger: slog.New(quiet())})
	if err == nil || !strings.Contains(err.Error(), "127.0.0.1") {
		t.Fatalf("unreachable postgres: %v", err)
	}
}

// Erasure and validation through the use cases on PostgreSQL: a batch
// naming an unknown user writes nothing; erasing a trained user removes
// their events and leaves a fresh snapshot without them in the store.
func TestPostgresErasureAndRejectedBatches(t *testing.T) {
	url := pgtest.NewDatabase(t)
	ctx := context.Background()
	a := openPostgres(t, t.TempDir(), url)
	defer a.Close()
	seedShop(t, a)
	if _, err := a.Train(ctx); err != nil {
		t.Fatal(err)
	}
	before, _ := a.Store.CountEvents(ctx)
	res, errs, err := a.RecordInteractions(ctx, []shop.InteractionInput{
		{UserID: "user-01", ProductID: "p01", Kind: shop.KindView},
		{UserID: "nobody", ProductID: "p01", Kind: shop.KindView},
	})
	if err != nil || len(errs) != 1 || errs[0].Code != shop.CodeNotFound || len(res.Recorded) != 0 {
		t.Fatalf("rejected batch: %+v %+v %v", res, errs, err)
	}
	if n, _ := a.Store.CountEvents(ctx); n != before {
		t.Fatalf("a rejected batch wrote %d events", n-before)
	}
	oldSnap, _, _ := a.Store.GetBlob(ctx, modelsNS, modelsSnapshotKey)
	existed, uerrs, err := a.DeleteUser(ctx, "user-03")
	if err != nil || uerrs != nil || !existed {
		t.Fatalf("erase: %v %v %v", existed, uerrs, err)
	}
	if evs, _ := a.Store.UserInteractions(ctx, "user-03", 100); len(evs) != 0 {
		t.Fatalf("%d events of the erased user remain", len(evs))
	}
	if n, _ := a.Store.CountEvents(ctx); n != before-8 {
		t.Fatalf("events %d, want %d", n, before-8)
	}
	newSnap, ok, _ := a.Store.GetBlob(ctx, modelsNS, modelsSnapshotKey)
	if !ok || bytes.Equal(newSnap, oldSnap) {
		t.Fatal("the snapshot in the store was not rewritten without the erased user")
	}
	if _, stale, _ := a.Store.GetBlob(ctx, modelsNS, modelsStaleKey); stale {
		t.Fatal("the stale mark survived a successful save")
	}
}
