package api

import (
	"context"
	"strings"
	"testing"
)

// TestByteLRUBoundsBytes: the caches hold a byte budget, not an entry
// count, and one huge entry does not flush the rest.
func TestByteLRUBoundsBytes(t *testing.T) {
	ctx := context.Background()
	c := NewAPQCache(10_000)
	for i := range 1000 {
		c.Add(ctx, strings.Repeat("h", 60)+string(rune('a'+i%26))+strings.Repeat("x", i%7), strings.Repeat("q", 500))
		if c.Bytes() > 10_000 {
			t.Fatalf("after %d adds the cache holds %d bytes", i+1, c.Bytes())
		}
	}
	c = NewAPQCache(10_000)
	c.Add(ctx, "small", "{ a }")
	c.Add(ctx, "huge", strings.Repeat("q", 5_000))
	if _, ok := c.Get(ctx, "huge"); ok {
		t.Fatal("an entry over an eighth of the budget was cached")
	}
	if v, ok := c.Get(ctx, "small"); !ok || v != "{ a }" {
		t.Fatal("small entry lost")
	}
	// Least recently used goes first.
	c = NewAPQCache(1_000)
	c.Add(ctx, "a", strings.Repeat("1", 50))
	c.Add(ctx, "b", strings.Repeat("2", 50))
	c.Get(ctx, "a")
	for i := range 20 {
		c.Add(ctx, "k"+string(rune('A'+i)), strings.Repeat("3", 50))
		c.Get(ctx, "a")
	}
	if _, ok := c.Get(ctx, "b"); ok {
		t.Fatal("b, never read again, outlived the fillers")
	}
	if _, ok := c.Get(ctx, "a"); !ok {
		t.Fatal("a, read all along, was evicted")
	}
}
