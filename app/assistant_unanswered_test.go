package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shopmuse/shopmuse/bus"
	"github.com/shopmuse/shopmuse/internal/natstest"
	"github.com/shopmuse/shopmuse/pagination"
	"github.com/shopmuse/shopmuse/shop"
	"github.com/shopmuse/shopmuse/store"
)

func newTestClock() *testClock {
	return &testClock{t: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)}
}

func upsertCups(t *testing.T, a *App, ids ...string) {
	t.Helper()
	price := shop.MoneyInput{Amount: 9900}
	var ps []shop.ProductInput
	for _, id := range ids {
		ps = append(ps, shop.ProductInput{ID: id, Title: "保温杯", Category: "家居/杯具", Price: &price})
	}
	if _, errs, err := a.UpsertProducts(context.Background(), ps); err != nil || errs != nil {
		t.Fatal(err, errs)
	}
}

func unansweredGroups(t *testing.T, a *App) map[string]UnansweredQuestion {
	t.Helper()
	conn, err := a.UnansweredQuestions(context.Background(), 100, "")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]UnansweredQuestion{}
	for _, e := range conn.Edges {
		out[groupKey(e.Node.ProductID, e.Node.Topic)] = e.Node
	}
	return out
}

// Two replicas over one store flush the same group at once: the counts add
// up and both replicas' examples are kept, the newest first (each used to
// write its own copy of the examples, so the last flush erased the other's).
func TestUnansweredFlushMergesReplicas(t *testing.T) {
	backends(t, func(t *testing.T, be backend) {
		ctx := context.Background()
		a, b := be.open(t, "a"), be.open(t, "b")
		upsertCups(t, a, "p1")
		k := groupKey("p1", "warranty")
		for round := range 4 {
			at := a.Store.Now().Add(time.Duration(round) * time.Second)
			a.unanswered.record("p1", "warranty", fmt.Sprintf("A%d 保修多久", round), at)
			b.unanswered.record("p1", "warranty", fmt.Sprintf("B%d 保修多久", round), at.Add(time.Millisecond))
			var wg sync.WaitGroup
			errs := make([]error, 2)
			for i, r := range []*App{a, b} {
				wg.Add(1)
				go func() { defer wg.Done(); errs[i] = r.flushUnanswered(ctx) }()
			}
			wg.Wait()
			if errs[0] != nil || errs[1] != nil {
				t.Fatal(errs)
			}
			for _, r := range []*App{a, b} {
				g := unansweredGroups(t, r)[k]
				if g.Count != 2*(round+1) {
					t.Fatalf("round %d: count %d, want %d", round, g.Count, 2*(round+1))
				}
				want := []string{fmt.Sprintf("B%d 保修多久", round), fmt.Sprintf("A%d 保修多久", round)}
				if round > 0 {
					want = append(want, fmt.Sprintf("B%d 保修多久", round-1))
				}
				if !slices.Equal(g.Examples, want) {
					t.Fatalf("round %d: examples %q, want %q", round, g.Examples, want)
				}
				if !g.LastAskedAt.Equal(at.Add(time.Millisecond)) {
					t.Fatalf("round %d: last asked %v, want %v", round, g.LastAskedAt, at.Add(time.Millisecond))
				}
			}
		}
	})
}

