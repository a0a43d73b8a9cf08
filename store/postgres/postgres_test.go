package postgres_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/shopmuse/shopmuse/internal/pgtest"
	"github.com/shopmuse/shopmuse/shop"
	"github.com/shopmuse/shopmuse/store"
	"github.com/shopmuse/shopmuse/store/postgres"
	"github.com/shopmuse/shopmuse/store/storetest"
)

var (
	ctx   = context.Background()
	quiet = slog.New(slog.DiscardHandler)
)

func open(t testing.TB, now func() time.Time) *postgres.Store {
	t.Helper()
	s, err := postgres.Open(ctx, pgtest.NewDatabase(t), postgres.Options{Now: now, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestPostgresConformance(t *testing.T) {
	pgtest.ServerURL(t)
	storetest.Run(t, func(t *testing.T, now func() time.Time) store.Store { return open(t, now) })
}

// Two replicas starting at once on a fresh database both come up: the
// advisory lock makes one apply the migrations and the other find them.
func TestConcurrentStartsMigrateOnce(t *testing.T) {
	url := pgtest.NewDatabase(t)
	errs := make(chan error, 4)
	for range 4 {
		go func() {
			s, err := postgres.Open(ctx, url, postgres.Options{Logger: quiet})
			if err == nil {
				err = s.Close()
			}
			errs <- err
		}()
	}
	for range 4 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	s, err := postgres.Open(ctx, url, postgres.Options{Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	// One row per migration, each applied once (0001 and 0002 so far).
	var n, versions int
	if err := s.Pool().QueryRow(ctx, "SELECT count(*), count(DISTINCT version) FROM schema_migrations").Scan(&n, &versions); err != nil || n != versions || n < 2 {
		t.Fatalf("schema_migrations has %d rows for %d versions (%v), want one per migration, at least 2", n, versions, err)
	}
}

func TestBadURLIsAClearError(t *testing.T) {
	_, err := postgres.Open(ctx, "postgres://u:hunter2@host:port/db", postgres.Options{Logger: quiet})
	if err == nil || !strings.Contains(err.Error(), "bad URL") || strings.Contains(err.Error(), "hunter2") {
		t.Fatalf("bad URL: %v", err)
	}
}

// Every kind of write leaves its change, with the agreed payload, in Seq
// order; cache blobs leave none; MarkPublished drops what was published.
func TestOutboxChanges(t *testing.T) {
	pgtest.ServerURL(t)
	s := open(t, nil)
	defer s.Close()
	price := &shop.MoneyInput{Amount: 100}
	ps, errs := shop.NormalizeProducts([]shop.ProductInput{{ID: "p1", Title: "t", Category: "c", Price: price}, {ID: "p2", Title: "t", Category: "c", Price: price}}, "input")
	if errs != nil {
		t.Fatal(errs)
	}
	mustOK(t, func() error { _, err := s.UpsertProducts(ctx, ps); return err })
	mustOK(t, func() error { _, err := s.UpsertProducts(ctx, ps); return err }) // unchanged: no change
	us, errs := shop.NormalizeUsers([]shop.UserInput{{ID: "u1"}}, "input")
	if errs != nil {
		t.Fatal(errs)
	}
	mustOK(t, func() error { _, err := s.UpsertUsers(ctx, us); return err })
	at := time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC)
	res, uerrs, err := s.RecordInteractions(ctx, []shop.Interaction{{UserID: "u1", ProductID: "p1", Kind: shop.KindView, OccurredAt: at}}, "input")
	if err != nil || uerrs != nil || len(res.Recorded) != 1 {
		t.Fatal(err, uerrs)
	}
	mustOK(t, func() error { return s.PutBlob(ctx, "rules", "r1", []byte("x")) })
	mustOK(t, func() error {
		return s.PutBlobs(ctx, "rules", []store.Blob{{Key: "r3", Value: nil}, {Key: "r2", Value: []byte("y")}})
	})
	mustOK(t, func() error { return s.PutBlobTTL(ctx, "copy", "c1", []byte("z"), time.Hour) })
	mustOK(t, func() error { return s.DeleteBlobs(ctx, "rules", "r") })
	mustOK(t, func() error { return s.AddCounters(ctx, "exp", map[string]int64{"b": 1, "a": 2}) })
	mustOK(t, func() error { _, err := s.DeleteProducts(ctx, []string{"p2", "ghost"}); return err })
	mustOK(t, func() error { _, err := s.DeleteUser(ctx, "u1"); return err })

	got, err := s.PendingChanges(ctx, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for i, c := range got {
		// Seq 3 (u1's interaction) went with u1's erasure.
		want := int64(i + 1)
		if i >= 2 {
			want++
		}
		if c.Seq != want || c.At.IsZero() {
			t.Fatalf("change %d: seq %d at %v, want seq %d", i, c.Seq, c.At, want)
		}
		lines = append(lines, c.Kind+" "+string(c.Payload))
	}
	want := []string{
		`products ["p1","p2"]`,
		`users ["u1"]`,
		`blob {"namespace":"rules","key":"r1"}`,
		`blob {"namespace":"rules","keys":["r2","r3"]}`,
		`blob.deleted {"namespace":"rules","prefix":"r"}`,
		`counters {"namespace":"exp","keys":["a","b"]}`,
		`products.deleted ["p2"]`,
		`user.erased "u1"`,
	}
	if strings.Join(lines, "\n") != strings.Join(want, "\n") {
		t.Fatalf("outbox:\n%s\nwant:\n%s", strings.Join(lines, "\n"), strings.Join(want, "\n"))
	}
	if page, _ := s.PendingChanges(ctx, 3, 2); len(page) != 2 || page[0].Seq != 4 {
		t.Fatalf("after 3, limit 2: %+v", page)
	}
	if n, err := s.PendingCount(ctx); err != nil || n != 9 {
		t.Fatalf("PendingCount = %d, %v; want 9 (seq 1 to 9, one purged)", n, err)
	}
	mustOK(t, func() error { return s.MarkPublished(ctx, 8) })
	if n, err := s.PendingCount(ctx); err != nil || n != 1 {
		t.Fatalf("PendingCount after MarkPublished(8) = %d, %v; want 1", n, err)
	}
	if rest, _ := s.PendingChanges(ctx, 0, 100); len(rest) != 1 || rest[0].Kind != store.ChangeUserErased {
		t.Fatalf("after MarkPublished(8): %+v", rest)
	}
	// A failed write leaves no change: a rejected batch.
	if _, uerrs, _ := s.RecordInteractions(ctx, []shop.Interaction{{UserID: "ghost", ProductID: "p1", Kind: shop.KindView, OccurredAt: at}}, "input"); len(uerrs) != 1 {
		t.Fatal(uerrs)
	}
	if rest, _ := s.PendingChanges(ctx, 9, 100); len(rest) != 0 {
		t.Fatalf("a rejected batch left %+v", rest)
	}
}

// Concurrent writers: a reader polling the outbox never sees a Seq commit
// after a higher one (it would skip it), and every write's change is there.
func TestOutboxHasNoGapsUnderConcurrentWriters(t *testing.T) {
	pgtest.ServerURL(t)
	s := open(t, nil)
	defer s.Close()
	const writers, each = 6, 40
	done := make(chan error, writers)
	for w := range writers {
		go func() {
			var err error
			for i := 0; i < each && err == nil; i++ {
				err = s.AddCounters(ctx, "conc", map[string]int64{fmt.Sprintf("w%d", w): 1, "shared": 1})
			}
			done <- err
		}()
	}
	var seen []int64
	after := int64(0)
	finished := 0
	for finished < writers || after < writers*each {
		select {
		case err := <-done:
			if err != nil {
				t.Fatal(err)
			}
			finished++
		default:
		}
		cs, err := s.PendingChanges(ctx, after, 50)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range cs {
			seen = append(seen, c.Seq)
			after = c.Seq
		}
		if finished == writers && len(cs) == 0 && after < writers*each {
			t.Fatalf("reader stopped at %d of %d", after, writers*each)
		}
	}
	for i, seq := range seen {
		if seq != int64(i+1) {
			t.Fatalf("reader saw seq %d at position %d: a change committed behind the reader", seq, i)
		}
	}
	if got, _ := s.Counters(ctx, "conc", "shared"); got["shared"] != writers*each {
		t.Fatalf("shared counter %v", got)
	}
}

func mustOK(t *testing.T, fn func() error) {
	t.Helper()
	if err := fn(); err != nil {
		t.Fatal(err)
	}
}

// Erasure reaches the outbox: rows not yet published lose the erased
// user's interactions (a row left with none goes), so a relay that runs
// after the erasure never puts them on the stream, where a replica could
// replay them. Other users' interactions in the same row stay.
func TestErasurePurgesPendingOutboxPayloads(t *testing.T) {
	pgtest.ServerURL(t)
	s := open(t, nil)
	defer s.Close()
	erased, kept := `u"<&é`, "u2" // escaped in JSON
	price := &shop.MoneyInput{Amount: 100}
	ps, errs := shop.NormalizeProducts([]shop.ProductInput{{ID: "p1", Title: "t", Category: "c", Price: price}}, "input")
	if errs != nil {
		t.Fatal(errs)
	}
	mustOK(t, func() error { _, err := s.UpsertProducts(ctx, ps); return err })
	us, errs := shop.NormalizeUsers([]shop.UserInput{{ID: erased}, {ID: kept}}, "input")
	if errs != nil {
		t.Fatal(errs)
	}
	mustOK(t, func() error { _, err := s.UpsertUsers(ctx, us); return err })
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, batch := range [][]string{{erased}, {erased, kept}} {
		var its []shop.Interaction
		for i, u := range batch {
			its = append(its, shop.Interaction{UserID: u, ProductID: "p1", Kind: shop.KindView, OccurredAt: at.Add(time.Duration(len(batch)*10+i) * time.Second)})
		}
		if _, uerrs, err := s.RecordInteractions(ctx, its, "input"); err != nil || uerrs != nil {
			t.Fatal(err, uerrs)
		}
	}
	if ok, err := s.DeleteUser(ctx, erased); err != nil || !ok {
		t.Fatal(ok, err)
	}
	got, err := s.PendingChanges(ctx, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	keptRows := 0
	for _, c := range got {
		if c.Kind != store.ChangeInteractions {
			continue
		}
		var its []shop.Interaction
		if err := json.Unmarshal(c.Payload, &its); err != nil {
			t.Fatal(err)
		}
		for _, it := range its {
			if it.UserID == erased {
				t.Fatalf("outbox row %d still carries the erased user's interaction: %s", c.Seq, c.Payload)
			}
			if it.UserID == kept {
				keptRows++
			}
		}
		if len(its) == 0 {
			t.Fatalf("outbox row %d left empty: %s", c.Seq, c.Payload)
		}
	}
	if keptRows != 1 {
		t.Fatalf("the other user's interaction is in %d pending rows, want 1", keptRows)
	}
}

// A compare-and-swap that wins leaves its change in the outbox, with the
// blobs written beside it; one that loses leaves none.
func TestSwapLeavesItsChange(t *testing.T) {
	pgtest.ServerURL(t)
	s := open(t, nil)
	defer s.Close()
	swap := func(k string, version int64, with ...store.Blob) bool {
		t.Helper()
		ok, err := s.PutBlobIf(ctx, "merch", k, []byte("v"), version, with...)
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	if !swap("rules", 0) {
		t.Fatal("create failed")
	}
	if swap("rules", 0) {
		t.Fatal("a second create succeeded")
	}
	_, v, err := s.GetBlobVersion(ctx, "merch", "rules")
	if err != nil {
		t.Fatal(err)
	}
	if !swap("rules", v, store.Blob{Key: "z"}, store.Blob{Key: "a"}, store.Blob{Key: "rules"}) {
		t.Fatal("swap failed")
	}
	got, err := s.PendingChanges(ctx, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, c := range got {
		lines = append(lines, c.Kind+" "+string(c.Payload))
	}
	want := []string{
		`blob {"namespace":"merch","key":"rules"}`,
		`blob {"namespace":"merch","keys":["rules","a","z"]}`,
	}
	if strings.Join(lines, "\n") != strings.Join(want, "\n") {
		t.Fatalf("outbox:\n%s\nwant:\n%s", strings.Join(lines, "\n"), strings.Join(want, "\n"))
	}
	if b, _, _ := s.GetBlob(ctx, "merch", "rules"); string(b) != "v" {
		t.Fatalf("a blob in with under the swapped key overrode it: %q", b)
	}
}

// AddCountersOnce leaves one counters change when it adds, none when its
// key was there.
func TestCountersOnceLeavesItsChangeOnlyWhenAdded(t *testing.T) {
	pgtest.ServerURL(t)
	s := open(t, nil)
	defer s.Close()
	for range 2 {
		if _, err := s.AddCountersOnce(ctx, "experiments", "d/u1/e/m/click", map[string]int64{"x/e/0/clicks": 1}); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.PendingChanges(ctx, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, c := range got {
		lines = append(lines, c.Kind+" "+string(c.Payload))
	}
	want := `counters {"namespace":"experiments","keys":["d/u1/e/m/click","x/e/0/clicks"]}`
	if strings.Join(lines, "\n") != want {
		t.Fatalf("outbox:\n%s\nwant:\n%s", strings.Join(lines, "\n"), want)
	}
}
