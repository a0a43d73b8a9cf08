package pagination

import (
	"context"
	"testing"
)

func TestCursorRoundTrip(t *testing.T) {
	for _, id := range []string{"a", "sku-0001", "华为/P50:Pro", "with:colons:inside"} {
		c := EncodeCursor(KindProduct, id)
		got, err := DecodeCursor(KindProduct, c)
		if err != nil || got != id {
			t.Fatalf("%q: got %q, %v", id, got, err)
		}
	}
}

func TestCursorRejectsForeignInput(t *testing.T) {
	for _, c := range []string{"not base64!", EncodeCursor(KindUser, "u1"), "MTpwOg", "eHl6"} {
		if _, err := DecodeCursor(KindProduct, c); err == nil {
			t.Fatalf("accepted %q", c)
		}
	}
	if got, err := DecodeCursor(KindProduct, ""); got != "" || err != nil {
		t.Fatal("empty cursor must mean the start")
	}
}

func TestCheckFirst(t *testing.T) {
	for first, ok := range map[int]bool{0: true, 20: true, 100: true, 101: false, -1: false} {
		if (CheckFirst(first, DefaultMaxFirst) == nil) != ok {
			t.Fatalf("CheckFirst(%d)", first)
		}
	}
}

func FuzzDecodeCursor(f *testing.F) {
	f.Add(EncodeCursor(KindProduct, "sku-1"))
	f.Add("")
	f.Add("MTpwOg")
	f.Fuzz(func(t *testing.T, c string) {
		id, err := DecodeCursor(KindProduct, c)
		if err != nil {
			return
		}
		if c != "" && EncodeCursor(KindProduct, id) != c {
			// Only canonical encodings of valid IDs are accepted.
			if again, err := DecodeCursor(KindProduct, EncodeCursor(KindProduct, id)); err != nil || again != id {
				t.Fatalf("decoded %q from %q but it does not round-trip", id, c)
			}
		}
	})
}

func TestConnectionPageInfoAndNodes(t *testing.T) {
	type row struct{ id string }
	key := func(r *row) string { return r.id }
	c := NewConnection([]row{{"a"}, {"b"}, {"c"}}, "x", key, true, false, nil)
	if len(c.Edges) != 3 || c.Edges[1].Node.id != "b" || !c.PageInfo.HasNextPage || c.PageInfo.HasPreviousPage {
		t.Fatalf("connection %+v", c)
	}
	if got, err := DecodeCursor("x", *c.PageInfo.EndCursor); err != nil || got != "c" {
		t.Fatalf("end cursor decodes to %q, %v", got, err)
	}
	if got, err := DecodeCursor("x", *c.PageInfo.StartCursor); err != nil || got != "a" {
		t.Fatalf("start cursor decodes to %q, %v", got, err)
	}
	if n := c.Nodes(); len(n) != 3 || n[2].id != "c" {
		t.Fatalf("nodes %+v", n)
	}
	if _, err := c.TotalCount(t.Context()); err == nil {
		t.Fatal("a connection without a counter reported a total")
	}
	empty := NewConnection([]row{}, "x", key, false, true, func(context.Context) (int, error) { return 7, nil })
	if empty.PageInfo.StartCursor != nil || empty.PageInfo.EndCursor != nil || !empty.PageInfo.HasPreviousPage {
		t.Fatalf("empty page info %+v", empty.PageInfo)
	}
	if n, err := empty.TotalCount(t.Context()); err != nil || n != 7 {
		t.Fatalf("total %d %v", n, err)
	}
}