// Examples are the most recent distinct questions (a question asked again
// comes first again), so the merchant sees what is asked now; their
// privacy rules hold (long digit runs masked, clipped).
func TestUnansweredExamplesAreTheMostRecent(t *testing.T) {
	ctx := context.Background()
	clock := newTestClock()
	a, err := Open(ctx, Config{Data: t.TempDir(), Logger: slog.New(quiet()), Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	upsertCups(t, a, "p1")
	k := groupKey("p1", "warranty")
	for i, q := range []string{"保修多久", "保修几年", "有保修吗", "保修期多长", "电话13812345678能问保修吗"} {
		clock.Add(time.Minute)
		a.unanswered.record("p1", "warranty", q, a.Store.Now())
		if i%2 == 1 {
			if err := a.flushUnanswered(ctx); err != nil {
				t.Fatal(err)
			}
		}
	}
	g := unansweredGroups(t, a)[k]
	if want := []string{"电话***********能问保修吗", "保修期多长", "有保修吗"}; g.Count != 5 || !slices.Equal(g.Examples, want) {
		t.Fatalf("count %d, examples %q, want 5 and %q", g.Count, g.Examples, want)
	}
	clock.Add(time.Minute)
	a.unanswered.record("p1", "warranty", "保修多久", a.Store.Now())
	g = unansweredGroups(t, a)[k]
	if want := []string{"保修多久", "电话***********能问保修吗", "保修期多长"}; g.Count != 6 || !slices.Equal(g.Examples, want) || !g.LastAskedAt.Equal(a.Store.Now()) {
		t.Fatalf("after asking again: %+v, want examples %q", g, want)
	}
	raw, _, err := a.Store.GetBlob(ctx, unansweredInfoNS, k)
	if err != nil || strings.Contains(string(raw), "13812345678") {
		t.Fatalf("stored group %s %v", raw, err)
	}
}

// A group not asked for UnansweredTTL drops out of the list and the store
// (on listing and on flush, also with no one listing), freeing its place
// under MaxUnansweredGroups; asked again, it starts anew.
func TestUnansweredGroupsExpire(t *testing.T) {
	ctx := context.Background()
	clock := newTestClock()
	a, err := Open(ctx, Config{Data: t.TempDir(), Logger: slog.New(quiet()), Now: clock.Now, UnansweredTTL: 24 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	upsertCups(t, a, "p1", "p2", "p3")
	stored := func(k string) bool {
		_, ok, err := a.Store.GetBlob(ctx, unansweredInfoNS, k)
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	known := func() int {
		a.unanswered.mu.Lock()
		defer a.unanswered.mu.Unlock()
		return len(a.unanswered.known)
	}
	g1, g2, g3 := groupKey("p1", "warranty"), groupKey("p2", "warranty"), groupKey("p3", "size")
	for range 3 {
		a.unanswered.record("p1", "warranty", "保修多久", a.Store.Now())
	}
	a.unanswered.record("p2", "warranty", "保修多久", a.Store.Now())
	a.unanswered.record("p3", "size", "多大", a.Store.Now())
	if err := a.flushUnanswered(ctx); err != nil {
		t.Fatal(err)
	}
	clock.Add(12 * time.Hour)
	a.unanswered.record("p2", "warranty", "保修几年", a.Store.Now())
	clock.Add(13 * time.Hour) // p1 and p3 last asked 25 h ago, p2 13 h ago
	if gs := unansweredGroups(t, a); len(gs) != 1 || gs[g2].Count != 2 {
		t.Fatalf("after 25 h: %+v", gs)
	}
	if stored(g1) || stored(g3) || !stored(g2) || known() != 1 {
		t.Fatalf("stored p1 %v, p3 %v, p2 %v; %d known", stored(g1), stored(g3), stored(g2), known())
	}
	// Asked again after it expired: a new group, counted from one.
	a.unanswered.record("p1", "warranty", "保修期多长", a.Store.Now())
	if gs := unansweredGroups(t, a); gs[g1].Count != 1 || !slices.Equal(gs[g1].Examples, []string{"保修期多长"}) {
		t.Fatalf("asked again: %+v", gs[g1])
	}
	// A flush alone deletes what expired, with no one listing: p2's place
	// is free again.
	clock.Add(12 * time.Hour) // p2 25 h, p1 12 h
	if err := a.flushUnanswered(ctx); err != nil {
		t.Fatal(err)
	}
	if stored(g2) || !stored(g1) || known() != 1 {
		t.Fatalf("after a flush: p2 stored %v, p1 stored %v, %d known", stored(g2), stored(g1), known())
	}
	// Asked while expired but still stored (flushed before anyone
	// deleted it): merged into a fresh group, not into the old count.
	clock.Add(25 * time.Hour)
	a.unanswered.record("p1", "warranty", "保修多久", a.Store.Now())
	if err := a.flushUnanswered(ctx); err != nil {
		t.Fatal(err)
	}
	if gs := unansweredGroups(t, a); gs[g1].Count != 1 || !slices.Equal(gs[g1].Examples, []string{"保修多久"}) {
		t.Fatalf("asked after it expired in the store: %+v", gs[g1])
	}
}

// racingStore runs hook once, after the first GetBlobVersion of key.
type racingStore struct {
	store.Store
	key  string
	once sync.Once
	hook func()
}

func (s *racingStore) GetBlobVersion(ctx context.Context, ns, k string) ([]byte, int64, error) {
	b, v, err := s.Store.GetBlobVersion(ctx, ns, k)
	if k == s.key {
		s.once.Do(s.hook)
	}
	return b, v, err
}

// Deleting an expired group loses no question another replica merged into
// it after the group was read: the delete is a swap of the version read.
// And while a replica deletes a group, flushes leave it alone and keep
// their questions for the next round; a mark left by a replica that
// stopped is overwritten.
func TestUnansweredExpiryLosesNoConcurrentQuestion(t *testing.T) {
	ctx := context.Background()
	clock := newTestClock()
	a, err := Open(ctx, Config{Data: t.TempDir(), Logger: slog.New(quiet()), Now: clock.Now, UnansweredTTL: 24 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	upsertCups(t, a, "p1")
	k := groupKey("p1", "warranty")
	a.unanswered.record("p1", "warranty", "保修多久", a.Store.Now())
	if err := a.flushUnanswered(ctx); err != nil {
		t.Fatal(err)
	}
	clock.Add(25 * time.Hour)
	// Another replica's flush lands between this one's read and its delete.
	base := a.Store
	a.Store = &racingStore{Store: base, key: k, hook: func() {
		err := store.UpdateBlob(ctx, base, unansweredInfoNS, k, func(cur []byte, exists bool) ([]byte, error) {
			return mergeUnanswered(cur, exists, pendingGroup{n: 1, first: clock.Now(), last: clock.Now(),
				recent: []unansweredExample{{Text: "保修几年", At: clock.Now()}}}, clock.Now(), 24*time.Hour)
		})
		if err != nil {
			t.Error(err)
		}
	}}
	if err := a.flushUnanswered(ctx); err != nil {
		t.Fatal(err)
	}
	a.Store = base
	if gs := unansweredGroups(t, a); gs[k].Count != 1 || !slices.Equal(gs[k].Examples, []string{"保修几年"}) {
		t.Fatalf("the other replica's question: %+v", gs[k])
	}

	// A replica is deleting the group: this flush waits for it.
	mark, _ := json.Marshal(unansweredInfo{Expiring: clock.Now(), Last: clock.Now().Add(-25 * time.Hour)})
	if err := a.Store.PutBlob(ctx, unansweredInfoNS, k, mark); err != nil {
		t.Fatal(err)
	}
	a.unanswered.record("p1", "warranty", "有保修吗", a.Store.Now())
	if err := a.flushUnanswered(ctx); err != nil {
		t.Fatal(err)
	}
	if cur, _, _ := a.Store.GetBlob(ctx, unansweredInfoNS, k); string(cur) != string(mark) {
		t.Fatalf("a flush wrote into a group being deleted: %s", cur)
	}
	if err := a.Store.DeleteBlob(ctx, unansweredInfoNS, k); err != nil { // that replica's delete
		t.Fatal(err)
	}
	if gs := unansweredGroups(t, a); gs[k].Count != 1 || !slices.Equal(gs[k].Examples, []string{"有保修吗"}) {
		t.Fatalf("after the other replica's delete: %+v", gs[k])
	}
	// A mark older than expiringGrace: its replica stopped.
	if err := a.Store.PutBlob(ctx, unansweredInfoNS, k, mark); err != nil {
		t.Fatal(err)
	}
	clock.Add(2 * expiringGrace)
	a.unanswered.record("p1", "warranty", "保修期多长", a.Store.Now())
	if gs := unansweredGroups(t, a); gs[k].Count != 1 || !slices.Equal(gs[k].Examples, []string{"保修期多长"}) {
		t.Fatalf("over a stale mark: %+v", gs[k])
	}
}

// Groups written before counts and example times moved into the blob
// (examples without times, the count a store counter) are still listed,
// and keep their count when asked again.
func TestUnansweredReadsOlderGroups(t *testing.T) {
	ctx := context.Background()
	a := open(t, t.TempDir(), quiet())
	defer a.Close()
	upsertCups(t, a, "p1")
	k := groupKey("p1", "warranty")
	old, _ := json.Marshal(map[string]any{"examples": []string{"保修多久", "保修几年"}, "last": a.Store.Now().Add(-time.Hour)})
	if err := a.Store.PutBlob(ctx, unansweredInfoNS, k, old); err != nil {
		t.Fatal(err)
	}
	if err := a.Store.AddCounters(ctx, unansweredCountNS, map[string]int64{k: 7}); err != nil {
		t.Fatal(err)
	}
	if err := a.ReloadUnanswered(ctx); err != nil {
		t.Fatal(err)
	}
	if g := unansweredGroups(t, a)[k]; g.Count != 7 || len(g.Examples) != 2 {
		t.Fatalf("older group: %+v", g)
	}
	a.unanswered.record("p1", "warranty", "有保修吗", a.Store.Now())
	if g := unansweredGroups(t, a)[k]; g.Count != 8 || len(g.Examples) != 3 || g.Examples[0] != "有保修吗" {
		t.Fatalf("older group asked again: %+v", g)
	}
}

// A product deleted on one replica takes the questions another replica
// buffered about it: its flush drops them instead of writing the group
// back.
func TestUnansweredOfAProductDeletedElsewhere(t *testing.T) {
	ctx := context.Background()
	st := sharedStore(t)
	replica := func() *App {
		a, err := Open(ctx, Config{Data: t.TempDir(), OpenedStore: st, Logger: slog.New(quiet())})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { a.Close() })
		return a
	}
	a, b := replica(), replica()
	upsertCups(t, a, "p1", "p2")
	b.unanswered.record("p1", "warranty", "保修多久", b.Store.Now())
	b.unanswered.record("p2", "warranty", "保修多久", b.Store.Now())
	if _, _, err := a.DeleteProducts(ctx, []string{"p1"}); err != nil {
		t.Fatal(err)
	}
	if gs := unansweredGroups(t, b); len(gs) != 1 || gs[groupKey("p2", "warranty")].Count != 1 {
		t.Fatalf("groups after p1 was deleted elsewhere: %+v", gs)
	}
	if _, ok, _ := st.GetBlob(ctx, unansweredInfoNS, groupKey("p1", "warranty")); ok {
		t.Fatal("the deleted product's group was written")
	}
}

// Over the bus, a replica learns the groups another one flushed (they
// count against MaxUnansweredGroups there too) and forgets those deleted
// with their product, from the keys of each change.
func TestUnansweredGroupsTravelTheBus(t *testing.T) { backends(t, testUnansweredGroupsTravelTheBus) }

func testUnansweredGroupsTravelTheBus(t *testing.T, be backend) {
	url := natstest.URL(t)
	bc := bus.Config{URLs: url, Stream: natstest.Stream(t, url)}
	a := startReplica(t, be, bc, "a", nil)
	b := startReplica(t, be, bc, "b", nil)
	upsertCups(t, a.App, "p1", "p2")
	knows := func(r *replica, k string) bool {
		r.unanswered.mu.Lock()
		defer r.unanswered.mu.Unlock()
		_, ok := r.unanswered.known[k]
		return ok
	}
	g1, g2 := groupKey("p1", "warranty"), groupKey("p2", "size")
	a.unanswered.record("p1", "warranty", "保修多久", a.Store.Now())
	a.unanswered.record("p2", "size", "多大", a.Store.Now())
	if err := a.flushUnanswered(context.Background()); err != nil {
		t.Fatal(err)
	}
	eventually(t, 10*time.Second, "b learns a's groups", func() bool { return knows(b, g1) && knows(b, g2) })
	if _, _, err := a.DeleteProducts(context.Background(), []string{"p1"}); err != nil {
		t.Fatal(err)
	}
	eventually(t, 10*time.Second, "b forgets the deleted product's group", func() bool { return !knows(b, g1) })
	if !knows(b, g2) {
		t.Fatal("b forgot the other product's group")
	}
}

// A cursor is a position anyone can forge: one past the end is an empty
// page, one near the largest int too (its step past it wrapped around to a
// negative start and panicked), and one that is not a position is refused.
func TestUnansweredForgedCursors(t *testing.T) {
	ctx := context.Background()
	a := open(t, t.TempDir(), quiet())
	defer a.Close()
	upsertCups(t, a, "p1", "p2")
	a.unanswered.record("p1", "warranty", "保修多久", a.Store.Now())
	a.unanswered.record("p2", "warranty", "保修多久", a.Store.Now())
	for _, pos := range []string{"1", "2", "9223372036854775806", "9223372036854775807"} {
		conn, err := a.UnansweredQuestions(ctx, 20, pagination.EncodeCursor(KindUnanswered, pos))
		if err != nil || len(conn.Edges) != 0 || conn.PageInfo.HasNextPage || !conn.PageInfo.HasPreviousPage {
			t.Fatalf("after %s: %+v %v", pos, conn, err)
		}
	}
	conn, err := a.UnansweredQuestions(ctx, 20, pagination.EncodeCursor(KindUnanswered, "0"))
	if err != nil || len(conn.Edges) != 1 {
		t.Fatalf("after 0: %+v %v", conn, err)
	}
	for _, pos := range []string{"-1", "1x", "99999999999999999999"} {
		if _, err := a.UnansweredQuestions(ctx, 20, pagination.EncodeCursor(KindUnanswered, pos)); !errors.Is(err, pagination.ErrBadCursor) {
			t.Fatalf("after %q: %v, want a bad cursor", pos, err)
		}
	}
}

// No example keeps a number a shopper typed, however it was typed: in
// full-width digits (a Chinese keyboard's), in groups, or cut by the clip
// (the digits before the cut stayed). Short numbers stay readable.
func TestUnansweredExamplesMaskNumbers(t *testing.T) {
	ctx := context.Background()
	a := open(t, t.TempDir(), quiet())
	defer a.Close()
	upsertCups(t, a, "p1")
	for _, c := range []struct{ in, want string }{
		{"电话１３８１２３４５６７８能问保修吗", "电话***********能问保修吗"},
		{"call 138-1234-5678 about warranty", "call ***-****-**** about warranty"},
		{"微信 138 1234 5678", "微信 *** **** ****"},
		{"座机 (010) 8765.4321 找谁", "座机 (***) ****.**** 找谁"},
		{"订单٣٤٥٦٧٨٩٠怎么保修", "订单********怎么保修"},
		{strings.Repeat("问", 95) + "13812345678", strings.Repeat("问", 95) + "*****…"},
		{"保修 2 年还是 3 年, 杯子 500 ml", "保修 2 年还是 3 年, 杯子 500 ml"},
		{"12345 元", "12345 元"},
	} {
		k := groupKey("p1", "warranty")
		if err := a.Store.DeleteBlob(ctx, unansweredInfoNS, k); err != nil {
			t.Fatal(err)
		}
		a.unanswered.record("p1", "warranty", c.in, a.Store.Now())
		if err := a.flushUnanswered(ctx); err != nil {
			t.Fatal(err)
		}
		raw, _, err := a.Store.GetBlob(ctx, unansweredInfoNS, k)
		if err != nil {
			t.Fatal(err)
		}
		info, err := decodeUnanswered(raw)
		if err != nil || len(info.Recent) != 1 || info.Recent[0].Text != c.want {
			t.Errorf("%q stored as %s, want %q", c.in, raw, c.want)
		}
	}
}

// existRacingStore runs hook once, after the first Exist.
type existRacingStore struct {
	store.Store
	once sync.Once
	hook func()
}

func (s *existRacingStore) Exist(ctx context.Context, products bool, ids []string) ([]bool, error) {
	found, err := s.Store.Exist(ctx, products, ids)
	s.once.Do(s.hook)
	return found, err
}

// A product deleted on another replica between a flush's check that it
// exists and its write leaves no group behind: the flush looks again after
// writing (the group used to stay listed until it expired, holding a place).
func TestUnansweredFlushRacesAProductDelete(t *testing.T) {
	ctx := context.Background()
	st := sharedStore(t)
	replica := func() *App {
		a, err := Open(ctx, Config{Data: t.TempDir(), OpenedStore: st, Logger: slog.New(quiet())})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { a.Close() })
		return a
	}
	a, b := replica(), replica()
	upsertCups(t, a, "p1", "p2")
	b.unanswered.record("p1", "warranty", "保修多久", b.Store.Now())
	b.unanswered.record("p2", "warranty", "保修多久", b.Store.Now())
	base := b.Store
	b.Store = &existRacingStore{Store: base, hook: func() {
		if _, _, err := a.DeleteProducts(ctx, []string{"p1"}); err != nil {
			t.Error(err)
		}
	}}
	if err := b.flushUnanswered(ctx); err != nil {
		t.Fatal(err)
	}
	b.Store = base
	if _, ok, _ := st.GetBlob(ctx, unansweredInfoNS, groupKey("p1", "warranty")); ok {
		t.Fatal("the deleted product's group was written back")
	}
	if gs := unansweredGroups(t, b); len(gs) != 1 || gs[groupKey("p2", "warranty")].Count != 1 {
		t.Fatalf("groups: %+v", gs)
	}
	b.unanswered.mu.Lock()
	_, known := b.unanswered.known[groupKey("p1", "warranty")]
	b.unanswered.mu.Unlock()
	if known {
		t.Fatal("the deleted product's group still holds a place")
	}
}

// Nor an e-mail address.
func TestUnansweredExamplesMaskEmails(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"发票发到 zhang.san+shop@example.com.cn 可以吗", "发票发到 ***@*** 可以吗"},
		{"邮箱li_si＠mail.qq.com能开保修单吗", "邮箱***@***能开保修单吗"},
		{"邮箱 13812345678@163.com", "邮箱 ***@***"},
		{"保修 @客服 多久", "保修 @客服 多久"},
	} {
		l := newUnansweredLog(nil)
		l.record("p1", "warranty", c.in, time.Now())
		if got := l.pending[groupKey("p1", "warranty")].recent[0].Text; got != c.want {
			t.Errorf("%q kept as %q, want %q", c.in, got, c.want)
		}
	}
}

// A group from before counts moved into the blob, expired but not yet
// deleted when it is asked again, starts anew without its old count (the
// counter used to stay and be added to the new group's).
func TestUnansweredOlderGroupAskedAfterItExpired(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	a := open(t, dir, quiet())
	upsertCups(t, a, "p1")
	k := groupKey("p1", "warranty")
	old, _ := json.Marshal(map[string]any{"examples": []string{"保修多久"}, "last": a.Store.Now().Add(-DefaultUnansweredTTL - time.Hour)})
	if err := a.Store.PutBlob(ctx, unansweredInfoNS, k, old); err != nil {
		t.Fatal(err)
	}
	if err := a.Store.AddCounters(ctx, unansweredCountNS, map[string]int64{k: 7}); err != nil {
		t.Fatal(err)
	}
	a.Close()
	b := open(t, dir, quiet())
	defer b.Close()
	b.unanswered.record("p1", "warranty", "有保修吗", b.Store.Now())
	if g := unansweredGroups(t, b)[k]; g.Count != 1 || !slices.Equal(g.Examples, []string{"有保修吗"}) {
		t.Fatalf("asked after it expired: %+v", g)
	}
	if counts, err := b.Store.Counters(ctx, unansweredCountNS, ""); err != nil || len(counts) != 0 {
		t.Fatalf("older counts left: %v %v", counts, err)
	}
}
