package merch

import (
	"fmt"
	"testing"
	"time"
)

// fullPins is n stored PINs at position 1, each in its own rule set (so
// none conflicts), as a shop at the 10,000-rule cap could hold.
func fullPins(tb testing.TB, n int, now time.Time) []Rule {
	tb.Helper()
	pos := 1
	var stored []Rule
	for k := 0; k < n; k += MaxBatch {
		var in []RuleInput
		for i := k; i < min(n, k+MaxBatch); i++ {
			rs := fmt.Sprintf("s%d", i)
			in = append(in, RuleInput{Action: ActionPin, Position: &pos, Condition: &Condition{ProductIDs: []string{"p1"}}, RuleSet: &rs})
		}
		all, _, es := Merge(stored, in, now)
		if len(es) > 0 {
			tb.Fatal(es[0])
		}
		stored = all
	}
	return stored
}

// Adding one PIN to thousands stored at the same position compares it
// with each of them, not every stored pair with every other (which took
// about a second per upsert, under the lock, at 10,000 rules).
func TestPinConflictsCompareOnlyTheBatch(t *testing.T) {
	now := time.Now()
	stored := fullPins(t, 3000, now)
	pos := 1
	rs, same := "new", "s7"
	in := []RuleInput{
		{Action: ActionPin, Position: &pos, Condition: &Condition{ProductIDs: []string{"p2"}}, RuleSet: &rs},
		{Action: ActionPin, Position: &pos, Condition: &Condition{ProductIDs: []string{"p3"}}, RuleSet: &same},
	}
	// The second pins position 1 in rule set s7, which a stored rule
	// holds: the check still sees stored rules.
	all, _, es := Merge(stored, in, now)
	if all != nil || len(es) != 1 || es[0].Field[1] != "1" {
		t.Fatalf("want one conflict, on input 1, and nothing merged: %d rules, %+v", len(all), es)
	}
	all, _, es = Merge(stored, in[:1], now)
	if len(es) != 0 || len(all) != 3001 {
		t.Fatalf("a PIN in a new rule set: %d rules, errors %+v", len(all), es)
	}
	pairs := 0
	seen := map[string]int{all[len(all)-1].ID: 0}
	pinPairs(all, seen, func(a, b *Rule) { pairs++ })
	if pairs != 3000 {
		t.Fatalf("one new PIN among 3,000 at its position: %d pairs compared, want 3,000", pairs)
	}
}

// BenchmarkUpsertOntoFullPins adds one PIN to 9,999 stored at the same
// position (the cost of one upsert at the rule cap).
func BenchmarkUpsertOntoFullPins(b *testing.B) {
	now := time.Now()
	stored := fullPins(b, MaxRules-1, now)
	pos, rs := 1, "new"
	in := []RuleInput{{Action: ActionPin, Position: &pos, Condition: &Condition{ProductIDs: []string{"p2"}}, RuleSet: &rs}}
	b.ResetTimer()
	for range b.N {
		if _, _, es := Merge(stored, in, now); len(es) > 0 {
			b.Fatal(es[0])
		}
	}
}
