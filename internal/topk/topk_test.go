package topk

import (
	"cmp"
	"math/rand/v2"
	"slices"
	"testing"
)

type item struct {
	id    int
	score float64
}

// byID breaks score ties: the smaller ID ranks higher.
func byID(a, b item) bool { return a.id > b.id }

// reference sorts everything and cuts at k.
func reference(items []item, k int) []item {
	all := slices.Clone(items)
	slices.SortFunc(all, func(a, b item) int {
		if c := cmp.Compare(b.score, a.score); c != 0 {
			return c
		}
		return cmp.Compare(a.id, b.id)
	})
	all = all[:max(min(k, len(all)), 0)]
	if len(all) == 0 {
		return nil
	}
	return all
}

func keep(items []item, k int, below func(a, b item) bool) []item {
	t := New(k, below)
	for _, x := range items {
		t.Push(x, x.score)
	}
	return t.Sorted()
}

func TestMatchesFullSort(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for trial := range 300 {
		n := r.IntN(60)
		items := make([]item, n)
		for i := range items {
			// Few distinct scores, so ties are common, also at the cut.
			items[i] = item{id: i, score: float64(r.IntN(5)) - 2}
		}
		r.Shuffle(n, func(i, j int) { items[i], items[j] = items[j], items[i] })
		for _, k := range []int{0, 1, 3, 10, n, n + 5} {
			if got, want := keep(items, k, byID), reference(items, k); !slices.Equal(got, want) {
				t.Fatalf("trial %d, n=%d, k=%d:\n got %v\nwant %v", trial, n, k, got, want)
			}
		}
	}
}

func TestTiesAreDecidedByTheTieFunctionNotPushOrder(t *testing.T) {
	a, b, c := item{1, 5}, item{2, 5}, item{3, 5}
	for _, order := range [][]item{{a, b, c}, {c, b, a}, {b, c, a}} {
		if got := keep(order, 2, byID); !slices.Equal(got, []item{a, b}) {
			t.Errorf("push order %v: kept %v, want ids 1 and 2", order, got)
		}
	}
}

func TestNilTieKeepsTheFirstPushed(t *testing.T) {
	a, b, c := item{1, 5}, item{2, 5}, item{3, 7}
	if got := keep([]item{c, b, a}, 2, nil); !slices.Equal(got, []item{c, b}) {
		t.Errorf("kept %v, want 3 then 2 (2 was pushed before 1)", got)
	}
}

func TestZeroAndNegativeK(t *testing.T) {
	for _, k := range []int{0, -3} {
		tk := New(k, byID)
		if tk.Admits(item{1, 100}, 100) {
			t.Errorf("k=%d admits an item", k)
		}
		if tk.Push(item{1, 100}, 100) {
			t.Errorf("k=%d kept an item", k)
		}
		if tk.Len() != 0 || tk.Sorted() != nil {
			t.Errorf("k=%d: Len %d, Sorted %v", k, tk.Len(), tk.Sorted())
		}
	}
}

func TestKAboveN(t *testing.T) {
	items := []item{{1, 0.5}, {2, 2}, {3, -1}}
	if got, want := keep(items, 10, byID), []item{{2, 2}, {1, 0.5}, {3, -1}}; !slices.Equal(got, want) {
		t.Errorf("kept %v, want all three best first %v", got, want)
	}
}

func TestAdmitsPushAndReset(t *testing.T) {
	tk := New(2, byID)
	for _, x := range []item{{1, 1}, {2, 2}} {
		if !tk.Admits(x, x.score) || !tk.Push(x, x.score) {
			t.Fatalf("%v not kept while the keeper had room", x)
		}
	}
	if x := (item{3, 1}); tk.Admits(x, x.score) || tk.Push(x, x.score) {
		t.Error("an item tied with the worst kept but ranked below it (larger ID) entered")
	}
	if x := (item{0, 1}); !tk.Admits(x, x.score) {
		t.Error("an item tied with the worst kept but ranked above it (smaller ID) is not admitted")
	}
	if x := (item{4, 3}); !tk.Push(x, x.score) {
		t.Error("a better item was not kept")
	}
	if got := tk.Sorted(); !slices.Equal(got, []item{{4, 3}, {2, 2}}) {
		t.Errorf("kept %v", got)
	}
	// Sorted leaves the keeper as it was.
	if tk.Len() != 2 || tk.Push(item{5, 0}, 0) {
		t.Error("Sorted changed the keeper")
	}
	tk.Reset()
	if tk.Len() != 0 || !tk.Push(item{6, -5}, -5) {
		t.Error("Reset did not empty the keeper")
	}
}
