package storetest

import (
	"slices"
	"testing"
	"time"

	"github.com/shopmuse/shopmuse/store"
)

// testEdgeKeys holds both backends to the same answers where a SQL backend
// could differ: LIKE metacharacters and NUL or 0xff bytes in prefixes,
// an empty key, a long key, counters falling to zero and below.
func testEdgeKeys(t *testing.T, open Open) {
	s := open(t, nil)
	// A key of incompressible bytes at the bound (PostgreSQL's B-tree takes
	// index rows of at most 2704 bytes; bytea is compressed first).
	lb := make([]byte, store.MaxKeyBytes-1)
	x := uint32(1)
	for i := range lb {
		x = x*1664525 + 1013904223
		lb[i] = byte(x >> 24)
	}
	long := "k" + string(lb)
	keys := []string{"%", "%a", "_a", "a", "a%", "a_b", "ab", `a\b`, "a\x00", "a\x00b", "\xff", "\xff\xff", long}
	var bs []store.Blob
	for _, k := range keys {
		bs = append(bs, store.Blob{Key: k, Value: []byte("v" + k)})
	}
	if err := s.PutBlobs(ctx, "edge", bs); err != nil {
		t.Fatal(err)
	}
	list := func(prefix, after string, first int) []string {
		t.Helper()
		got, _, err := s.ListBlobs(ctx, "edge", prefix, after, first)
		if err != nil {
			t.Fatalf("ListBlobs(%q, %q): %v", prefix, after, err)
		}
		return blobKeys(got)
	}
	sorted := slices.Clone(keys)
	slices.Sort(sorted)
	for _, tc := range []struct {
		prefix string
		want   []string
	}{
		{"", sorted},
		{"\x00", nil},
		{"%", []string{"%", "%a"}},
		{"_", []string{"_a"}},
		{"a_", []string{"a_b"}},
		{"a%", []string{"a%"}},
		{`a\`, []string{`a\b`}},
		{"a\x00", []string{"a\x00", "a\x00b"}},
		{"\xff", []string{"\xff", "\xff\xff"}},
		{"k", []string{long}},
	} {
		if got := list(tc.prefix, "", -1); !slices.Equal(got, tc.want) {
			t.Errorf("ListBlobs prefix %q = %.300q, want %.300q", tc.prefix, got, tc.want)
		}
	}
	// Keyset paging one by one visits every key once, in byte order.
	var paged []string
	after := ""
	for i := 0; i <= len(keys); i++ {
		got, more, err := s.ListBlobs(ctx, "edge", "", after, 1)
		if err != nil {
			t.Fatal(err)
		}
		paged = append(paged, blobKeys(got)...)
		if !more {
			break
		}
		after = got[0].Key
	}
	if !slices.Equal(paged, sorted) {
		t.Errorf("paged %.300q, want %.300q", paged, sorted)
	}
	if b, ok, err := s.GetBlob(ctx, "edge", long); err != nil || !ok || string(b) != "v"+long {
		t.Fatalf("long key: %v %v", ok, err)
	}
	// Past the bound every backend refuses, and writes nothing.
	over := long + "xx"
	if err := s.PutBlob(ctx, "edge", over, nil); err == nil {
		t.Error("PutBlob took a key over MaxKeyBytes")
	}
	if err := s.PutBlobs(ctx, "edge", []store.Blob{{Key: "fine"}, {Key: over}}); err == nil {
		t.Error("PutBlobs took a key over MaxKeyBytes")
	}
	if err := s.PutBlobTTL(ctx, "edge", over, nil, time.Hour); err == nil {
		t.Error("PutBlobTTL took a key over MaxKeyBytes")
	}
	if err := s.AddCounters(ctx, "edge", map[string]int64{over: 1}); err == nil {
		t.Error("AddCounters took a key over MaxKeyBytes")
	}
	if err := s.PutBlob(ctx, string(lb[:store.MaxNamespaceBytes+1]), "k", nil); err == nil {
		t.Error("PutBlob took a namespace over MaxNamespaceBytes")
	}
	if _, ok, _ := s.GetBlob(ctx, "edge", "fine"); ok {
		t.Error("a refused PutBlobs wrote part of its batch")
	}
	if err := s.DeleteBlobs(ctx, "edge", "a_"); err != nil {
		t.Fatal(err)
	}
	if got := list("a", "", -1); !slices.Equal(got, []string{"a", "a\x00", "a\x00b", "a%", `a\b`, "ab"}) {
		t.Errorf("after DeleteBlobs(a_): %.300q", got)
	}

	// Counters: LIKE metacharacters in prefixes, zero and negative sums.
	if err := s.AddCounters(ctx, "c", map[string]int64{"x%": 2, "x_": 3, "xa": 4, "x\x00": 5}); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Counters(ctx, "c", "x%"); len(got) != 1 || got["x%"] != 2 {
		t.Errorf("Counters(x%%) = %v", got)
	}
	if got, _ := s.Counters(ctx, "c", "x_"); len(got) != 1 || got["x_"] != 3 {
		t.Errorf("Counters(x_) = %v", got)
	}
	if err := s.AddCounters(ctx, "c", map[string]int64{"x%": -2, "x_": -10, "xa": 0}); err != nil {
		t.Fatal(err)
	}
	got, _ := s.Counters(ctx, "c", "x")
	if len(got) != 2 || got["xa"] != 4 || got["x\x00"] != 5 {
		t.Errorf("after going to zero and below: %v, want only xa=4 and x\\x00=5", got)
	}
	// A counter that went below zero starts again from zero.
	if err := s.AddCounters(ctx, "c", map[string]int64{"x_": 1}); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Counters(ctx, "c", "x_"); got["x_"] != 1 {
		t.Errorf("x_ after -10 then +1: %v", got)
	}
	if err := s.DeleteCounters(ctx, "c", "x\x00"); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Counters(ctx, "c", ""); len(got) != 2 || got["x\x00"] != 0 {
		t.Errorf("after DeleteCounters(x\\x00): %v", got)
	}

	// A TTL blob of zero or negative TTL is never returned.
	if err := s.PutBlobTTL(ctx, "cache", "gone", []byte("x"), -time.Second); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := s.GetBlob(ctx, "cache", "gone"); ok {
		t.Error("a blob with a negative TTL was returned")
	}
}
