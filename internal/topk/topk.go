// Package topk keeps the k best items of a stream: a size-k min-heap whose
// root is the worst item kept, so a stream of n items costs O(n log k) time
// and O(k) memory. The exact vector scan, the popular and trending lists,
// item-CF and session neighbours and the MF scan all select their best k
// with it. (HNSW's graph search keeps its own candidate and result heaps: a
// beam search pops from both, which a k-best keeper never does.)
//
// Items rank by a float64 score, higher first; the caller's tie function
// orders items of equal score. With a tie function that is a strict total
// order (by ID or index, say), the kept set and Sorted's order are fully
// determined, whatever the order of the pushes. Scores are compared inline
// and the tie function is called only on equal scores: a hot loop (item-CF
// training pushes every co-occurring pair) pays no indirect call per item.
package topk

import "slices"

// Keeper keeps the k best items pushed into it. The zero value keeps
// nothing; make one with New.
type Keeper[T any] struct {
	k     int
	below func(a, b T) bool
	h     []entry[T] // min-heap: h[0] is the worst kept
}

type entry[T any] struct {
	s float64
	v T
}

// New returns a Keeper for the k best items. below(a, b) reports whether a
// ranks below b when their scores are equal; nil leaves such ties to the
// order of the pushes (the first pushed stays). A k of 0 or less keeps
// nothing.
func New[T any](k int, below func(a, b T) bool) *Keeper[T] {
	if below == nil {
		below = func(T, T) bool { return false }
	}
	k = max(k, 0)
	// The heap grows to k; reserving all of it up front would waste memory
	// when k is a generous cap that the stream never reaches.
	return &Keeper[T]{k: k, below: below, h: make([]entry[T], 0, min(k, 64))}
}

// less reports whether a ranks below b.
func (t *Keeper[T]) less(a, b *entry[T]) bool {
	return a.s < b.s || (a.s == b.s && t.below(a.v, b.v))
}

// Len is the number of items kept, at most k.
func (t *Keeper[T]) Len() int { return len(t.h) }

// Admits reports whether Push(v, score) would keep v. Callers use it to
// skip costly work (a filter, a lookup) for items that could not enter.
func (t *Keeper[T]) Admits(v T, score float64) bool {
	if len(t.h) < t.k {
		return true
	}
	return t.k > 0 && (score > t.h[0].s || (score == t.h[0].s && t.below(t.h[0].v, v)))
}

// Push offers v with its score and reports whether v was kept. When the
// keeper is full, v replaces the worst kept item if it ranks above it.
func (t *Keeper[T]) Push(v T, score float64) bool {
	// The common rejection stays small enough to inline into the caller.
	if len(t.h) == t.k && (t.k == 0 || score < t.h[0].s) {
		return false
	}
	return t.push(entry[T]{score, v})
}

func (t *Keeper[T]) push(e entry[T]) bool {
	if len(t.h) < t.k {
		t.h = append(t.h, e)
		t.up(len(t.h) - 1)
		return true
	}
	if !t.less(&t.h[0], &e) {
		return false
	}
	t.h[0] = e
	t.down(0)
	return true
}

// Sorted returns the kept items best first in a new slice (nil when none
// are kept). The keeper is unchanged.
func (t *Keeper[T]) Sorted() []T {
	if len(t.h) == 0 {
		return nil
	}
	es := slices.Clone(t.h)
	slices.SortFunc(es, func(a, b entry[T]) int {
		switch {
		case a.s > b.s:
			return -1
		case a.s < b.s:
			return 1
		case t.below(b.v, a.v):
			return -1
		case t.below(a.v, b.v):
			return 1
		}
		return 0
	})
	out := make([]T, len(es))
	for i := range es {
		out[i] = es[i].v
	}
	return out
}

// Reset empties the keeper for a new stream, keeping its memory.
func (t *Keeper[T]) Reset() { t.h = t.h[:0] }

func (t *Keeper[T]) up(i int) {
	h := t.h
	for i > 0 {
		p := (i - 1) / 2
		if !t.less(&h[i], &h[p]) {
			return
		}
		h[p], h[i] = h[i], h[p]
		i = p
	}
}

func (t *Keeper[T]) down(i int) {
	h := t.h
	n := len(h)
	for {
		l, m := 2*i+1, i
		if l < n && t.less(&h[l], &h[m]) {
			m = l
		}
		if r := l + 1; r < n && t.less(&h[r], &h[m]) {
			m = r
		}
		if m == i {
			return
		}
		h[m], h[i] = h[i], h[m]
		i = m
	}
}
