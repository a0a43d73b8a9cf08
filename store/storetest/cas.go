package storetest

import (
	"errors"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shopmuse/shopmuse/store"
)

// testBlobSwap checks the compare-and-swap of blobs: GetBlobVersion and
// PutBlobIf.
func testBlobSwap(t *testing.T, open Open) {
	s := open(t, nil)
	version := func(k string) (string, int64) {
		t.Helper()
		v, ver, err := s.GetBlobVersion(ctx, "cas", k)
		if err != nil {
			t.Fatal(err)
		}
		if (ver == 0) != (v == nil) {
			t.Fatalf("%s: version %d with value %q", k, ver, v)
		}
		return string(v), ver
	}
	swap := func(k, v string, ver int64, with ...store.Blob) bool {
		t.Helper()
		ok, err := s.PutBlobIf(ctx, "cas", k, []byte(v), ver, with...)
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	if v, ver := version("k"); ver != 0 || v != "" {
		t.Fatalf("missing blob: %q version %d", v, ver)
	}
	if swap("k", "v1", 12345) {
		t.Fatal("a swap from a version that was never there succeeded")
	}
	if _, ok, _ := s.GetBlob(ctx, "cas", "k"); ok {
		t.Fatal("a failed swap wrote")
	}
	if !swap("k", "v1", 0) {
		t.Fatal("creating a missing blob (version 0) failed")
	}
	v, ver1 := version("k")
	if v != "v1" || ver1 == 0 {
		t.Fatalf("after create: %q version %d", v, ver1)
	}
	if swap("k", "again", 0) {
		t.Fatal("version 0 (create) succeeded over an existing blob")
	}
	if !swap("k", "v2", ver1, store.Blob{Key: "side", Value: []byte("A")}) {
		t.Fatal("a swap from the current version failed")
	}
	v, ver2 := version("k")
	if v != "v2" || ver2 == ver1 || ver2 == 0 {
		t.Fatalf("after swap: %q version %d (was %d)", v, ver2, ver1)
	}
	if b, ok, _ := s.GetBlob(ctx, "cas", "side"); !ok || string(b) != "A" {
		t.Fatalf("the blob written with the swap: %q %v", b, ok)
	}
	if swap("k", "v3", ver1, store.Blob{Key: "other", Value: []byte("B")}) {
		t.Fatal("a swap from a stale version succeeded")
	}
	if _, ok, _ := s.GetBlob(ctx, "cas", "other"); ok {
		t.Fatal("a failed swap wrote the blobs with it")
	}
	if v, _ := version("k"); v != "v2" {
		t.Fatalf("a failed swap changed the blob: %q", v)
	}
	// A blob deleted with a swap: only if the swap is made.
	if swap("k", "v3", ver1, store.Blob{Key: "side", Delete: true}) {
		t.Fatal("a swap from a stale version succeeded")
	}
	if _, ok, _ := s.GetBlob(ctx, "cas", "side"); !ok {
		t.Fatal("a failed swap deleted the blob with it")
	}
	if !swap("k", "v2", ver2, store.Blob{Key: "side", Delete: true}, store.Blob{Key: "never", Delete: true}, store.Blob{Key: "k", Delete: true}) {
		t.Fatal("a swap deleting blobs with it failed")
	}
	if _, ok, _ := s.GetBlob(ctx, "cas", "side"); ok {
		t.Fatal("the blob deleted with the swap is still there")
	}
	swapped := ver2
	v, ver2 = version("k")
	if v != "v2" || ver2 == swapped {
		t.Fatalf("a delete of k itself among the blobs with it: %q version %d (was %d)", v, ver2, swapped)
	}
	// Every other write changes the version too.
	seen := map[int64]bool{ver1: true, swapped: true, ver2: true}
	fresh := func(what string) int64 {
		t.Helper()
		_, ver := version("k")
		if seen[ver] || ver == 0 {
			t.Fatalf("after %s the version is %d, seen before", what, ver)
		}
		seen[ver] = true
		return ver
	}
	if err := s.PutBlob(ctx, "cas", "k", []byte("v4")); err != nil {
		t.Fatal(err)
	}
	ver4 := fresh("PutBlob")
	if swap("k", "lost", ver2) {
		t.Fatal("a swap across a PutBlob succeeded")
	}
	if err := s.PutBlobs(ctx, "cas", []store.Blob{{Key: "k", Value: []byte("v5")}}); err != nil {
		t.Fatal(err)
	}
	fresh("PutBlobs")
	if swap("k", "lost", ver4) {
		t.Fatal("a swap across a PutBlobs succeeded")
	}
	// A deleted blob has version 0 and the next one a version never seen.
	_, ver5 := version("k")
	if err := s.DeleteBlob(ctx, "cas", "k"); err != nil {
		t.Fatal(err)
	}
	if _, ver := version("k"); ver != 0 {
		t.Fatalf("deleted blob has version %d", ver)
	}
	if swap("k", "lost", ver5) {
		t.Fatal("a swap of a deleted blob succeeded")
	}
	if !swap("k", "", 0) {
		t.Fatal("re-creating a deleted blob failed")
	}
	if v, _ := version("k"); v != "" {
		t.Fatalf("empty value: %q", v)
	}
	fresh("delete and create")
	if _, err := s.PutBlobIf(ctx, "cas", "k", nil, 0, store.Blob{Key: strings.Repeat("x", store.MaxKeyBytes+1)}); err == nil {
		t.Fatal("an over-long key among the blobs written was accepted")
	}
	// An expired cache blob counts as none; swapped, it is kept.
	if err := s.PutBlobTTL(ctx, "cas", "cache", []byte("c"), time.Second); err != nil {
		t.Fatal(err)
	}
	if v, ver := version("cache"); v != "c" || ver == 0 {
		t.Fatalf("a live cache blob: %q version %d", v, ver)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, ver := version("cache"); ver == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the cache blob never expired")
		}
		time.Sleep(100 * time.Millisecond)
	}
	if !swap("cache", "kept", 0) {
		t.Fatal("creating over an expired blob failed")
	}
	time.Sleep(1200 * time.Millisecond)
	if v, _ := version("cache"); v != "kept" {
		t.Fatalf("the swapped blob expired with the cache entry before it: %q", v)
	}
}

