package pagination

import (
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
