package fatigue

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shopmuse/shopmuse/store"
)

func TestParse(t *testing.T) {
	for in, want := range map[string]Config{
		"":       {Shows: 5, Window: 24 * time.Hour},
		"3/24h":  {Shows: 3, Window: 24 * time.Hour},
		" 2/30m": {Shows: 2, Window: 30 * time.Minute},
		"10/7d":  {Shows: 10, Window: 7 * 24 * time.Hour},
		"off":    {},
		"OFF":    {},
	} {
		got, err := Parse(in)
		if err != nil || got != want {
			t.Errorf("Parse(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, bad := range []string{"3", "0/24h", "-1/24h", "3/0s", "3/10s", "3/100d", "x/24h", "3/forever", "1001/24h", "3/-5h"} {
		if _, err := Parse(bad); err == nil {
			t.Errorf("Parse(%q) accepted", bad)
		}
	}
}

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func TestCapRestsAnItemAndLetsItBack(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(t.TempDir(), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	c := &clock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	tr := New(st, Config{Shows: 3, Window: time.Hour}, c.now)
	resting := func(user string) []string {
		t.Helper()
		r, err := tr.Resting(ctx, user)
		if err != nil {
			t.Fatal(err)
		}
		slices.Sort(r)
		return r
	}
	// A user whose ID prefixes another's shares nothing with them.
	for range 3 {
		tr.Shown("u/1", []string{"a", "b"})
		tr.Shown("u", []string{"a"})
		c.add(time.Minute)
	}
	if got := resting("u/1"); !slices.Equal(got, []string{"a", "b"}) {
		t.Fatalf("buffered showings: resting %v", got)
	}
	if err := tr.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if got := resting("u/1"); !slices.Equal(got, []string{"a", "b"}) {
		t.Fatalf("flushed showings: resting %v", got)
	}
	if got := resting("u"); !slices.Equal(got, []string{"a"}) {
		t.Fatalf("other user: resting %v", got)
	}
	// A click brings the item back at once.
	if err := tr.Reacted(ctx, "u/1", "b"); err != nil {
		t.Fatal(err)
	}
	if got := resting("u/1"); !slices.Equal(got, []string{"a"}) {
		t.Fatalf("after the click on b: resting %v", got)
	}
	// Still within the window: a rests; past 1.25 windows it is back, and
	// the stale counters go at the next flush.
	c.add(50 * time.Minute)
	if got := resting("u/1"); !slices.Equal(got, []string{"a"}) {
		t.Fatalf("within the window: resting %v", got)
	}
	c.add(30 * time.Minute)
	if got := resting("u/1"); len(got) != 0 {
		t.Fatalf("after the window: resting %v", got)
	}
	if err := tr.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	left, _ := st.Counters(ctx, Namespace, userPrefix("u/1"))
	if len(left) != 0 {
		t.Fatalf("stale counters stay: %v", left)
	}
	// Erasure removes the user's counters, and only theirs.
	if err := tr.EraseUser(ctx, "u"); err != nil {
		t.Fatal(err)
	}
	if left, _ := st.Counters(ctx, Namespace, ""); len(left) != 0 {
		t.Fatalf("after erasure: %v", left)
	}
	// Off: nothing counted, nothing rests.
	off := New(st, Config{}, c.now)
	for range 10 {
		off.Shown("v", []string{"a"})
	}
	if r, _ := off.Resting(ctx, "v"); len(r) != 0 {
		t.Fatalf("cap off: resting %v", r)
	}
}

// BenchmarkResting is the cap's cost on each recommendation request: one
// prefix scan of a shopper with 50 items shown across the window, plus
// the buffered showings.
func BenchmarkResting(b *testing.B) {
	ctx := context.Background()
	st, err := store.Open(b.TempDir(), store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	c := &clock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	tr := New(st, Config{Shows: 1000, Window: 24 * time.Hour}, c.now)
	items := make([]string, 50)
	for i := range items {
		items[i] = "item-" + strconv.Itoa(i)
	}
	for range 5 {
		tr.Shown("u1", items)
		c.add(6 * time.Hour)
	}
	if err := tr.Flush(ctx); err != nil {
		b.Fatal(err)
	}
	tr.Shown("u1", items[:10])
	for b.Loop() {
		if _, err := tr.Resting(ctx, "u1"); err != nil {
			b.Fatal(err)
		}
	}
}

// TestCacheStaysTheStorePlusOwnWrites: showings, flushes, resets and reads
// racing leave the cached counts equal to the store's.
func TestCacheStaysTheStorePlusOwnWrites(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(t.TempDir(), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	c := &clock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	tr := New(st, Config{Shows: 150, Window: time.Hour}, c.now)
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 100 {
				tr.Shown("u", []string{"a", "b"})
				switch i % 10 {
				case 0:
					if err := tr.Flush(ctx); err != nil {
						t.Error(err)
					}
				case 5:
					if _, err := tr.Resting(ctx, "u"); err != nil {
						t.Error(err)
					}
				case 7:
					if w == 0 && i == 57 {
						if err := tr.Reacted(ctx, "u", "b"); err != nil {
							t.Error(err)
						}
					}
				}
			}
		}()
	}
	wg.Wait()
	if err := tr.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	fresh := New(st, tr.Config(), c.now)
	got, _ := tr.Resting(ctx, "u")
	want, _ := fresh.Resting(ctx, "u")
	if !slices.Equal(got, want) || !slices.Contains(got, "a") {
		t.Fatalf("cached %v, store %v (a was shown 400 times)", got, want)
	}
	stored, _ := st.Counters(ctx, Namespace, "u/")
	tr.mu.Lock()
	cachedCounts := tr.cache["u/"].counts
	if len(cachedCounts) != len(stored) {
		t.Fatalf("cache %v, store %v", cachedCounts, stored)
	}
	for k, n := range stored {
		if cachedCounts[k] != n {
			t.Fatalf("cache %v, store %v", cachedCounts, stored)
		}
	}
	tr.mu.Unlock()
}

// IDs of 128 CJK characters are valid, but path-escaped they pass the
// store's key bound: a long user's showings are kept under a hash of the
// ID, and rest their items; a long item's are not counted. Neither fails
// the flush, which carried everyone's showings (they stayed buffered).
func TestLongIDsDoNotFailTheFlush(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(t.TempDir(), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	c := &clock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	tr := New(st, Config{Shows: 2, Window: time.Hour}, c.now)
	longUser, longItem := strings.Repeat("用", 128), strings.Repeat("品", 128)
	for range 2 {
		tr.Shown(longUser, []string{"a", longItem})
		tr.Shown("bob", []string{"a"})
	}
	if err := tr.Flush(ctx); err != nil {
		t.Fatalf("flush with long IDs: %v", err)
	}
	stored, err := st.Counters(ctx, Namespace, "bob/")
	if err != nil || len(stored) == 0 {
		t.Fatalf("bob's showings were not flushed: %v %v", stored, err)
	}
	tr2 := New(st, Config{Shows: 2, Window: time.Hour}, c.now) // reads the store only
	for _, u := range []string{longUser, "bob"} {
		if got, err := tr2.Resting(ctx, u); err != nil || !slices.Equal(got, []string{"a"}) {
			t.Fatalf("resting for %.9s…: %v %v, want [a]", u, got, err)
		}
	}
	if err := tr2.Reacted(ctx, longUser, longItem); err != nil {
		t.Fatal(err)
	}
	if err := tr2.EraseUser(ctx, longUser); err != nil {
		t.Fatal(err)
	}
	if got, _ := tr2.Resting(ctx, longUser); len(got) != 0 {
		t.Fatalf("after erasing the long user: resting %v", got)
	}
}