// testBlobSwapConcurrent has many writers race: of swaps from one version
// exactly one wins, and increments through UpdateBlob lose nothing.
func testBlobSwapConcurrent(t *testing.T, open Open) {
	s := open(t, nil)
	const writers = 8
	// Rounds of writers that all read the same version and then all swap.
	for round := range 5 {
		_, ver, err := s.GetBlobVersion(ctx, "cas", "race")
		if err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		var mu sync.Mutex
		won := 0
		start := make(chan struct{})
		for w := range writers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				ok, err := s.PutBlobIf(ctx, "cas", "race", []byte(strconv.Itoa(w)), ver)
				if err != nil {
					t.Error(err)
				}
				if ok {
					mu.Lock()
					won++
					mu.Unlock()
				}
			}()
		}
		close(start)
		wg.Wait()
		if won != 1 {
			t.Fatalf("round %d: %d of %d swaps from version %d succeeded, want 1", round, won, writers, ver)
		}
	}
	// Increments: each writer adds 1 perWriter times.
	const perWriter = 25
	var wg sync.WaitGroup
	for range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range perWriter {
				err := store.UpdateBlob(ctx, s, "cas", "counter", func(cur []byte, exists bool) ([]byte, error) {
					n := 0
					if exists {
						var err error
						if n, err = strconv.Atoi(string(cur)); err != nil {
							return nil, err
						}
					}
					return []byte(strconv.Itoa(n + 1)), nil
				})
				if err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	b, _, err := s.GetBlob(ctx, "cas", "counter")
	if err != nil {
		t.Fatal(err)
	}
	if got := string(b); got != strconv.Itoa(writers*perWriter) {
		t.Fatalf("%d writers adding %d each through UpdateBlob left %s", writers, perWriter, got)
	}
	// ErrKeep and fn's errors write nothing.
	if err := store.UpdateBlob(ctx, s, "cas", "counter", func([]byte, bool) ([]byte, error) { return nil, store.ErrKeep }); err != nil {
		t.Fatalf("ErrKeep: %v", err)
	}
	boom := errors.New("boom")
	if err := store.UpdateBlob(ctx, s, "cas", "counter", func([]byte, bool) ([]byte, error) { return []byte("0"), boom }); !errors.Is(err, boom) {
		t.Fatalf("fn's error: %v", err)
	}
	if b, _, _ := s.GetBlob(ctx, "cas", "counter"); string(b) != strconv.Itoa(writers*perWriter) {
		t.Fatalf("ErrKeep or an error wrote: %s", b)
	}
}
