package recommend

import (
	"fmt"
	"testing"
)

// TestPlacePinsScoresNonIncreasing: however pins fall (adjacent, at the
// top, past a short list, from the catalogue with no score of their own),
// the merged list's scores never rise: a client that re-sorts by score
// must not undo the pins, nor see a list out of order.
func TestPlacePinsScoresNonIncreasing(t *testing.T) {
	ranked := func(scores ...float64) []blended {
		out := make([]blended, len(scores))
		for i, s := range scores {
			out[i] = blended{ItemID: fmt.Sprintf("r%d", i), Score: s}
		}
		return out
	}
	pins := func(scores ...float64) []blended {
		out := make([]blended, len(scores))
		for i, s := range scores {
			out[i] = blended{ItemID: fmt.Sprintf("p%d", i), Score: s}
		}
		return out
	}
	cases := []struct {
		name   string
		ranked []blended
		pinned []blended
		pos    []int
		n      int
	}{
		{"two catalogue pins on top", ranked(0.5, 0.4), pins(0, 0), []int{1, 2}, 4},
		{"adjacent low pins mid-list", ranked(0.9, 0.5, 0.4), pins(0.1, 0.1), []int{2, 3}, 5},
		{"adjacent pins, the second higher", ranked(0.9, 0.5), pins(0.1, 0.8), []int{2, 3}, 4},
		{"a candidate pin above its place", ranked(0.9, 0.5, 0.4), pins(0.95), []int{2}, 4},
		{"pins past a short list", ranked(0.5), pins(0, 0.7, 0.2), []int{5, 6, 7}, 10},
		{"first=1, pin at 5", ranked(0.5, 0.4), pins(0.1), []int{5}, 1},
		{"three adjacent pins", ranked(0.9, 0.8, 0.3), pins(0.2, 0, 0.6), []int{2, 3, 4}, 6},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out := placePins(c.ranked, c.pinned, c.pos, c.n, blendedScore, setBlendedScore)
			if len(out) > c.n {
				t.Fatalf("%d items for n=%d", len(out), c.n)
			}
			seen := map[string]bool{}
			for i := range out {
				if seen[out[i].ItemID] {
					t.Fatalf("%s twice: %+v", out[i].ItemID, out)
				}
				seen[out[i].ItemID] = true
				if i > 0 && out[i].Score > out[i-1].Score {
					t.Fatalf("score rises at %d (%s %.2f after %s %.2f): %+v", i, out[i].ItemID, out[i].Score, out[i-1].ItemID, out[i-1].Score, out)
				}
			}
		})
	}
}
